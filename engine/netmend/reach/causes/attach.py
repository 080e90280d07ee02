"""``sg-not-attached``: a group that would admit the flow exists but no ENI carries it.

The runbook's story: someone wrote the right group and forgot to put it on the instance.
Candidates are the unattached, non-default groups of the blocking side's VPC whose rules
(in the blocking direction) admit the flow; the ones whose name, description or tags
name the instance (its Name tag with or without a trailing index, its instance id or ENI
id) come first.
"""

from __future__ import annotations

import re
from typing import Any

from netmend.model import Inventory, SecurityGroup, SgRule
from netmend.reach.causes.match import rule_admits
from netmend.reach.causes.model import RootCause
from netmend.reach.causes.sg import SgSide, flow_words
from netmend.reach.flow import Flow
from netmend.reach.result import Direction, Leg

__all__ = ["not_attached_cause"]

_OPEN_WORLD = frozenset({"0.0.0.0/0", "::/0"})
_TRAILING_INDEX = re.compile(r"[-_.]?\d+$")


def _is_default_egress(rule: SgRule) -> bool:
    # Every new group starts with "all traffic to 0.0.0.0/0" outbound; a group that only
    # has that says nothing about this flow, or every fresh group would be a candidate.
    return rule.egress and rule.protocol == "-1" and rule.peer in _OPEN_WORLD


def _endpoint_names(inventory: Inventory, side: SgSide) -> tuple[str, ...]:
    """Ids and Name tags of the ENI and its instance, lower-cased, to look for in groups."""
    ids = [side.eni.network_interface_id]
    tags = [side.eni.tags.get("Name", "")]
    if side.eni.instance_id:
        ids.append(side.eni.instance_id)
        instance = inventory.instance(side.eni.instance_id)
        if instance is not None and instance.name:
            tags.append(instance.name)
    # "inventory-api-1" names its group "inventory-api-sg": match a Name on its stem too.
    stems = [_TRAILING_INDEX.sub("", t) for t in tags]
    found = (n.lower() for n in (*ids, *tags, *stems) if len(n) >= 3)
    return tuple(dict.fromkeys(found))


def _points_at(group: SecurityGroup, names: tuple[str, ...]) -> bool:
    texts = [group.group_name, group.description, *group.tags.values()]
    lowered = [t.lower() for t in texts if t]
    return any(name in text for name in names for text in lowered)


def not_attached_cause(inventory: Inventory, flow: Flow, side: SgSide) -> RootCause | None:
    """``sg-not-attached`` for the ENI of ``side``; None when no unattached group fits."""
    vpc_id = side.eni.vpc_id
    egress = side.direction is Direction.EGRESS
    names = _endpoint_names(inventory, side)
    candidates: list[tuple[bool, SecurityGroup, list[SgRule]]] = []
    for group in inventory.groups_in_vpc(vpc_id):
        if group.is_default or inventory.enis_of_group(group.group_id):
            continue
        admitting = [
            r
            for r in group.rules
            if r.egress == egress
            and not _is_default_egress(r)
            and rule_admits(inventory, r, flow, side.peer.address, side.peer_eni)
        ]
        if admitting:
            candidates.append((_points_at(group, names), group, admitting))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (not c[0], c[1].group_name, c[1].group_id))
    best = candidates[0][1]
    current = list(side.eni.group_ids)
    quota = inventory.quotas.security_groups_per_interface
    has_room = len(current) < quota
    evidence: dict[str, Any] = {
        "eni_id": side.eni.network_interface_id,
        "instance_id": side.eni.instance_id,
        "direction": side.direction.value,
        "group_id": best.group_id,
        "candidate_groups": [
            {
                "group_id": group.group_id,
                "group_name": group.group_name,
                "points_at_instance": points,
                "rule_ids": [r.rule_id for r in rules],
            }
            for points, group, rules in candidates
        ],
        "current_groups": current,
        "groups_after": [*current, best.group_id],
        "has_room": has_room,
        "groups_per_interface_quota": quota,
        "quota_source": inventory.quotas.source,
        "service": flow_words(flow),
    }
    room = (
        ""
        if has_room
        else f" It already carries {len(current)} groups, the quota of {quota}: one must go."
    )
    way = f"out to {side.peer.label}" if egress else f"from {side.peer.label}"
    summary = (
        f"The group {best.group_id} ({best.group_name}) would allow {flow_words(flow)} {way}, "
        f"but it is not attached to {side.endpoint.label}, which carries "
        f"{', '.join(current) or 'no group'}.{room}"
    )
    return RootCause(
        playbook="sg-not-attached",
        resource=side.eni.network_interface_id,
        summary=summary,
        evidence=evidence,
        leg=Leg.FORWARD,
        direction=side.direction,
        position=int(side.position),
    )
