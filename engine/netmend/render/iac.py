"""What the infrastructure-as-code renderings share: rule wording, names, and what a plan adds.

Only what the plan adds becomes a resource: rules and entries the plan removes are listed in
comments naming the resource that manages them, because deleting a resource someone else
declared is their code review, not ours. Interface group changes and quota requests have no
clean per-item resource either, so they are comments too. Names are derived from the rule
itself, so the same plan always gives the same text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Sequence

from netmend.model import AclEntry, NetworkInterface, SgRule
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.model.rules import rule_text
from netmend.render.rows import Mark, ResourceDiff, protocol_text
from netmend.run.plan import Change, Plan

__all__ = [
    "added_items",
    "comment_lines",
    "digest",
    "eni_lines",
    "header_lines",
    "iac_ports",
    "one_line",
    "removed_items",
    "rule_label",
    "sg_rule_text",
    "stateless_changes",
]


def one_line(text: str) -> str:
    return " ".join(text.split())


def sg_rule_text(rule: SgRule) -> str:
    """``inbound tcp 8443 from sg-2 ('shop')``: the rule's one wording (``rule_text``)
    and its description, which is what tells a reader which IaC resource it is."""
    text = rule_text(rule)
    if rule.description:
        text += f" ({one_line(rule.description)!r})"
    return text


def digest(*parts: Hashable) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:8]


def iac_ports(rule: SgRule) -> tuple[int, int] | None:
    """From/to as the IaC resources take them; None where the protocol has no ports."""
    if rule.protocol in (TCP, UDP):
        if rule.all_ports:
            return 0, 65535
        low = 0 if rule.from_port is None else rule.from_port
        return low, low if rule.to_port is None else rule.to_port
    if rule.protocol in (ICMP, ICMPV6):
        icmp_type = -1 if rule.from_port is None else rule.from_port
        icmp_code = -1 if rule.to_port is None or icmp_type == -1 else rule.to_port
        return icmp_type, icmp_code
    return None


def rule_label(rule: SgRule) -> str:
    ports = iac_ports(rule)
    if ports is None:
        return protocol_text(rule.protocol)
    if rule.protocol in (ICMP, ICMPV6):
        return f"{rule.protocol} type {ports[0]}"
    low, high = ports
    return f"{rule.protocol} {low}" if low == high else f"{rule.protocol} {low} {high}"


def added_items(diff: ResourceDiff) -> tuple[list[SgRule], list[AclEntry], list[str]]:
    return (
        [r.item for r in diff.sg_rules if r.mark is Mark.ADDED],
        [r.item for r in diff.acl_entries if r.mark is Mark.ADDED],
        [r.item for r in diff.eni_groups if r.mark is Mark.ADDED],
    )


def removed_items(diff: ResourceDiff) -> tuple[list[SgRule], list[AclEntry], list[str]]:
    return (
        [r.item for r in diff.sg_rules if r.mark is Mark.REMOVED],
        [r.item for r in diff.acl_entries if r.mark is Mark.REMOVED],
        [r.item for r in diff.eni_groups if r.mark is Mark.REMOVED],
    )


def stateless_changes(plan: Plan, diffs: Sequence[ResourceDiff]) -> list[Change]:
    """Changes no resource diff shows (quota requests, calls without recorded state)."""
    shown = {d.resource for d in diffs}
    return [c for c in plan.changes if c.resource not in shown]


def header_lines(plan: Plan) -> list[str]:
    lines = [f"netmend plan {plan.run_id}: review before applying."]
    if plan.flow is not None:
        flow = plan.flow
        lines.append(f"flow: {flow.service} from {flow.source.label} to {flow.destination.label}")
    if plan.change_id:
        lines.append(f"change: {one_line(plan.change_id)}")
    return lines


def eni_lines(diff: ResourceDiff, how: Sequence[str]) -> list[str]:
    """An interface's group change in words, then ``how`` to make it, then the new list."""
    state = diff.state
    assert isinstance(state, NetworkInterface)
    after = diff.after if isinstance(diff.after, NetworkInterface) else state
    before = diff.before if isinstance(diff.before, NetworkInterface) else state
    moves = [f"adds {g}" for g in added_items(diff)[2]]
    moves += [f"removes {g}" for g in removed_items(diff)[2]]
    return [
        f"Network interface {state.network_interface_id}: groups "
        f"{' '.join(before.group_ids) or '(none)'} -> {' '.join(after.group_ids) or '(none)'}"
        f" ({'; '.join(moves) or 'no change'})",
        *how,
        f"  {json.dumps(list(after.group_ids))}",
    ]


def comment_lines(lines: Sequence[str]) -> list[str]:
    return [f"# {line}".rstrip() for line in lines]
