"""Members of one group that cannot reach each other: the group does not reference itself.

``sg.missing-self-reference`` (the runbook's FAQ): sharing a group does not let its
members talk; a rule whose source is the group itself does. For each port range the
group serves (its inbound TCP/UDP rules, overlapping ranges merged), netmend evaluates a
flow from one member to the others and reports the ranges on which a member is blocked
only by the destination's inbound groups: exactly what a self-referencing rule on that
range would open. The fix adds one such rule per blocked range (least privilege: the
group itself as the peer, only the ranges found blocked).

Speed: the members are taken one per class of interfaces the evaluator cannot tell
apart (``alike.InterfaceClasses``: same groups, subnet, VPC, ...), and a verdict is
kept per (source class, destination class, protocol, port), shared by every group
whose members fall in those classes. Taking the first member of each class, in member
order, reports exactly the pair a walk over every member would (each member of a class
has its class's verdict); ``tests/unit/scan/test_dedupe.py`` compares the two.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from pydantic import Field

from netmend.model import Inventory, NetworkInterface, SecurityGroup
from netmend.model.protocol import ALL, TCP, UDP
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.alike import InterfaceClasses, classes_for
from netmend.playbook.detectors.estate.base import finding, findings_or_none, group_label
from netmend.playbook.params import Params
from netmend.playbook.registry import detector
from netmend.reach.evaluate import evaluator_for
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.reach.result import Code, Direction

__all__ = [
    "Blocked",
    "SelfReferenceCheck",
    "SelfReferenceParams",
    "evidence_of",
    "flow_between",
    "served_ranges",
]

PortSpan = tuple[str, int, int]  # (protocol, first port, last port)
Blocked = tuple[PortSpan, NetworkInterface, NetworkInterface]  # range, source, target


class SelfReferenceParams(Params):
    max_pairs: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Destination members (one per class of alike interfaces) tried per range.",
    )
    max_ports: int = Field(
        default=20, ge=1, le=20, description="Port ranges tried per group (one rule each)."
    )


def served_ranges(group: SecurityGroup, limit: int) -> list[PortSpan]:
    """The group's inbound TCP/UDP port ranges, overlapping or adjacent ones merged."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for rule in group.ingress:
        if rule.protocol not in (TCP, UDP) or rule.from_port is None or rule.all_ports:
            continue
        high = rule.to_port if rule.to_port is not None else rule.from_port
        if high >= 1:  # port 0 is no service: a range from 0 starts at 1
            spans.setdefault(rule.protocol, []).append((max(rule.from_port, 1), high))
    merged: list[PortSpan] = []
    for protocol in sorted(spans):
        current: list[int] | None = None
        for low, high in sorted(spans[protocol]):
            if current is not None and low <= current[1] + 1:
                current[1] = max(current[1], high)
                continue
            if current is not None:
                merged.append((protocol, current[0], current[1]))
            current = [low, high]
        if current is not None:
            merged.append((protocol, current[0], current[1]))
    return merged[:limit]


@lru_cache(maxsize=65536)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr)


# One rule as the cheap looks read it: protocol, port range (all ports: 0-65535), and
# its peer: ("group", id), ("cidr", (first, last address)) or ("prefix-list", None).
_Rule = tuple[str, int, int, str, Any]


def _compiled(group: SecurityGroup, egress: bool) -> tuple[_Rule, ...]:
    found: list[_Rule] = []
    for rule in group.egress if egress else group.ingress:
        if rule.protocol == ALL or rule.all_ports:
            low, high = 0, 65535
        elif rule.from_port is None or rule.to_port is None:
            continue
        else:
            low, high = rule.from_port, rule.to_port
        if rule.referenced_group_id is not None:
            found.append((rule.protocol, low, high, "group", rule.referenced_group_id))
        elif rule.cidr_ipv4 is not None:
            net = _network(rule.cidr_ipv4)
            span = (int(net.network_address), int(net.broadcast_address))
            found.append((rule.protocol, low, high, "cidr", span))
        elif rule.prefix_list_id is not None:
            found.append((rule.protocol, low, high, "prefix-list", None))
    return tuple(found)


