"""Inventory: one account and region's estate, with the lookups the evaluator needs.

Lookups are built once, after validation, into private dictionaries; the public fields
stay frozen tuples so an inventory round-trips through JSON exactly.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from netmend.model.addresses import canonical_address
from netmend.model.balancing import LoadBalancer, TargetGroup
from netmend.model.compute import Instance, NetworkInterface
from netmend.model.gateways import (
    EgressOnlyInternetGateway,
    ElasticIp,
    TransitGateway,
    TransitGatewayRouteTable,
    VpcEndpoint,
    VpnConnection,
    VpnGateway,
)
from netmend.model.network import (
    InternetGateway,
    NatGateway,
    NetworkAcl,
    RouteTable,
    Subnet,
    TransitGatewayAttachment,
    Vpc,
    VpcPeeringConnection,
)
from netmend.model.security import ManagedPrefixList, SecurityGroup
from netmend.model.skipped import SkippedItem

__all__ = ["SCHEMA_VERSION", "Inventory", "Quotas"]

SCHEMA_VERSION = 1


class Quotas(BaseModel):
    """The quotas that decide whether a fix fits; AWS's defaults unless collected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # L-0EA8095F, service code "vpc": inbound or outbound rules per security group.
    rules_per_security_group: int = 60
    # L-2AFB9258, service code "vpc": security groups per network interface.
    security_groups_per_interface: int = 5
    # L-2AEEBF1A: rules per network ACL, per direction, default entry included.
    rules_per_network_acl: int = 20
    source: str = "default"  # "default" or "service-quotas"


