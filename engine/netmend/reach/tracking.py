"""Security-group connection tracking (seed 002): which flows are untracked.

A TCP or UDP flow is untracked at an ENI when the rule that admits it has the whole
address space as its peer (0.0.0.0/0, or ::/0 for IPv6) *and* the ENI's groups have a
rule in the opposite direction that admits all response traffic: the same whole address
space, all ports (protocol -1, or the flow's protocol over 0-65535). Untracked flows are
not remembered, so removing or narrowing the rule that admits them cuts existing
connections at once; a tracked connection survives until it idles out.

ICMP is always tracked, and so is every other protocol here (AWS tracks them by address
and protocol). Flows through a NAT gateway or a transit gateway attachment are always
tracked (the evaluator applies that). A rule of protocol -1 admits TCP and UDP: it is
untracked when either of them is.
"""

from __future__ import annotations

from collections.abc import Iterable

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.model.protocol import ALL, TCP, UDP
from netmend.reach.packet import ALL_KEYS, sg_rule_keys

__all__ = [
    "WORLD",
    "is_untracked",
    "opens_all_responses",
    "removal_cuts_connections",
    "side_untracked",
]

WORLD = {4: "0.0.0.0/0", 6: "::/0"}
_TRACKABLE = (TCP, UDP)


def _world_family(rule: SgRule) -> int | None:
    """4 or 6 when the rule's peer is the whole IPv4 or IPv6 space, else None."""
    if rule.cidr_ipv4 == WORLD[4]:
        return 4
    if rule.cidr_ipv6 == WORLD[6]:
        return 6
    return None


def _admits_all(rule: SgRule, protocol: str) -> bool:
    return rule.protocol == ALL or (rule.protocol == protocol and sg_rule_keys(rule) == ALL_KEYS)


def opens_all_responses(
    groups: Iterable[SecurityGroup],
    *,
    egress: bool,
    family: int,
    protocol: str,
    without: SgRule | None = None,
) -> bool:
    """A rule of ``groups`` in that direction admits all ``protocol`` traffic, every port,
    to or from the whole ``family`` address space (``without``: ignoring that rule)."""
    return any(
        rule.egress == egress and _world_family(rule) == family and _admits_all(rule, protocol)
        for group in groups
        for rule in group.rules
        if without is None or rule != without
    )


def side_untracked(
    groups: Iterable[SecurityGroup],
    admitting: Iterable[SgRule],
    *,
    egress: bool,
    family: int,
    protocol: str,
) -> bool:
    """One ENI's end of a flow is untracked: ``admitting`` (its rules in direction
    ``egress`` that let the flow through) include a whole-space rule, and the opposite
    direction opens all response traffic."""
    if protocol not in _TRACKABLE:
        return False
    if not any(_world_family(rule) == family for rule in admitting):
        return False
    return opens_all_responses(groups, egress=not egress, family=family, protocol=protocol)


def _eni(inventory: Inventory, eni: NetworkInterface | str) -> NetworkInterface | None:
    return inventory.network_interface(eni) if isinstance(eni, str) else eni


def is_untracked(
    inventory: Inventory,
    eni: NetworkInterface | str,
    rule: SgRule,
    *,
    protocol: str | None = None,
) -> bool:
    """Traffic that ``rule`` admits on ``eni`` is untracked (seed 002).

    ``protocol`` narrows a -1 rule to the traffic in question (tcp or udp); by default a
    -1 rule counts when either TCP or UDP through it is untracked. False when the rule's
    group is not on the ENI.
    """
    interface = _eni(inventory, eni)
    family = _world_family(rule)
    if interface is None or family is None or rule.group_id not in interface.group_ids:
        return False
    if protocol is not None:
        candidates: tuple[str, ...] = (protocol,)
    elif rule.protocol == ALL:
        candidates = _TRACKABLE
    else:
        candidates = (rule.protocol,)
    groups = inventory.groups_of_eni(interface.network_interface_id)
    return any(
        opens_all_responses(groups, egress=not rule.egress, family=family, protocol=p)
        for p in candidates
        if p in _TRACKABLE and rule.protocol in (p, ALL)
    )


def removal_cuts_connections(
    inventory: Inventory, eni: NetworkInterface | str, rule: SgRule
) -> bool:
    """Removing or narrowing ``rule`` would cut existing connections on ``eni`` at once.

    True when the rule admits untracked flows (their next packet is judged afresh), or
    when it is the only rule opening all response traffic for untracked flows that a
    whole-space rule of the opposite direction admits (their replies would then have no
    rule). Assumes no other rule admits the same traffic.
    """
    if is_untracked(inventory, eni, rule):
        return True
    interface = _eni(inventory, eni)
    family = _world_family(rule)
    if interface is None or family is None or rule.group_id not in interface.group_ids:
        return False
    groups = inventory.groups_of_eni(interface.network_interface_id)
    for protocol in _TRACKABLE:
        if not _admits_all(rule, protocol):
            continue
        flows = any(
            other.egress != rule.egress
            and _world_family(other) == family
            and other.protocol in (protocol, ALL)
            for group in groups
            for other in group.rules
        )
        still_open = opens_all_responses(
            groups, egress=rule.egress, family=family, protocol=protocol, without=rule
        )
        if flows and not still_open:
            return True
    return False