def _admits(
    rules: tuple[_Rule, ...], protocol: str, port: int, address: int, groups: tuple[str, ...]
) -> bool:
    """A rule admits the peer (``address``, carrying ``groups``) on the port; a prefix
    list counts as admitting (the evaluator judges it)."""
    for rule_protocol, low, high, kind, peer in rules:
        if rule_protocol not in (protocol, ALL) or not low <= port <= high:
            continue
        if kind == "group":
            if peer in groups:
                return True
        elif kind == "cidr":
            if peer[0] <= address <= peer[1]:
                return True
        else:
            return True
    return False


class _CheapLooks:
    """The looks at the rules before evaluating, with each group's rules read once.

    ``ingress_admits``: a rule of the target's groups admits the source (then the
    destination's groups do not block it: not the finding). ``egress_may_admit``: False
    only when no outbound rule of the source's groups can admit the flow (then the
    evaluator blocks it at the source too: not the finding); a superset of what the
    evaluator admits, never a guess the other way.
    """

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._rules: dict[tuple[str, bool], tuple[_Rule, ...]] = {}
        self._addresses: dict[str, int] = {}

    def _table(self, eni: NetworkInterface, egress: bool) -> tuple[tuple[_Rule, ...], bool]:
        """The ENI's rules of one direction, and whether all its groups are known."""
        rules: list[_Rule] = []
        complete = True
        for group_id in eni.group_ids:
            key = (group_id, egress)
            if key not in self._rules:
                group = self.inventory.security_group(group_id)
                if group is None:
                    complete = False
                    continue
                self._rules[key] = _compiled(group, egress)
            rules.extend(self._rules[key])
        return tuple(rules), complete

    def address(self, eni: NetworkInterface) -> int:
        found = self._addresses.get(eni.network_interface_id)
        if found is None:
            found = self._addresses[eni.network_interface_id] = int(
                ipaddress.IPv4Address(eni.primary_ip)
            )
        return found

    def ingress_admits(
        self, target: NetworkInterface, source: NetworkInterface, protocol: str, port: int
    ) -> bool:
        rules, _ = self._table(target, egress=False)
        return _admits(rules, protocol, port, self.address(source), source.group_ids)

    def egress_may_admit(
        self, source: NetworkInterface, target: NetworkInterface, protocol: str, port: int
    ) -> bool:
        if not source.filtered_by_groups:
            return True
        rules, complete = self._table(source, egress=True)
        if not complete:
            return True  # a group not in the inventory: the evaluator says why
        return _admits(rules, protocol, port, self.address(target), target.group_ids)


def _endpoint(eni: NetworkInterface) -> Endpoint:
    return Endpoint(
        kind=EndpointKind.ENI,
        address=eni.primary_ip,
        eni_id=eni.network_interface_id,
        instance_id=eni.instance_id,
        given=eni.instance_id or eni.network_interface_id,
    )


def flow_between(source: NetworkInterface, target: NetworkInterface, span: PortSpan) -> Flow:
    return Flow(
        source=_endpoint(source), destination=_endpoint(target), protocol=span[0], port=span[1]
    )


