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
  ENI's Availability Zone (TGW_ROUTE_AZ_RESTRICTION); when the gateway's route tables
  were read, the sender's attachment must be associated with one
  (TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION) whose best route for the destination (the
  longest prefix; a static route over a propagated one) is active (TGW_RTB_BAD_STATE_ROUTE)
  and leads to the destination VPC's attachment (TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT); no
  route is TGW_RTB_CANNOT_ROUTE.
"""

from __future__ import annotations

import ipaddress

from netmend.model import (
    EgressOnlyInternetGateway,
    Inventory,
    NetworkInterface,
    TransitGatewayAttachment,
    TransitGatewayRoute,
    TransitGatewayRouteTable,
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
    "transit_route",
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
    trace.drop(
        Code.NO_POSSIBLE_DESTINATION, vpc.vpc_id, "vpc", leg=leg, rules=(via,), detail=detail
    )
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
    trace.drop(Code.NO_PATH, vpc.vpc_id, "vpc", leg=Leg.FORWARD, detail=detail)


def egress_only_out(
    trace: Trace, leg: Leg, inventory: Inventory, eni: NetworkInterface, family: int, target: str
) -> bool:
    gateway = inventory.get(target)
    if family == 4:
        detail = f"{target} is an egress-only internet gateway: it carries IPv6 only"
        trace.drop(Code.NO_ROUTE_TO_DESTINATION, target, "gateway", leg=leg, detail=detail)
        return False
    if isinstance(gateway, EgressOnlyInternetGateway) and eni.vpc_id not in gateway.vpc_ids:
        detail = f"{target} is not attached to {eni.vpc_id}"
        trace.drop(Code.BAD_STATE_ATTACHMENT, target, "gateway", leg=leg, detail=detail)
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
    trace.drop(
        Code.NO_PATH, target, "gateway", leg=Leg.FORWARD, direction=Direction.INGRESS, detail=detail
    )


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
        trace.drop(
            Code.ENI_SOURCE_DEST_CHECK_RESTRICTION,
            eni_id,
            "middlebox",
            leg=leg,
            rules=(text,),
            detail=detail,
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
        trace.drop(Code.NO_ROUTE_TO_DESTINATION, target, "gateway", leg=leg, detail=detail)
        return False
    why = (
        "its VPN connections learn routes over BGP, which the API does not show"
        if connections
        else "no available VPN connection of it is in the inventory"
    )
    detail = f"{address} leaves through {target}: {why}, so delivery is beyond what AWS shows"
    trace.note(detail)
    trace.drop(Code.UNKNOWN_DESTINATION, target, "gateway", leg=leg, detail=detail)
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
    trace.drop(Code.TGW_ROUTE_AZ_RESTRICTION, attachment_id, "gateway", leg=leg, detail=detail)
    return False


def _tgw_route(
    inventory: Inventory, table: TransitGatewayRouteTable, address: str
) -> TransitGatewayRoute | None:
    """The longest prefix covering ``address``; on a tie a static route over a propagated
    one (transit gateway route evaluation order)."""
    ip = ipaddress.ip_address(address)
    best: tuple[int, bool] | None = None
    chosen = None
    for route in table.routes:
        if route.destination_cidr is not None:
            cidrs: tuple[str, ...] = (route.destination_cidr,)
        else:
            plist = inventory.prefix_list(route.prefix_list_id or "")
            cidrs = tuple(e.cidr for e in plist.entries) if plist else ()
        for cidr in cidrs:
            net = ipaddress.ip_network(cidr, strict=False)
            if net.version != ip.version or ip not in net:
                continue
            rank = (net.prefixlen, route.route_type != "propagated")
            if best is None or rank > best:
                best, chosen = rank, route
    return chosen


def transit_route(
    trace: Trace,
    leg: Leg,
    inventory: Inventory,
    sender: TransitGatewayAttachment,
    receiver: TransitGatewayAttachment | None,
    address: str,
) -> bool:
    """The sender's attachment's route table carries ``address`` to ``receiver`` (the
    destination VPC's attachment; None for an outside address). Without route tables
    in the inventory the gateway is taken to route between its attachments (a note)."""
    tgw_id = sender.transit_gateway_id
    if not any(t.transit_gateway_id == tgw_id for t in inventory.transit_gateway_route_tables):
        trace.note(
            f"{tgw_id}: the transit gateway's route tables are not in the inventory; it is "
            "assumed to route between its available attachments"
        )
        return True
    attachment_id = sender.transit_gateway_attachment_id
    table = inventory.tgw_route_table_of(attachment_id)
    if table is None:
        detail = f"{attachment_id} is associated with no route table of {tgw_id}: it routes nothing"
        trace.drop(
            Code.TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION,
            attachment_id,
            "gateway",
            leg=leg,
            detail=detail,
        )
        return False
    table_id = table.transit_gateway_route_table_id
    route = _tgw_route(inventory, table, address)
    code: Code | None = None
    if route is None and not table.routes_complete:
        detail = (
            f"{table_id} has more routes than were read, and none read covers {address}: "
            "delivery is beyond what was collected"
        )
        trace.note(detail)
        code = Code.UNKNOWN_DESTINATION
    elif route is None:
        detail = f"{table_id} (associated with {attachment_id}) has no route covering {address}"
        code = Code.TGW_RTB_CANNOT_ROUTE
    else:
        where = route.destination_cidr or route.prefix_list_id or ""
        targets = ", ".join(route.attachment_ids) or "nothing"
        text = f"{table_id} {where} -> {targets} ({route.route_type})"
        leads = set(route.attachment_ids)
        if route.state == "blackhole":
            detail = f"{text} is a blackhole: {tgw_id} drops what it carries"
            code = Code.TGW_RTB_BAD_STATE_ROUTE
        elif receiver is not None and receiver.transit_gateway_attachment_id not in leads:
            detail = (
                f"{text} leads away from {receiver.resource_id}'s attachment "
                f"{receiver.transit_gateway_attachment_id}"
            )
            code = Code.TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT
        else:
            trace.hop(leg, table_id, "route-table", detail=text)
            return True
    trace.drop(code, table_id, "route-table", leg=leg, detail=detail)
    return False
