"""World-open sensitive ports and untracked flows: rules that admit the whole internet.

``sg.world-open-sensitive-port`` lists each rule admitting 0.0.0.0/0 or ::/0 on SSH,
RDP or a database port (AWS Config's restricted-ssh and restricted-common-ports, with
a configurable list). Matching the rule is only half of it: each finding carries an
``exposure`` the scan grades with the evaluator, so a rule on an instance without a
public IP or an internet route is "open in rules only", not "exposed".

``sg.untracked-flow`` lists each interface whose groups make traffic untracked (seed
002: 0.0.0.0/0 and ::/0 both ways on all ports), which rules do it, and which of them
removing would cut existing connections at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from netmend.model import SgRule
from netmend.model.protocol import ALL, TCP
from netmend.model.rules import rule_service, rule_text
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import (
    finding,
    findings_or_none,
    group_label,
    holders,
    rule_ref,
    world_family,
)
from netmend.playbook.params import Params
from netmend.playbook.registry import detector
from netmend.reach.tracking import is_untracked, removal_cuts_connections

__all__ = ["DEFAULT_SENSITIVE_PORTS", "SensitivePortsParams"]

# SSH, RDP and the database ports Config's restricted-common-ports and the runbook name.
DEFAULT_SENSITIVE_PORTS: dict[int, str] = {
    22: "SSH",
    3389: "RDP",
    1433: "SQL Server",
    1521: "Oracle",
    3306: "MySQL",
    5432: "PostgreSQL",
    5439: "Redshift",
    6379: "Redis",
    9200: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
}


class SensitivePortsParams(Params):
    ports: list[int] = Field(
        default_factory=lambda: sorted(DEFAULT_SENSITIVE_PORTS),
        description="TCP ports that must not be open to the world (default: SSH, RDP, DBs).",
    )


def _opened(rule: SgRule, ports: list[int]) -> list[int]:
    if rule.protocol == ALL or (rule.protocol == TCP and rule.all_ports):
        return list(ports)
    if rule.protocol != TCP or rule.from_port is None or rule.to_port is None:
        return []
    return [p for p in ports if rule.from_port <= p <= rule.to_port]


def _port_names(ports: list[int]) -> str:
    return ", ".join(
        f"{DEFAULT_SENSITIVE_PORTS[p]} ({p})" if p in DEFAULT_SENSITIVE_PORTS else str(p)
        for p in ports
    )


@detector("sg.world-open-sensitive-port", params=SensitivePortsParams)
def world_open_sensitive_port(
    ctx: StepContext, params: SensitivePortsParams
) -> dict[str, Any] | None:
    """Inbound rules admitting 0.0.0.0/0 or ::/0 on SSH, RDP or database ports."""
    found: list[dict[str, Any]] = []
    for group in ctx.inventory.security_groups:
        for rule in group.ingress:
            family = world_family(rule)
            opened = _opened(rule, params.ports) if family is not None else []
            if not opened or rule.rule_id is None:
                continue
            enis = [e.network_interface_id for e in holders(ctx.inventory, group.group_id)]
            found.append(
                finding(
                    rule.rule_id,
                    vpc=group.vpc_id,
                    accept_on=(group.group_id,),
                    enis=enis,
                    group_id=group.group_id,
                    group=group_label(group),
                    rule_id=rule.rule_id,
                    rule=rule_service(rule),
                    peer=rule.peer,
                    ports=opened,
                    port_names=_port_names(opened),
                    exposure={"protocol": TCP, "ports": opened, "family": family},
                )
            )
    return findings_or_none(found)


@detector("sg.untracked-flow")
def untracked_flow(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Interfaces whose groups admit the whole internet both ways on all ports (untracked)."""
    inventory = ctx.inventory
    found: list[dict[str, Any]] = []
    for eni in inventory.network_interfaces:
        groups = inventory.groups_of_eni(eni.network_interface_id)
        rules = [
            rule
            for group in groups
            for rule in group.rules
            if world_family(rule) is not None and is_untracked(inventory, eni, rule)
        ]
        if not rules:
            continue
        cut = [r for r in rules if removal_cuts_connections(inventory, eni, r)]
        # The fix removes only the rules that let the world in on every port: a public
        # service's own rule (tcp/443 from 0.0.0.0/0) is untracked by design, and stays.
        inbound = [rule_ref(r) for r in rules if not r.egress and r.rule_id and r.all_ports]
        found.append(
            finding(
                eni.network_interface_id,
                vpc=eni.vpc_id,
                accept_on=(
                    *(g.group_id for g in groups),
                    *([eni.instance_id] if eni.instance_id else []),
                ),
                enis=[eni.network_interface_id],
                eni_id=eni.network_interface_id,
                instance_id=eni.instance_id,
                rules=[rule_text(r, group=True) for r in rules],
                cut_at_once=[rule_text(r, group=True) for r in cut],
                inbound_rules=inbound,
            )
        )
    return findings_or_none(found)
