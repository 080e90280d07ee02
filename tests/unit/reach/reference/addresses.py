"""Which interface an address is, its public IPs, and addresses nothing owns."""

from __future__ import annotations

import ipaddress

from netmend.model import (
    Inventory,
    NetworkInterface,
)

from .common import (
    _contains,
)

__all__ = [
    "Side",
    "_near",
    "_owners",
    "_public_ip_of",
    "_public_owner",
    "_resolve",
    "_same",
    "_unowned",
    "reference_resolve",
]

# -- addresses ---------------------------------------------------------------------------

# One end as the reference resolves it: (its ENI, None outside; the address the packets
# carry; whether the user gave a public IP / Elastic IP that translates to it).
Side = tuple[NetworkInterface | None, str, bool]


def _same(a: str, b: str) -> bool:
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)


def _owners(inv: Inventory, address: str) -> list[NetworkInterface]:
    """Interfaces owning ``address``: their own addresses first, then delegated prefixes."""
    own = [
        e
        for e in inv.network_interfaces
        if any(_same(a, address) for a in (*e.private_ips, *e.ipv6_addresses))
    ]
    delegated = [
        e
        for e in inv.network_interfaces
        if e not in own and any(_contains(p, address) for p in (*e.ipv4_prefixes, *e.ipv6_prefixes))
    ]
    return own + delegated


def _near(inv: Inventory, vpc_id: str) -> list[str]:
    """The VPC, the VPCs peered with it, the VPCs on a transit gateway with it."""
    found = [vpc_id]
    for pcx in inv.peering_connections:
        if pcx.status == "active" and vpc_id in (pcx.requester_vpc_id, pcx.accepter_vpc_id):
            found.append(
                pcx.accepter_vpc_id if pcx.requester_vpc_id == vpc_id else pcx.requester_vpc_id
            )
    up = [a for a in inv.transit_gateway_attachments if a.state == "available"]
    gateways = {a.transit_gateway_id for a in up if a.resource_id == vpc_id}
    found += [a.resource_id for a in up if a.transit_gateway_id in gateways and a.resource_id]
    return found


def _public_owner(inv: Inventory, address: str) -> tuple[NetworkInterface, str] | None:
    """The ENI and private address a public IP or Elastic IP is translated to."""
    for eip in inv.elastic_ips:
        eni = inv.network_interface(eip.network_interface_id or "")
        if eip.public_ip == address and eni is not None and eip.private_ip:
            return eni, eip.private_ip
    for eni in inv.network_interfaces:
        for private, public in eni.public_ips.items():
            if public == address:
                return eni, private
        if eni.public_ip == address and eni.private_ips:
            return eni, eni.private_ips[0]
    for nat in inv.nat_gateways:
        if address in nat.public_ips:
            for private in nat.private_ips:
                for eni in _owners(inv, private):
                    return eni, eni.private_ips[0]
    return None


def _resolve(inv: Inventory, text: str, near: list[str]) -> Side:
    if text.startswith("i-"):
        instance = inv.instance(text)
        assert instance is not None
        eni = inv.network_interface(instance.network_interface_ids[0])
        assert eni is not None
        return eni, (eni.private_ips or eni.ipv6_addresses)[0], False
    if text.startswith("eni-"):
        eni = inv.network_interface(text)
        assert eni is not None
        return eni, (eni.private_ips or eni.ipv6_addresses)[0], False
    address = str(ipaddress.ip_address(text))
    owners = _owners(inv, address)
    for vpc_id in near:
        for eni in owners:
            if eni.vpc_id == vpc_id:
                return eni, address, False
    if owners:
        return owners[0], address, False
    public = _public_owner(inv, address)
    if public is not None:
        return public[0], public[1], True
    return None, address, False


def reference_resolve(inv: Inventory, source: str, destination: str) -> tuple[Side, Side]:
    """Each end resolved near the other's VPC: the source first (by id, or alone), the
    destination near it; a source address several interfaces own, near the destination."""
    src = _resolve(inv, source, [])
    dst = _resolve(inv, destination, _near(inv, src[0].vpc_id) if src[0] else [])
    if not source.startswith(("i-", "eni-")) and len(_owners(inv, src[1])) > 1:
        src = _resolve(inv, source, _near(inv, dst[0].vpc_id) if dst[0] else [])
    return src, dst


def _public_ip_of(inv: Inventory, eni: NetworkInterface, private: str) -> str | None:
    """Public IPs belong to private addresses: the association, or an Elastic IP."""
    if private in eni.public_ips:
        return eni.public_ips[private]
    if eni.private_ips and private == eni.private_ips[0] and eni.public_ip:
        return eni.public_ip
    for eip in inv.elastic_ips:
        if eip.network_interface_id == eni.network_interface_id and eip.private_ip == private:
            return eip.public_ip
    return None


def _unowned(inv: Inventory, vpc_ids: list[str], address: str) -> str | None:
    """The VPC (of ``vpc_ids``) whose CIDR holds ``address`` while nothing owns it: not an
    interface, not the DNS resolver (a VPC or subnet CIDR's base + 2)."""
    for vpc in inv.vpcs:
        if vpc.vpc_id not in vpc_ids:
            continue
        if not any(_contains(c, address) for c in (*vpc.cidr_blocks, *vpc.ipv6_cidr_blocks)):
            continue
        bases = [*vpc.cidr_blocks]
        bases += [s.cidr_block for s in inv.subnets if s.vpc_id == vpc.vpc_id and s.cidr_block]
        if any(_same(str(ipaddress.ip_network(c).network_address + 2), address) for c in bases):
            return None
        return None if _owners(inv, address) else vpc.vpc_id
    return None
