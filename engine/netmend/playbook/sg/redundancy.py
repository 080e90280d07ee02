"""Security-group rules that admit nothing their group does not already admit otherwise.

A rule is redundant when another rule of the same group, same direction, covers it: its
protocol is the same (or ``-1``), its ports or ICMP type/code contain the rule's, and its
peer contains the rule's peer (a CIDR inside a broader CIDR of the same family; the very
same group reference or prefix list). Removing such a rule changes nothing that group
admits, so it frees quota without touching access; that is the first thing the
``rule-quota-exceeded`` playbook tries.

Of several rules covering each other (exact duplicates) the first is kept. Covering is
transitive, so every removed rule is still covered by a kept one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netmend.model import Inventory, SecurityGroup, SgRule
from netmend.model.protocol import ALL
from netmend.reach.causes.match import rule_family, rule_weight
from netmend.reach.packet import sg_rule_keys

__all__ = ["Redundant", "covers", "redundant_rules", "service_covers"]


@dataclass(frozen=True)
class Redundant:
    """A rule that can go, and the kept rule of the same group that still admits its traffic."""

    rule: SgRule
    covered_by: SgRule
    weight: int  # what removing it frees against the quota


def _peer_covers(outer: SgRule, inner: SgRule) -> bool:
    for field in ("cidr_ipv4", "cidr_ipv6"):
        outer_cidr, inner_cidr = getattr(outer, field), getattr(inner, field)
        if outer_cidr is not None and inner_cidr is not None:
            outer_net = ipaddress.ip_network(outer_cidr)
            inner_net = ipaddress.ip_network(inner_cidr)
            return (
                outer_net.prefixlen <= inner_net.prefixlen
                and inner_net.network_address in outer_net
            )
    if outer.referenced_group_id is not None:
        return (outer.referenced_group_id, outer.referenced_user_id) == (
            inner.referenced_group_id,
            inner.referenced_user_id,
        )
    if outer.prefix_list_id is not None:
        return outer.prefix_list_id == inner.prefix_list_id
    return False


def service_covers(outer: SgRule, inner: SgRule) -> bool:
    """Same direction, and ``outer``'s protocol and ports (or ICMP type/code) hold ``inner``'s."""
    if outer.egress != inner.egress:
        return False
    if outer.protocol == ALL:
        return True
    if outer.protocol != inner.protocol:
        return False
    outer_low, outer_high = sg_rule_keys(outer)
    inner_low, inner_high = sg_rule_keys(inner)
    return outer_low <= inner_low and inner_high <= outer_high


def covers(outer: SgRule, inner: SgRule) -> bool:
    """True when ``outer`` admits every packet ``inner`` admits (same direction)."""
    return service_covers(outer, inner) and _peer_covers(outer, inner)


def redundant_rules(
    inventory: Inventory,
    group: SecurityGroup,
    *,
    egress: bool,
    family: str | None = None,
) -> list[Redundant]:
    """The group's rules (one direction, optionally one family) another rule covers.

    In the group's rule order; each with a kept rule that covers it.
    """
    rules = [
        r
        for r in group.rules
        if r.egress == egress and (family is None or rule_family(inventory, r) == family)
    ]

    def removable(index: int) -> bool:
        rule = rules[index]
        return any(
            other_index != index
            and covers(other, rule)
            and (not covers(rule, other) or other_index < index)
            for other_index, other in enumerate(rules)
        )

    gone = {i for i in range(len(rules)) if removable(i)}
    kept = [r for i, r in enumerate(rules) if i not in gone]
    found: list[Redundant] = []
    for index in sorted(gone):
        rule = rules[index]
        cover = next(k for k in kept if covers(k, rule))
        found.append(Redundant(rule, cover, rule_weight(inventory, rule)))
    return found