class Inventory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    account_id: str | None = None
    region: str
    collected_at: datetime | None = None
    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    instances: tuple[Instance, ...] = ()
    prefix_lists: tuple[ManagedPrefixList, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    nat_gateways: tuple[NatGateway, ...] = ()
    peering_connections: tuple[VpcPeeringConnection, ...] = ()
    transit_gateway_attachments: tuple[TransitGatewayAttachment, ...] = ()
    # -- real-account shapes
    egress_only_internet_gateways: tuple[EgressOnlyInternetGateway, ...] = ()
    transit_gateways: tuple[TransitGateway, ...] = ()
    # Read only where transit gateways exist; empty: the gateway's routing is unknown
    # and it is taken to route between its attachments.
    transit_gateway_route_tables: tuple[TransitGatewayRouteTable, ...] = ()
    vpc_endpoints: tuple[VpcEndpoint, ...] = ()
    elastic_ips: tuple[ElasticIp, ...] = ()
    vpn_gateways: tuple[VpnGateway, ...] = ()
    vpn_connections: tuple[VpnConnection, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()  # describe items that could not be read
    quotas: Quotas = Field(default_factory=Quotas)
    # Elastic Load Balancing v2 (model/balancing.py; the evaluator's hop: reach/balancer/)
    load_balancers: tuple[LoadBalancer, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()

    _by_id: dict[str, Any] = PrivateAttr(default_factory=dict)
    _enis_by_ip: dict[str, list[NetworkInterface]] = PrivateAttr(default_factory=dict)
    _prefix_owners: list[tuple[Any, NetworkInterface]] = PrivateAttr(default_factory=list)
    _public_owner: dict[str, tuple[NetworkInterface, str]] = PrivateAttr(default_factory=dict)
    _nat_of_public_ip: dict[str, NatGateway] = PrivateAttr(default_factory=dict)
    _eip_of_address: dict[tuple[str, str], str] = PrivateAttr(default_factory=dict)
    _enis_of_group: dict[str, tuple[NetworkInterface, ...]] = PrivateAttr(default_factory=dict)
    _acl_of_subnet: dict[str, NetworkAcl] = PrivateAttr(default_factory=dict)
    _route_table_of_subnet: dict[str, RouteTable] = PrivateAttr(default_factory=dict)
    _main_route_table: dict[str, RouteTable] = PrivateAttr(default_factory=dict)
    _default_acl: dict[str, NetworkAcl] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        by_id: dict[str, Any] = {}
        for vpc in self.vpcs:
            by_id[vpc.vpc_id] = vpc
        for subnet in self.subnets:
            by_id[subnet.subnet_id] = subnet
        for table in self.route_tables:
            by_id[table.route_table_id] = table
            if table.is_main:
                self._main_route_table[table.vpc_id] = table
            for subnet_id in table.subnet_ids:
                self._route_table_of_subnet[subnet_id] = table
        for acl in self.network_acls:
            by_id[acl.network_acl_id] = acl
            if acl.is_default:
                self._default_acl[acl.vpc_id] = acl
            for subnet_id in acl.subnet_ids:
                self._acl_of_subnet[subnet_id] = acl
        for group in self.security_groups:
            by_id[group.group_id] = group
        members: dict[str, list[NetworkInterface]] = {}
        for eni in self.network_interfaces:
            by_id[eni.network_interface_id] = eni
            # Several VPCs may use one address (CIDRs overlap across unconnected VPCs):
            # every owner is kept, and resolution prefers the asker's VPC.
            for ip in (*eni.private_ips, *eni.ipv6_addresses):
                self._enis_by_ip.setdefault(canonical_address(ip), []).append(eni)
            for prefix in (*eni.ipv4_prefixes, *eni.ipv6_prefixes):
                self._prefix_owners.append((ipaddress.ip_network(prefix, strict=False), eni))
            for private, public in eni.public_ips.items():
                self._public_owner.setdefault(public, (eni, private))
            if eni.public_ip and eni.primary_ip:
                self._public_owner.setdefault(eni.public_ip, (eni, eni.primary_ip))
            for group_id in eni.group_ids:
                members.setdefault(group_id, []).append(eni)
        self._enis_of_group = {k: tuple(v) for k, v in members.items()}
        for eip in self.elastic_ips:
            owner = by_id.get(eip.network_interface_id or "")
            if isinstance(owner, NetworkInterface) and eip.private_ip:
                self._public_owner[eip.public_ip] = (owner, eip.private_ip)
                self._eip_of_address[(owner.network_interface_id, eip.private_ip)] = eip.public_ip
        for instance in self.instances:
            by_id[instance.instance_id] = instance
        for plist in self.prefix_lists:
            by_id[plist.prefix_list_id] = plist
        for igw in self.internet_gateways:
            by_id[igw.internet_gateway_id] = igw
        for nat in self.nat_gateways:
            by_id[nat.nat_gateway_id] = nat
            for public in nat.public_ips:
                self._nat_of_public_ip[public] = nat
        for pcx in self.peering_connections:
            by_id[pcx.vpc_peering_connection_id] = pcx
        for tgw in self.transit_gateway_attachments:
            by_id[tgw.transit_gateway_attachment_id] = tgw
        # load balancers and target groups by ARN (by name: model.balancing.find_load_balancer)
        for balancer in self.load_balancers:
            by_id[balancer.load_balancer_arn] = balancer
        for target_group in self.target_groups:
            by_id[target_group.target_group_arn] = target_group
        for eigw in self.egress_only_internet_gateways:
            by_id[eigw.egress_only_internet_gateway_id] = eigw
        for gateway in self.transit_gateways:
            by_id[gateway.transit_gateway_id] = gateway
        for tgw_table in self.transit_gateway_route_tables:
            by_id[tgw_table.transit_gateway_route_table_id] = tgw_table
        for endpoint in self.vpc_endpoints:
            by_id[endpoint.vpc_endpoint_id] = endpoint
        for vgw in self.vpn_gateways:
            by_id[vgw.vpn_gateway_id] = vgw
        for vpn in self.vpn_connections:
            by_id[vpn.vpn_connection_id] = vpn
        self._by_id = by_id

    # -- lookups ---------------------------------------------------------------------

    def get(self, resource_id: str) -> Any | None:
        """Any resource by its id (vpc-, subnet-, rtb-, acl-, sg-, eni-, i-, pl-, ...)."""
        return self._by_id.get(resource_id)

    def security_group(self, group_id: str) -> SecurityGroup | None:
        found = self._by_id.get(group_id)
        return found if isinstance(found, SecurityGroup) else None

    def network_interface(self, eni_id: str) -> NetworkInterface | None:
        found = self._by_id.get(eni_id)
        return found if isinstance(found, NetworkInterface) else None

    def instance(self, instance_id: str) -> Instance | None:
        found = self._by_id.get(instance_id)
        return found if isinstance(found, Instance) else None

    def subnet(self, subnet_id: str) -> Subnet | None:
        found = self._by_id.get(subnet_id)
        return found if isinstance(found, Subnet) else None

    def vpc(self, vpc_id: str) -> Vpc | None:
        found = self._by_id.get(vpc_id)
        return found if isinstance(found, Vpc) else None

    def prefix_list(self, prefix_list_id: str) -> ManagedPrefixList | None:
        found = self._by_id.get(prefix_list_id)
        return found if isinstance(found, ManagedPrefixList) else None

    def eni_by_private_ip(self, address: str) -> NetworkInterface | None:
        """The ENI that owns a private IPv4 (or IPv6) address in this region, if any
        (the first inventoried when several VPCs use it; see ``enis_owning``)."""
        owners = self.enis_owning(address)
        return owners[0] if owners else None

    def enis_owning(self, address: str) -> tuple[NetworkInterface, ...]:
        """Every ENI whose private address, IPv6 address or delegated prefix holds
        ``address`` (several when VPCs overlap), own addresses before prefixes."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return ()
        own = list(self._enis_by_ip.get(str(ip), ()))
        own += [eni for net, eni in self._prefix_owners if ip in net and eni not in own]
        return tuple(own)

    def public_owner(self, address: str) -> tuple[NetworkInterface, str] | None:
        """(ENI, private address) the internet gateway translates public ``address`` to:
        a public IP of a private address, or an Elastic IP (DescribeAddresses)."""
        return self._public_owner.get(address)

    def public_ip_of(self, eni: NetworkInterface, private_ip: str | None) -> str | None:
        """The public IP (or Elastic IP, DescribeAddresses) of one of ``eni``'s private
        addresses (its primary when None): public IPs belong to private addresses."""
        address = private_ip or eni.primary_ip
        found = eni.public_ip_of(address)
        return found or self._eip_of_address.get((eni.network_interface_id, address))

    def nat_gateway_of_public_ip(self, address: str) -> NatGateway | None:
        return self._nat_of_public_ip.get(address)

    def tgw_route_table_of(self, attachment_id: str) -> TransitGatewayRouteTable | None:
        """The transit-gateway route table ``attachment_id`` is associated with."""
        return next(
            (t for t in self.transit_gateway_route_tables if attachment_id in t.associations),
            None,
        )

    def skipped_touching(self, *resource_ids: str) -> tuple[SkippedItem, ...]:
        """Skipped items that are, or are in, one of these VPCs/subnets/resources."""
        wanted = {r for r in resource_ids if r}
        return tuple(
            item
            for item in self.skipped
            if {item.resource_id, item.vpc_id, item.subnet_id} & wanted
        )

    def enis_of_group(self, group_id: str) -> tuple[NetworkInterface, ...]:
        """Every ENI that carries the group (its members, for group-reference peers)."""
        return self._enis_of_group.get(group_id, ())

    def groups_of_eni(self, eni_id: str) -> tuple[SecurityGroup, ...]:
        eni = self.network_interface(eni_id)
        if eni is None:
            return ()
        return tuple(g for g in (self.security_group(i) for i in eni.group_ids) if g)

    def acl_of_subnet(self, subnet_id: str) -> NetworkAcl | None:
        """The subnet's ACL: its explicit association, else the VPC's default ACL."""
        acl = self._acl_of_subnet.get(subnet_id)
        if acl is not None:
            return acl
        subnet = self.subnet(subnet_id)
        return self._default_acl.get(subnet.vpc_id) if subnet else None

    def route_table_of_subnet(self, subnet_id: str) -> RouteTable | None:
        """The subnet's route table: its explicit association, else the VPC's main table."""
        table = self._route_table_of_subnet.get(subnet_id)
        if table is not None:
            return table
        subnet = self.subnet(subnet_id)
        return self._main_route_table.get(subnet.vpc_id) if subnet else None

    def enis_of_instance(self, instance_id: str) -> tuple[NetworkInterface, ...]:
        instance = self.instance(instance_id)
        if instance is None:
            return ()
        return tuple(
            e for e in (self.network_interface(i) for i in instance.network_interface_ids) if e
        )

    def groups_in_vpc(self, vpc_id: str) -> tuple[SecurityGroup, ...]:
        return tuple(g for g in self.security_groups if g.vpc_id == vpc_id)

    def subnets_in_vpc(self, vpc_id: str) -> tuple[Subnet, ...]:
        return tuple(s for s in self.subnets if s.vpc_id == vpc_id)
