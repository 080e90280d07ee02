"""Before removing a rule: which known flows rely on it, and what happens to live ones.

Offline, netmend cannot see what a host listens on or sends, so "nothing relies on this
rule" can only mean "no flow between interfaces in the inventory that the far end's own
rules ask for is carried by it alone". The far end's rules say what is meant: an
outbound rule serves flows into a destination whose inbound rules admit them (inbound is
deny-by-default, so every inbound rule was written on purpose); an inbound rule serves
flows from a source whose outbound rules name them, and AWS's default allow-all egress
names nothing (it is on every new group). A flow counts when it is reachable now and is
not once the rule is gone.

Connection tracking (seed 002): removing a rule cuts the connections it admitted at once
only when they are untracked (whole address space both ways); tracked ones keep working
until they idle out. ``reach.tracking`` decides which, per interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.model.change import ResourceState
from netmend.model.protocol import ALL, TCP, UDP
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.reach.tracking import WORLD, removal_cuts_connections

__all__ = [
    "flows_relying_on",
    "inventory_with",
    "is_default_egress",
    "removal_tracking_warning",
]

_ALL_PORTS = (0, 65535)


def inventory_with(inventory: Inventory, states: Iterable[ResourceState]) -> Inventory:
    """``inventory`` with these groups, ACLs and ENIs in place of its own (lookups rebuilt)."""
    groups = {s.group_id: s for s in states if isinstance(s, SecurityGroup)}
    others = [s for s in states if not isinstance(s, SecurityGroup)]
    if not groups and not others:
        return inventory
    data: dict[str, Any] = {name: getattr(inventory, name) for name in Inventory.model_fields}
    data["security_groups"] = tuple(groups.get(g.group_id, g) for g in inventory.security_groups)
    enis = {s.network_interface_id: s for s in others if isinstance(s, NetworkInterface)}
    data["network_interfaces"] = tuple(
        enis.get(e.network_interface_id, e) for e in inventory.network_interfaces
    )
    acls = {s.network_acl_id: s for s in others if not isinstance(s, NetworkInterface)}
    data["network_acls"] = tuple(acls.get(a.network_acl_id, a) for a in inventory.network_acls)
    return Inventory(**data)


def is_default_egress(rule: SgRule) -> bool:
    """AWS's allow-all egress of every new group: it says nothing about intent."""
    return rule.egress and rule.protocol == ALL and rule.peer in WORLD.values()


def _ports(rule: SgRule) -> tuple[int, int]:
    if rule.protocol not in (TCP, UDP) or rule.all_ports:
        return _ALL_PORTS
    low = rule.from_port if rule.from_port is not None else 0
    high = rule.to_port if rule.to_port is not None else 65535
    return low, high


def _far_end_ports(inventory: Inventory, rule: SgRule, far: NetworkInterface) -> list[int]:
    """Ports in ``rule``'s range that the far end's own rules name for this traffic."""
    low, high = _ports(rule)
    found: set[int] = set()
    for group in inventory.groups_of_eni(far.network_interface_id):
        # The far end receives what an outbound rule sends, and sends what an inbound
        # rule receives.
        for other in group.egress if not rule.egress else group.ingress:
            if is_default_egress(other) or other.protocol not in (rule.protocol, ALL):
                continue
            other_low, other_high = _ports(other)
            start, end = max(low, other_low), min(high, other_high)
            if start <= end:
                found.add(max(start, 1))
    return sorted(found)


def _endpoint(eni: NetworkInterface) -> Endpoint:
    return Endpoint(
        kind=EndpointKind.ENI,
        address=eni.primary_ip,
        eni_id=eni.network_interface_id,
        instance_id=eni.instance_id,
        given=eni.network_interface_id,
    )


def _without(inventory: Inventory, rule: SgRule) -> Inventory:
    group = inventory.security_group(rule.group_id)
    if group is None:
        return inventory
    kept = tuple(r for r in group.rules if r != rule)
    return inventory_with(inventory, [group.model_copy(update={"rules": kept})])


def flows_relying_on(inventory: Inventory, rule: SgRule) -> list[Flow]:
    """Flows between interfaces of the inventory that only ``rule`` lets through.

    TCP and UDP rules only (the stateless-thinking rules are); others give []. Each flow
    is one the far end's rules ask for (see the module docstring), reachable now and
    blocked once the rule is gone.
    """
    if rule.protocol not in (TCP, UDP):
        return []
    holders = [e for e in inventory.enis_of_group(rule.group_id) if e.private_ips]
    if not holders:
        return []
    without = _without(inventory, rule)
    relied: list[Flow] = []
    for near in holders:
        for far in inventory.network_interfaces:
            if far.vpc_id != near.vpc_id or not far.private_ips or far == near:
                continue
            for port in _far_end_ports(inventory, rule, far):
                source, destination = (near, far) if rule.egress else (far, near)
                flow = Flow(
                    source=_endpoint(source),
                    destination=_endpoint(destination),
                    protocol=rule.protocol,
                    port=port,
                )
                if evaluate(inventory, flow).reachable and not evaluate(without, flow).reachable:
                    relied.append(flow)
    return relied


def removal_tracking_warning(inventory: Inventory, rule: SgRule) -> str:
    """Whether removing ``rule`` cuts the connections it admitted (seed 002), in words."""
    holders = inventory.enis_of_group(rule.group_id)
    if not holders:
        return f"no interface carries {rule.group_id}: no connection depends on this rule"
    cut = [e.network_interface_id for e in holders if removal_cuts_connections(inventory, e, rule)]
    if cut:
        return (
            f"untracked: connections through this rule on {', '.join(cut)} are not tracked "
            "(the whole address space is open both ways), so removing it cuts them at once"
        )
    return (
        "tracked: connections this rule admitted keep working until they idle out "
        "(TCP: 5 days by default); only new ones are refused"
    )
