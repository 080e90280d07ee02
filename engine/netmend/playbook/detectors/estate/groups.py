"""Groups as a whole: the default group in use, groups nobody uses.

``sg.default-group-in-use`` (Config's vpc-default-security-group-closed): the VPC's
default group with rules or attachments. In a VPC with no interfaces at all it is low
severity (nothing uses it yet), with attachments high.

``sg.unused-group``: a group on no interface of any type (every ENI counts: instances,
Lambda, load balancers, endpoints, RDS, ECS all have one) and referenced by no rule of
any group in the inventory, including groups in peered VPCs of the account and region,
nor by a peered VPC of another account (``netmend.playbook.sg.usage``).

``sg.missing-self-reference`` is ``netmend.playbook.detectors.estate.selfref``.
"""

from __future__ import annotations

from typing import Any

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

__all__ = ["REFERENCES_SIGNAL"]

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
