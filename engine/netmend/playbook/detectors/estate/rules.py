"""Rules that do nothing useful: redundant ones, and rules written for a stateless firewall.

``sg.redundant-rules``: exact duplicates and rules another rule of the same group and
direction already covers (a /32 inside a /24, a port inside an all-ports rule). Removing
them changes nothing the group admits.

``sg.stateless-rules`` (the runbook's root cause 4): inbound rules opening the upper
port range (1024-65535 and the like) so that "replies can come back", and egress rules
that only mirror an inbound service rule (same protocol, ports and peer). Security
groups are stateful: replies to an allowed connection pass whatever the rules say, so
these rules only widen what may start a connection.
"""

from __future__ import annotations

from typing import Any

from netmend.model import SecurityGroup, SgRule
from netmend.model.protocol import TCP, UDP
from netmend.model.rules import rule_service, rule_text
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import (
    finding,
    findings_or_none,
    group_label,
    rule_ref,
)
from netmend.playbook.params import Params
from netmend.playbook.registry import detector
from netmend.playbook.sg.redundancy import redundant_rules

__all__ = ["is_ephemeral_range", "mirrors"]

# An inbound range this wide that ends at 65535 is a return-traffic rule, not a service.
_EPHEMERAL_WIDTH = 16_000


@detector("sg.redundant-rules")
def redundant(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Groups holding exact duplicates or rules a broader rule of the group covers."""
    found: list[dict[str, Any]] = []
    for group in ctx.inventory.security_groups:
        gone = [
            item
            for egress in (False, True)
            for item in redundant_rules(ctx.inventory, group, egress=egress)
            if item.rule.rule_id
        ]
        if not gone:
            continue
        found.append(
            finding(
                group.group_id,
                vpc=group.vpc_id,
                group_id=group.group_id,
                group=group_label(group),
                redundant=[
                    {
                        **rule_ref(item.rule),
                        "words": rule_service(item.rule),
                        "peer": item.rule.peer,
                        "covered_by": rule_text(item.covered_by),
                    }
                    for item in gone
                ],
                removable=[
                    {"group": item.rule.group_id, "rule_id": item.rule.rule_id} for item in gone
                ],
                redundant_count=len(gone),
            )
        )
    return findings_or_none(found)


def is_ephemeral_range(rule: SgRule) -> bool:
    """An inbound TCP/UDP range reaching 65535 and wide enough to be "for the replies"."""
    return (
        not rule.egress
        and rule.protocol in (TCP, UDP)
        and rule.from_port is not None
        and rule.to_port == 65535
        and rule.from_port >= 1024
        and rule.to_port - rule.from_port >= _EPHEMERAL_WIDTH
    )


def mirrors(group: SecurityGroup) -> list[SgRule]:
    """Egress rules that repeat an inbound service rule of the group (ports and peer)."""
    inbound = {
        (r.protocol, r.from_port, r.to_port, r.peer)
        for r in group.ingress
        if r.protocol in (TCP, UDP) and r.from_port is not None and r.from_port < 1024
    }
    return [
        r
        for r in group.egress
        if (r.protocol, r.from_port, r.to_port, r.peer) in inbound and r.peer != group.group_id
    ]


@detector("sg.stateless-style-rules")
def stateless_rules(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Inbound ephemeral-range rules and egress rules mirroring inbound service ports."""
    found: list[dict[str, Any]] = []
    for group in ctx.inventory.security_groups:
        ephemeral = [r for r in group.ingress if is_ephemeral_range(r) and r.rule_id]
        mirrored = [r for r in mirrors(group) if r.rule_id]
        if not ephemeral and not mirrored:
            continue
        found.append(
            finding(
                group.group_id,
                vpc=group.vpc_id,
                group_id=group.group_id,
                group=group_label(group),
                ephemeral=[rule_text(r) for r in ephemeral],
                mirrored=[rule_text(r) for r in mirrored],
                removable=[
                    {"group": r.group_id, "rule_id": r.rule_id} for r in (*ephemeral, *mirrored)
                ],
            )
        )
    return findings_or_none(found)
