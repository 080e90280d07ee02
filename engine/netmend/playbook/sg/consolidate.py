"""Folding host rules (/32, /128) of one service into one covering prefix: a widening.

The runbook's "consolidate multiple individual /32 host entries into a single CIDR"
frees quota, but the prefix admits every address in it, not only the hosts. This
module picks the prefix that frees enough rules while admitting the fewest addresses
the group did not admit already, and lists exactly which ones it adds, so the plan can
say so and a person can decide.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass

from netmend.model import Inventory, SecurityGroup, SgRule
from netmend.playbook.sg.redundancy import service_covers
from netmend.reach.causes.match import rule_family
from netmend.reach.intervals import Interval, IntervalSet, intersect_sets, normalise, size

__all__ = ["DEFAULT_MAX_ADDED", "Consolidation", "consolidation"]

DEFAULT_MAX_ADDED = 256  # a /24's worth of new addresses at most, unless asked otherwise

_Service = tuple[str, int | None, int | None]


@dataclass(frozen=True)
class Consolidation:
    """Replace ``hosts`` by one rule for ``prefix`` (the first host rule is rewritten)."""

    prefix: str
    hosts: tuple[SgRule, ...]
    added: IntervalSet  # addresses (as integers) the prefix admits that nothing did before
    version: int

    @property
    def freed(self) -> int:
        return len(self.hosts) - 1

    @property
    def added_count(self) -> int:
        return size(self.added)

    def added_text(self, limit: int = 12) -> str:
        """``198.51.100.0-198.51.100.9, 198.51.100.22-198.51.100.31`` (first ``limit``)."""
        make = ipaddress.IPv4Address if self.version == 4 else ipaddress.IPv6Address
        parts = [
            str(make(low)) if low == high else f"{make(low)}-{make(high)}"
            for low, high in self.added[:limit]
        ]
        more = len(self.added) - limit
        return ", ".join(parts) + (f" and {more} more range(s)" if more > 0 else "")


def _host(rule: SgRule) -> tuple[int, int] | None:
    """``(version, address)`` of a /32 or /128 CIDR rule, else None."""
    cidr = rule.cidr_ipv4 or rule.cidr_ipv6
    if cidr is None:
        return None
    network = ipaddress.ip_network(cidr)
    if network.prefixlen != network.max_prefixlen:
        return None
    return network.version, int(network.network_address)


def _interval(cidr: str) -> Interval:
    network = ipaddress.ip_network(cidr)
    return int(network.network_address), int(network.broadcast_address)


def _admitted(rules: list[SgRule], probe: SgRule) -> IntervalSet:
    """Addresses the CIDR rules among ``rules`` admit for the service of ``probe``."""
    return normalise(
        _interval(cidr)
        for r in rules
        if (cidr := r.cidr_ipv4 or r.cidr_ipv6) is not None and service_covers(r, probe)
    )


def consolidation(
    inventory: Inventory,
    group: SecurityGroup,
    *,
    egress: bool,
    family: str,
    free: int,
    max_added: int = DEFAULT_MAX_ADDED,
) -> Consolidation | None:
    """The prefix whose host rules, folded into one, free ``free`` rules at least.

    Among host rules of one service (protocol and ports), the prefix adding the fewest
    new addresses wins (then the longer prefix); None when no prefix adds at most
    ``max_added`` addresses.
    """
    rules = [r for r in group.rules if r.egress == egress and rule_family(inventory, r) == family]
    by_service: dict[_Service, list[tuple[int, int, SgRule]]] = defaultdict(list)
    for rule in rules:
        address = _host(rule)
        if address is not None:
            by_service[(rule.protocol, rule.from_port, rule.to_port)].append((*address, rule))
    best: tuple[tuple[int, int], Consolidation] | None = None
    for hosts in by_service.values():
        if len(hosts) < free + 1:
            continue
        version = hosts[0][0]
        bits = 32 if version == 4 else 128
        admitted = _admitted(rules, hosts[0][2])
        for prefixlen in range(bits - 1, 0, -1):
            span = 1 << (bits - prefixlen)
            if span > max_added + len(hosts):
                break
            networks: dict[int, list[tuple[int, int, SgRule]]] = defaultdict(list)
            for host in hosts:
                networks[host[1] >> (bits - prefixlen)].append(host)
            for key, members in networks.items():
                if len(members) < free + 1:
                    continue
                low = key << (bits - prefixlen)
                window: IntervalSet = ((low, low + span - 1),)
                added = _subtract_all(window, intersect_sets(admitted, window))
                if size(added) > max_added:
                    continue
                make = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
                found = Consolidation(
                    prefix=str(make((low, prefixlen))),
                    hosts=tuple(m[2] for m in sorted(members, key=lambda m: m[1])),
                    added=added,
                    version=version,
                )
                rank = (size(added), -prefixlen)
                if best is None or rank < best[0]:
                    best = (rank, found)
    return best[1] if best is not None else None


def _subtract_all(window: IntervalSet, taken: IntervalSet) -> IntervalSet:
    left: list[Interval] = []
    for low, high in window:
        cursor = low
        for a, b in taken:
            if b < cursor or a > high:
                continue
            if a > cursor:
                left.append((cursor, a - 1))
            cursor = max(cursor, b + 1)
        if cursor <= high:
            left.append((cursor, high))
    return normalise(left)
