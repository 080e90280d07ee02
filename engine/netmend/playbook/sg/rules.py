"""Security-group rules as AWS's API spells them, and what removing one does to traffic.

Shared by the sg actions: one SgRule to one IpPermission (and back to the model), rule
identity for duplicate checks, the rules-per-group quota, and connection tracking.
"""

from __future__ import annotations

from typing import Any

from netmend.model import Inventory, SecurityGroup, SgRule
from netmend.model.protocol import ALL, TCP, UDP
from netmend.playbook.errors import ProposalRefusedError
from netmend.reach.causes.match import rule_family, rule_weight

__all__ = [
    "RULE_QUOTA_CODE",
    "check_rule_quota",
    "ip_permission",
    "is_world",
    "tracking_warning",
]

RULE_QUOTA_CODE = "L-0EA8095F"
_WORLD = frozenset({"0.0.0.0/0", "::/0"})


def ip_permission(rule: SgRule, *, description: bool = True) -> dict[str, Any]:
    """The rule as one ``IpPermissions`` item (one peer), exactly as the API takes it.

    Revokes by permission leave the description out: AWS matches on protocol, ports and
    peer, and a description that drifted would only make the match fail.
    """
    perm: dict[str, Any] = {"IpProtocol": rule.protocol}
    if rule.from_port is not None:
        perm["FromPort"] = rule.from_port
    if rule.to_port is not None:
        perm["ToPort"] = rule.to_port
    extra = {"Description": rule.description} if description and rule.description else {}
    if rule.cidr_ipv4 is not None:
        perm["IpRanges"] = [{"CidrIp": rule.cidr_ipv4, **extra}]
    elif rule.cidr_ipv6 is not None:
        perm["Ipv6Ranges"] = [{"CidrIpv6": rule.cidr_ipv6, **extra}]
    elif rule.referenced_group_id is not None:
        pair: dict[str, Any] = {"GroupId": rule.referenced_group_id, **extra}
        if rule.referenced_user_id:
            pair["UserId"] = rule.referenced_user_id
        perm["UserIdGroupPairs"] = [pair]
    elif rule.prefix_list_id is not None:
        perm["PrefixListIds"] = [{"PrefixListId": rule.prefix_list_id, **extra}]
    return perm


def is_world(rule: SgRule) -> bool:
    return rule.peer in _WORLD


def check_rule_quota(inventory: Inventory, group: SecurityGroup, new: SgRule) -> None:
    """Refuse a rule that would not fit the rules-per-group quota (per direction, family)."""
    family = rule_family(inventory, new)
    same = [
        r for r in group.rules if r.egress == new.egress and rule_family(inventory, r) == family
    ]
    used = sum(rule_weight(inventory, r) for r in same)
    quota = inventory.quotas.rules_per_security_group
    if used + rule_weight(inventory, new) > quota:
        way = "outbound" if new.egress else "inbound"
        raise ProposalRefusedError(
            f"{group.group_id} already holds {used} {way} {family} rules and the quota "
            f"({RULE_QUOTA_CODE}, service code vpc) is {quota}: the new rule does not fit; "
            "consolidate rules or request an increase (quota.request-increase)"
        )


def tracking_warning(group: SecurityGroup, rule: SgRule) -> str:
    """What removing ``rule`` does to connections it admitted (seed 002)."""
    opposite_open = any(
        o.egress != rule.egress and o.protocol == ALL and o.peer == rule.peer for o in group.rules
    )
    if is_world(rule) and rule.protocol in (TCP, UDP, ALL) and opposite_open:
        return (
            f"untracked: {rule.peer} is open both ways, so connections this rule admits are "
            "not tracked and are cut at once"
        )
    return (
        "tracked connections this rule admitted keep working until they idle out "
        "(TCP: 5 days by default); new ones are refused"
    )
