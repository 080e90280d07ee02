"""The client's ephemeral ports, and whose clients a return-path ACL lets down.

A TCP/UDP reply goes to the port the client picked, which depends on the client:
Linux 32768-60999, Windows Server 2008+ (and NLB) 49152-65535, Elastic Load Balancing,
NAT gateways and Lambda anywhere in 1024-65535. An ACL on the return path that admits only
part of 1024-65535 therefore breaks some clients and not others, and the evaluation says
which rather than a bare yes/no.
"""

from __future__ import annotations

from functools import lru_cache

from netmend.reach.acl import AclVerdict
from netmend.reach.intervals import (
    Interval,
    IntervalSet,
    covers,
    intersect,
    intersect_sets,
    interval_text,
    normalise,
    text,
)
from netmend.reach.result import Direction, EphemeralCoverage

__all__ = ["ANY_CLIENT", "CLIENTS", "coverage", "failing_clients", "return_blocks", "summary"]

ANY_CLIENT: Interval = (1024, 65535)

CLIENTS: tuple[tuple[str, Interval], ...] = (
    ("Linux clients", (32768, 60999)),
    ("Windows Server 2008+ and NLB clients", (49152, 65535)),
    ("ELB, NAT gateway and Lambda clients", (1024, 65535)),
)


def failing_clients(allowed: IntervalSet) -> list[str]:
    """``["Linux clients (32768-60999)", ...]``: the clients whose range is not all let back."""
    merged = normalise(allowed)
    return [f"{name} ({interval_text(r)})" for name, r in CLIENTS if not covers(merged, r)]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def summary(allowed: IntervalSet) -> str:
    """One line: which part of 1024-65535 comes back and whose clients fail."""
    inside = intersect(normalise(allowed), ANY_CLIENT)
    if covers(inside, ANY_CLIENT):
        return "all of 1024-65535 comes back: every client works"
    if not inside:
        return "none of 1024-65535 comes back: every client fails"
    return f"only {text(inside)} comes back: {_join(failing_clients(inside))} fail"


@lru_cache(maxsize=1 << 14)
def coverage(
    network_acl_id: str, subnet_id: str, direction: Direction, allowed: IntervalSet
) -> EphemeralCoverage:
    """What ``allowed`` lets back of 1024-65535 (kept: one per ACL, subnet and verdict)."""
    inside = intersect(normalise(allowed), ANY_CLIENT)
    return EphemeralCoverage(
        network_acl_id=network_acl_id,
        subnet_id=subnet_id,
        direction=direction,
        allowed=inside,
        summary=summary(inside),
    )


def return_blocks(
    verdicts: list[AclVerdict], wanted: Interval, *, ported: bool, whole_range: bool
) -> list[bool]:
    """Which ACLs of the return path block the reply, in path order.

    Non-TCP/UDP replies (and an explicit client range) need everything admitted. A
    TCP/UDP reply over the whole ephemeral range is blocked at an ACL that admits no port
    of it, or at the ACL where the last ports that the earlier ACLs let by are dropped.
    """
    blocked: list[bool] = []
    surviving: IntervalSet = (wanted,)
    for verdict in verdicts:
        if not ported:
            blocked.append(not verdict.complete)
            continue
        admitted = intersect(verdict.admitted, wanted)
        if not whole_range:
            blocked.append(not covers(admitted, wanted))
            continue
        after = intersect_sets(surviving, admitted)
        blocked.append(not admitted or (bool(surviving) and not after))
        surviving = after
    return blocked
