"""CIDRs and addresses in AWS's canonical form, each distinct string parsed once.

AWS stores CIDRs canonicalised (``10.0.1.7/24`` becomes ``10.0.1.0/24``); the models
validate every CIDR and address they are given into that form. A large inventory repeats
the same few thousand CIDRs tens of thousands of times (the target estate of issue 16:
37,000 CIDR fields, 7,600 distinct strings), so the answers are cached: a repeated CIDR
costs a dictionary look-up, and every model holding it shares one string.
"""

from __future__ import annotations

import ipaddress
import sys
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["Cidr", "canonical_address", "canonical_cidr"]

_CACHED = 1 << 16  # distinct strings kept; a long-running worker's cache stays bounded


@lru_cache(maxsize=_CACHED)
def canonical_cidr(value: str) -> str:
    """``value`` as AWS stores it (host bits cleared); ValueError if it is no CIDR."""
    return sys.intern(str(ipaddress.ip_network(value, strict=False)))


@lru_cache(maxsize=_CACHED)
def canonical_address(value: str) -> str:
    """An IPv4 or IPv6 address in its compressed form; ValueError if it is none."""
    return sys.intern(str(ipaddress.ip_address(value)))


# A CIDR field: validated and canonicalised (a field ``Cidr | None`` skips None).
Cidr = Annotated[str, AfterValidator(canonical_cidr)]
