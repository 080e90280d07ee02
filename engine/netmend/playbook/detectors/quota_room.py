"""How to fit the rule a full security group must take (rule-quota-exceeded).

The classifier says the group is full; the cause beside it (wrong-cidr, missing-ingress,
missing-egress, ...) says which rule the flow needs. In order of preference:

0. ``fits``: the group has room after all (the estate changed): just add the rule;
1. ``free-redundant``: remove rules another rule of the group covers (no access change)
   and add the rule;
2. ``overflow``: when the interface can carry one more group (the groups-per-interface
   quota, L-2AFB9258, and AWS's cap of 1,000 for rules per group x groups per interface),
   create a new group in its VPC, put only the rule in it and attach it beside the
   interface's groups: no access widens, but the interface's groups change (a person
   approves) and only this interface gets the rule, not every one the full group is on;
3. ``consolidate``: also fold host rules into a covering prefix, a widening that lists
   the addresses it adds and needs a person;
4. otherwise refuse, saying why.

Raising the quota is always offered, as the exact command (never sent by netmend: a
request AWS may take days on cannot be rolled back). Service code ``vpc``, quota
L-0EA8095F; AWS caps rules per group x groups per interface at 1,000.
"""

from __future__ import annotations

from typing import Any

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.model.created import is_placeholder, new_group_ref
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.model.rules import rule_text
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.registry import NoParams, detector
from netmend.playbook.sg.consolidate import consolidation
from netmend.playbook.sg.redundancy import redundant_rules
from netmend.playbook.sg.rules import RULE_QUOTA_CODE
from netmend.reach.causes.match import rule_family, rule_weight
from netmend.reach.causes.model import RootCause
from netmend.reach.flow import Flow

__all__ = [
    "RULES_TIMES_GROUPS_CAP",
    "needed_rule",
    "overflow_name",
    "overflow_room",
    "quota_increase",
    "room_plan",
]

RULES_TIMES_GROUPS_CAP = 1000
GROUPS_QUOTA_CODE = "L-2AFB9258"
_CAUSE = "rule-quota-exceeded"


def quota_increase(inventory: Inventory) -> tuple[int | None, str]:
    """The rules-per-group value to ask for (None if none fits AWS's cap) and the command."""
    quotas = inventory.quotas
    current, groups = quotas.rules_per_security_group, quotas.security_groups_per_interface
    ceiling = RULES_TIMES_GROUPS_CAP // max(groups, 1)
    desired = min(current * 2, ceiling)
    if desired <= current:
        return None, (
            f"{RULE_QUOTA_CODE} cannot go above {current}: with {groups} groups per interface, "
            f"rules per group x groups per interface would pass AWS's cap of "
            f"{RULES_TIMES_GROUPS_CAP}"
        )
    return desired, (
        "aws service-quotas request-service-quota-increase --service-code vpc "
        f"--quota-code {RULE_QUOTA_CODE} --desired-value {desired}  "
        f"({desired} x {groups} groups per interface = {desired * groups} <= "
        f"{RULES_TIMES_GROUPS_CAP}; optional, not sent by netmend, AWS may take days)"
    )


def needed_rule(flow: Flow, group_id: str, egress: bool, peer: str) -> SgRule:
    """The one rule the flow needs on ``group_id`` (the co-occurring cause's peer)."""
    ports: dict[str, int | None] = {}
    if flow.protocol in (TCP, UDP):
        ports = {"from_port": flow.port, "to_port": flow.port}
    elif flow.protocol in (ICMP, ICMPV6):
        code = -1 if flow.icmp_code is None else flow.icmp_code
        ports = {"from_port": flow.icmp_type, "to_port": code}
    if peer.startswith("sg-"):
        field = "referenced_group_id"
    elif peer.startswith("pl-"):
        field = "prefix_list_id"
    else:
        field = "cidr_ipv6" if ":" in peer else "cidr_ipv4"
    return SgRule(
        group_id=group_id, egress=egress, protocol=flow.protocol, **ports, **{field: peer}
    )


def _used(inventory: Inventory, group: SecurityGroup, egress: bool, family: str) -> int:
    return sum(
        rule_weight(inventory, r)
        for r in group.rules
        if r.egress == egress and rule_family(inventory, r) == family
    )


def overflow_room(inventory: Inventory, eni: NetworkInterface) -> tuple[bool, str]:
    """Whether ``eni`` can carry one more group, and the numbers that say so (or not)."""
    quotas = inventory.quotas
    groups, rules = quotas.security_groups_per_interface, quotas.rules_per_security_group
    now = len(eni.group_ids)
    eni_id = eni.network_interface_id
    if now + 1 > groups:
        return False, (
            f"{eni_id} already carries {now} security groups and the quota "
            f"({GROUPS_QUOTA_CODE}) is {groups}: no overflow group can be attached"
        )
    if (now + 1) * rules > RULES_TIMES_GROUPS_CAP:
        return False, (
            f"{eni_id} with {now + 1} groups of up to {rules} rules would pass AWS's cap of "
            f"{RULES_TIMES_GROUPS_CAP} rules per interface"
        )
    return True, (
        f"{eni_id} carries {now} of {groups} groups ({GROUPS_QUOTA_CODE}): one more fits, and "
        f"{now + 1} x {rules} rules per group = {(now + 1) * rules} <= {RULES_TIMES_GROUPS_CAP}"
    )


