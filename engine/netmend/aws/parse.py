"""AWS describe-call items (the dicts boto3 returns) turned into the estate model.

Pure functions, no calls: each takes one item as the EC2 API returns it. Items in
states that carry no traffic (deleted gateways, rejected peerings) are the readers'
business to skip, not these functions'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from netmend.model import (
    AclEntry,
    AclRuleAction,
    Instance,
    InternetGateway,
    ManagedPrefixList,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    PrefixListEntry,
    Route,
    RouteState,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    Subnet,
    TransitGatewayAttachment,
    Vpc,
    VpcPeeringConnection,
    normalise_protocol,
)
from netmend.model.protocol import PORTED_PROTOCOLS

__all__ = [
    "attached_vpc_ids",
    "parse_acl_entry",
    "parse_instance",
    "parse_internet_gateway",
    "parse_nat_gateway",
    "parse_network_acl",
    "parse_network_interface",
    "parse_peering_connection",
    "parse_prefix_list",
    "parse_route",
    "parse_route_table",
    "parse_security_group",
    "parse_sg_rule",
    "parse_subnet",
    "parse_tags",
    "parse_transit_gateway_attachment",
    "parse_vpc",
    "route_target",
]

Raw = Mapping[str, Any]

_ASSOCIATED = "associated"


def parse_tags(tags: Iterable[Raw] | None) -> dict[str, str]:
    """AWS's ``[{"Key": k, "Value": v}]`` as a dict."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or () if "Key" in t}


def _associated(blocks: Iterable[Raw] | None, key: str, state_key: str) -> tuple[str, ...]:
    # CIDR association sets keep disassociated blocks for a while; they route nothing.
    return tuple(
        str(b[key])
        for b in blocks or ()
        if key in b and b.get(state_key, {}).get("State", _ASSOCIATED) == _ASSOCIATED
    )


