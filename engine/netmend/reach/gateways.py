"""Route targets beyond the local route, peering and the internet gateway, as AWS has them.

Each check records its hop (and, when it drops the packet, its explanation) on a Trace
and says whether the packet goes on:

- nothing owns the address: an address inside a VPC's CIDR that no interface owns
  answers nothing (NO_POSSIBLE_DESTINATION), except the Amazon DNS resolver (base + 2),
  and sends nothing (NO_PATH); when describe items of that VPC were skipped, the owner
  may be among them (a note);
- egress-only internet gateway: IPv6 out only, attached to the VPC; nothing from the
  internet starts a connection through it (NO_PATH);
- middlebox (a route to an ENI or instance): the ENI forwards only with its
  source/destination check off (ENI_SOURCE_DEST_CHECK_RESTRICTION); what it does with
  the packet beyond is not followed;
- virtual private gateway: a VPN with static routing forwards only its static routes;
  routes learned over BGP are not visible to the API, so the path leaves what AWS shows
  (UNKNOWN_DESTINATION), never a silent "delivered";
- transit gateway, per sending VPC: the attachment must have a subnet in the sending
  ENI's Availability Zone (TGW_ROUTE_AZ_RESTRICTION).
"""

from __future__ import annotations

import ipaddress

from netmend.model import (
    EgressOnlyInternetGateway,
    Inventory,
    NetworkInterface,
    TransitGatewayAttachment,
    VpnConnection,
)
from netmend.reach.addresses import is_dns_resolver, vpc_holding
from netmend.reach.result import Code, Direction, Leg
from netmend.reach.trace import Trace

__all__ = [
    "availability_zone",
    "egress_only_in",
    "egress_only_out",
    "middlebox",
    "transit_az",
    "unowned",
    "unowned_source",
    "vpn_gateway",
]


def unowned(
    trace: Trace, leg: Leg, inventory: Inventory, address: str, among: tuple[str, ...], via: str
) -> bool:
    """False (and a block) when ``address`` is in one of ``among``'s CIDRs, owned by none."""
    vpc = vpc_holding(inventory, address, among)
    if vpc is None:
        return True
    if is_dns_resolver(inventory, vpc, address):
        trace.note(f"{address} is {vpc.vpc_id}'s Amazon-provided DNS resolver")
        return True
    if any(s.resource_type == "NetworkInterfaces" for s in inventory.skipped_touching(vpc.vpc_id)):
        trace.note(
            f"no interface in the inventory owns {address}, but interfaces of {vpc.vpc_id} "
            "were skipped at collection: its owner may be one of them"
        )
        return True
    detail = f"{address} is inside {vpc.vpc_id}'s CIDR, but no interface owns it: nothing answers"
    trace.hop(leg, vpc.vpc_id, "vpc", allowed=False, detail=detail)
    trace.block(Code.NO_POSSIBLE_DESTINATION, vpc.vpc_id, leg=leg, rules=(via,), detail=detail)
    return False


def unowned_source(
    trace: Trace, inventory: Inventory, address: str, among: tuple[str, ...]
) -> None:
    """A block (NO_PATH) when the outside source ``address`` is in one of ``among``'s
    CIDRs and no interface owns it: nothing can send from an address no interface has.
    The DNS resolver's address, or a VPC whose interfaces were skipped at collection,
    is judged by its address alone (a note)."""
    vpc = vpc_holding(inventory, address, among)
    if vpc is None:
        return
    if is_dns_resolver(inventory, vpc, address) or any(
        s.resource_type == "NetworkInterfaces" for s in inventory.skipped_touching(vpc.vpc_id)
    ):
        trace.note(
            f"no interface in the inventory owns the source {address}, inside "
            f"{vpc.vpc_id}'s CIDR: it was judged by its address alone"
        )
        return
    detail = (
        f"{address} is inside {vpc.vpc_id}'s CIDR, but no interface owns it: nothing can "
        "send from it"
    )
    trace.hop(Leg.FORWARD, vpc.vpc_id, "vpc", allowed=False, detail=detail)
    trace.block(Code.NO_PATH, vpc.vpc_id, leg=Leg.FORWARD, detail=detail)


def egress_only_out(
    trace: Trace, leg: Leg, inventory: Inventory, eni: NetworkInterface, family: int, target: str
) -> bool:
    gateway = inventory.get(target)
    if family == 4:
        detail = f"{target} is an egress-only internet gateway: it carries IPv6 only"
        trace.hop(leg, target, "gateway", allowed=False, detail=detail)
        trace.block(Code.NO_ROUTE_TO_DESTINATION, target, leg=leg, detail=detail)
        return False
    if isinstance(gateway, EgressOnlyInternetGateway) and eni.vpc_id not in gateway.vpc_ids:
        detail = f"{target} is not attached to {eni.vpc_id}"
        trace.hop(leg, target, "gateway", allowed=False, detail=detail)
        trace.block(Code.BAD_STATE_ATTACHMENT, target, leg=leg, detail=detail)
        return False
    if gateway is None:
        trace.note(f"{target} is not in the inventory: its attachment was not checked")
    trace.hop(
        leg, target, "gateway", direction=Direction.EGRESS, detail=f"IPv6 out through {target}"
    )
    return True


