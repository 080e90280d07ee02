"""The inventory of one account and region, read from AWS; and re-reads of a few parts.

``collect_inventory`` reads everything the evaluator needs (optionally only some
VPCs); ``refresh_inventory`` reads a few resources again (the ones a plan touches) and
puts them in place of the old ones, for drift checks before a change and local
verification after it. The per-type readers are in ``netmend.aws.readers``; a full
collection runs them a few at a time (``netmend.aws.parallel``): on AWS each describe
page is a round trip of tens of milliseconds, and twenty-odd of them one after another
are most of the wait.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import suppress
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
from netmend.aws.parallel import Read, default_concurrency, run_reads
from netmend.aws.quotas import read_quotas
from netmend.aws.readers import (
    describe_security_groups,
    groups_with_rules,
    read_instances,
    read_internet_gateways,
    read_nat_gateways,
    read_network_acls,
    read_network_interfaces,
    read_peering_connections,
    read_prefix_lists,
    read_route_tables,
    read_security_group_rules,
    read_security_groups,
    read_subnets,
    read_transit_gateway_attachments,
    read_vpcs,
)
from netmend.aws.session import AwsClients
from netmend.errors import AwsConnectionError
from netmend.model import (
    Instance,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    Quotas,
    RouteTable,
    SecurityGroup,
    SgRule,
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


def _ready_clients(clients: AwsClients, *, quotas: bool) -> None:
    """Make every client the reads use now, on this thread: boto3 sessions are not
    thread-safe (clients are). A client that cannot be made is left to its reader, which
    handles that as it always has (load balancers and quotas are optional)."""
    for name in ("elbv2", "service_quotas") if quotas else ("elbv2",):
        with suppress(AwsConnectionError):
            getattr(clients, name)


# A read's result and the items it skipped (each read has its own list, merged in the
# reads' order afterwards: ``skipped`` never depends on which read finished first).
Part = tuple[Any, list[SkippedItem]]
_Reader = Callable[[list[SkippedItem], Mapping[str, Any]], Any]

# What progress hears about (each when it and every read before it are done).
_TOLD = frozenset(
    {"VPCs", "subnets", "route tables", "network ACLs", "security groups"}
    | {"network interfaces", "instances"}
)


def _part(name: str, reader: _Reader, needs: tuple[str, ...] = ("VPCs",)) -> Read:
    def run(needed: Mapping[str, Any]) -> Part:
        skipped: list[SkippedItem] = []
        return reader(skipped, needed), skipped

    return Read(name, run, needs)


def _reads(
    clients: AwsClients, scope: frozenset[str] | None, page_size: int | None, quotas: bool
) -> list[Read]:
    """Every read of a collection, in the order a sequential collection makes them.

    All wait for DescribeVpcs: a missing permission, bad credentials or an unreachable
    endpoint then fail once, on the first call, not on every worker at the same time.
    """

    def kw(skipped: list[SkippedItem]) -> dict[str, Any]:
        return {"vpc_ids": scope, "page_size": page_size, "skipped": skipped}

    def rules(skipped: list[SkippedItem], needed: Mapping[str, Any]) -> dict[str, list[SgRule]]:
        if scope is None:  # the region's rules, unfiltered: no need to wait for the groups
            return read_security_group_rules(clients, page_size=page_size, skipped=skipped)
        raws = needed["group descriptions"][0]
        ids = [r["GroupId"] for r in raws if r.get("GroupId")]
        if not ids:
            return {}
        return read_security_group_rules(
            clients, group_ids=ids, page_size=page_size, skipped=skipped
        )

    def groups(skipped: list[SkippedItem], needed: Mapping[str, Any]) -> Any:
        raws = needed["group descriptions"][0]
        return groups_with_rules(raws, needed["group rules"][0], skipped)

    def prefix_lists(_: list[SkippedItem], needed: Mapping[str, Any]) -> Any:
        used = _referenced_prefix_lists(needed["security groups"][0], needed["route tables"][0])
        return read_prefix_lists(clients, include_aws_managed=used, page_size=page_size)

    return [
        _part("VPCs", lambda sk, _: read_vpcs(clients, **kw(sk)), needs=()),
        _part("subnets", lambda sk, _: read_subnets(clients, **kw(sk))),
        _part("route tables", lambda sk, _: read_route_tables(clients, **kw(sk))),
        _part("network ACLs", lambda sk, _: read_network_acls(clients, **kw(sk))),
        _part(
            "group descriptions",
            lambda sk, _: describe_security_groups(clients, vpc_ids=scope, page_size=page_size),
        ),
        _part("group rules", rules, needs=("VPCs",) if scope is None else ("group descriptions",)),
        _part("security groups", groups, needs=("group descriptions", "group rules")),
        _part("network interfaces", lambda sk, _: read_network_interfaces(clients, **kw(sk))),
        _part(
            "instances",
            lambda sk, _: read_instances(clients, include_terminated=True, **kw(sk)),
        ),
        _part("prefix lists", prefix_lists, needs=("security groups", "route tables")),
        _part("load balancing", lambda sk, _: read_load_balancing(clients, vpc_ids=scope)),
        _part("internet gateways", lambda sk, _: read_internet_gateways(clients, **kw(sk))),
        _part("NAT gateways", lambda sk, _: read_nat_gateways(clients, **kw(sk))),
        _part("peering connections", lambda sk, _: read_peering_connections(clients, **kw(sk))),
        _part(
            "transit gateway attachments",
            lambda sk, _: read_transit_gateway_attachments(clients, **kw(sk)),
        ),
        # -- the rest of a real account's gateways and addresses
        _part(
            "egress-only internet gateways",
            lambda sk, _: read_egress_only_internet_gateways(clients, **kw(sk)),
        ),
        _part(
            "transit gateways",
            lambda sk, _: read_transit_gateways(clients, page_size=page_size, skipped=sk),
        ),
        _part(
            "transit gateway route tables",
            lambda sk, needed: read_transit_gateway_route_tables(
                clients,
                transit_gateway_ids=[g.transit_gateway_id for g in needed["transit gateways"][0]],
                page_size=page_size,
                skipped=sk,
            ),
            needs=("transit gateways",),
        ),
        _part("VPC endpoints", lambda sk, _: read_vpc_endpoints(clients, **kw(sk))),
        _part("elastic IPs", lambda sk, _: read_elastic_ips(clients, skipped=sk)),
        _part("VPN gateways", lambda sk, _: read_vpn_gateways(clients, vpc_ids=scope, skipped=sk)),
        _part("VPN connections", lambda sk, _: read_vpn_connections(clients, skipped=sk)),
        _part("quotas", lambda sk, _: read_quotas(clients) if quotas else Quotas()),
    ]


def collect_inventory(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    quotas: bool = True,
    progress: Callable[[str, int], None] | None = None,
    concurrency: int | None = None,
) -> Inventory:
    """Everything in the region (or in ``vpc_ids``) the evaluator needs.

    Every describe call is paginated at the API's largest page (``page_size`` caps
    it, clamped to each API's bounds; tests use it to force several pages). With
    ``quotas=False`` Service Quotas is not asked and the defaults are kept.
    ``concurrency`` reads run at once (default ``NETMEND_COLLECT_CONCURRENCY`` or 6; 1
    reads one after another); the inventory is the same either way, order included.
    Raises AwsConnectionError or AwsCallError (from the retry wrapper) on failure: the
    first read that fails for good fails the collection.
    ``progress(kind, count)`` hears each resource type as it is read (a long collection
    on a big account should not look hung), in a fixed order, on the calling thread.
    """
    scope = None if vpc_ids is None else frozenset(vpc_ids)
    started = datetime.now(UTC)
    told = progress or (lambda kind, count: None)
    workers = default_concurrency() if concurrency is None else concurrency
    if workers > 1:
        _ready_clients(clients, quotas=quotas)

    def done(name: str, part: Part) -> None:
        if name in _TOLD:
            told(name, len(part[0]))

    reads = _reads(clients, scope, page_size, quotas)
    parts: dict[str, Part] = run_reads(reads, concurrency=workers, done=done)

    def got(name: str) -> Any:
        return parts[name][0]

    every_instance: tuple[Instance, ...] = got("instances")
    instances = tuple(i for i in every_instance if i.state != "terminated")
    terminated = {i.instance_id for i in every_instance if i.state == "terminated"}
    load_balancers, target_groups = got("load balancing")
    inventory = Inventory(
        account_id=_account_id(got("VPCs"), got("security groups")),
        region=clients.region,
        collected_at=started,
        vpcs=got("VPCs"),
        subnets=got("subnets"),
        route_tables=got("route tables"),
        network_acls=got("network ACLs"),
        security_groups=got("security groups"),
        network_interfaces=_without_terminated(got("network interfaces"), terminated),
        instances=instances,
        prefix_lists=got("prefix lists"),
        internet_gateways=got("internet gateways"),
        nat_gateways=got("NAT gateways"),
        peering_connections=got("peering connections"),
        transit_gateway_attachments=got("transit gateway attachments"),
        egress_only_internet_gateways=got("egress-only internet gateways"),
        transit_gateways=got("transit gateways"),
        transit_gateway_route_tables=got("transit gateway route tables"),
        vpc_endpoints=got("VPC endpoints"),
        elastic_ips=got("elastic IPs"),
        vpn_gateways=got("VPN gateways"),
        vpn_connections=got("VPN connections"),
        skipped=tuple(item for read in reads for item in parts[read.name][1]),
        quotas=got("quotas"),
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
        concurrency=workers,
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
