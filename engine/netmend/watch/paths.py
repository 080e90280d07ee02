"""Which intents an event concerns: those whose path crosses a resource it touched.

A flow's path, for this purpose, is every resource that decides it at either end: the
ENI and its instance, the ENI's security groups, its subnet, the subnet's network ACL
and route table, and the VPC (gateways, peerings and attachments are reached through
the route tables; an event naming only a VPC concerns every intent in it). Checking an
intent more often than needed costs an evaluation; missing one would leave a broken
flow unrepaired, so the set errs on the side of more.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from netmend.model import Inventory
from netmend.reach.flow import Endpoint, Flow
from netmend.verify.intents import Intent

__all__ = ["affected_intents", "path_resources"]


def _endpoint_resources(inventory: Inventory, endpoint: Endpoint) -> set[str]:
    found: set[str] = set()
    if endpoint.eni_id is None:
        return found
    eni = inventory.network_interface(endpoint.eni_id)
    if eni is None:
        return {endpoint.eni_id}
    found.update({eni.network_interface_id, eni.subnet_id, eni.vpc_id, *eni.group_ids})
    if eni.instance_id:
        found.add(eni.instance_id)
    acl = inventory.acl_of_subnet(eni.subnet_id)
    if acl is not None:
        found.add(acl.network_acl_id)
    table = inventory.route_table_of_subnet(eni.subnet_id)
    if table is not None:
        found.add(table.route_table_id)
    return found


def path_resources(inventory: Inventory, flow: Flow) -> set[str]:
    """Every resource id that decides ``flow`` at its source or its destination."""
    return _endpoint_resources(inventory, flow.source) | _endpoint_resources(
        inventory, flow.destination
    )


def affected_intents(
    inventory: Inventory,
    resolved: Sequence[tuple[Intent, Flow]],
    touched: Collection[str],
) -> list[tuple[Intent, Flow]]:
    """The intents (with their flows) whose path crosses any ``touched`` resource."""
    wanted = set(touched)
    return [(i, f) for i, f in resolved if path_resources(inventory, f) & wanted]
