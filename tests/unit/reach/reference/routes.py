"""Route tables, gateways and the transit gateway, per AWS's documentation."""

from __future__ import annotations

import ipaddress

from netmend.model import (
    Inventory,
    NetworkInterface,
    Route,
    TransitGatewayAttachment,
)

from .addresses import (
    _public_ip_of,
    _unowned,
)
from .common import (
    NAT_PROTOCOLS,
    Block,
    _contains,
)

__all__ = [
    "STATIC_FIRST",
    "_attachment",
    "_best_route",
    "_entering",
    "_igw_attached",
    "_nat_out_blocks",
    "_references_cut",
    "_route_toward",
    "_tgw_blocks",
    "_vpn_blocks",
    "_zone",
]

# -- routes ------------------------------------------------------------------------------

# "the static route takes priority if the target is one of the following" (VPC guide)
STATIC_FIRST = {
    "internet-gateway",
    "nat-gateway",
    "network-interface",
    "instance",
    "vpc-endpoint",
    "transit-gateway",
    "vpc-peering",
}


def _best_route(inv: Inventory, table_routes: tuple[Route, ...], address: str) -> Route | None:
    """Longest prefix; on a tie the local route, then a CIDR over a prefix list, then a
    static route to a listed target over a propagated one, over any other static one."""
    matches: list[tuple[int, Route, bool]] = []
    for route in table_routes:
        listed = route.destination_prefix_list_id is not None
        if listed:
            plist = inv.prefix_list(route.destination_prefix_list_id or "")
            cidrs = [e.cidr for e in plist.entries] if plist else []
        else:
            cidrs = [route.destination_cidr or route.destination_ipv6_cidr or ""]
        for cidr in cidrs:
            if _contains(cidr, address):
                matches.append((ipaddress.ip_network(cidr).prefixlen, route, listed))
    if not matches:
        return None
    longest = max(m[0] for m in matches)
    tied = [(r, listed) for length, r, listed in matches if length == longest]
    for r, _ in tied:
        if r.target_kind.value == "local":
            return r
    tied = [t for t in tied if not t[1]] or tied
    propagated = [r for r, _ in tied if r.origin == "EnableVgwRoutePropagation"]
    static = [r for r, _ in tied if r.origin != "EnableVgwRoutePropagation"]
    for r in static:
        if r.target_kind.value in STATIC_FIRST:
            return r
    return (propagated or static)[0]


def _igw_attached(inv: Inventory, igw_id: str, vpc_id: str) -> bool:
    return any(
        g.internet_gateway_id == igw_id and vpc_id in g.vpc_ids for g in inv.internet_gateways
    )


def _attachment(inv: Inventory, vpc_id: str, tgw_id: str) -> TransitGatewayAttachment | None:
    mine = [
        a
        for a in inv.transit_gateway_attachments
        if a.resource_id == vpc_id and a.transit_gateway_id == tgw_id
    ]
    up = [a for a in mine if a.state == "available"]
    return (up or mine or [None])[0]


def _zone(inv: Inventory, eni: NetworkInterface) -> str | None:
    subnet = inv.subnet(eni.subnet_id)
    return eni.availability_zone or (subnet.availability_zone if subnet else None)


def _tgw_blocks(
    inv: Inventory,
    eni: NetworkInterface,
    peer: NetworkInterface | None,
    address: str,
    tgw_id: str,
    leg: str,
) -> Block | None:
    for vpc_id in [eni.vpc_id] + ([peer.vpc_id] if peer else []):
        attachment = _attachment(inv, vpc_id, tgw_id)
        if attachment is None:
            return ("NO_ROUTE_TO_DESTINATION", tgw_id, leg, None)
        if attachment.state != "available":
            return ("BAD_STATE_ATTACHMENT", attachment.transit_gateway_attachment_id, leg, None)
    sender = _attachment(inv, eni.vpc_id, tgw_id)
    assert sender is not None
    zones = [inv.subnet(s) for s in sender.subnet_ids]
    known = [s.availability_zone for s in zones if s is not None and s.availability_zone]
    zone = _zone(inv, eni)
    if sender.subnet_ids and zone and len(known) == len(zones) and zone not in known:
        return ("TGW_ROUTE_AZ_RESTRICTION", sender.transit_gateway_attachment_id, leg, None)
    if not any(t.transit_gateway_id == tgw_id for t in inv.transit_gateway_route_tables):
        return None  # routing unknown: taken to route between the attachments
    table = next(
        (
            t
            for t in inv.transit_gateway_route_tables
            if sender.transit_gateway_attachment_id in t.associations
        ),
        None,
    )
    if table is None:
        attachment_id = sender.transit_gateway_attachment_id
        return ("TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION", attachment_id, leg, None)
    table_id = table.transit_gateway_route_table_id
    covering = []
    for r in table.routes:
        plist = inv.prefix_list(r.prefix_list_id or "")
        cidrs = (
            [r.destination_cidr]
            if r.destination_cidr
            else [e.cidr for e in plist.entries]
            if plist
            else []
        )
        covering += [
            (ipaddress.ip_network(c).prefixlen, r.route_type == "static", r)
            for c in cidrs
            if _contains(c, address)
        ]
    if not covering:
        return (
            "TGW_RTB_CANNOT_ROUTE" if table.routes_complete else "UNKNOWN_DESTINATION",
            table_id,
            leg,
            None,
        )
    best = max(covering, key=lambda c: (c[0], c[1]))[2]
    if best.state == "blackhole":
        return ("TGW_RTB_BAD_STATE_ROUTE", table_id, leg, None)
    receiver = _attachment(inv, peer.vpc_id, tgw_id) if peer else None
    if receiver is not None and receiver.transit_gateway_attachment_id not in best.attachment_ids:
        return ("TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT", table_id, leg, None)
    return None


