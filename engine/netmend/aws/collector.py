"""The inventory of one account and region, read from AWS; and re-reads of a few parts.

``collect_inventory`` reads everything the evaluator needs (optionally only some
VPCs); ``refresh_inventory`` reads a few resources again (the ones a plan touches) and
puts them in place of the old ones, for drift checks before a change and local
verification after it. The per-type readers are in ``netmend.aws.readers``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog

from netmend.aws.balancing import read_load_balancing
from netmend.aws.gateways import (
    read_egress_only_internet_gateways,
    read_elastic_ips,
    read_transit_gateway_route_tables,
    read_transit_gateways,
    read_vpc_endpoints,
    read_vpn_connections,
    read_vpn_gateways,
)
from netmend.aws.quotas import read_quotas
from netmend.aws.readers import (
    read_instances,
    read_internet_gateways,
    read_nat_gateways,
    read_network_acls,
    read_network_interfaces,
    read_peering_connections,
    read_prefix_lists,
    read_route_tables,
    read_security_groups,
    read_subnets,
    read_transit_gateway_attachments,
    read_vpcs,
)
from netmend.aws.session import AwsClients
from netmend.model import (
    Instance,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    Quotas,
    RouteTable,
    SecurityGroup,
    SkippedItem,
    Vpc,
)

__all__ = [
    "collect_instances",
    "collect_inventory",
    "collect_network_acls",
    "collect_network_interfaces",
    "collect_route_tables",
    "collect_security_groups",
    "refresh_inventory",
]

T = TypeVar("T")

log = structlog.get_logger()


def _referenced_prefix_lists(
    groups: Iterable[SecurityGroup], tables: Iterable[RouteTable]
) -> set[str]:
    used = {r.prefix_list_id for g in groups for r in g.rules if r.prefix_list_id}
    used |= {
        route.destination_prefix_list_id
        for t in tables
        for route in t.routes
        if route.destination_prefix_list_id
    }
    return used


def _without_terminated(
    enis: Iterable[NetworkInterface], terminated: Collection[str]
) -> tuple[NetworkInterface, ...]:
    # An ENI still attached to a terminated instance is on its way out (deleted, or
    # detached if DeleteOnTermination is off) and carries no traffic; leave it out.
    # ENIs naming instances that were not read at all (a shared VPC's participants)
    # stay.
    return tuple(e for e in enis if e.instance_id is None or e.instance_id not in terminated)


def _account_id(vpcs: Iterable[Vpc], groups: Iterable[SecurityGroup]) -> str | None:
    # The owner of what was read: free, where STS GetCallerIdentity would cost a call.
    owners = [v.owner_id for v in vpcs] + [g.owner_id for g in groups]
    return next((o for o in owners if o), None)


def collect_inventory(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    quotas: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> Inventory:
    """Everything in the region (or in ``vpc_ids``) the evaluator needs.

    Every describe call is paginated at the API's largest page (``page_size`` caps
    it, clamped to each API's bounds; tests use it to force several pages). With
    ``quotas=False`` Service Quotas is not asked and the defaults are kept.
    Raises AwsConnectionError or AwsCallError (from the retry wrapper) on failure.
    ``progress(kind, count)`` hears each resource type as it is read (a long collection
    on a big account should not look hung); it is told the count after each read.
    """
    scope = None if vpc_ids is None else frozenset(vpc_ids)
    started = datetime.now(UTC)
    told = progress or (lambda kind, count: None)

    def counted(kind: str, items: tuple[T, ...]) -> tuple[T, ...]:
        told(kind, len(items))
        return items

    # Items that do not parse are skipped (with a warning) and recorded here.
    skipped: list[SkippedItem] = []
    kw: dict[str, Any] = {"page_size": page_size, "skipped": skipped}
    vpcs = counted("VPCs", read_vpcs(clients, vpc_ids=scope, **kw))
    subnets = counted("subnets", read_subnets(clients, vpc_ids=scope, **kw))
    route_tables = counted("route tables", read_route_tables(clients, vpc_ids=scope, **kw))
    acls = counted("network ACLs", read_network_acls(clients, vpc_ids=scope, **kw))
    groups = counted("security groups", read_security_groups(clients, vpc_ids=scope, **kw))
    enis = counted("network interfaces", read_network_interfaces(clients, vpc_ids=scope, **kw))
    every_instance = counted(
        "instances", read_instances(clients, vpc_ids=scope, include_terminated=True, **kw)
    )
    instances = tuple(i for i in every_instance if i.state != "terminated")
    terminated = {i.instance_id for i in every_instance if i.state == "terminated"}
    prefix_lists = read_prefix_lists(
        clients,
        include_aws_managed=_referenced_prefix_lists(groups, route_tables),
        page_size=page_size,
    )
    load_balancers, target_groups = read_load_balancing(clients, vpc_ids=scope)
    transit_gateways = read_transit_gateways(clients, **kw)
    inventory = Inventory(
        account_id=_account_id(vpcs, groups),
        region=clients.region,
        collected_at=started,
        vpcs=vpcs,
        subnets=subnets,
        route_tables=route_tables,
        network_acls=acls,
        security_groups=groups,
        network_interfaces=_without_terminated(enis, terminated),
        instances=instances,
        prefix_lists=prefix_lists,
        internet_gateways=read_internet_gateways(clients, vpc_ids=scope, **kw),
        nat_gateways=read_nat_gateways(clients, vpc_ids=scope, **kw),
        peering_connections=read_peering_connections(clients, vpc_ids=scope, **kw),
        transit_gateway_attachments=read_transit_gateway_attachments(clients, vpc_ids=scope, **kw),
        # -- issue 9: the rest of a real account's gateways and addresses ------------
        egress_only_internet_gateways=read_egress_only_internet_gateways(
            clients, vpc_ids=scope, **kw
        ),
        transit_gateways=transit_gateways,
        transit_gateway_route_tables=read_transit_gateway_route_tables(
            clients, transit_gateway_ids=[g.transit_gateway_id for g in transit_gateways], **kw
        ),
        vpc_endpoints=read_vpc_endpoints(clients, vpc_ids=scope, **kw),
        elastic_ips=read_elastic_ips(clients, skipped=skipped),
        vpn_gateways=read_vpn_gateways(clients, vpc_ids=scope, skipped=skipped),
        vpn_connections=read_vpn_connections(clients, skipped=skipped),
        skipped=tuple(skipped),
        # -- end issue 9 -------------------------------------------------------------
        quotas=read_quotas(clients) if quotas else Quotas(),
        load_balancers=load_balancers,
        target_groups=target_groups,
    )
    log.info(
        "inventory collected",
        region=inventory.region,
        vpcs=len(inventory.vpcs),
        security_groups=len(inventory.security_groups),
        network_interfaces=len(inventory.network_interfaces),
        skipped=len(inventory.skipped),
    )
    return inventory


def collect_security_groups(
    clients: AwsClients, group_ids: Iterable[str]
) -> tuple[SecurityGroup, ...]:
    """These groups with their rules as they are now; groups that no longer exist are absent."""
    return read_security_groups(clients, group_ids=list(group_ids))


def collect_network_acls(clients: AwsClients, acl_ids: Iterable[str]) -> tuple[NetworkAcl, ...]:
    """These ACLs with entries and associations as they are now; gone ones are absent."""
    return read_network_acls(clients, acl_ids=list(acl_ids))


def collect_network_interfaces(
    clients: AwsClients, eni_ids: Iterable[str]
) -> tuple[NetworkInterface, ...]:
    """These ENIs (groups, addresses, attachment) as they are now; gone ones are absent."""
    return read_network_interfaces(clients, eni_ids=list(eni_ids))


def collect_route_tables(
    clients: AwsClients, route_table_ids: Iterable[str]
) -> tuple[RouteTable, ...]:
    """These route tables as they are now; gone ones are absent."""
    return read_route_tables(clients, route_table_ids=list(route_table_ids))


def collect_instances(clients: AwsClients, instance_ids: Iterable[str]) -> tuple[Instance, ...]:
    """These instances as they are now; gone (or terminated) ones are absent."""
    return read_instances(clients, instance_ids=list(instance_ids))


def _replace(
    current: tuple[Any, ...], fresh: Iterable[Any], asked: set[str], key: str
) -> tuple[Any, ...]:
    fresh_by_id = {getattr(f, key): f for f in fresh}
    result = []
    for item in current:
        item_id = getattr(item, key)
        if item_id not in asked:
            result.append(item)
        elif item_id in fresh_by_id:
            result.append(fresh_by_id.pop(item_id))
        # asked for and not found: it is gone, so it is dropped
    result.extend(fresh_by_id.values())  # asked for and new to this inventory
    return tuple(result)


# id prefix, Inventory field, id attribute, reader
_REFRESHABLE: tuple[tuple[str, str, str, Callable[[AwsClients, Iterable[str]], Any]], ...] = (
    ("sg-", "security_groups", "group_id", collect_security_groups),
    ("acl-", "network_acls", "network_acl_id", collect_network_acls),
    ("eni-", "network_interfaces", "network_interface_id", collect_network_interfaces),
    ("rtb-", "route_tables", "route_table_id", collect_route_tables),
    ("i-", "instances", "instance_id", collect_instances),
)


def refresh_inventory(
    clients: AwsClients, inventory: Inventory, resource_ids: Iterable[str]
) -> Inventory:
    """``inventory`` with the given security groups (sg-), network ACLs (acl-), ENIs
    (eni-), route tables (rtb-) and instances (i-) read again from AWS.

    A resource that no longer exists is removed; other ids are ignored. The result is
    a new Inventory (lookups rebuilt); ``collected_at`` is left as it was.
    """
    ids = set(resource_ids)
    update: dict[str, tuple[Any, ...]] = {}
    for prefix, field, key, read in _REFRESHABLE:
        asked = sorted(i for i in ids if i.startswith(prefix))
        if asked:
            fresh = read(clients, asked)
            update[field] = _replace(getattr(inventory, field), fresh, set(asked), key)
    if not update:
        return inventory
    # Built anew, not model_copy'd, so that the lookups are rebuilt.
    fields = {name: getattr(inventory, name) for name in Inventory.model_fields}
    return Inventory(**(fields | update))
