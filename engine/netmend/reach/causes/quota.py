"""``rule-quota-exceeded``: the group that must take the new rule has no room for it.

AWS counts inbound and outbound rules separately, and IPv4 and IPv6 separately, against
one quota (L-0EA8095F, service code ``vpc``, default 60); a prefix-list rule weighs its
list's MaxEntries. This cause holds beside the one that needs the rule.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netmend.model import Inventory
from netmend.reach.causes.match import rule_family, rule_weight
from netmend.reach.causes.model import RootCause

__all__ = ["QUOTA_CODE", "quota_cause"]

QUOTA_CODE = "L-0EA8095F"
_FAMILY_WORDS = {"ipv4": "IPv4", "ipv6": "IPv6"}


def _new_rule_family(inventory: Inventory, peer: str, kind: str) -> str:
    if kind == "cidr":
        try:
            return "ipv6" if ipaddress.ip_network(peer, strict=False).version == 6 else "ipv4"
        except ValueError:
            return "ipv4"
    if kind == "prefix-list":
        plist = inventory.prefix_list(peer)
        if plist is not None and plist.address_family.lower() == "ipv6":
            return "ipv6"
    return "ipv4"


def quota_cause(inventory: Inventory, needing: RootCause) -> RootCause | None:
    """``rule-quota-exceeded`` for the group ``needing`` adds a rule to, if it is full."""
    group_id = needing.evidence.get("group_id")
    group = inventory.security_group(str(group_id)) if group_id else None
    if group is None or needing.direction is None:
        return None
    egress = needing.direction.value == "egress"
    family = _new_rule_family(
        inventory, str(needing.evidence.get("peer", "")), str(needing.evidence.get("peer_kind"))
    )
    rules = [r for r in group.rules if r.egress == egress and rule_family(inventory, r) == family]
    count = sum(rule_weight(inventory, r) for r in rules)
    quota = inventory.quotas.rules_per_security_group
    if count < quota:
        return None
    way = "outbound" if egress else "inbound"
    evidence: dict[str, Any] = {
        "group_id": group.group_id,
        "direction": needing.direction.value,
        "family": family,
        "rule_count": count,
        "rule_objects": len(rules),
        "quota": quota,
        "quota_code": QUOTA_CODE,
        "quota_source": inventory.quotas.source,
        "for_playbook": needing.playbook,
    }
    weighted = "" if count == len(rules) else f" (weighing prefix lists; {len(rules)} rules)"
    summary = (
        f"The group {group.group_id} already holds {count} {way} {_FAMILY_WORDS[family]} "
        f"rules{weighted}, the quota is {quota} ({inventory.quotas.source}): the rule "
        f"{needing.playbook} needs will not fit."
    )
    return RootCause(
        playbook="rule-quota-exceeded",
        resource=group.group_id,
        summary=summary,
        evidence=evidence,
        leg=needing.leg,
        direction=needing.direction,
        position=needing.position,
    )