def _vpn_blocks(inv: Inventory, vgw_id: str, address: str, leg: str) -> Block | None:
    """Static VPN routes are visible to the API; routes learned over BGP are not."""
    vpns = [c for c in inv.vpn_connections if c.vpn_gateway_id == vgw_id and c.state == "available"]
    static = [c for c in vpns if c.static_routes_only]
    if any(_contains(r, address) for c in static for r in c.static_routes):
        return None
    if vpns and len(static) == len(vpns):
        return ("NO_ROUTE_TO_DESTINATION", vgw_id, leg, None)
    return ("UNKNOWN_DESTINATION", vgw_id, leg, None)


def _nat_out_blocks(
    inv: Inventory, nat_id: str, address: str, protocol: str, leg: str
) -> Block | None:
    nat = next((n for n in inv.nat_gateways if n.nat_gateway_id == nat_id), None)
    if nat is None or nat.state != "available":
        return ("BAD_STATE", nat_id, leg, None)
    if protocol not in NAT_PROTOCOLS:
        return ("PROTOCOL_RESTRICTION", nat_id, leg, None)
    nat_table = inv.route_table_of_subnet(nat.subnet_id)
    assert nat_table is not None
    out = _best_route(inv, nat_table.routes, address)
    if out is not None and out.state.value != "blackhole":
        kind = out.target_kind.value
        if kind in ("transit-gateway", "virtual-private-gateway"):
            return None  # on to other VPCs or on premises: not followed further
        if kind == "internet-gateway" and nat.connectivity_type == "private":
            return ("NO_ROUTE_TO_DESTINATION", nat_id, leg, None)
        if kind == "internet-gateway" and _igw_attached(inv, out.target_id or "", nat.vpc_id):
            return None
    return ("NO_ROUTE_TO_DESTINATION", nat_table.route_table_id, leg, None)


