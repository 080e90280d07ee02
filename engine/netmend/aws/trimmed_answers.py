"""DescribeSecurityGroups answers parsed without the rules they carry again.

Every group in a DescribeSecurityGroups answer repeats all of its rules in
``ipPermissions`` and ``ipPermissionsEgress``; the API has no way to leave them out.
netmend reads rules once, one peer per rule with their ids, from
DescribeSecurityGroupRules, so turning those elements into dicts is wasted work (most of
the answer, on an account with many rules). ``without_permissions(client)`` drops them
from the XML before botocore parses it (botocore's ``before-parse`` event), for the
calls made inside the ``with`` block on the current thread only: any other
DescribeSecurityGroups call on the same client, elsewhere or at the same time, is
parsed whole as usual.

The two elements hold only ``item``, ``ipProtocol``, ports, ``groups``, ``ipRanges``,
``ipv6Ranges`` and ``prefixListIds``, never an element of their own name, and XML text
cannot hold a raw ``<``: cutting from the opening to the matching closing tag is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["strip_permissions", "without_permissions"]

_EVENT = "before-parse.ec2.DescribeSecurityGroups"
_HOOK_ID = "netmend-describe-security-groups-without-permissions"

_PERMISSIONS = re.compile(
    rb"<(ipPermissions(?:Egress)?)>.*?</\1>|<ipPermissions(?:Egress)?\s*/>", re.DOTALL
)

_active: ContextVar[bool] = ContextVar("netmend_without_permissions", default=False)


def strip_permissions(body: bytes) -> bytes:
    """The XML answer without its ``ipPermissions``/``ipPermissionsEgress`` elements."""
    return _PERMISSIONS.sub(b"", body)


def _before_parse(response_dict: dict[str, Any], **_: Any) -> None:
    if not _active.get() or response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if isinstance(body, bytes):
        response_dict["body"] = strip_permissions(body)


@contextmanager
def without_permissions(client: Any) -> Iterator[None]:
    """Within the block, this thread's DescribeSecurityGroups answers on ``client``
    come without IpPermissions/IpPermissionsEgress."""
    # unique_id makes registering again a no-op: one hook per client, however often.
    client.meta.events.register(_EVENT, _before_parse, unique_id=_HOOK_ID)
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)
