"""Groups as a whole: the default group in use, groups nobody uses, missing self-references.

``sg.default-group-in-use`` (Config's vpc-default-security-group-closed): the VPC's
default group with rules or attachments. In a VPC with no interfaces at all it is low
severity (nothing uses it yet), with attachments high.

``sg.unused-group``: a group on no interface of any type (every ENI counts: instances,
Lambda, load balancers, endpoints, RDS, ECS all have one) and referenced by no rule of
any group in the inventory, including groups in peered VPCs of the account and region,
nor by a peered VPC of another account (``netmend.playbook.sg.usage``).

``sg.missing-self-reference`` (the runbook's FAQ): members of one group that cannot
reach each other on the ports the group serves, blocked only by the destination's
inbound groups, which a rule referencing the group itself would open.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import Field

from netmend.model import Inventory, NetworkInterface, SecurityGroup
from netmend.model.protocol import ALL, TCP, UDP
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import (
    finding,
    findings_or_none,
    group_label,
    holders,
    rule_ref,
    signal,
)
from netmend.playbook.params import Params
from netmend.playbook.registry import detector
from netmend.playbook.sg.usage import UNSEEN_OTHER_ACCOUNTS, GroupUse, external_references
from netmend.reach.evaluate import evaluator_for
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.reach.result import Code, Direction

__all__ = ["REFERENCES_SIGNAL", "SelfReferenceParams"]

# The scan signal holding DescribeSecurityGroupReferences' answer: group id ->
# [{vpc, peering}] for the groups a VPC elsewhere references (netmend.aws.signals).
REFERENCES_SIGNAL = "security_group_references"


@detector("sg.default-group-in-use")
def default_group_in_use(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Each VPC's default group that still has rules or is attached to an interface."""
    inventory = ctx.inventory
    found: list[dict[str, Any]] = []
    for group in inventory.security_groups:
        if not group.is_default:
            continue
        attached = holders(inventory, group.group_id)
        if not group.rules and not attached:
            continue
        vpc_enis = [e for e in inventory.network_interfaces if e.vpc_id == group.vpc_id]
        severity = "high" if attached else ("medium" if vpc_enis else "low")
        found.append(
            finding(
                group.group_id,
                vpc=group.vpc_id,
                enis=[e.network_interface_id for e in attached],
                severity=severity,
                group_id=group.group_id,
                rule_count=len(group.rules),
                attached=[e.instance_id or e.network_interface_id for e in attached],
                empty_vpc=not vpc_enis,
                rules=[rule_ref(r) for r in group.rules if r.rule_id],
            )
        )
    return findings_or_none(found)