def _route_toward(
    inv: Inventory,
    eni: NetworkInterface,
    address: str,
    peer: NetworkInterface | None,
    leg: str,
    blocks: list[Block],
    protocol: str = "tcp",
    own: str | None = None,
) -> str | None:
    """The kind of target ``eni``'s subnet sends ``address`` to; None (and a block) when
    the packet is dropped there. ``own``: ``eni``'s address in this flow."""
    table = inv.route_table_of_subnet(eni.subnet_id)
    assert table is not None, "the generated estates always have a main table"
    route = _best_route(inv, table.routes, address)
    if route is None:
        blocks.append(("NO_ROUTE_TO_DESTINATION", table.route_table_id, leg, None))
        return None
    if route.state.value == "blackhole":
        blocks.append(("BAD_STATE_ROUTE", table.route_table_id, leg, None))
        return None
    kind = route.target_kind.value
    target = route.target_id or kind
    forward_out = peer is None and leg == "forward"
    found: Block | None = None
    if kind == "local":
        if peer is not None and peer.vpc_id != eni.vpc_id:
            found = ("NO_ROUTE_TO_DESTINATION", table.route_table_id, leg, None)
        elif forward_out and (vpc := _unowned(inv, [eni.vpc_id], address)):
            found = ("NO_POSSIBLE_DESTINATION", vpc, leg, None)
    elif kind == "vpc-peering":
        pcx = next(
            (p for p in inv.peering_connections if p.vpc_peering_connection_id == target), None
        )
        if pcx is None or pcx.status != "active":
            found = ("BAD_STATE", target, leg, None)
        elif eni.vpc_id not in (pcx.requester_vpc_id, pcx.accepter_vpc_id):
            found = ("BAD_STATE_ATTACHMENT", target, leg, None)
        else:
            mine = eni.vpc_id == pcx.requester_vpc_id
            other = pcx.accepter_vpc_id if mine else pcx.requester_vpc_id
            cidrs = list(pcx.accepter_cidr_blocks if mine else pcx.requester_cidr_blocks)
            vpc = inv.vpc(other)
            if vpc is not None:
                cidrs = (cidrs or list(vpc.cidr_blocks)) + list(vpc.ipv6_cidr_blocks)
            if not any(_contains(c, address) for c in cidrs) or (
                peer is not None and peer.vpc_id != other
            ):
                found = ("PCX_REQUIRES_ADDRESS_IN_VPC_CIDR", target, leg, None)
            elif forward_out and (gone := _unowned(inv, [other], address)):
                found = ("NO_POSSIBLE_DESTINATION", gone, leg, None)
    elif kind == "transit-gateway":
        found = _tgw_blocks(inv, eni, peer, address, target, leg)
        if found is None and forward_out:
            attached = [
                a.resource_id or ""
                for a in inv.transit_gateway_attachments
                if a.transit_gateway_id == target and a.resource_id != eni.vpc_id
            ]
            if gone := _unowned(inv, attached, address):
                found = ("NO_POSSIBLE_DESTINATION", gone, leg, None)
    elif kind in ("internet-gateway", "egress-only-internet-gateway"):
        if peer is not None:
            found = ("NO_ROUTE_TO_DESTINATION", table.route_table_id, leg, None)
        elif leg == "forward" and kind == "egress-only-internet-gateway":
            eigw = next(
                (
                    g
                    for g in inv.egress_only_internet_gateways
                    if g.egress_only_internet_gateway_id == target
                ),
                None,
            )
            if ":" not in address:
                found = ("NO_ROUTE_TO_DESTINATION", target, leg, None)
            elif eigw is not None and eni.vpc_id not in eigw.vpc_ids:
                found = ("BAD_STATE_ATTACHMENT", target, leg, None)
        elif leg == "forward":
            if not _igw_attached(inv, target, eni.vpc_id):
                found = ("BAD_STATE_ATTACHMENT", target, leg, None)
            elif ":" not in address and not _public_ip_of(inv, eni, own or eni.private_ips[0]):
                found = ("IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS", target, leg, "egress")
    elif kind == "nat-gateway" and forward_out:
        found = _nat_out_blocks(inv, target, address, protocol, leg)
    elif kind in ("network-interface", "instance"):
        box = inv.network_interface(target)
        if box is None and inv.instance(target) is not None:
            box = inv.network_interface(inv.instance(target).network_interface_ids[0])  # type: ignore[union-attr]
        if box is not None and box.source_dest_check:
            found = ("ENI_SOURCE_DEST_CHECK_RESTRICTION", box.network_interface_id, leg, None)
    elif kind == "virtual-private-gateway":
        found = _vpn_blocks(inv, target, address, leg)
    if found is not None:
        blocks.append(found)
        return None
    return kind


def _entering(
    inv: Inventory, eni: NetworkInterface, source: str, own: str, blocks: list[Block]
) -> None:
    """An outside address's packet comes in the way ``eni``'s subnet routes the reply."""
    table = inv.route_table_of_subnet(eni.subnet_id)
    assert table is not None
    route = _best_route(inv, table.routes, source)
    if route is None or route.state.value == "blackhole":
        return  # the reply has no way back: reported on the return leg
    kind = route.target_kind.value
    target = route.target_id or ""
    if kind == "local" and (vpc := _unowned(inv, [eni.vpc_id], source)):
        # Nothing can send from an address no interface owns.
        blocks.append(("NO_PATH", vpc, "forward", None))
    elif kind == "egress-only-internet-gateway":
        blocks.append(("NO_PATH", target, "forward", "ingress"))
    elif kind == "internet-gateway":
        if not _igw_attached(inv, target, eni.vpc_id):
            blocks.append(("BAD_STATE_ATTACHMENT", target, "forward", None))
        elif eni.deny_all_igw_traffic or (":" not in source and not _public_ip_of(inv, eni, own)):
            blocks.append(("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", target, "forward", "ingress"))
    elif kind == "nat-gateway":
        igw = next(
            (g.internet_gateway_id for g in inv.internet_gateways if eni.vpc_id in g.vpc_ids),
            target,
        )
        blocks.append(("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", igw, "forward", "ingress"))


def _references_cut(
    inv: Inventory, src: NetworkInterface, dst: NetworkInterface, address: str
) -> tuple[bool, str | None]:
    """(whether src reaches dst through a transit gateway, and if so the component that
    has security-group referencing off, None when the gateway and both attachments have
    it on)."""
    if src.vpc_id == dst.vpc_id:
        return False, None
    table = inv.route_table_of_subnet(src.subnet_id)
    route = _best_route(inv, table.routes, address) if table else None
    if route is None or route.target_kind.value != "transit-gateway":
        return False, None
    tgw_id = route.target_id or ""
    gateway = next((g for g in inv.transit_gateways if g.transit_gateway_id == tgw_id), None)
    off = [] if gateway is not None and gateway.security_group_referencing_support else [tgw_id]
    for vpc_id in (src.vpc_id, dst.vpc_id):
        attachment = _attachment(inv, vpc_id, tgw_id)
        if attachment is not None and not attachment.security_group_referencing_support:
            off.append(attachment.transit_gateway_attachment_id)
    return True, (off[0] if off else None)
