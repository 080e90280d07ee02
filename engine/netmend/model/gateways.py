"""Gateways and endpoints beyond the internet and NAT gateways: what real accounts have.

Egress-only internet gateways, transit gateways (their own options), VPC endpoints,
Elastic IPs, virtual private gateways and VPN connections. Each is read from its own
describe call; the evaluator uses them to follow routes that name them and to resolve
public addresses (Elastic IPs) to the private address they are translated to.
"""

from __future__ import annotations

from pydantic import Field

from netmend.model.frozen import FrozenModel

__all__ = [
    "EgressOnlyInternetGateway",
    "ElasticIp",
    "TransitGateway",
    "TransitGatewayRoute",
    "TransitGatewayRouteTable",
    "VpcEndpoint",
    "VpnConnection",
    "VpnGateway",
]


class EgressOnlyInternetGateway(FrozenModel):
    """IPv6 out, and the replies back in; nothing from the internet starts a connection."""

    egress_only_internet_gateway_id: str
    vpc_ids: tuple[str, ...] = ()  # attachments in state "attached"
    tags: dict[str, str] = Field(default_factory=dict)


class TransitGateway(FrozenModel):
    transit_gateway_id: str
    state: str = "available"
    owner_id: str | None = None
    # Options.SecurityGroupReferencingSupport: off by default; references across the
    # gateway match only when it and both VPC attachments enable it.
    security_group_referencing_support: bool = False
    tags: dict[str, str] = Field(default_factory=dict)


class TransitGatewayRoute(FrozenModel):
    """One route of a transit-gateway route table (SearchTransitGatewayRoutes)."""

    destination_cidr: str | None = None  # DestinationCidrBlock
    prefix_list_id: str | None = None
    state: str = "active"  # active | blackhole (pending/deleting/deleted are not read)
    route_type: str = "static"  # static | propagated
    attachment_ids: tuple[str, ...] = ()  # TransitGatewayAttachments[].TransitGatewayAttachmentId
    resource_ids: tuple[str, ...] = ()  # the VPC, VPN, ... each attachment leads to


class TransitGatewayRouteTable(FrozenModel):
    """A transit gateway's route table: the attachments associated with it (whose traffic
    it routes), those propagating into it, and its routes."""

    transit_gateway_route_table_id: str
    transit_gateway_id: str
    state: str = "available"
    default_association: bool = False
    default_propagation: bool = False
    associations: tuple[str, ...] = ()  # attachment ids
    propagations: tuple[str, ...] = ()  # attachment ids
    routes: tuple[TransitGatewayRoute, ...] = ()
    # SearchTransitGatewayRoutes says AdditionalRoutesAvailable past 1000 routes: a
    # destination no route read covers is then unknown, not unroutable.
    routes_complete: bool = True
    tags: dict[str, str] = Field(default_factory=dict)


class VpcEndpoint(FrozenModel):
    """A gateway endpoint (routes to a prefix list) or an interface endpoint (ENIs)."""

    vpc_endpoint_id: str
    vpc_id: str
    endpoint_type: str = "Interface"  # Interface | Gateway | GatewayLoadBalancer | ...
    service_name: str = ""
    state: str = "available"
    route_table_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    network_interface_ids: tuple[str, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)


class ElasticIp(FrozenModel):
    """An Elastic IP and the private address the internet gateway translates it to."""

    public_ip: str
    allocation_id: str | None = None
    association_id: str | None = None
    network_interface_id: str | None = None
    private_ip: str | None = None
    instance_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class VpnGateway(FrozenModel):
    vpn_gateway_id: str
    state: str = "available"
    vpc_ids: tuple[str, ...] = ()  # attachments in state "attached"
    tags: dict[str, str] = Field(default_factory=dict)


class VpnConnection(FrozenModel):
    """A site-to-site VPN: static routes are visible to the API, BGP-learned ones are not."""

    vpn_connection_id: str
    state: str = "available"
    vpn_gateway_id: str | None = None
    transit_gateway_id: str | None = None
    static_routes_only: bool = False
    static_routes: tuple[str, ...] = ()  # DestinationCidrBlock of routes not deleted
    tags: dict[str, str] = Field(default_factory=dict)