def parse_vpc(raw: Raw) -> Vpc:
    ipv4 = list(_associated(raw.get("CidrBlockAssociationSet"), "CidrBlock", "CidrBlockState"))
    primary = raw.get("CidrBlock")
    if primary:  # the primary block first, as AWS lists it on its own
        ipv4 = [primary, *(c for c in ipv4 if c != primary)]
    return Vpc(
        vpc_id=raw["VpcId"],
        cidr_blocks=tuple(ipv4),
        ipv6_cidr_blocks=_associated(
            raw.get("Ipv6CidrBlockAssociationSet"), "Ipv6CidrBlock", "Ipv6CidrBlockState"
        ),
        is_default=bool(raw.get("IsDefault", False)),
        owner_id=raw.get("OwnerId"),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_subnet(raw: Raw) -> Subnet:
    return Subnet(
        subnet_id=raw["SubnetId"],
        vpc_id=raw["VpcId"],
        # An IPv6-only subnet (Ipv6Native) has no CidrBlock.
        cidr_block=raw.get("CidrBlock"),
        ipv6_cidr_blocks=_associated(
            raw.get("Ipv6CidrBlockAssociationSet"), "Ipv6CidrBlock", "Ipv6CidrBlockState"
        ),
        availability_zone=raw.get("AvailabilityZone"),
        ipv6_native=bool(raw.get("Ipv6Native", False)),
        tags=parse_tags(raw.get("Tags")),
    )


# Route fields naming a target, in the order they are tried. NetworkInterfaceId comes
# before InstanceId: a route to an instance is stored as a route to its ENI, and AWS
# returns both; the ENI is what forwards (and what source/dest check applies to).
_TARGET_FIELDS: tuple[tuple[str, RouteTargetKind], ...] = (
    ("NatGatewayId", RouteTargetKind.NAT_GATEWAY),
    ("TransitGatewayId", RouteTargetKind.TRANSIT_GATEWAY),
    ("VpcPeeringConnectionId", RouteTargetKind.VPC_PEERING),
    ("EgressOnlyInternetGatewayId", RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY),
    ("CarrierGatewayId", RouteTargetKind.CARRIER_GATEWAY),
    ("LocalGatewayId", RouteTargetKind.LOCAL_GATEWAY),
    ("CoreNetworkArn", RouteTargetKind.CORE_NETWORK),
    ("NetworkInterfaceId", RouteTargetKind.NETWORK_INTERFACE),
    ("InstanceId", RouteTargetKind.INSTANCE),
)

# What a GatewayId is, by its prefix (GatewayId carries several kinds of target).
_GATEWAY_PREFIXES: tuple[tuple[str, RouteTargetKind], ...] = (
    ("igw-", RouteTargetKind.INTERNET_GATEWAY),
    ("eigw-", RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY),
    ("vgw-", RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY),
    ("vpce-", RouteTargetKind.VPC_ENDPOINT),
    ("nat-", RouteTargetKind.NAT_GATEWAY),
    ("tgw-", RouteTargetKind.TRANSIT_GATEWAY),
    ("cagw-", RouteTargetKind.CARRIER_GATEWAY),
    ("lgw-", RouteTargetKind.LOCAL_GATEWAY),
)


def route_target(raw: Raw) -> tuple[RouteTargetKind, str | None]:
    """The kind and id of a route's target (``("local", None)`` for the local route)."""
    gateway = raw.get("GatewayId")
    if gateway == "local":
        return RouteTargetKind.LOCAL, None
    if gateway:
        for prefix, kind in _GATEWAY_PREFIXES:
            if str(gateway).startswith(prefix):
                return kind, str(gateway)
    for field, kind in _TARGET_FIELDS:
        if raw.get(field):
            return kind, str(raw[field])
    return RouteTargetKind.UNKNOWN, str(gateway) if gateway else None


def parse_route(raw: Raw) -> Route:
    kind, target = route_target(raw)
    state = RouteState.BLACKHOLE if raw.get("State") == "blackhole" else RouteState.ACTIVE
    return Route(
        destination_cidr=raw.get("DestinationCidrBlock"),
        destination_ipv6_cidr=raw.get("DestinationIpv6CidrBlock"),
        destination_prefix_list_id=raw.get("DestinationPrefixListId"),
        target_kind=kind,
        target_id=target,
        state=state,
        origin=raw.get("Origin"),
    )


def _has_destination(raw: Raw) -> bool:
    return any(
        raw.get(k)
        for k in ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")
    )


def parse_route_table(raw: Raw) -> RouteTable:
    associations = [
        a
        for a in raw.get("Associations") or ()
        if a.get("AssociationState", {}).get("State", _ASSOCIATED) == _ASSOCIATED
    ]
    return RouteTable(
        route_table_id=raw["RouteTableId"],
        vpc_id=raw["VpcId"],
        routes=tuple(parse_route(r) for r in raw.get("Routes") or () if _has_destination(r)),
        # Gateway (edge) associations have no SubnetId and route no subnet's traffic.
        subnet_ids=tuple(str(a["SubnetId"]) for a in associations if a.get("SubnetId")),
        is_main=any(bool(a.get("Main")) for a in associations),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_acl_entry(raw: Raw) -> AclEntry:
    ports = raw.get("PortRange") or {}
    icmp = raw.get("IcmpTypeCode") or {}
    return AclEntry(
        rule_number=int(raw["RuleNumber"]),
        egress=bool(raw["Egress"]),
        protocol=str(raw["Protocol"]),
        rule_action=AclRuleAction(str(raw["RuleAction"]).lower()),
        cidr=raw.get("CidrBlock") or raw["Ipv6CidrBlock"],
        port_from=ports.get("From"),
        port_to=ports.get("To"),
        icmp_type=icmp.get("Type"),
        icmp_code=icmp.get("Code"),
    )


def parse_network_acl(raw: Raw) -> NetworkAcl:
    return NetworkAcl(
        network_acl_id=raw["NetworkAclId"],
        vpc_id=raw["VpcId"],
        is_default=bool(raw.get("IsDefault", False)),
        entries=tuple(parse_acl_entry(e) for e in raw.get("Entries") or ()),
        subnet_ids=tuple(
            str(a["SubnetId"]) for a in raw.get("Associations") or () if a.get("SubnetId")
        ),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_sg_rule(raw: Raw) -> SgRule:
    """One item of DescribeSecurityGroupRules (one peer per rule, with its sgr- id).

    Ports are kept only for protocols that have them: AWS reports -1/-1 for "all" and
    for other protocol numbers, which admit every port whatever the range says.
    """
    protocol = normalise_protocol(raw["IpProtocol"])
    ported = protocol in PORTED_PROTOCOLS
    referenced = raw.get("ReferencedGroupInfo") or {}
    return SgRule(
        group_id=raw["GroupId"],
        egress=bool(raw["IsEgress"]),
        protocol=protocol,
        from_port=raw.get("FromPort") if ported else None,
        to_port=raw.get("ToPort") if ported else None,
        rule_id=raw.get("SecurityGroupRuleId"),
        cidr_ipv4=raw.get("CidrIpv4"),
        cidr_ipv6=raw.get("CidrIpv6"),
        referenced_group_id=referenced.get("GroupId"),
        referenced_user_id=referenced.get("UserId"),
        referenced_vpc_id=referenced.get("VpcId"),
        peering_status=referenced.get("PeeringStatus"),
        prefix_list_id=raw.get("PrefixListId"),
        description=raw.get("Description") or None,
        tags=parse_tags(raw.get("Tags")),
    )


def parse_security_group(raw: Raw, rules: Iterable[SgRule] = ()) -> SecurityGroup:
    """A group from DescribeSecurityGroups with its rules (read separately, by rule)."""
    return SecurityGroup(
        group_id=raw["GroupId"],
        group_name=raw.get("GroupName", ""),
        vpc_id=raw.get("VpcId"),
        description=raw.get("Description", ""),
        owner_id=raw.get("OwnerId"),
        rules=tuple(rules),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_network_interface(raw: Raw) -> NetworkInterface:
    addresses = sorted(raw.get("PrivateIpAddresses") or (), key=lambda a: not a.get("Primary"))
    private_ips = tuple(str(a["PrivateIpAddress"]) for a in addresses if a.get("PrivateIpAddress"))
    if not private_ips and raw.get("PrivateIpAddress"):
        private_ips = (str(raw["PrivateIpAddress"]),)
    public_ips = {
        str(a["PrivateIpAddress"]): str(a["Association"]["PublicIp"])
        for a in addresses
        if a.get("PrivateIpAddress") and (a.get("Association") or {}).get("PublicIp")
    }
    attachment = raw.get("Attachment") or {}
    attachment_status = attachment.get("Status")
    # A detached attachment no longer ties the ENI to its (possibly gone) instance.
    instance_id = attachment.get("InstanceId") if attachment_status != "detached" else None
    return NetworkInterface(
        network_interface_id=raw["NetworkInterfaceId"],
        subnet_id=raw["SubnetId"],
        vpc_id=raw["VpcId"],
        private_ips=private_ips,
        ipv6_addresses=tuple(
            str(a["Ipv6Address"]) for a in raw.get("Ipv6Addresses") or () if a.get("Ipv6Address")
        ),
        public_ip=(raw.get("Association") or {}).get("PublicIp"),
        public_ips=public_ips,
        ipv4_prefixes=tuple(
            str(p["Ipv4Prefix"]) for p in raw.get("Ipv4Prefixes") or () if p.get("Ipv4Prefix")
        ),
        ipv6_prefixes=tuple(
            str(p["Ipv6Prefix"]) for p in raw.get("Ipv6Prefixes") or () if p.get("Ipv6Prefix")
        ),
        availability_zone=raw.get("AvailabilityZone"),
        requester_managed=bool(raw.get("RequesterManaged", False)),
        deny_all_igw_traffic=bool(raw.get("DenyAllIgwTraffic", False)),
        group_ids=tuple(str(g["GroupId"]) for g in raw.get("Groups") or () if g.get("GroupId")),
        instance_id=instance_id,
        attachment_status=attachment_status,
        device_index=attachment.get("DeviceIndex"),
        status=raw.get("Status", "in-use"),
        interface_type=raw.get("InterfaceType", "interface"),
        source_dest_check=bool(raw.get("SourceDestCheck", True)),
        description=raw.get("Description") or "",
        tags=parse_tags(raw.get("TagSet") or raw.get("Tags")),  # ENIs call them TagSet
    )


def parse_instance(raw: Raw) -> Instance:
    interfaces = sorted(
        raw.get("NetworkInterfaces") or (),
        key=lambda n: (n.get("Attachment") or {}).get("DeviceIndex", 0),
    )
    return Instance(
        instance_id=raw["InstanceId"],
        state=(raw.get("State") or {}).get("Name", "running"),
        vpc_id=raw.get("VpcId"),
        subnet_id=raw.get("SubnetId"),
        private_ip=raw.get("PrivateIpAddress"),
        public_ip=raw.get("PublicIpAddress"),
        network_interface_ids=tuple(str(n["NetworkInterfaceId"]) for n in interfaces),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_prefix_list(raw: Raw, entries: Iterable[Raw] = ()) -> ManagedPrefixList:
    return ManagedPrefixList(
        prefix_list_id=raw["PrefixListId"],
        prefix_list_name=raw.get("PrefixListName", ""),
        address_family=raw.get("AddressFamily", "IPv4"),
        max_entries=raw.get("MaxEntries"),
        owner_id=raw.get("OwnerId"),
        entries=tuple(
            PrefixListEntry(cidr=e["Cidr"], description=e.get("Description") or None)
            for e in entries
        ),
        tags=parse_tags(raw.get("Tags")),
    )


def attached_vpc_ids(
    attachments: Iterable[Raw] | None, *, default_state: str | None = None
) -> tuple[str, ...]:
    """The VPCs of a gateway's attachments that are in place ("attached" or "available");
    ``default_state`` for answers that leave State out (egress-only and VPN gateways)."""
    return tuple(
        str(a["VpcId"])
        for a in attachments or ()
        if a.get("VpcId") and a.get("State", default_state) in ("available", "attached")
    )


def parse_internet_gateway(raw: Raw) -> InternetGateway:
    return InternetGateway(
        internet_gateway_id=raw["InternetGatewayId"],
        vpc_ids=attached_vpc_ids(raw.get("Attachments")),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_nat_gateway(raw: Raw) -> NatGateway:
    addresses = raw.get("NatGatewayAddresses") or ()
    return NatGateway(
        nat_gateway_id=raw["NatGatewayId"],
        vpc_id=raw["VpcId"],
        subnet_id=raw["SubnetId"],
        state=raw.get("State", "available"),
        connectivity_type=raw.get("ConnectivityType") or "public",
        private_ips=tuple(str(a["PrivateIp"]) for a in addresses if a.get("PrivateIp")),
        public_ips=tuple(str(a["PublicIp"]) for a in addresses if a.get("PublicIp")),
        tags=parse_tags(raw.get("Tags")),
    )


def _peer_cidrs(info: Raw) -> tuple[str, ...]:
    cidrs = [str(c["CidrBlock"]) for c in info.get("CidrBlockSet") or () if c.get("CidrBlock")]
    if not cidrs and info.get("CidrBlock"):
        cidrs = [str(info["CidrBlock"])]
    cidrs += [
        str(c["Ipv6CidrBlock"])
        for c in info.get("Ipv6CidrBlockSet") or ()
        if c.get("Ipv6CidrBlock")
    ]
    return tuple(cidrs)


def parse_peering_connection(raw: Raw) -> VpcPeeringConnection:
    requester = raw.get("RequesterVpcInfo") or {}
    accepter = raw.get("AccepterVpcInfo") or {}
    return VpcPeeringConnection(
        vpc_peering_connection_id=raw["VpcPeeringConnectionId"],
        requester_vpc_id=requester["VpcId"],
        requester_cidr_blocks=_peer_cidrs(requester),
        accepter_vpc_id=accepter["VpcId"],
        accepter_cidr_blocks=_peer_cidrs(accepter),
        status=(raw.get("Status") or {}).get("Code", "active"),
        tags=parse_tags(raw.get("Tags")),
    )


def parse_transit_gateway_attachment(raw: Raw) -> TransitGatewayAttachment:
    """An item of DescribeTransitGatewayVpcAttachments (VpcId, SubnetIds, Options) or of
    DescribeTransitGatewayAttachments (ResourceType, ResourceId)."""
    options = raw.get("Options") or {}
    return TransitGatewayAttachment(
        transit_gateway_attachment_id=raw["TransitGatewayAttachmentId"],
        transit_gateway_id=raw["TransitGatewayId"],
        resource_type=raw.get("ResourceType", "vpc"),
        resource_id=raw.get("ResourceId") or raw.get("VpcId"),
        state=raw.get("State", "available"),
        subnet_ids=tuple(str(s) for s in raw.get("SubnetIds") or ()),
        security_group_referencing_support=options.get("SecurityGroupReferencingSupport")
        == "enable",
        appliance_mode_support=options.get("ApplianceModeSupport") == "enable",
        tags=parse_tags(raw.get("Tags")),
    )
