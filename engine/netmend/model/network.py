"""VPCs, subnets, route tables, network ACLs and the gateways routes point at."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from netmend.model.addresses import Cidr
from netmend.model.frozen import FrozenModel
from netmend.model.protocol import ALL, normalise_protocol

__all__ = [
    "AclEntry",
    "AclRuleAction",
    "InternetGateway",
    "NatGateway",
    "NetworkAcl",
    "Route",
    "RouteState",
    "RouteTable",
    "RouteTargetKind",
    "Subnet",
    "TransitGatewayAttachment",
    "Vpc",
    "VpcPeeringConnection",
]

# The default "*" entries AWS puts at the end of every ACL; they cannot be changed.
DEFAULT_DENY_RULE_NUMBERS = frozenset({32767, 32768})


class Vpc(FrozenModel):
    vpc_id: str
    cidr_blocks: tuple[str, ...]
    ipv6_cidr_blocks: tuple[str, ...] = ()
    is_default: bool = False
    owner_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class Subnet(FrozenModel):
    subnet_id: str
    vpc_id: str
    cidr_block: str | None = None  # an IPv6-only subnet (Ipv6Native) has none
    ipv6_cidr_blocks: tuple[str, ...] = ()
    availability_zone: str | None = None
    ipv6_native: bool = False
    tags: dict[str, str] = Field(default_factory=dict)


class RouteTargetKind(StrEnum):
    """Where a route sends traffic, by the kind of its target."""

    LOCAL = "local"
    INTERNET_GATEWAY = "internet-gateway"
    EGRESS_ONLY_INTERNET_GATEWAY = "egress-only-internet-gateway"
    NAT_GATEWAY = "nat-gateway"
    VPC_PEERING = "vpc-peering"
    TRANSIT_GATEWAY = "transit-gateway"
    VIRTUAL_PRIVATE_GATEWAY = "virtual-private-gateway"
    NETWORK_INTERFACE = "network-interface"
    INSTANCE = "instance"
    VPC_ENDPOINT = "vpc-endpoint"
    CARRIER_GATEWAY = "carrier-gateway"
    LOCAL_GATEWAY = "local-gateway"
    CORE_NETWORK = "core-network"
    UNKNOWN = "unknown"


class RouteState(StrEnum):
    ACTIVE = "active"
    BLACKHOLE = "blackhole"


class Route(FrozenModel):
    """One route; exactly one destination (IPv4 CIDR, IPv6 CIDR or prefix list)."""

    destination_cidr: str | None = None
    destination_ipv6_cidr: str | None = None
    destination_prefix_list_id: str | None = None
    target_kind: RouteTargetKind
    target_id: str | None = None
    state: RouteState = RouteState.ACTIVE
    # CreateRouteTable / CreateRoute (static) or EnableVgwRoutePropagation (propagated).
    origin: str | None = None

    @property
    def propagated(self) -> bool:
        return self.origin == "EnableVgwRoutePropagation"

    @model_validator(mode="after")
    def _one_destination(self) -> Route:
        given = [
            d
            for d in (
                self.destination_cidr,
                self.destination_ipv6_cidr,
                self.destination_prefix_list_id,
            )
            if d is not None
        ]
        if len(given) != 1:
            raise ValueError("a route has exactly one destination")
        return self

    @property
    def destination(self) -> str:
        return (
            self.destination_cidr
            or self.destination_ipv6_cidr
            or self.destination_prefix_list_id
            or ""
        )


class RouteTable(FrozenModel):
    route_table_id: str
    vpc_id: str
    routes: tuple[Route, ...] = ()
    subnet_ids: tuple[str, ...] = ()  # explicit associations only
    is_main: bool = False
    tags: dict[str, str] = Field(default_factory=dict)


class AclRuleAction(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class AclEntry(FrozenModel):
    """One network-ACL entry; ``cidr`` is IPv4 or IPv6 (IPv6 entries are separate)."""

    rule_number: int = Field(ge=1, le=32768)
    egress: bool
    protocol: str
    rule_action: AclRuleAction
    cidr: Cidr  # canonicalised, as AWS stores it (10.0.1.7/24 becomes 10.0.1.0/24)
    port_from: int | None = None
    port_to: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: str | int) -> str:
        return normalise_protocol(value)

    @property
    def is_default_deny(self) -> bool:
        return self.rule_number in DEFAULT_DENY_RULE_NUMBERS

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.cidr

    @property
    def all_traffic(self) -> bool:
        return self.protocol == ALL


class NetworkAcl(FrozenModel):
    network_acl_id: str
    vpc_id: str
    is_default: bool = False
    entries: tuple[AclEntry, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)

    def ordered(self, *, egress: bool) -> tuple[AclEntry, ...]:
        """Entries of one direction in evaluation order (ascending rule number)."""
        return tuple(
            sorted((e for e in self.entries if e.egress == egress), key=lambda e: e.rule_number)
        )


class InternetGateway(FrozenModel):
    internet_gateway_id: str
    vpc_ids: tuple[str, ...] = ()  # attachments in state "available"/"attached"
    tags: dict[str, str] = Field(default_factory=dict)


class NatGateway(FrozenModel):
    nat_gateway_id: str
    vpc_id: str
    subnet_id: str
    state: str = "available"
    connectivity_type: str = "public"  # "private": never reaches the internet
    private_ips: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)


class VpcPeeringConnection(FrozenModel):
    vpc_peering_connection_id: str
    requester_vpc_id: str
    requester_cidr_blocks: tuple[str, ...] = ()
    accepter_vpc_id: str
    accepter_cidr_blocks: tuple[str, ...] = ()
    status: str = "active"
    tags: dict[str, str] = Field(default_factory=dict)


class TransitGatewayAttachment(FrozenModel):
    transit_gateway_attachment_id: str
    transit_gateway_id: str
    resource_type: str = "vpc"
    resource_id: str | None = None  # the VPC id for VPC attachments
    state: str = "available"
    # VPC attachments (DescribeTransitGatewayVpcAttachments): the subnets, one per AZ,
    # through which the gateway reaches the VPC, and the attachment's options.
    subnet_ids: tuple[str, ...] = ()
    security_group_referencing_support: bool = False
    appliance_mode_support: bool = False
    tags: dict[str, str] = Field(default_factory=dict)
