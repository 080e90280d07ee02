"""Terse estates for evaluator tests: a VPC, subnets, groups, ENIs, ACLs, routes.

``Estate()`` starts with vpc-1 (10.0.0.0/16), its default ACL ``acl-default`` (allow
everything both ways) and its main route table ``rtb-main`` (local route only). Rules and
entries are written the way an engineer reads them::

    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-web", ingress("tcp", 443, "10.0.0.0/16"), egress("-1"))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-web")
    inventory = estate.build()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netmend.model import (
    AclEntry,
    Instance,
    InternetGateway,
    Inventory,
    ManagedPrefixList,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    PrefixListEntry,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    Subnet,
    TransitGatewayAttachment,
    Vpc,
    VpcPeeringConnection,
)
from netmend.reach import Flow, make_flow

__all__ = [
    "Estate",
    "allow",
    "deny",
    "egress",
    "flow",
    "ingress",
    "route",
]

Ports = int | tuple[int, int] | None


@dataclass(frozen=True)
class RuleSpec:
    egress: bool
    protocol: str
    ports: Ports
    peer: str

    def rule(self, group_id: str, index: int) -> SgRule:
        lo, hi = _port_pair(self.protocol, self.ports)
        peer: dict[str, Any]
        if self.peer.startswith("sg-"):
            peer = {"referenced_group_id": self.peer}
        elif self.peer.startswith("pl-"):
            peer = {"prefix_list_id": self.peer}
        elif ":" in self.peer:
            peer = {"cidr_ipv6": self.peer}
        else:
            peer = {"cidr_ipv4": self.peer}
        return SgRule(
            group_id=group_id,
            egress=self.egress,
            protocol=self.protocol,
            from_port=lo,
            to_port=hi,
            rule_id=f"sgr-{group_id[3:]}-{index}",
            **peer,
        )


def _port_pair(protocol: str, ports: Ports) -> tuple[int | None, int | None]:
    if ports is None:
        return (-1, -1) if protocol in ("icmp", "icmpv6") else (None, None)
    if isinstance(ports, int):
        return (ports, -1) if protocol in ("icmp", "icmpv6") else (ports, ports)
    return ports


def ingress(protocol: str = "-1", ports: Ports = None, peer: str = "0.0.0.0/0") -> RuleSpec:
    """An inbound rule; ICMP ``ports`` are ``type`` or ``(type, code)``; None: all."""
    return RuleSpec(False, protocol, ports, peer)


def egress(protocol: str = "-1", ports: Ports = None, peer: str = "0.0.0.0/0") -> RuleSpec:
    """An outbound rule (defaults: all traffic to 0.0.0.0/0, as a new group has)."""
    return RuleSpec(True, protocol, ports, peer)


def _entry(
    action: str, number: int, protocol: str, ports: Ports, cidr: str, egress: bool
) -> AclEntry:
    icmp_type = icmp_code = port_from = port_to = None
    if protocol in ("icmp", "icmpv6", "1", "58"):
        icmp_type, icmp_code = (
            (-1, -1) if ports is None else ((ports, -1) if isinstance(ports, int) else ports)
        )
    elif ports is not None:
        port_from, port_to = (ports, ports) if isinstance(ports, int) else ports
    elif protocol in ("tcp", "udp", "6", "17"):
        port_from, port_to = 0, 65535
    return AclEntry(
        rule_number=number,
        egress=egress,
        protocol=protocol,
        rule_action=action,
        cidr=cidr,
        port_from=port_from,
        port_to=port_to,
        icmp_type=icmp_type,
        icmp_code=icmp_code,
    )


def allow(
    number: int,
    protocol: str = "-1",
    ports: Ports = None,
    cidr: str = "0.0.0.0/0",
    *,
    out: bool = False,
) -> AclEntry:
    """An ACL allow entry (inbound unless ``out``)."""
    return _entry("allow", number, protocol, ports, cidr, out)


def deny(
    number: int,
    protocol: str = "-1",
    ports: Ports = None,
    cidr: str = "0.0.0.0/0",
    *,
    out: bool = False,
) -> AclEntry:
    """An ACL deny entry (inbound unless ``out``)."""
    return _entry("deny", number, protocol, ports, cidr, out)


_TARGETS = {
    "igw-": RouteTargetKind.INTERNET_GATEWAY,
    "eigw-": RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY,
    "nat-": RouteTargetKind.NAT_GATEWAY,
    "pcx-": RouteTargetKind.VPC_PEERING,
    "tgw-": RouteTargetKind.TRANSIT_GATEWAY,
    "eni-": RouteTargetKind.NETWORK_INTERFACE,
    "vgw-": RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY,
}


def route(destination: str, target: str = "local", *, blackhole: bool = False) -> Route:
    """A route; the target's prefix (igw-, nat-, pcx-, tgw-, ...) gives its kind."""
    kind = (
        RouteTargetKind.LOCAL
        if target == "local"
        else next(
            (k for prefix, k in _TARGETS.items() if target.startswith(prefix)),
            RouteTargetKind.UNKNOWN,
        )
    )
    where: dict[str, str]
    if destination.startswith("pl-"):
        where = {"destination_prefix_list_id": destination}
    elif ":" in destination:
        where = {"destination_ipv6_cidr": destination}
    else:
        where = {"destination_cidr": destination}
    return Route(
        target_kind=kind, target_id=target, state="blackhole" if blackhole else "active", **where
    )


