"""Inventory: one account and region's estate, with the lookups the evaluator needs.

Lookups are built once, after validation, into private dictionaries; the public fields
stay frozen tuples so an inventory round-trips through JSON exactly.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from netmend.model.balancing import LoadBalancer, TargetGroup
from netmend.model.compute import Instance, NetworkInterface
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
    quotas: Quotas = Field(default_factory=Quotas)
    # Elastic Load Balancing v2 (model/balancing.py; the evaluator's hop: reach/balancer/)
    load_balancers: tuple[LoadBalancer, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()

    _by_id: dict[str, Any] = PrivateAttr(default_factory=dict)
    _eni_by_ip: dict[str, NetworkInterface] = PrivateAttr(default_factory=dict)
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
            for ip in eni.private_ips:
                self._eni_by_ip[ip] = eni
            for ip in eni.ipv6_addresses:
                self._eni_by_ip[str(ipaddress.ip_address(ip))] = eni
            for group_id in eni.group_ids:
                members.setdefault(group_id, []).append(eni)
        self._enis_of_group = {k: tuple(v) for k, v in members.items()}
        for instance in self.instances:
            by_id[instance.instance_id] = instance
        for plist in self.prefix_lists:
            by_id[plist.prefix_list_id] = plist
        for igw in self.internet_gateways:
            by_id[igw.internet_gateway_id] = igw
        for nat in self.nat_gateways:
            by_id[nat.nat_gateway_id] = nat
        for pcx in self.peering_connections:
            by_id[pcx.vpc_peering_connection_id] = pcx
        for tgw in self.transit_gateway_attachments:
            by_id[tgw.transit_gateway_attachment_id] = tgw
        # load balancers and target groups by ARN (by name: model.balancing.find_load_balancer)
        for balancer in self.load_balancers:
            by_id[balancer.load_balancer_arn] = balancer
        for target_group in self.target_groups:
            by_id[target_group.target_group_arn] = target_group
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
        """The ENI that owns a private IPv4 (or IPv6) address in this region, if any."""
        try:
            canonical = str(ipaddress.ip_address(address))
        except ValueError:
            return None
        return self._eni_by_ip.get(canonical)

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
