"""Gateways and endpoints beyond the internet and NAT gateways, read from AWS.

Egress-only internet gateways, transit gateways (their options) and their route tables,
VPC endpoints, Elastic IPs, virtual private gateways and VPN connections: pure
``parse_*`` functions (one item in, one model object out, like parse.py) and one
``read_*`` per type, each at the API's largest page. DescribeAddresses,
DescribeVpnGateways and DescribeVpnConnections have no pagination: one call each
answers for the whole region.

Transit-gateway route tables cost, with T tables and A attachments of the region's
transit gateways: ceil(T/1000) DescribeTransitGatewayRouteTables calls, ceil(A/1000)
DescribeTransitGatewayAttachments calls for every attachment's association (one call
for all, not GetTransitGatewayRouteTableAssociations per table), and one
SearchTransitGatewayRoutes per table (per 1000 routes). Propagations are not asked for
(GetTransitGatewayRouteTablePropagations would be a call per table): the routes they
propagate come back from SearchTransitGatewayRoutes as ``Type: propagated`` with their
attachment, which is what the evaluator follows and what ``propagations`` records.
Nothing is asked when the region has no transit gateway.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from netmend.aws.paging import iter_items, iter_pages, page_size_for
from netmend.aws.parse import attached_vpc_ids, parse_tags
from netmend.aws.readers import parse_items
from netmend.aws.session import AwsClients
from netmend.model import SkippedItem
from netmend.model.gateways import (
    EgressOnlyInternetGateway,
    ElasticIp,
    TransitGateway,
    TransitGatewayRoute,
    TransitGatewayRouteTable,
    VpcEndpoint,
    VpnConnection,
    VpnGateway,
)

__all__ = [
    "UNPAGED_OPERATIONS",
    "parse_egress_only_internet_gateway",
    "parse_elastic_ip",
    "parse_transit_gateway",
    "parse_transit_gateway_route",
    "parse_vpc_endpoint",
    "parse_vpn_connection",
    "parse_vpn_gateway",
    "read_egress_only_internet_gateways",
    "read_elastic_ips",
    "read_transit_gateway_route_tables",
    "read_transit_gateways",
    "read_vpc_endpoints",
    "read_vpn_connections",
    "read_vpn_gateways",
]

Raw = Mapping[str, Any]


def parse_egress_only_internet_gateway(raw: Raw) -> EgressOnlyInternetGateway:
    return EgressOnlyInternetGateway(
        egress_only_internet_gateway_id=raw["EgressOnlyInternetGatewayId"],
        vpc_ids=attached_vpc_ids(raw.get("Attachments"), default_state="attached"),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_transit_gateway(raw: Raw) -> TransitGateway:
    options = raw.get("Options") or {}
    return TransitGateway(
        transit_gateway_id=raw["TransitGatewayId"],
        state=raw.get("State", "available"),
        owner_id=raw.get("OwnerId"),
        security_group_referencing_support=options.get("SecurityGroupReferencingSupport")
        == "enable",
        tags=parse_tags(raw.get("Tags")),
    )


def parse_vpc_endpoint(raw: Raw) -> VpcEndpoint:
    return VpcEndpoint(
        vpc_endpoint_id=raw["VpcEndpointId"],
        vpc_id=raw["VpcId"],
        endpoint_type=raw.get("VpcEndpointType", "Interface"),
        service_name=raw.get("ServiceName", ""),
        state=str(raw.get("State", "available")).lower(),
        route_table_ids=tuple(str(r) for r in raw.get("RouteTableIds") or ()),
        subnet_ids=tuple(str(s) for s in raw.get("SubnetIds") or ()),
        group_ids=tuple(str(g["GroupId"]) for g in raw.get("Groups") or () if g.get("GroupId")),
        network_interface_ids=tuple(str(n) for n in raw.get("NetworkInterfaceIds") or ()),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_elastic_ip(raw: Raw) -> ElasticIp:
    return ElasticIp(
        public_ip=raw["PublicIp"],
        allocation_id=raw.get("AllocationId"),
        association_id=raw.get("AssociationId"),
        network_interface_id=raw.get("NetworkInterfaceId"),
        private_ip=raw.get("PrivateIpAddress"),
        instance_id=raw.get("InstanceId"),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_vpn_gateway(raw: Raw) -> VpnGateway:
    return VpnGateway(
        vpn_gateway_id=raw["VpnGatewayId"],
        state=raw.get("State", "available"),
        vpc_ids=attached_vpc_ids(raw.get("VpcAttachments"), default_state="attached"),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_vpn_connection(raw: Raw) -> VpnConnection:
    options = raw.get("Options") or {}
    return VpnConnection(
        vpn_connection_id=raw["VpnConnectionId"],
        state=raw.get("State", "available"),
        vpn_gateway_id=raw.get("VpnGatewayId"),
        transit_gateway_id=raw.get("TransitGatewayId"),
        static_routes_only=bool(options.get("StaticRoutesOnly", False)),
        static_routes=tuple(
            str(r["DestinationCidrBlock"])
            for r in raw.get("Routes") or ()
            if r.get("DestinationCidrBlock") and r.get("State", "available") != "deleted"
        ),
        tags=parse_tags(raw.get("Tags")),
    )


# Describe calls that have no MaxResults: one answer holds the whole region.
UNPAGED_OPERATIONS = frozenset(
    {"describe_addresses", "describe_vpn_gateways", "describe_vpn_connections"}
)

_GONE = frozenset({"deleted", "deleting", "failed", "rejected", "expired"})


def _paged(
    clients: AwsClients, operation: str, result_key: str, page_size: int | None, **params: Any
) -> list[dict[str, Any]]:
    return list(
        iter_items(
            clients.call,
            clients.ec2,
            operation,
            result_key,
            page_size=page_size_for(operation, page_size),
            **params,
        )
    )


def _unpaged(clients: AwsClients, operation: str, result_key: str) -> list[dict[str, Any]]:
    answer = clients.call(getattr(clients.ec2, operation))
    return list(answer.get(result_key) or ())


def _in_scope(vpc_ids: Collection[str] | None, *owners: str) -> bool:
    return vpc_ids is None or bool(set(owners) & set(vpc_ids))


def read_egress_only_internet_gateways(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[EgressOnlyInternetGateway, ...]:
    raws = _paged(
        clients, "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways", page_size
    )
    found = parse_items(
        raws, parse_egress_only_internet_gateway, "EgressOnlyInternetGateways", skipped
    )
    return tuple(g for g in found if _in_scope(vpc_ids, *g.vpc_ids))


def read_transit_gateways(
    clients: AwsClients, *, page_size: int | None = None, skipped: list[SkippedItem] | None = None
) -> tuple[TransitGateway, ...]:
    raws = _paged(clients, "describe_transit_gateways", "TransitGateways", page_size)
    live = (r for r in raws if r.get("State") not in _GONE)
    return parse_items(live, parse_transit_gateway, "TransitGateways", skipped)


def read_vpc_endpoints(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[VpcEndpoint, ...]:
    params: dict[str, Any] = {}
    if vpc_ids is not None:
        params["Filters"] = [{"Name": "vpc-id", "Values": sorted(vpc_ids)}]
    raws = _paged(clients, "describe_vpc_endpoints", "VpcEndpoints", page_size, **params)
    live = (r for r in raws if str(r.get("State", "")).lower() not in _GONE)
    return parse_items(live, parse_vpc_endpoint, "VpcEndpoints", skipped)


def read_elastic_ips(
    clients: AwsClients, *, skipped: list[SkippedItem] | None = None
) -> tuple[ElasticIp, ...]:
    raws = _unpaged(clients, "describe_addresses", "Addresses")
    return parse_items(raws, parse_elastic_ip, "Addresses", skipped)


def read_vpn_gateways(
    clients: AwsClients,
    *,
    vpc_ids: Collection[str] | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[VpnGateway, ...]:
    raws = _unpaged(clients, "describe_vpn_gateways", "VpnGateways")
    live = (r for r in raws if r.get("State") not in _GONE)
    found = parse_items(live, parse_vpn_gateway, "VpnGateways", skipped)
    return tuple(g for g in found if _in_scope(vpc_ids, *g.vpc_ids))


def read_vpn_connections(
    clients: AwsClients, *, skipped: list[SkippedItem] | None = None
) -> tuple[VpnConnection, ...]:
    raws = _unpaged(clients, "describe_vpn_connections", "VpnConnections")
    live = (r for r in raws if r.get("State") not in _GONE)
    return parse_items(live, parse_vpn_connection, "VpnConnections", skipped)


def parse_transit_gateway_route(raw: Raw) -> TransitGatewayRoute:
    """A route of SearchTransitGatewayRoutes."""
    leads = [a for a in raw.get("TransitGatewayAttachments") or () if isinstance(a, Mapping)]
    return TransitGatewayRoute(
        destination_cidr=raw.get("DestinationCidrBlock"),
        prefix_list_id=raw.get("PrefixListId"),
        state=raw.get("State", "active"),
        route_type=raw.get("Type", "static"),
        attachment_ids=tuple(
            str(a["TransitGatewayAttachmentId"])
            for a in leads
            if a.get("TransitGatewayAttachmentId")
        ),
        resource_ids=tuple(str(a["ResourceId"]) for a in leads if a.get("ResourceId")),
    )


def _search_routes(
    clients: AwsClients, table_id: str, page_size: int | None
) -> tuple[tuple[TransitGatewayRoute, ...], bool]:
    """The table's active and blackhole routes, and whether they are all of them."""
    routes: list[TransitGatewayRoute] = []
    complete = True
    for page in iter_pages(
        clients.call,
        clients.ec2,
        "search_transit_gateway_routes",
        page_size=page_size_for("search_transit_gateway_routes", page_size),
        TransitGatewayRouteTableId=table_id,
        Filters=[{"Name": "state", "Values": ["active", "blackhole"]}],
    ):
        routes += [parse_transit_gateway_route(r) for r in page.get("Routes") or ()]
        complete = not (page.get("AdditionalRoutesAvailable") and not page.get("NextToken"))
    return tuple(routes), complete