class SelfReferenceCheck:
    """Whether ``source`` → ``target`` on a range is blocked only by the target's inbound
    groups; with ``classes``, each (class, class, protocol, port) is evaluated once."""

    def __init__(
        self,
        inventory: Inventory,
        classes: InterfaceClasses | None = None,
        *,
        shortcuts: bool = True,
    ) -> None:
        self.inventory = inventory
        self.evaluator = evaluator_for(inventory)
        self.classes = classes
        # The cheap looks at the rules before evaluating; off, every pair is evaluated
        # (the tests' naive path, which the shortcuts must agree with).
        self.shortcuts = shortcuts
        self._looks = _CheapLooks(inventory)
        self._verdicts: dict[tuple[Any, ...], bool] = {}

    def blocked(self, source: NetworkInterface, target: NetworkInterface, span: PortSpan) -> bool:
        if self.classes is None:
            return self._evaluate(source, target, span)
        key = (self.classes.behaviour(source), self.classes.behaviour(target), span[0], span[1])
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = self._evaluate(source, target, span)
        return verdict

    def _evaluate(self, source: NetworkInterface, target: NetworkInterface, span: PortSpan) -> bool:
        looks = self._looks
        if self.shortcuts and (
            looks.ingress_admits(target, source, span[0], span[1])
            or not looks.egress_may_admit(source, target, span[0], span[1])
        ):
            return False
        result = self.evaluator.evaluate(flow_between(source, target, span))
        # Only a block at the destination's inbound groups is this cause: a rule
        # referencing the group admits the source, which carries the group.
        if result.reachable or not result.explanations:
            return False
        return all(
            e.code in (Code.ENI_SG_RULES_MISMATCH, Code.SG_HAS_NO_RULES)
            and e.direction is Direction.INGRESS
            for e in result.explanations
        )

    def targets(self, members: list[NetworkInterface], limit: int) -> list[NetworkInterface]:
        """The members to try as destinations: the first of each class (all without
        classes), in member order, the source excluded."""
        others = members[1:]
        if self.classes is None:
            return others
        firsts: dict[tuple[Any, ...], NetworkInterface] = {}
        for eni in others:
            firsts.setdefault(self.classes.behaviour(eni), eni)
        return list(firsts.values())[:limit]

    def find(self, group: SecurityGroup, params: SelfReferenceParams) -> list[Blocked]:
        """Per blocked range of ``group``: the first member pair found blocked on it."""
        members = [e for e in self.inventory.enis_of_group(group.group_id) if e.private_ips]
        if len(members) < 2 or any(r.is_self_reference and not r.egress for r in group.rules):
            return []
        ranges = served_ranges(group, params.max_ports)
        if not ranges:
            return []
        source = members[0]
        targets = self.targets(members, params.max_pairs)
        found: list[Blocked] = []
        for span in ranges:
            target = next((t for t in targets if self.blocked(source, t, span)), None)
            if target is not None:
                found.append((span, source, target))
        return found


def _ports_text(span: PortSpan) -> str:
    protocol, low, high = span
    return f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"


@detector("sg.missing-self-reference", params=SelfReferenceParams)
def missing_self_reference(ctx: StepContext, params: SelfReferenceParams) -> dict[str, Any] | None:
    """Members of a group that cannot reach each other because it does not reference itself."""
    inventory = ctx.inventory
    check = SelfReferenceCheck(inventory, classes_for(inventory))
    found: list[dict[str, Any]] = []
    for group in inventory.security_groups:
        blocked = check.find(group, params)
        if blocked:
            found.append(evidence_of(inventory, group, blocked))
    return findings_or_none(found)


def evidence_of(
    inventory: Inventory, group: SecurityGroup, blocked: list[Blocked]
) -> dict[str, Any]:
    """One finding: each blocked range with its pair, and the fix's rules (one a range,
    the group itself as the peer)."""
    members = [e for e in inventory.enis_of_group(group.group_id) if e.private_ips]
    lines = []
    for span, source, target in blocked:
        flow = flow_between(source, target, span)
        lines.append(f"{flow.source.label} -> {flow.destination.label} {_ports_text(span)}")
    first = blocked[0][0]
    return finding(
        group.group_id,
        vpc=group.vpc_id,
        enis=[e.network_interface_id for e in members],
        group_id=group.group_id,
        group=group_label(group),
        blocked=lines,
        ports=[_ports_text(span) for span, _, _ in blocked],
        protocol=first[0],
        port=first[1],
        fix_rules=[
            {
                "group": group.group_id,
                "direction": "ingress",
                "protocol": protocol,
                "port": low,
                "to_port": high,
                "peer": group.group_id,
                "why": f"({_ports_text((protocol, low, high))})",
            }
            for (protocol, low, high), _, _ in blocked
        ],
        members=[e.instance_id or e.network_interface_id for e in members],
    )