def egress_only_in(trace: Trace, eni: NetworkInterface, target: str) -> None:
    detail = (
        f"{eni.subnet_id} reaches the internet through egress-only gateway {target}, which "
        "lets no connection from the internet in"
    )
    trace.hop(
        Leg.FORWARD, target, "gateway", direction=Direction.INGRESS, allowed=False, detail=detail
    )
    trace.block(Code.NO_PATH, target, leg=Leg.FORWARD, direction=Direction.INGRESS, detail=detail)


def middlebox(trace: Trace, leg: Leg, inventory: Inventory, target: str, text: str) -> bool:
    """A route to an ENI or instance: the appliance must forward (check off)."""
    eni = inventory.network_interface(target)
    if eni is None and inventory.instance(target) is not None:
        enis = inventory.enis_of_instance(target)
        eni = enis[0] if enis else None
    if eni is None:
        trace.note(f"{text}: the middlebox {target} is not in the inventory; assumed to forward")
        trace.hop(leg, target, "middlebox", detail=f"through {target} (not in the inventory)")
        return True
    eni_id = eni.network_interface_id
    if eni.source_dest_check:
        detail = (
            f"{text}: {eni_id} has its source/destination check on, so it drops the traffic "
            "it should forward (turn it off on appliances)"
        )
        trace.hop(leg, eni_id, "middlebox", allowed=False, detail=detail)
        trace.block(
            Code.ENI_SOURCE_DEST_CHECK_RESTRICTION, eni_id, leg=leg, rules=(text,), detail=detail
        )
        return False
    trace.note(
        f"{text}: {eni_id} forwards (source/destination check off); what the appliance "
        "itself does with the packet is not modelled"
    )
    trace.hop(leg, eni_id, "middlebox", detail=f"forwarded by {eni_id}")
    return True


def _covers(cidrs: tuple[str, ...], address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(
        ip.version == n.version and ip in n
        for n in (ipaddress.ip_network(c, strict=False) for c in cidrs)
    )


def vpn_gateway(trace: Trace, leg: Leg, inventory: Inventory, target: str, address: str) -> bool:
    connections: list[VpnConnection] = [
        c
        for c in inventory.vpn_connections
        if c.vpn_gateway_id == target and c.state == "available"
    ]
    static = [c for c in connections if c.static_routes_only]
    for connection in static:
        if _covers(connection.static_routes, address):
            trace.hop(
                leg,
                target,
                "gateway",
                detail=f"through {target} and VPN {connection.vpn_connection_id} (static route)",
            )
            return True
    if connections and len(static) == len(connections):
        detail = (
            f"{target}'s VPN connections use static routing and none of their static routes "
            f"covers {address}"
        )
        trace.hop(leg, target, "gateway", allowed=False, detail=detail)
        trace.block(Code.NO_ROUTE_TO_DESTINATION, target, leg=leg, detail=detail)
        return False
    why = (
        "its VPN connections learn routes over BGP, which the API does not show"
        if connections
        else "no available VPN connection of it is in the inventory"
    )
    detail = f"{address} leaves through {target}: {why}, so delivery is beyond what AWS shows"
    trace.note(detail)
    trace.hop(leg, target, "gateway", allowed=False, detail=detail)
    trace.block(Code.UNKNOWN_DESTINATION, target, leg=leg, detail=detail)
    return False


def availability_zone(inventory: Inventory, subnet_id: str) -> str | None:
    subnet = inventory.subnet(subnet_id)
    return subnet.availability_zone if subnet is not None else None


def transit_az(
    trace: Trace,
    leg: Leg,
    inventory: Inventory,
    eni: NetworkInterface,
    attachment: TransitGatewayAttachment,
) -> bool:
    """The sender's AZ must hold one of the attachment's subnets."""
    zone = eni.availability_zone or availability_zone(inventory, eni.subnet_id)
    zones = {availability_zone(inventory, s) for s in attachment.subnet_ids}
    if not attachment.subnet_ids or zone is None or None in zones or zone in zones:
        return True
    attachment_id = attachment.transit_gateway_attachment_id
    known = ", ".join(sorted(z for z in zones if z))
    detail = (
        f"{attachment_id} has no subnet in {zone}, where {eni.network_interface_id} is: "
        f"resources in an Availability Zone without an attachment subnet cannot reach "
        f"{attachment.transit_gateway_id} (its subnets are in {known})"
    )
    trace.hop(leg, attachment_id, "gateway", allowed=False, detail=detail)
    trace.block(Code.TGW_ROUTE_AZ_RESTRICTION, attachment_id, leg=leg, detail=detail)
    return False
