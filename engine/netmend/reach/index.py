"""Security-group rules indexed once, so a flow does not scan every rule of the estate.

An ENI's rules in one direction are the union of its groups' rules. They are indexed per
*set of groups* (ENIs that carry the same groups share one table) and per direction, then
by protocol, then by peer:

- CIDR and prefix-list peers: an address-interval table (the CIDRs' boundaries cut the
  address space into segments, each listing the rules that cover it), queried by bisection;
- group references: a dictionary from the referenced group id to its rules.

Each indexed rule carries its key interval (ports, or ICMP type/code; see packet.py), so a
query returns the few rules whose protocol and peer match, and the caller checks keys.
Tables are built lazily on first use and kept for the life of the RuleIndex.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from netmend.model import Inventory, SgRule
from netmend.model.protocol import ALL
from netmend.reach.intervals import Interval
from netmend.reach.packet import Address, network_interval, sg_rule_keys

__all__ = ["DirectionRules", "IndexedRule", "RuleIndex"]


@dataclass(frozen=True, slots=True)
class IndexedRule:
    rule: SgRule
    keys: Interval


class _AddressTable:
    """Rules by address interval; ``stab(address)`` returns those whose CIDR contains it."""

    __slots__ = ("_bounds", "_rules")

    def __init__(self, spans: list[tuple[int, int, IndexedRule]]) -> None:
        bounds = sorted({lo for lo, _, _ in spans} | {hi + 1 for _, hi, _ in spans})
        buckets: list[list[IndexedRule]] = [[] for _ in bounds]
        for lo, hi, rule in spans:
            for i in range(bisect_left(bounds, lo), bisect_left(bounds, hi + 1)):
                buckets[i].append(rule)
        self._bounds = bounds
        self._rules = [tuple(bucket) for bucket in buckets]

    def stab(self, value: int) -> tuple[IndexedRule, ...]:
        i = bisect_right(self._bounds, value) - 1
        return self._rules[i] if i >= 0 else ()


@dataclass
class _ProtocolRules:
    spans: dict[int, list[tuple[int, int, IndexedRule]]] = field(default_factory=dict)
    by_group: dict[str, list[IndexedRule]] = field(default_factory=dict)
    unknown_prefix_lists: list[IndexedRule] = field(default_factory=list)
    tables: dict[int, _AddressTable] = field(default_factory=dict)

    def seal(self) -> None:
        self.tables = {family: _AddressTable(s) for family, s in self.spans.items()}
        self.spans = {}

    def matching(self, peer: Address, peer_groups: tuple[str, ...]) -> list[IndexedRule]:
        table = self.tables.get(peer.family)
        found = list(table.stab(peer.value)) if table else []
        for group_id in peer_groups:
            found.extend(self.by_group.get(group_id, ()))
        return found


@dataclass(frozen=True)
class DirectionRules:
    """The union of some groups' rules in one direction, indexed."""

    group_ids: tuple[str, ...]
    missing_group_ids: tuple[str, ...]  # on the ENI but not in the inventory
    egress: bool
    rule_count: int
    _protocols: dict[str, _ProtocolRules]

    def candidates(
        self, protocol: str, peer: Address, peer_groups: tuple[str, ...]
    ) -> list[IndexedRule]:
        """Rules whose protocol and peer match; their keys are still to be checked.

        A flow of protocol -1 ("all traffic") is only admitted by -1 rules; any other
        flow by rules of its own protocol and by -1 rules.
        """
        names = (ALL,) if protocol == ALL else (protocol, ALL)
        found: list[IndexedRule] = []
        seen: set[int] = set()
        for name in names:
            rules = self._protocols.get(name)
            if rules is None:
                continue
            for indexed in rules.matching(peer, peer_groups):
                if id(indexed) not in seen:  # a prefix list's entries may overlap
                    seen.add(id(indexed))
                    found.append(indexed)
        return found

    def unknown_prefix_lists(self, protocol: str) -> tuple[IndexedRule, ...]:
        """Rules of this protocol (or -1) that reference a prefix list the inventory lacks."""
        names = (ALL,) if protocol == ALL else (protocol, ALL)
        tables = [self._protocols[n] for n in names if n in self._protocols]
        return tuple(r for table in tables for r in table.unknown_prefix_lists)


class RuleIndex:
    """Indexed rule tables of one inventory, built lazily per (groups, direction)."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory
        self._tables: dict[tuple[tuple[str, ...], bool], DirectionRules] = {}

    def rules(self, group_ids: tuple[str, ...], *, egress: bool) -> DirectionRules:
        key = (group_ids, egress)
        table = self._tables.get(key)
        if table is None:
            table = self._build(group_ids, egress)
            self._tables[key] = table
        return table

    def built(self) -> tuple[tuple[tuple[str, ...], bool], ...]:
        """The (groups, egress) tables built so far: what evaluations have needed."""
        return tuple(self._tables)

    def _build(self, group_ids: tuple[str, ...], egress: bool) -> DirectionRules:
        protocols: dict[str, _ProtocolRules] = {}
        missing: list[str] = []
        count = 0
        for group_id in group_ids:
            group = self._inventory.security_group(group_id)
            if group is None:
                missing.append(group_id)
                continue
            for rule in group.rules:
                if rule.egress != egress:
                    continue
                count += 1
                self._add(protocols.setdefault(rule.protocol, _ProtocolRules()), rule)
        for rules in protocols.values():
            rules.seal()
        return DirectionRules(tuple(group_ids), tuple(missing), egress, count, protocols)

    def _add(self, rules: _ProtocolRules, rule: SgRule) -> None:
        indexed = IndexedRule(rule, sg_rule_keys(rule))
        cidr = rule.cidr_ipv4 or rule.cidr_ipv6
        if cidr is not None:
            family, lo, hi = network_interval(cidr)
            rules.spans.setdefault(family, []).append((lo, hi, indexed))
        elif rule.referenced_group_id is not None:
            rules.by_group.setdefault(rule.referenced_group_id, []).append(indexed)
        elif rule.prefix_list_id is not None:
            plist = self._inventory.prefix_list(rule.prefix_list_id)
            if plist is None:
                rules.unknown_prefix_lists.append(indexed)
                return
            for entry in plist.entries:
                family, lo, hi = network_interval(entry.cidr)
                rules.spans.setdefault(family, []).append((lo, hi, indexed))
