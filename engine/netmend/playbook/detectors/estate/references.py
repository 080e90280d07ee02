"""Stale references: rules naming a group that is gone, or a group across a dead peering.

AWS keeps such rules (``DescribeStaleSecurityGroups`` lists them for peerings): they
admit nothing, fill the quota and mislead whoever reads the group. Only Cloud Custodian
checks this today. A reference is stale when the group it names is not in the account's
inventory (same account and region), when AWS marks its peering ``deleted``, or when it
names a group of another VPC and no active peering connects the two VPCs any more.
"""

from __future__ import annotations

from typing import Any

from netmend.model import Inventory, SecurityGroup, SgRule
from netmend.model.rules import rule_service
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import (
    finding,
    findings_or_none,
    group_label,
)
from netmend.playbook.params import Params
from netmend.playbook.registry import detector

__all__ = ["stale_reason"]

_DEAD_PEERING = frozenset({"deleted", "deleting", "failed", "rejected", "expired"})


def _peered(inventory: Inventory, first: str, second: str) -> bool:
    return any(
        p.status == "active" and {p.requester_vpc_id, p.accepter_vpc_id} == {first, second}
        for p in inventory.peering_connections
    )


def stale_reason(inventory: Inventory, group: SecurityGroup, rule: SgRule) -> str | None:
    """Why the rule's group reference is stale, or None when it is live (or not one)."""
    target = rule.referenced_group_id
    if target is None or target == group.group_id:
        return None
    if rule.peering_status in _DEAD_PEERING:
        return f"AWS reports the peering of its reference as {rule.peering_status}"
    owner = inventory.account_id or group.owner_id
    same_account = rule.referenced_user_id in (None, owner)
    referenced = inventory.security_group(target)
    if referenced is None:
        # The referenced group's VPC is in the inventory (same account and region): its
        # groups were all collected, so the group is gone. Across a peering AWS lets a
        # referenced group be deleted, which is how most stale rules are born.
        peer_vpc = rule.referenced_vpc_id
        vpc_known = peer_vpc is None or inventory.vpc(peer_vpc) is not None
        if same_account and vpc_known:
            return f"{target} no longer exists"
        if peer_vpc and group.vpc_id and not _peered(inventory, group.vpc_id, peer_vpc):
            return f"no active peering connects {group.vpc_id} to {peer_vpc}"
        return None
    other_vpc = referenced.vpc_id
    crosses = bool(other_vpc and group.vpc_id and other_vpc != group.vpc_id)
    if crosses and not _peered(inventory, str(group.vpc_id), str(other_vpc)):
        return f"{target} is in {other_vpc}, and no active peering connects it to {group.vpc_id}"
    return None


@detector("sg.stale-reference")
def stale_reference(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Rules referencing a deleted group, or a group across a peering that is gone."""
    inventory = ctx.inventory
    found: list[dict[str, Any]] = []
    for group in inventory.security_groups:
        for rule in group.rules:
            reason = stale_reason(inventory, group, rule)
            if reason is None or rule.rule_id is None:
                continue
            found.append(
                finding(
                    rule.rule_id,
                    vpc=group.vpc_id,
                    accept_on=(group.group_id,),
                    group_id=group.group_id,
                    group=group_label(group),
                    rule_id=rule.rule_id,
                    direction="egress" if rule.egress else "ingress",
                    rule=rule_service(rule),
                    referenced_group=rule.referenced_group_id,
                    reason=reason,
                )
            )
    return findings_or_none(found)
