"""Which interface an address is, seen from where the flow starts.

Real accounts reuse address space: unconnected VPCs overlap, so one private address
can name several interfaces of a region. An address is resolved in the asking side's
VPC first, then in the VPCs it is peered or transit-attached to, and only then in the
rest of the region. Delegated prefixes (EKS/ECS pods) are their ENI's addresses.
Public IPs and Elastic IPs resolve to the private address the internet gateway
translates them to. An address inside a VPC's CIDR that nothing owns answers nothing,
except the Amazon-provided DNS resolver (the base of a VPC or subnet CIDR plus two).
"""

from __future__ import annotations

import ipaddress

from netmend.model import Inventory, NetworkInterface, Vpc

__all__ = [
    "connected_vpcs",
    "is_dns_resolver",
    "owner_near",
    "vpc_holding",
]

_CONNECTED = frozenset({"active", "available"})


def connected_vpcs(inventory: Inventory, vpc_id: str) -> tuple[str, ...]:
    """``vpc_id``, then the VPCs peered with it, then those on a transit gateway with it."""
    found = [vpc_id]
    for pcx in inventory.peering_connections:
        if pcx.status not in _CONNECTED:
            continue
        if pcx.requester_vpc_id == vpc_id:
            found.append(pcx.accepter_vpc_id)
        elif pcx.accepter_vpc_id == vpc_id:
            found.append(pcx.requester_vpc_id)
    attachments = [a for a in inventory.transit_gateway_attachments if a.state in _CONNECTED]
    gateways = {a.transit_gateway_id for a in attachments if a.resource_id == vpc_id}
    found += [
        a.resource_id for a in attachments if a.transit_gateway_id in gateways and a.resource_id
    ]
    return tuple(dict.fromkeys(found))


def owner_near(
    owners: tuple[NetworkInterface, ...], near: tuple[str, ...]
) -> NetworkInterface | None:
    """The owner in the first of ``near``'s VPCs that has one, else the first owner."""
    for vpc_id in near:
        for eni in owners:
            if eni.vpc_id == vpc_id:
                return eni
    return owners[0] if owners else None


def vpc_holding(inventory: Inventory, address: str, among: tuple[str, ...] = ()) -> Vpc | None:
    """The inventoried VPC (of ``among``, or any) whose CIDRs hold ``address``."""
    ip = ipaddress.ip_address(address)
    for vpc in inventory.vpcs:
        if among and vpc.vpc_id not in among:
            continue
        for cidr in (*vpc.cidr_blocks, *vpc.ipv6_cidr_blocks):
            if ip in ipaddress.ip_network(cidr, strict=False):
                return vpc
    return None


def is_dns_resolver(inventory: Inventory, vpc: Vpc, address: str) -> bool:
    """The Amazon-provided DNS resolver: a VPC or subnet CIDR's base plus two."""
    ip = ipaddress.ip_address(address)
    cidrs = [*vpc.cidr_blocks]
    cidrs += [s.cidr_block for s in inventory.subnets_in_vpc(vpc.vpc_id) if s.cidr_block]
    return any(
        ip == ipaddress.ip_network(c, strict=False).network_address + 2
        for c in cidrs
        if ":" not in c
    )