def overflow_name(inventory: Inventory, group: SecurityGroup, taken: set[str]) -> str:
    """``<group name>-overflow-<n>``, unique among the VPC's group names and ``taken``."""
    base = group.group_name or group.group_id
    if base.lower().startswith("sg-"):
        base = f"netmend-{base}"  # AWS refuses names starting with sg-
    used = taken | {g.group_name for g in inventory.security_groups if g.vpc_id == group.vpc_id}
    number = 1
    while f"{base[:230]}-overflow-{number}" in used:
        number += 1
    return f"{base[:230]}-overflow-{number}"


def room_plan(
    inventory: Inventory,
    group: SecurityGroup,
    needed: SgRule,
    family: str,
    eni: NetworkInterface | None = None,
) -> dict[str, Any]:
    """The strategy (and its numbers) that makes room for ``needed`` on ``group``.

    ``eni`` is the interface the flow needs the rule on: with it, an overflow group is
    considered before any widening.
    """
    egress = needed.egress
    quota = inventory.quotas.rules_per_security_group
    need = _used(inventory, group, egress, family) + rule_weight(inventory, needed) - quota
    redundant = redundant_rules(inventory, group, egress=egress, family=family)
    freed = sum(r.weight for r in redundant)
    plan: dict[str, Any] = {
        "room_needed": max(need, 0),
        "redundant_count": len(redundant),
        "redundant_freed": freed,
        "redundant_rule_ids": [r.rule.rule_id for r in redundant],
        "redundant_at_most": len(redundant),
        "strategy": "none",
        "consolidate_free": 0,
        "consolidate_prefix": None,
        "consolidate_added": 0,
        "consolidate_added_text": "",
        "overflow_eni": None,
        "overflow_room": "no interface to attach an overflow group to",
    }
    if need <= 0:
        plan["strategy"] = "fits"  # the group has room after all: just add the rule
        return plan
    if freed >= need:
        # The fewest removals that make room: duplicates come first in ``redundant``.
        taken, enough = 0, 0
        for item in redundant:
            taken, enough = taken + 1, enough + item.weight
            if enough >= need:
                break
        plan.update(strategy="free-redundant", redundant_at_most=taken)
        return plan
    if eni is not None:
        room, why = overflow_room(inventory, eni)
        plan["overflow_room"] = why
        if room:
            plan.update(strategy="overflow", overflow_eni=eni.network_interface_id)
            return plan
    gone = [r.rule for r in redundant]
    rest = group.model_copy(update={"rules": tuple(r for r in group.rules if r not in gone)})
    fold = consolidation(inventory, rest, egress=egress, family=family, free=need - freed)
    if fold is not None:
        plan.update(
            strategy="consolidate",
            consolidate_free=need - freed,
            consolidate_prefix=fold.prefix,
            consolidate_added=fold.added_count,
            consolidate_added_text=fold.added_text(),
        )
    return plan


def _needing_cause(ctx: StepContext, quota: RootCause) -> RootCause | None:
    wanted = quota.evidence.get("for_playbook")
    group_id = quota.evidence.get("group_id")
    return next(
        (c for c in ctx.causes if c.playbook == wanted and c.evidence.get("group_id") == group_id),
        None,
    )


@detector("sg.quota-room")
def quota_room(ctx: StepContext, params: NoParams) -> dict[str, Any] | None:
    """How to fit the needed rule in the full group; refuses, with the quota command, if none."""
    quota = (
        ctx.cause
        if ctx.cause is not None and ctx.cause.playbook == _CAUSE
        else next((c for c in ctx.causes if c.playbook == _CAUSE), None)
    )
    if quota is None or ctx.flow is None:
        return None
    needing = _needing_cause(ctx, quota)
    group = ctx.current_group(str(quota.evidence["group_id"]))
    if needing is None or not needing.evidence.get("peer"):
        return None
    egress = quota.evidence.get("direction") == "egress"
    family = str(quota.evidence.get("family", "ipv4"))
    needed = needed_rule(ctx.flow, group.group_id, egress, str(needing.evidence["peer"]))
    eni = ctx.current(str(needing.evidence.get("eni_id") or ""))
    eni = eni if isinstance(eni, NetworkInterface) else None
    plan = room_plan(ctx.inventory, group, needed, family, eni)
    desired, command = quota_increase(ctx.inventory)
    way = "outbound" if egress else "inbound"
    words = rule_text(needed)
    if plan["strategy"] == "none":
        raise ProposalRefusedError(
            f"{group.group_id} is full ({quota.evidence.get('rule_count')} {way} rules, quota "
            f"{quota.evidence.get('quota')}) and no rule of it is redundant enough to make room "
            f"for {words}; no overflow group either ({plan['overflow_room']}); nor can host "
            f"rules be folded into a small prefix. Raise the quota: {command}"
        )
    overflow: dict[str, Any] = {"overflow_group": None, "overflow_name": None, "overflow_vpc": None}
    if plan["strategy"] == "overflow" and eni is not None:
        staged = [s for rid, s in ctx.staged.items() if is_placeholder(rid)]
        overflow = {
            # Numbered after the groups the plan already creates (another cause's).
            "overflow_group": new_group_ref(ctx.run_id, len(staged) + 1),
            "overflow_name": overflow_name(
                ctx.inventory,
                group,
                {s.group_name for s in staged if isinstance(s, SecurityGroup)},
            ),
            "overflow_vpc": eni.vpc_id,
        }
    return {
        **plan,
        **overflow,
        "rule_group": overflow["overflow_group"] or group.group_id,
        "needed_rule": words,
        "needed_peer": needed.peer,
        "needed_for": needing.playbook,
        "quota_desired": desired,
        "quota_command": command,
    }
