"""Security-group rules indexed once, so a flow does not scan every rule of the estate.

An ENI's rules in one direction are the union of its groups' rules. Each *group* is
indexed once per direction (a group on many ENIs, in many group sets, is read once), by
protocol, then by peer:

- CIDR and prefix-list peers: an address-interval table (the CIDRs' boundaries cut the
  address space into segments, each listing the rules that cover it), queried by bisection;
- group references: a dictionary from the referenced group id to its rules.

A set of groups (the ENIs that carry the same groups) is a ``DirectionRules`` composed of
its groups' indexes, queried group by group in the ENI's order, so the candidates come
in the order a merged table would give them. Each indexed rule carries its key interval
(ports, or ICMP type/code; see packet.py), so a query returns the few rules whose
protocol and peer match, and the caller checks keys. Indexes are built lazily on first
use and kept for the life of the RuleIndex.

``DirectionRules.address_class`` names the segment an address falls in, table by table:
two addresses of one class match the same rules, so a verdict can be reused between
them (sg.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from netmend.model import Inventory, SgRule
from netmend.model.protocol import ALL
from netmend.reach.intervals import Interval
from netmend.reach.packet import Address, network_interval, sg_rule_keys

__all__ = ["DirectionRules", "GroupRules", "IndexedRule", "RuleIndex"]


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

    def segment(self, value: int) -> int:
        """The index of the segment holding ``value`` (-1: below every CIDR)."""
        return bisect_right(self._bounds, value) - 1

    def stab(self, value: int) -> tuple[IndexedRule, ...]:
        i = self.segment(value)
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


@dataclass(frozen=True, slots=True)
class GroupRules:
    """One group's rules in one direction, indexed by protocol."""

    group_id: str
    rule_count: int
    protocols: dict[str, _ProtocolRules]


@dataclass(frozen=True)
class DirectionRules:
    """The union of some groups' rules in one direction, indexed group by group."""

    group_ids: tuple[str, ...]
    missing_group_ids: tuple[str, ...]  # on the ENI but not in the inventory
    egress: bool
    rule_count: int
    _groups: tuple[GroupRules, ...]
    # Verdicts by (protocol, keys, address class, peer groups): see sg.check_groups.
    verdicts: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False)
    _plans: dict[str, list[list[_ProtocolRules]]] = field(default_factory=dict, compare=False)

    def _tables(self, protocol: str) -> list[list[_ProtocolRules]]:
        """Per protocol name the query reads (its own, then -1), the groups' tables."""
        found = self._plans.get(protocol)
        if found is None:
            names = (ALL,) if protocol == ALL else (protocol, ALL)
            found = []
            for name in names:
                tables = [r for g in self._groups if (r := g.protocols.get(name)) is not None]
                if tables:
                    found.append(tables)
            self._plans[protocol] = found
        return found

    def candidates(
        self, protocol: str, peer: Address, peer_groups: tuple[str, ...]
    ) -> list[IndexedRule]:
        """Rules whose protocol and peer match; their keys are still to be checked.

        A flow of protocol -1 ("all traffic") is only admitted by -1 rules; any other
        flow by rules of its own protocol and by -1 rules. Per protocol: the CIDR and
        prefix-list rules of every group, then the references to each peer group.
        """
        found: list[IndexedRule] = []
        for tables in self._tables(protocol):
            for rules in tables:
                table = rules.tables.get(peer.family)
                if table is not None:
                    found.extend(table.stab(peer.value))
            for group_id in peer_groups:
                for rules in tables:
                    found.extend(rules.by_group.get(group_id, ()))
        if len(found) < 2:
            return found
        seen: set[int] = set()
        unique: list[IndexedRule] = []
        for indexed in found:
            if id(indexed) not in seen:  # a prefix list's entries may overlap
                seen.add(id(indexed))
                unique.append(indexed)
        return unique

    def address_class(self, protocol: str, peer: Address) -> tuple[int, ...]:
        """The segment ``peer`` falls in, in every address table a query of ``protocol``
        reads: addresses of one class have the same CIDR and prefix-list candidates."""
        return tuple(
            table.segment(peer.value)
            for tables in self._tables(protocol)
            for rules in tables
            if (table := rules.tables.get(peer.family)) is not None
        )

    def unknown_prefix_lists(self, protocol: str) -> tuple[IndexedRule, ...]:
        """Rules of this protocol (or -1) that reference a prefix list the inventory lacks."""
        return tuple(
            r for tables in self._tables(protocol) for t in tables for r in t.unknown_prefix_lists
        )


class RuleIndex:
    """Indexed rules of one inventory: per (group, direction), built lazily, and composed
    per (groups, direction) for the group sets ENIs carry."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory
        self._groups: dict[tuple[str, bool], GroupRules | None] = {}
        self._tables: dict[tuple[tuple[str, ...], bool], DirectionRules] = {}

    def rules(self, group_ids: tuple[str, ...], *, egress: bool) -> DirectionRules:
        key = (group_ids, egress)
        table = self._tables.get(key)
        if table is None:
            table = self._compose(group_ids, egress)
            self._tables[key] = table
        return table

    def built(self) -> tuple[tuple[tuple[str, ...], bool], ...]:
        """The (groups, egress) tables built so far: what evaluations have needed."""
        return tuple(self._tables)

    def indexed_groups(self) -> int:
        """How many (group, direction) indexes have been built."""
        return sum(1 for found in self._groups.values() if found is not None)

    def _compose(self, group_ids: tuple[str, ...], egress: bool) -> DirectionRules:
        parts: list[GroupRules] = []
        missing: list[str] = []
        for group_id in group_ids:
            part = self._group(group_id, egress)
            if part is None:
                missing.append(group_id)
            else:
                parts.append(part)
        count = sum(p.rule_count for p in parts)
        return DirectionRules(tuple(group_ids), tuple(missing), egress, count, tuple(parts))

    def _group(self, group_id: str, egress: bool) -> GroupRules | None:
        key = (group_id, egress)
        if key in self._groups:
            return self._groups[key]
        group = self._inventory.security_group(group_id)
        found: GroupRules | None = None
        if group is not None:
            protocols: dict[str, _ProtocolRules] = {}
            count = 0
            for rule in group.rules:
                if rule.egress != egress:
                    continue
                count += 1
                self._add(protocols.setdefault(rule.protocol, _ProtocolRules()), rule)
            for rules in protocols.values():
                rules.seal()
            found = GroupRules(group_id, count, protocols)
        self._groups[key] = found
        return found

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
