"""One reader per resource type: the whole region, some VPCs, or a few ids.

Each reader is a paginated describe call (page size at the API's maximum, or
``page_size`` if given) turned into model objects. They serve the full collection
(``collect_inventory``) and the re-reads of a few touched resources before and after a
change. Read by ids, a resource that no longer exists is simply absent from the result
(AWS rejects the whole call for one unknown id, so the ids are then read one by one).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import structlog
from pydantic import ValidationError

from netmend.aws.paging import iter_items, page_size_for
from netmend.aws.parse import (
    parse_instance,
    parse_internet_gateway,
    parse_nat_gateway,
    parse_network_acl,
    parse_network_interface,
    parse_peering_connection,
    parse_prefix_list,
    parse_route_table,
    parse_security_group,
    parse_sg_rule,
    parse_subnet,
    parse_transit_gateway_attachment,
    parse_vpc,
)
from netmend.aws.session import AwsClients
from netmend.aws.trimmed_answers import without_permissions
from netmend.errors import AwsCallError
from netmend.model import (
    Instance,
    InternetGateway,
    ManagedPrefixList,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    RouteTable,
    SecurityGroup,
    SgRule,
    SkippedItem,
    Subnet,
    TransitGatewayAttachment,
    Vpc,
    VpcPeeringConnection,
)

__all__ = [
    "describe_security_groups",
    "groups_with_rules",
    "parse_items",
    "read_instances",
    "read_internet_gateways",
    "read_nat_gateways",
    "read_network_acls",
    "read_network_interfaces",
    "read_peering_connections",
    "read_prefix_lists",
    "read_route_tables",
    "read_security_group_rules",
    "read_security_groups",
    "read_subnets",
    "read_transit_gateway_attachments",
    "read_vpcs",
]

T = TypeVar("T")

Raw = dict[str, Any]

log = structlog.get_logger()

# The id field of each describe result's items, to name a skipped item.
_ID_FIELDS = {
    "Vpcs": "VpcId",
    "Subnets": "SubnetId",
    "RouteTables": "RouteTableId",
    "NetworkAcls": "NetworkAclId",
    "SecurityGroups": "GroupId",
    "SecurityGroupRules": "SecurityGroupRuleId",
    "NetworkInterfaces": "NetworkInterfaceId",
    "Instances": "InstanceId",
    "PrefixLists": "PrefixListId",
    "InternetGateways": "InternetGatewayId",
    "NatGateways": "NatGatewayId",
    "VpcPeeringConnections": "VpcPeeringConnectionId",
    "TransitGatewayAttachments": "TransitGatewayAttachmentId",
    "TransitGatewayVpcAttachments": "TransitGatewayAttachmentId",
    "TransitGateways": "TransitGatewayId",
    "EgressOnlyInternetGateways": "EgressOnlyInternetGatewayId",
    "VpcEndpoints": "VpcEndpointId",
    "Addresses": "PublicIp",
    "VpnGateways": "VpnGatewayId",
    "VpnConnections": "VpnConnectionId",
}


def _failure(error: Exception) -> tuple[str, str]:
    """(field, reason) of a parse failure, as precisely as the error says."""
    if isinstance(error, KeyError):
        return str(error.args[0]) if error.args else "?", "missing"
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return ".".join(str(p) for p in first["loc"]) or "?", str(first["msg"])
    return "?", f"{type(error).__name__}: {error}"


def parse_items(
    raws: Iterable[Raw],
    parse: Callable[[Raw], T],
    result_key: str,
    skipped: list[SkippedItem] | None,
) -> tuple[T, ...]:
    """Each item parsed; one that cannot be is skipped with a warning naming its id and
    the field, and recorded in ``skipped``: one odd item never aborts the inventory."""
    parsed: list[T] = []
    for raw in raws:
        try:
            parsed.append(parse(raw))
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            field, reason = _failure(error)
            item = SkippedItem(
                resource_type=result_key,
                resource_id=str(raw.get(_ID_FIELDS.get(result_key, ""), "?")),
                field=field,
                reason=reason,
                vpc_id=raw.get("VpcId") if isinstance(raw.get("VpcId"), str) else None,
                subnet_id=raw.get("SubnetId") if isinstance(raw.get("SubnetId"), str) else None,
            )
            log.warning(
                "describe item skipped",
                resource_type=result_key,
                resource_id=item.resource_id,
                field=field,
                reason=reason,
            )
            if skipped is not None:
                skipped.append(item)
    return tuple(parsed)


# EC2 filters and id lists are bounded (200 values is the common documented limit).
_CHUNK = 200

_GONE_NAT_STATES = frozenset({"deleted", "failed"})
_GONE_PEERING_STATES = frozenset({"deleted", "rejected", "expired", "failed"})
_GONE_TGW_ATTACHMENT_STATES = frozenset({"deleted", "deleting", "failed", "rejected"})


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def _vpc_filter(vpc_ids: Collection[str] | None, name: str = "vpc-id") -> list[dict[str, Any]]:
    return [] if vpc_ids is None else [{"Name": name, "Values": sorted(vpc_ids)}]


def _describe(
    clients: AwsClients,
    operation: str,
    result_key: str,
    *,
    page_size: int | None,
    filters: list[dict[str, Any]],
) -> Iterator[Raw]:
    params: dict[str, Any] = {"Filters": filters} if filters else {}
    yield from iter_items(
        clients.call,
        clients.ec2,
        operation,
        result_key,
        page_size=page_size_for(operation, page_size),
        **params,
    )


def _describe_ids(
    clients: AwsClients, operation: str, result_key: str, ids_param: str, ids: Iterable[str]
) -> list[Raw]:
    """Items by id, leaving out ids AWS says do not exist (``*.NotFound``)."""
    wanted = sorted(set(ids))
    found: list[Raw] = []
    for chunk in _chunks(wanted):
        try:
            # No MaxResults: DescribeInstances and DescribeNetworkInterfaces refuse it
            # next to ids, and a list of ids is one bounded answer anyway.
            items = list(
                iter_items(
                    clients.call,
                    clients.ec2,
                    operation,
                    result_key,
                    page_size=None,
                    **{ids_param: chunk},
                )
            )
        except AwsCallError as error:
            if not error.code.endswith(".NotFound"):
                raise
            items = _describe_one_by_one(clients, operation, result_key, ids_param, chunk)
        found += items
    return found


def _describe_one_by_one(
    clients: AwsClients, operation: str, result_key: str, ids_param: str, ids: list[str]
) -> list[Raw]:
    found: list[Raw] = []
    for one in ids:
        try:
            found += list(
                iter_items(
                    clients.call,
                    clients.ec2,
                    operation,
                    result_key,
                    page_size=None,
                    **{ids_param: [one]},
                )
            )
        except AwsCallError as error:
            if not error.code.endswith(".NotFound"):
                raise
    return found


def _read(
    clients: AwsClients,
    operation: str,
    result_key: str,
    parse: Callable[[Raw], T],
    *,
    ids_param: str,
    ids: Iterable[str] | None,
    vpc_ids: Collection[str] | None,
    page_size: int | None,
    vpc_filter: str = "vpc-id",
    skipped: list[SkippedItem] | None = None,
) -> tuple[T, ...]:
    if ids is not None:
        raws = [
            r
            for r in _describe_ids(clients, operation, result_key, ids_param, ids)
            if vpc_ids is None or r.get("VpcId") in vpc_ids
        ]
    else:
        raws = list(
            _describe(
                clients,
                operation,
                result_key,
                page_size=page_size,
                filters=_vpc_filter(vpc_ids, vpc_filter),
            )
        )
    return parse_items(raws, parse, result_key, skipped)


def read_vpcs(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[Vpc, ...]:
    """VPCs of the region, or the given ones (read by filter: unknown ids are absent)."""
    raws = _describe(
        clients, "describe_vpcs", "Vpcs", page_size=page_size, filters=_vpc_filter(vpc_ids)
    )
    return parse_items(raws, parse_vpc, "Vpcs", skipped)


def read_subnets(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    subnet_ids: Iterable[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[Subnet, ...]:
    return _read(
        clients,
        "describe_subnets",
        "Subnets",
        parse_subnet,
        ids_param="SubnetIds",
        ids=subnet_ids,
        vpc_ids=vpc_ids,
        page_size=page_size,
        skipped=skipped,
    )


def read_route_tables(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    route_table_ids: Iterable[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[RouteTable, ...]:
    return _read(
        clients,
        "describe_route_tables",
        "RouteTables",
        parse_route_table,
        ids_param="RouteTableIds",
        ids=route_table_ids,
        vpc_ids=vpc_ids,
        page_size=page_size,
        skipped=skipped,
    )


def read_network_acls(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    acl_ids: Iterable[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[NetworkAcl, ...]:
    return _read(
        clients,
        "describe_network_acls",
        "NetworkAcls",
        parse_network_acl,
        ids_param="NetworkAclIds",
        ids=acl_ids,
        vpc_ids=vpc_ids,
        page_size=page_size,
        skipped=skipped,
    )


def read_security_group_rules(
    clients: AwsClients,
    *,
    group_ids: Iterable[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> dict[str, list[SgRule]]:
    """Rules by group id, one peer per rule (DescribeSecurityGroupRules), in AWS's order.

    Without ``group_ids`` every rule of the region is read, unfiltered.
    """
    if group_ids is None:
        filter_sets: list[list[dict[str, Any]]] = [[]]
    else:
        wanted = sorted(set(group_ids))
        if not wanted:
            return {}
        filter_sets = [[{"Name": "group-id", "Values": c}] for c in _chunks(wanted)]
    rules: dict[str, list[SgRule]] = {}
    for filters in filter_sets:
        raws = _describe(
            clients,
            "describe_security_group_rules",
            "SecurityGroupRules",
            page_size=page_size,
            filters=filters,
        )
        for rule in parse_items(raws, parse_sg_rule, "SecurityGroupRules", skipped):
            rules.setdefault(rule.group_id, []).append(rule)
    return rules


def describe_security_groups(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    group_ids: Iterable[str] | None = None,
    page_size: int | None = None,
) -> list[Raw]:
    """DescribeSecurityGroups items (the region, some VPCs or some ids), parsed without
    the IpPermissions they repeat: rules come from DescribeSecurityGroupRules."""
    with without_permissions(clients.ec2):
        if group_ids is not None:
            raws = _describe_ids(
                clients, "describe_security_groups", "SecurityGroups", "GroupIds", group_ids
            )
            return [r for r in raws if vpc_ids is None or r.get("VpcId") in vpc_ids]
        return list(
            _describe(
                clients,
                "describe_security_groups",
                "SecurityGroups",
                page_size=page_size,
                filters=_vpc_filter(vpc_ids),
            )
        )


def groups_with_rules(
    raws: Iterable[Raw],
    rules: Mapping[str, Sequence[SgRule]],
    skipped: list[SkippedItem] | None = None,
) -> tuple[SecurityGroup, ...]:
    """The groups of ``raws`` with their rules (by group id, as read_security_group_rules
    gives them)."""
    return parse_items(
        raws,
        lambda r: parse_security_group(r, rules.get(r["GroupId"], ())),
        "SecurityGroups",
        skipped,
    )


def read_security_groups(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    group_ids: Iterable[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[SecurityGroup, ...]:
    """Groups with their rules: DescribeSecurityGroups for the groups' metadata, then
    DescribeSecurityGroupRules (all rules of the region, or those of the groups read)."""
    raws = describe_security_groups(
        clients, vpc_ids=vpc_ids, group_ids=group_ids, page_size=page_size
    )
    if not raws:
        return ()
    scoped = group_ids is not None or vpc_ids is not None
    rules = read_security_group_rules(
        clients,
        group_ids=[r["GroupId"] for r in raws if r.get("GroupId")] if scoped else None,
        page_size=page_size,
        skipped=skipped,
    )
    return groups_with_rules(raws, rules, skipped)


def read_network_interfaces(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    eni_ids: Iterable[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[NetworkInterface, ...]:
    return _read(
        clients,
        "describe_network_interfaces",
        "NetworkInterfaces",
        parse_network_interface,
        ids_param="NetworkInterfaceIds",
        ids=eni_ids,
        vpc_ids=vpc_ids,
        page_size=page_size,
        skipped=skipped,
    )


def read_instances(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    instance_ids: Iterable[str] | None = None,
    page_size: int | None = None,
    include_terminated: bool = False,
    skipped: list[SkippedItem] | None = None,
) -> tuple[Instance, ...]:
    """Instances in any state but terminated (a terminated one has no network left),
    unless ``include_terminated``."""
    if instance_ids is not None:
        reservations = _describe_ids(
            clients, "describe_instances", "Reservations", "InstanceIds", instance_ids
        )
    else:
        reservations = list(
            _describe(
                clients,
                "describe_instances",
                "Reservations",
                page_size=page_size,
                filters=_vpc_filter(vpc_ids),
            )
        )
    raws = [
        raw
        for reservation in reservations
        for raw in reservation.get("Instances") or ()
        if (include_terminated or (raw.get("State") or {}).get("Name") != "terminated")
        and (vpc_ids is None or raw.get("VpcId") in vpc_ids)
    ]
    return parse_items(raws, parse_instance, "Instances", skipped)


def read_prefix_lists(
    clients: AwsClients,
    *,
    prefix_list_ids: Iterable[str] | None = None,
    include_aws_managed: Collection[str] = (),
    page_size: int | None = None,
) -> tuple[ManagedPrefixList, ...]:
    """Managed prefix lists with their entries.

    Without ``prefix_list_ids``: every customer-managed list of the region, and the
    AWS-managed ones named in ``include_aws_managed`` (those the estate references;
    reading all of them would cost a call each for lists nothing uses).
    """
    if prefix_list_ids is not None:
        raws = _describe_ids(
            clients,
            "describe_managed_prefix_lists",
            "PrefixLists",
            "PrefixListIds",
            prefix_list_ids,
        )
    else:
        raws = [
            r
            for r in _describe(
                clients,
                "describe_managed_prefix_lists",
                "PrefixLists",
                page_size=page_size,
                filters=[],
            )
            if r.get("OwnerId") != "AWS" or r["PrefixListId"] in include_aws_managed
        ]
    lists = []
    for raw in raws:
        entries = iter_items(
            clients.call,
            clients.ec2,
            "get_managed_prefix_list_entries",
            "Entries",
            page_size=page_size_for("get_managed_prefix_list_entries", page_size),
            PrefixListId=raw["PrefixListId"],
        )
        lists.append(parse_prefix_list(raw, list(entries)))
    return tuple(lists)


def read_internet_gateways(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[InternetGateway, ...]:
    raws = _describe(
        clients,
        "describe_internet_gateways",
        "InternetGateways",
        page_size=page_size,
        filters=_vpc_filter(vpc_ids, "attachment.vpc-id"),
    )
    return parse_items(raws, parse_internet_gateway, "InternetGateways", skipped)


def read_nat_gateways(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[NatGateway, ...]:
    """NAT gateways that exist (deleted and failed ones linger in the API for a while)."""
    raws = _describe(
        clients,
        "describe_nat_gateways",
        "NatGateways",
        page_size=page_size,
        filters=_vpc_filter(vpc_ids),
    )
    live = (r for r in raws if r.get("State") not in _GONE_NAT_STATES)
    return parse_items(live, parse_nat_gateway, "NatGateways", skipped)


def read_peering_connections(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[VpcPeeringConnection, ...]:
    """Peerings that exist, touching one of ``vpc_ids`` from either side if given."""
    raws = _describe(
        clients,
        "describe_vpc_peering_connections",
        "VpcPeeringConnections",
        page_size=page_size,
        filters=[],
    )
    peerings = parse_items(
        (r for r in raws if (r.get("Status") or {}).get("Code") not in _GONE_PEERING_STATES),
        parse_peering_connection,
        "VpcPeeringConnections",
        skipped,
    )
    return tuple(
        p
        for p in peerings
        if vpc_ids is None or {p.requester_vpc_id, p.accepter_vpc_id} & set(vpc_ids)
    )


def read_transit_gateway_attachments(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[TransitGatewayAttachment, ...]:
    """VPC attachments that exist, with their subnets and options
    (DescribeTransitGatewayVpcAttachments: the evaluator follows only VPC attachments,
    and needs their SubnetIds and SecurityGroupReferencingSupport); with ``vpc_ids``,
    only those VPCs' attachments."""
    raws = _describe(
        clients,
        "describe_transit_gateway_vpc_attachments",
        "TransitGatewayVpcAttachments",
        page_size=page_size,
        filters=_vpc_filter(vpc_ids),
    )
    attachments = parse_items(
        (r for r in raws if r.get("State") not in _GONE_TGW_ATTACHMENT_STATES),
        parse_transit_gateway_attachment,
        "TransitGatewayVpcAttachments",
        skipped,
    )
    return tuple(a for a in attachments if vpc_ids is None or a.resource_id in vpc_ids)
