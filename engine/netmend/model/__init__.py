"""The estate as netmend sees it: frozen pydantic models collected from AWS or a file."""

from __future__ import annotations

from netmend.model.balancing import (
    Listener,
    LoadBalancer,
    LoadBalancerZone,
    Target,
    TargetGroup,
    TargetHealth,
)
from netmend.model.compute import GROUPLESS_INTERFACE_TYPES, Instance, NetworkInterface
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
from netmend.model.inventory import SCHEMA_VERSION, Inventory, Quotas
from netmend.model.network import (
    AclEntry,
    AclRuleAction,
    InternetGateway,
    NatGateway,
    NetworkAcl,
    Route,
    RouteState,
    RouteTable,
    RouteTargetKind,
    Subnet,
    TransitGatewayAttachment,
    Vpc,
    VpcPeeringConnection,
)
from netmend.model.protocol import normalise_protocol, protocol_number
from netmend.model.security import ManagedPrefixList, PrefixListEntry, SecurityGroup, SgRule
from netmend.model.skipped import SkippedItem

__all__ = [
    "GROUPLESS_INTERFACE_TYPES",
    "SCHEMA_VERSION",
    "AclEntry",
    "AclRuleAction",
    "EgressOnlyInternetGateway",
    "ElasticIp",
    "Instance",
    "InternetGateway",
    "Inventory",
    "Listener",
    "LoadBalancer",
    "LoadBalancerZone",
    "ManagedPrefixList",
    "NatGateway",
    "NetworkAcl",
    "NetworkInterface",
    "PrefixListEntry",
    "Quotas",
    "Route",
    "RouteState",
    "RouteTable",
    "RouteTargetKind",
    "SecurityGroup",
    "SgRule",
    "SkippedItem",
    "Subnet",
    "Target",
    "TargetGroup",
    "TargetHealth",
    "TransitGateway",
    "TransitGatewayAttachment",
    "TransitGatewayRoute",
    "TransitGatewayRouteTable",
    "Vpc",
    "VpcEndpoint",
    "VpcPeeringConnection",
    "VpnConnection",
    "VpnGateway",
    "normalise_protocol",
    "protocol_number",
]