@detector("sg.unused-group")
def unused_group(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Non-default groups attached to no interface and referenced by no other group.

    References from other VPCs come from the inventory's rules (the account's own VPCs)
    and, when the scan collected it, from DescribeSecurityGroupReferences (peered VPCs
    of other accounts, which the inventory cannot hold): a group such a VPC references
    is not unused. What cannot be seen is said in each finding.
    """
    inventory = ctx.inventory
    references = signal(ctx.evidence, REFERENCES_SIGNAL)
    use = GroupUse(inventory, external_references(references))
    unseen = [UNSEEN_OTHER_ACCOUNTS]
    if references is None:
        unseen.append(
            "references from peered VPCs of other accounts were not read "
            "(DescribeSecurityGroupReferences); the fix reads them before deleting"
        )
    found: list[dict[str, Any]] = []
    for group in inventory.security_groups:
        if group.is_default or use.users(group.group_id):
            continue
        found.append(
            finding(
                group.group_id,
                vpc=group.vpc_id,
                group_id=group.group_id,
                group=group_label(group),
                rule_count=len(group.rules),
                rules=[rule_ref(r) for r in group.rules if r.rule_id],
                cannot_see=list(unseen),
            )
        )
    return findings_or_none(found)


class SelfReferenceParams(Params):
    max_pairs: int = Field(
        default=2, ge=1, le=100, description="Member pairs evaluated per group and port."
    )
    max_ports: int = Field(default=3, ge=1, le=20, description="Ports tried per group.")


def _served_ports(group: SecurityGroup, limit: int) -> list[tuple[str, int]]:
    ports: dict[tuple[str, int], None] = {}
    for rule in group.ingress:
        if rule.protocol in (TCP, UDP) and rule.from_port is not None and not rule.all_ports:
            ports.setdefault((rule.protocol, rule.from_port), None)
    return list(ports)[:limit]


def _ingress_admits(
    inventory: Inventory,
    target: NetworkInterface,
    source: NetworkInterface,
    protocol: str,
    port: int,
) -> bool:
    """A rule of the target's groups admits the source on the port (a cheap first look:
    then the destination's groups do not block it, so this is not the finding)."""
    address = ipaddress.ip_address(source.primary_ip)
    for group in inventory.groups_of_eni(target.network_interface_id):
        for rule in group.ingress:
            if rule.protocol not in (protocol, ALL):
                continue
            if rule.protocol != ALL and not rule.all_ports:
                if rule.from_port is None or rule.to_port is None:
                    continue
                if not rule.from_port <= port <= rule.to_port:
                    continue
            if rule.referenced_group_id is not None:
                if rule.referenced_group_id in source.group_ids:
                    return True
            elif rule.cidr_ipv4 is not None and address in ipaddress.ip_network(rule.cidr_ipv4):
                return True
            elif rule.prefix_list_id is not None:
                return True  # judged by the evaluator's own rules, not here
    return False


def _endpoint(eni_id: str, address: str, instance_id: str | None) -> Endpoint:
    return Endpoint(
        kind=EndpointKind.ENI,
        address=address,
        eni_id=eni_id,
        instance_id=instance_id,
        given=instance_id or eni_id,
    )


@detector("sg.missing-self-reference", params=SelfReferenceParams)
def missing_self_reference(ctx: StepContext, params: SelfReferenceParams) -> dict[str, Any] | None:
    """Members of a group that cannot reach each other because it does not reference itself."""
    inventory = ctx.inventory
    evaluator = evaluator_for(inventory)
    found: list[dict[str, Any]] = []
    for group in inventory.security_groups:
        members = [e for e in holders(inventory, group.group_id) if e.private_ips]
        if len(members) < 2 or any(r.is_self_reference and not r.egress for r in group.rules):
            continue
        blocked: list[str] = []
        first_port: tuple[str, int] | None = None
        for protocol, port in _served_ports(group, params.max_ports):
            source = members[0]
            for target in members[1 : 1 + params.max_pairs]:
                if _ingress_admits(inventory, target, source, protocol, port):
                    continue
                flow = Flow(
                    source=_endpoint(
                        source.network_interface_id, source.primary_ip, source.instance_id
                    ),
                    destination=_endpoint(
                        target.network_interface_id, target.primary_ip, target.instance_id
                    ),
                    protocol=protocol,
                    port=port,
                )
                result = evaluator.evaluate(flow)
                # Only a block at the destination's inbound groups is this cause: a rule
                # referencing the group admits the source, which carries the group.
                if result.reachable or not result.explanations:
                    continue
                if all(
                    e.code in (Code.ENI_SG_RULES_MISMATCH, Code.SG_HAS_NO_RULES)
                    and e.direction is Direction.INGRESS
                    for e in result.explanations
                ):
                    blocked.append(
                        f"{flow.source.label} -> {flow.destination.label} {flow.service}"
                    )
                    first_port = first_port or (protocol, port)
                    break  # one blocked pair says it for this port
        if not blocked or first_port is None:
            continue
        found.append(
            finding(
                group.group_id,
                vpc=group.vpc_id,
                enis=[e.network_interface_id for e in members],
                group_id=group.group_id,
                group=group_label(group),
                blocked=blocked,
                protocol=first_port[0],
                port=first_port[1],
                members=[e.instance_id or e.network_interface_id for e in members],
            )
        )
    return findings_or_none(found)
