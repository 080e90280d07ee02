"""Rule quotas filling up, before a fix (or a deploy) finds the group full.

Per group, per direction and IP family (AWS counts them separately), the rules' weight
(a prefix-list rule weighs its MaxEntries) against L-0EA8095F, flagged at ``threshold``
of it (80% by default). Per interface, the rules all its groups hold in one direction
against 1,000: AWS keeps rules per group x groups per interface within 1,000, so an
interface near it cannot take a larger quota or one more group.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from netmend.playbook.actions.quota import RULES_PER_GROUP
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import finding, findings_or_none, group_label
from netmend.playbook.params import Params
from netmend.playbook.registry import detector
from netmend.playbook.sg.redundancy import redundant_rules
from netmend.reach.causes.match import rule_family, rule_weight

__all__ = ["INTERFACE_RULE_LIMIT", "QuotaThresholdParams"]

INTERFACE_RULE_LIMIT = 1000  # rules per group x groups per interface, at most


class QuotaThresholdParams(Params):
    threshold: float = Field(
        default=0.8, gt=0, le=1, description="Share of the quota at which to report."
    )


def _command(quota: int) -> str:
    return (
        "aws service-quotas request-service-quota-increase --service-code vpc "
        f"--quota-code {RULES_PER_GROUP} --desired-value {quota + 20}"
    )


@detector("sg.rule-quota-near-limit", params=QuotaThresholdParams)
def rule_quota_near_limit(ctx: StepContext, params: QuotaThresholdParams) -> dict[str, Any] | None:
    """Groups at or near L-0EA8095F per direction and family; interfaces near 1,000 rules."""
    inventory = ctx.inventory
    quota = inventory.quotas.rules_per_security_group
    found: list[dict[str, Any]] = []
    for group in inventory.security_groups:
        counts: dict[tuple[str, str], int] = {}
        for rule in group.rules:
            key = ("egress" if rule.egress else "ingress", rule_family(inventory, rule))
            counts[key] = counts.get(key, 0) + rule_weight(inventory, rule)
        near = [(n, k) for k, n in counts.items() if n >= params.threshold * quota]
        if not near:
            continue
        count, (direction, family) = max(near)
        redundant = redundant_rules(inventory, group, egress=direction == "egress", family=family)
        found.append(
            finding(
                group.group_id,
                vpc=group.vpc_id,
                severity="high" if count >= quota else None,
                group_id=group.group_id,
                group=group_label(group),
                kind="group",
                direction=direction,
                family=family,
                rule_count=count,
                quota=quota,
                quota_code=RULES_PER_GROUP,
                percent=round(100 * count / quota),
                redundant_count=len(redundant),
                quota_command=_command(quota),
            )
        )
    limit = params.threshold * INTERFACE_RULE_LIMIT
    for eni in inventory.network_interfaces:
        groups = inventory.groups_of_eni(eni.network_interface_id)
        for egress in (False, True):
            total = sum(
                rule_weight(inventory, r) for g in groups for r in g.rules if r.egress == egress
            )
            if total < limit:
                continue
            found.append(
                finding(
                    eni.network_interface_id,
                    vpc=eni.vpc_id,
                    enis=[eni.network_interface_id],
                    group_id=None,
                    kind="interface",
                    direction="egress" if egress else "ingress",
                    family="all",
                    rule_count=total,
                    quota=INTERFACE_RULE_LIMIT,
                    quota_code=RULES_PER_GROUP,
                    percent=round(100 * total / INTERFACE_RULE_LIMIT),
                    redundant_count=0,
                    quota_command=_command(quota),
                    groups=[g.group_id for g in groups],
                )
            )
            break
    return findings_or_none(found)