def _open_acl_entries(ipv6: bool) -> list[AclEntry]:
    entries = [
        allow(100, out=False),
        allow(100, out=True),
        deny(32767, out=False),
        deny(32767, out=True),
    ]
    if ipv6:
        entries += [
            allow(101, cidr="::/0"),
            allow(101, cidr="::/0", out=True),
            deny(32768, cidr="::/0"),
            deny(32768, cidr="::/0", out=True),
        ]
    return entries


@dataclass
class Estate:
    region: str = "eu-west-1"
    vpcs: list[Vpc] = field(default_factory=list)
    subnets: list[Subnet] = field(default_factory=list)
    groups: list[SecurityGroup] = field(default_factory=list)
    enis: list[NetworkInterface] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    acls: list[NetworkAcl] = field(default_factory=list)
    tables: list[RouteTable] = field(default_factory=list)
    prefix_lists: list[ManagedPrefixList] = field(default_factory=list)
    igws: list[InternetGateway] = field(default_factory=list)
    nats: list[NatGateway] = field(default_factory=list)
    peerings: list[VpcPeeringConnection] = field(default_factory=list)
    attachments: list[TransitGatewayAttachment] = field(default_factory=list)
    with_default_vpc: bool = True

    def __post_init__(self) -> None:
        if self.with_default_vpc:
            self.vpc("vpc-1", "10.0.0.0/16")

    def vpc(
        self, vpc_id: str, cidr: str, *, ipv6_cidr: str | None = None, default_acl: bool = True
    ) -> str:
        """A VPC with a main route table ``rtb-main``/``rtb-main-<vpc>`` holding the local
        route(s) and, unless ``default_acl`` is False, an allow-all default ACL."""
        self.vpcs.append(
            Vpc(
                vpc_id=vpc_id,
                cidr_blocks=(cidr,),
                ipv6_cidr_blocks=(ipv6_cidr,) if ipv6_cidr else (),
            )
        )
        suffix = "" if vpc_id == "vpc-1" else f"-{vpc_id}"
        routes = [route(cidr)] + ([route(ipv6_cidr)] if ipv6_cidr else [])
        self.tables.append(
            RouteTable(
                route_table_id=f"rtb-main{suffix}",
                vpc_id=vpc_id,
                routes=tuple(routes),
                is_main=True,
            )
        )
        if default_acl:
            self.acls.append(
                NetworkAcl(
                    network_acl_id=f"acl-default{suffix}",
                    vpc_id=vpc_id,
                    is_default=True,
                    entries=tuple(_open_acl_entries(bool(ipv6_cidr))),
                )
            )
        return vpc_id

    def subnet(
        self, subnet_id: str, cidr: str, *, vpc: str = "vpc-1", ipv6_cidr: str | None = None
    ) -> str:
        self.subnets.append(
            Subnet(
                subnet_id=subnet_id,
                vpc_id=vpc,
                cidr_block=cidr,
                ipv6_cidr_blocks=(ipv6_cidr,) if ipv6_cidr else (),
            )
        )
        return subnet_id

    def group(self, group_id: str, *rules: RuleSpec, vpc: str = "vpc-1") -> str:
        self.groups.append(
            SecurityGroup(
                group_id=group_id,
                group_name=group_id,
                vpc_id=vpc,
                rules=tuple(spec.rule(group_id, i) for i, spec in enumerate(rules)),
            )
        )
        return group_id

    def eni(
        self,
        eni_id: str,
        subnet: str,
        ip: str,
        *groups: str,
        public_ip: str | None = None,
        ipv6: tuple[str, ...] = (),
        instance: str | None = None,
        state: str = "running",
        status: str = "in-use",
        attachment_status: str | None = "attached",
        vpc: str | None = None,
        interface_type: str = "interface",
        source_dest_check: bool = True,
        secondary: dict[str, str | None] | None = None,
        prefixes: tuple[str, ...] = (),
        zone: str | None = None,
    ) -> str:
        """An ENI; ``instance`` (an id) adds an instance in ``state`` it is attached to.

        ``secondary`` maps secondary private addresses to their public IP (or None);
        ``prefixes`` are delegated IPv4 prefixes."""
        vpc_id = vpc or next((s.vpc_id for s in self.subnets if s.subnet_id == subnet), "vpc-1")
        self.enis.append(
            NetworkInterface(
                network_interface_id=eni_id,
                subnet_id=subnet,
                vpc_id=vpc_id,
                private_ips=(ip, *(secondary or {})) if ip else tuple(secondary or {}),
                ipv6_addresses=ipv6,
                public_ip=public_ip,
                public_ips={
                    k: v for k, v in ({ip: public_ip} | dict(secondary or {})).items() if k and v
                },
                ipv4_prefixes=prefixes,
                availability_zone=zone,
                interface_type=interface_type,
                source_dest_check=source_dest_check,
                group_ids=groups,
                instance_id=instance,
                attachment_status=attachment_status,
                status=status,
            )
        )
        if instance:
            self.instances.append(
                Instance(
                    instance_id=instance,
                    state=state,
                    vpc_id=vpc_id,
                    subnet_id=subnet,
                    private_ip=ip,
                    public_ip=public_ip,
                    network_interface_ids=(eni_id,),
                )
            )
        return eni_id

    def acl(
        self,
        acl_id: str,
        *entries: AclEntry,
        subnets: tuple[str, ...] = (),
        vpc: str = "vpc-1",
        default: bool = False,
    ) -> str:
        """A custom ACL with these entries (no implicit 32767 entry: the evaluator's own
        default deny applies) associated with ``subnets``."""
        if default:
            self.acls = [a for a in self.acls if not (a.is_default and a.vpc_id == vpc)]
        self.acls.append(
            NetworkAcl(
                network_acl_id=acl_id,
                vpc_id=vpc,
                is_default=default,
                entries=entries,
                subnet_ids=subnets,
            )
        )
        return acl_id

    def route_table(
        self,
        rtb_id: str,
        *routes: Route,
        subnets: tuple[str, ...] = (),
        vpc: str = "vpc-1",
        main: bool = False,
    ) -> str:
        if main:
            self.tables = [t for t in self.tables if not (t.is_main and t.vpc_id == vpc)]
        self.tables.append(
            RouteTable(
                route_table_id=rtb_id, vpc_id=vpc, routes=routes, subnet_ids=subnets, is_main=main
            )
        )
        return rtb_id

    def add_routes(self, rtb_id: str, *routes: Route) -> None:
        """Append routes to an existing table (e.g. rtb-main)."""
        self.tables = [
            t.model_copy(update={"routes": t.routes + routes}) if t.route_table_id == rtb_id else t
            for t in self.tables
        ]

    def igw(self, igw_id: str, *vpcs: str) -> str:
        self.igws.append(InternetGateway(internet_gateway_id=igw_id, vpc_ids=vpcs))
        return igw_id

    def nat(self, nat_id: str, subnet: str, *, state: str = "available", vpc: str = "vpc-1") -> str:
        self.nats.append(
            NatGateway(
                nat_gateway_id=nat_id,
                vpc_id=vpc,
                subnet_id=subnet,
                state=state,
                public_ips=("198.51.100.7",),
            )
        )
        return nat_id

    def peering(self, pcx_id: str, requester: str, accepter: str, *, status: str = "active") -> str:
        cidrs = {v.vpc_id: v.cidr_blocks for v in self.vpcs}
        self.peerings.append(
            VpcPeeringConnection(
                vpc_peering_connection_id=pcx_id,
                requester_vpc_id=requester,
                requester_cidr_blocks=cidrs.get(requester, ()),
                accepter_vpc_id=accepter,
                accepter_cidr_blocks=cidrs.get(accepter, ()),
                status=status,
            )
        )
        return pcx_id

    def tgw_attachment(
        self, attachment_id: str, tgw_id: str, vpc: str, *, state: str = "available"
    ) -> str:
        self.attachments.append(
            TransitGatewayAttachment(
                transit_gateway_attachment_id=attachment_id,
                transit_gateway_id=tgw_id,
                resource_id=vpc,
                state=state,
            )
        )
        return attachment_id

    def prefix_list(self, pl_id: str, *cidrs: str) -> str:
        self.prefix_lists.append(
            ManagedPrefixList(
                prefix_list_id=pl_id,
                prefix_list_name=pl_id,
                entries=tuple(PrefixListEntry(cidr=c) for c in cidrs),
            )
        )
        return pl_id

    def build(self) -> Inventory:
        return Inventory(
            region=self.region,
            vpcs=tuple(self.vpcs),
            subnets=tuple(self.subnets),
            route_tables=tuple(self.tables),
            network_acls=tuple(self.acls),
            security_groups=tuple(self.groups),
            network_interfaces=tuple(self.enis),
            instances=tuple(self.instances),
            prefix_lists=tuple(self.prefix_lists),
            internet_gateways=tuple(self.igws),
            nat_gateways=tuple(self.nats),
            peering_connections=tuple(self.peerings),
            transit_gateway_attachments=tuple(self.attachments),
        )


def flow(
    inventory: Inventory,
    source: str,
    destination: str,
    protocol: str = "tcp",
    port: int | None = None,
    *,
    icmp_type: int | None = None,
    icmp_code: int | None = None,
) -> Flow:
    """make_flow with the evaluator tests' defaults (tcp; ICMP type 8 when not given)."""
    return make_flow(
        inventory,
        source,
        destination,
        protocol=protocol,
        port=port,
        icmp_type=icmp_type,
        icmp_code=icmp_code,
    )