def read_transit_gateway_route_tables(
    clients: AwsClients,
    *,
    transit_gateway_ids: Collection[str],
    page_size: int | None = None,
    skipped: list[SkippedItem] | None = None,
) -> tuple[TransitGatewayRouteTable, ...]:
    """The route tables of these transit gateways, with the attachments associated with
    each and its routes (see the module docstring for the calls it costs)."""
    if not transit_gateway_ids:
        return ()
    by_gateway = [{"Name": "transit-gateway-id", "Values": sorted(transit_gateway_ids)}]
    raws = _paged(
        clients,
        "describe_transit_gateway_route_tables",
        "TransitGatewayRouteTables",
        page_size,
        Filters=by_gateway,
    )
    live = [r for r in raws if r.get("State") not in _GONE]
    if not live:
        return ()
    associated: dict[str, list[str]] = {}
    for attachment in _paged(
        clients,
        "describe_transit_gateway_attachments",
        "TransitGatewayAttachments",
        page_size,
        Filters=by_gateway,
    ):
        association = attachment.get("Association") or {}
        table_id = association.get("TransitGatewayRouteTableId")
        if table_id and association.get("State", "associated") == "associated":
            associated.setdefault(table_id, []).append(attachment["TransitGatewayAttachmentId"])

    def parse(raw: Raw) -> TransitGatewayRouteTable:
        table_id = raw["TransitGatewayRouteTableId"]
        routes, complete = _search_routes(clients, table_id, page_size)
        propagating = {a for r in routes if r.route_type == "propagated" for a in r.attachment_ids}
        return TransitGatewayRouteTable(
            transit_gateway_route_table_id=table_id,
            transit_gateway_id=raw["TransitGatewayId"],
            state=raw.get("State", "available"),
            default_association=bool(raw.get("DefaultAssociationRouteTable")),
            default_propagation=bool(raw.get("DefaultPropagationRouteTable")),
            associations=tuple(associated.get(table_id, ())),
            propagations=tuple(sorted(propagating)),
            routes=routes,
            routes_complete=complete,
            tags=parse_tags(raw.get("Tags")),
        )

    return parse_items(live, parse, "TransitGatewayRouteTables", skipped)
