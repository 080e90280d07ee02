"""Where a subnet's route sends a packet, and whether the packet gets there.

Modelled (simplifications stated where they are made):

- local route: delivers inside the VPC; a destination ENI in another VPC is not reached;
  an address of the VPC's CIDR that no interface owns answers nothing
  (NO_POSSIBLE_DESTINATION; gateways.py) and sends nothing (NO_PATH);
- VPC peering: the connection must be ``active``, join this VPC, and the address must lie
  in the peer VPC's CIDRs (PCX_REQUIRES_ADDRESS_IN_VPC_CIDR otherwise);
- transit gateway: both VPCs need an ``available`` VPC attachment to that transit
  gateway, and the sender's attachment a subnet in the sender's Availability Zone
  (TGW_ROUTE_AZ_RESTRICTION); the sender's attachment's route table, when the
  gateway's tables were read, must route the destination to the destination VPC's
  attachment (TGW_RTB_*, gateways.py; without them the gateway is assumed to route
  between its attachments); group references across it match only with referencing
  enabled on it and both attachments (``references_across``);
- internet gateway: attached to the VPC; public IPs belong to private addresses:
  outbound IPv4 needs a public IP or EIP on the source's private address
  (IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS), inbound IPv4 one on the destination's
  (IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS); it does not deliver to private addresses of
  other VPCs;
- NAT gateway: ``available``; TCP, UDP and ICMP only (PROTOCOL_RESTRICTION); its own
  subnet must route the destination to an attached internet gateway (a public NAT
  gateway only; a private one never reaches the internet), or on to a transit or
  virtual private gateway; a NAT gateway takes no inbound connections. Its subnet's ACL
  is checked by the evaluator (nat.py);
- an interface with DenyAllIgwTraffic takes nothing in from an internet gateway;
- egress-only internet gateway: IPv6 outbound only; nothing comes in through it (NO_PATH);
- a network interface or instance (an appliance): its source/destination check must be
  off (ENI_SOURCE_DEST_CHECK_RESTRICTION); beyond it the path is not followed;
- virtual private gateway: static VPN routes are followed; BGP routes are not visible
  to the API (UNKNOWN_DESTINATION);
- any other target (VPC endpoint, carrier or local gateway, core network, ...) is not
  followed: the route is assumed to deliver, and a note says so;
- a subnet whose route table is not in the inventory is given the VPC's local route only
  (every AWS route table has it), with a note.
"""

from __future__ import annotations

import ipaddress

from netmend.model import (
    InternetGateway,
    Inventory,
    NatGateway,
    NetworkInterface,
    Route,
    RouteState,
    RouteTable,
    RouteTargetKind,
    TransitGateway,
    TransitGatewayAttachment,
    VpcPeeringConnection,
)
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP
from netmend.reach import gateways
from netmend.reach.packet import Address, network_interval, parse_address
from netmend.reach.result import Code, Direction, Leg
from netmend.reach.routes import RouteIndex, route_text
from netmend.reach.trace import Trace

__all__ = ["Router", "eni_address"]

_AVAILABLE = "available"
# "A NAT gateway supports the following protocols: TCP, UDP, and ICMP."
_NAT_PROTOCOLS = frozenset({TCP, UDP, ICMP, ICMPV6})


def _text(address: Address) -> str:
    if address.family == 4:
        return str(ipaddress.IPv4Address(address.value))
    return str(ipaddress.IPv6Address(address.value))


def eni_address(eni: NetworkInterface) -> Address | None:
    """The ENI's primary address (its first IPv6 one on an IPv6-only interface)."""
    text = eni.primary_ip or next(iter(eni.ipv6_addresses), "")
    return parse_address(text) if text else None


def _contains(cidrs: tuple[str, ...], address: Address) -> bool:
    for cidr in cidrs:
        family, first, last = network_interval(cidr)
        if family == address.family and first <= address.value <= last:
            return True
    return False


class Router:
    """Route checks of one inventory; records hops, blocks and notes on a Trace."""

    def __init__(self, inventory: Inventory, routes: RouteIndex) -> None:
        self._inventory = inventory
        self._routes = routes
        self._table_of_subnet: dict[str, RouteTable | None] = {}

    # -- lookups -----------------------------------------------------------------------

    def _route(
        self, eni: NetworkInterface, address: Address, trace: Trace
    ) -> tuple[str, RouteTable | None, Route | None]:
        """(component id, table, chosen route) for ``eni``'s subnet towards ``address``."""
        if eni.subnet_id not in self._table_of_subnet:
            self._table_of_subnet[eni.subnet_id] = self._inventory.route_table_of_subnet(
                eni.subnet_id
            )
        table = self._table_of_subnet[eni.subnet_id]
        if table is None:
            trace.note(
                f"no route table is known for {eni.subnet_id}: only the VPC's local route "
                "was assumed"
            )
            vpc = self._inventory.vpc(eni.vpc_id)
            cidrs = (vpc.cidr_blocks + vpc.ipv6_cidr_blocks) if vpc else ()
            for cidr in cidrs:
                if _contains((cidr,), address):
                    local = (
                        Route(destination_cidr=cidr, target_kind=RouteTargetKind.LOCAL)
                        if ":" not in cidr
                        else Route(destination_ipv6_cidr=cidr, target_kind=RouteTargetKind.LOCAL)
                    )
                    return eni.subnet_id, None, local
            return eni.subnet_id, None, None
        for plist in self._routes.unknown_prefix_lists(table):
            trace.note(
                f"{table.route_table_id} routes to prefix list {plist}, which is not "
                "in the inventory: that route was taken to match nothing"
            )
        return table.route_table_id, table, self._routes.lookup(table, address)

    def _igw_of(self, vpc_id: str) -> InternetGateway | None:
        return next((g for g in self._inventory.internet_gateways if vpc_id in g.vpc_ids), None)

    # -- legs --------------------------------------------------------------------------

    def toward(
        self,
        trace: Trace,
        leg: Leg,
        eni: NetworkInterface,
        address: Address,
        peer: NetworkInterface | None,
        *,
        own: str | None = None,
        protocol: str | None = None,
    ) -> RouteTargetKind | None:
        """``eni``'s subnet routes a packet to ``address`` (the ENI ``peer``, or outside).

        ``own`` is ``eni``'s address in this flow (public IPs belong to private
        addresses); ``protocol`` the flow's (a NAT gateway carries TCP, UDP, ICMP only).

        Forward: the client's subnet towards the server. Return: the server's subnet
        sending the reply back; gateway checks an outside client already went through
        on the way in (``entering``) are not repeated. Returns the kind of target used,
        or None when the packet is dropped here.
        """
        component, _, route = self._route(eni, address, trace)
        where = _text(address)
        if route is None:
            trace.hop(leg, component, "route-table", allowed=False, detail=f"no route to {where}")
            trace.block(
                Code.NO_ROUTE_TO_DESTINATION,
                component,
                leg=leg,
                detail=f"{component} has no route covering {where}",
            )
            return None
        text = route_text(component, route)
        if route.state is RouteState.BLACKHOLE:
            trace.hop(leg, component, "route-table", allowed=False, detail=text)
            trace.block(
                Code.BAD_STATE_ROUTE,
                component,
                leg=leg,
                rules=(text,),
                detail=f"{text}: the route's target is gone, packets are dropped",
            )
            return None
        trace.hop(leg, component, "route-table", detail=text)
        kind = route.target_kind
        target = route.target_id or kind.value
        if kind is RouteTargetKind.LOCAL:
            if peer is not None and peer.vpc_id != eni.vpc_id:
                trace.block(
                    Code.NO_ROUTE_TO_DESTINATION,
                    component,
                    leg=leg,
                    rules=(text,),
                    detail=f"{text} keeps {where} inside {eni.vpc_id}, but "
                    f"{peer.network_interface_id} is in {peer.vpc_id}",
                )
                return None
            if (
                peer is None
                and leg is Leg.FORWARD
                and not gateways.unowned(trace, leg, self._inventory, where, (eni.vpc_id,), text)
            ):
                return None
        elif kind is RouteTargetKind.VPC_PEERING:
            ok = self._peering(trace, leg, eni, address=address, peer=peer, target=target)
            if ok and peer is None and leg is Leg.FORWARD:
                others = self._peer_vpcs(target)
                ok = gateways.unowned(trace, leg, self._inventory, where, others, text)
            return kind if ok else None
        elif kind is RouteTargetKind.TRANSIT_GATEWAY:
            ok = self._transit(trace, leg, eni, peer, target, where)
            if ok and peer is None and leg is Leg.FORWARD:
                attached = tuple(
                    a.resource_id or ""
                    for a in self._inventory.transit_gateway_attachments
                    if a.transit_gateway_id == target and a.resource_id != eni.vpc_id
                )
                ok = gateways.unowned(trace, leg, self._inventory, where, attached, text)
            return kind if ok else None
        elif kind in (
            RouteTargetKind.INTERNET_GATEWAY,
            RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY,
        ):
            if peer is not None:
                trace.block(
                    Code.NO_ROUTE_TO_DESTINATION,
                    component,
                    leg=leg,
                    rules=(text,),
                    detail=f"{text} sends {where} to the internet, which does not "
                    f"deliver to {peer.network_interface_id}'s private address",
                )
                return None
            if leg is Leg.FORWARD and kind is RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY:
                family = address.family
                ok = gateways.egress_only_out(trace, leg, self._inventory, eni, family, target)
                return kind if ok else None
            if leg is Leg.FORWARD and kind is RouteTargetKind.INTERNET_GATEWAY:
                return kind if self._igw_out(trace, eni, address, target, own) else None
            trace.hop(leg, target, "gateway", detail=f"leaves through {target}")
        elif kind is RouteTargetKind.NAT_GATEWAY:
            if peer is not None:
                trace.note(
                    f"{text}: traffic to {where} through a NAT gateway was assumed to arrive"
                )
            elif leg is Leg.FORWARD:
                return kind if self._nat_out(trace, address, target, protocol) else None
            trace.hop(leg, target, "gateway", detail=f"through {target}")
        elif kind in (RouteTargetKind.NETWORK_INTERFACE, RouteTargetKind.INSTANCE):
            ok = gateways.middlebox(trace, leg, self._inventory, target, text)
            return kind if ok else None
        elif kind is RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY:
            # To an outside address or another VPC's interface alike: the VPN forwards
            # only its static routes, and BGP routes are not visible to the API.
            ok = gateways.vpn_gateway(trace, leg, self._inventory, target, where)
            return kind if ok else None
        else:
            trace.note(
                f"{text}: {kind.value} targets are not modelled; the route was assumed to deliver"
            )
            trace.hop(leg, target, "gateway", detail=f"through {target} (not modelled)")
        return kind

    def entering(
        self, trace: Trace, eni: NetworkInterface, source: Address, own: str | None = None
    ) -> None:
        """An outside client's packet comes into ``eni``'s VPC (forward leg).

        The way in is the way the reply goes out: the route ``eni``'s subnet has towards
        the client. Through an internet gateway, an IPv4 destination needs a public IP; a
        NAT gateway takes no inbound connections. No route (or a blackhole) is reported
        on the return leg, where the reply is dropped.
        """
        _, _, route = self._route(eni, source, trace)
        if route is None or route.state is RouteState.BLACKHOLE:
            return
        target = route.target_id or route.target_kind.value
        public = self._inventory.public_ip_of(eni, own)
        if route.target_kind is RouteTargetKind.LOCAL:
            gateways.unowned_source(trace, self._inventory, _text(source), (eni.vpc_id,))
        if route.target_kind is RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY:
            gateways.egress_only_in(trace, eni, target)
            return
        if route.target_kind is RouteTargetKind.INTERNET_GATEWAY:
            if not self._igw_attached(trace, eni, target):
                return
            if eni.deny_all_igw_traffic:
                # DenyAllIgwTraffic: the interface is unreachable from the internet (it
                # stays reachable from peered VPCs, transit gateways and on premises).
                detail = (
                    f"{eni.network_interface_id} has DenyAllIgwTraffic set: {target} drops "
                    "inbound traffic from the internet to it"
                )
                trace.drop(
                    Code.IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS,
                    target,
                    "gateway",
                    leg=Leg.FORWARD,
                    direction=Direction.INGRESS,
                    detail=detail,
                )
                return
            if source.family == 4 and not public:
                trace.hop(
                    Leg.FORWARD,
                    target,
                    "gateway",
                    direction=Direction.INGRESS,
                    allowed=False,
                    detail=f"{eni.network_interface_id} has no public IP for {own or 'it'}",
                )
                trace.block(
                    Code.IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS,
                    target,
                    leg=Leg.FORWARD,
                    direction=Direction.INGRESS,
                    detail=f"{eni.network_interface_id} has no public IP: {target} delivers "
                    "inbound IPv4 only to an interface's public address",
                )
                return
            trace.hop(
                Leg.FORWARD,
                target,
                "gateway",
                direction=Direction.INGRESS,
                detail=f"enters through {target} to {public or 'IPv6'}",
            )
        elif route.target_kind is RouteTargetKind.NAT_GATEWAY:
            igw = self._igw_of(eni.vpc_id)
            component = igw.internet_gateway_id if igw else target
            trace.hop(
                Leg.FORWARD,
                component,
                "gateway",
                direction=Direction.INGRESS,
                allowed=False,
                detail=f"{eni.subnet_id} reaches the internet through {target}",
            )
            trace.block(
                Code.IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS,
                component,
                leg=Leg.FORWARD,
                direction=Direction.INGRESS,
                detail=f"{eni.subnet_id} reaches {_text(source)} only through NAT gateway "
                f"{target}, which takes no inbound connections: the destination needs a "
                "public IP and an internet-gateway route",
            )
        else:
            trace.hop(
                Leg.FORWARD,
                target,
                "gateway",
                direction=Direction.INGRESS,
                detail=f"enters through {target}",
            )

    # -- gateways ----------------------------------------------------------------------

    def _peering(
        self,
        trace: Trace,
        leg: Leg,
        eni: NetworkInterface,
        *,
        address: Address,
        peer: NetworkInterface | None,
        target: str,
    ) -> bool:
        pcx = self._inventory.get(target)
        if not isinstance(pcx, VpcPeeringConnection) or pcx.status != "active":
            status = pcx.status if isinstance(pcx, VpcPeeringConnection) else "not found"
            trace.hop(leg, target, "gateway", allowed=False, detail=f"{target} is {status}")
            trace.block(
                Code.BAD_STATE,
                target,
                leg=leg,
                detail=f"peering connection {target} is {status}, not active",
            )
            return False
        if eni.vpc_id == pcx.requester_vpc_id:
            other, cidrs = pcx.accepter_vpc_id, pcx.accepter_cidr_blocks
        elif eni.vpc_id == pcx.accepter_vpc_id:
            other, cidrs = pcx.requester_vpc_id, pcx.requester_cidr_blocks
        else:
            trace.hop(
                leg, target, "gateway", allowed=False, detail=f"{target} does not join {eni.vpc_id}"
            )
            trace.block(
                Code.BAD_STATE_ATTACHMENT,
                target,
                leg=leg,
                detail=f"peering connection {target} does not join {eni.vpc_id}",
            )
            return False
        vpc = self._inventory.vpc(other)
        if vpc is not None:
            cidrs = (cidrs or vpc.cidr_blocks) + vpc.ipv6_cidr_blocks
        wrong_vpc = peer is not None and peer.vpc_id != other
        if not _contains(cidrs, address) or wrong_vpc:
            trace.hop(
                leg, target, "gateway", allowed=False, detail=f"{_text(address)} is not in {other}"
            )
            trace.block(
                Code.PCX_REQUIRES_ADDRESS_IN_VPC_CIDR,
                target,
                leg=leg,
                detail=f"{target} carries only addresses of {other} "
                f"({', '.join(cidrs) or 'no CIDR known'}); {_text(address)} is not one",
            )
            return False
        trace.hop(leg, target, "gateway", detail=f"through {target} to {other}")
        return True

    def _attachment(self, vpc_id: str, transit_gateway_id: str) -> TransitGatewayAttachment | None:
        found = [
            a
            for a in self._inventory.transit_gateway_attachments
            if a.resource_id == vpc_id and a.transit_gateway_id == transit_gateway_id
        ]
        return next((a for a in found if a.state == _AVAILABLE), found[0] if found else None)

    def _transit(
        self,
        trace: Trace,
        leg: Leg,
        eni: NetworkInterface,
        peer: NetworkInterface | None,
        target: str,
        where: str,
    ) -> bool:
        vpcs = [eni.vpc_id] + ([peer.vpc_id] if peer is not None else [])
        for vpc_id in vpcs:
            attachment = self._attachment(vpc_id, target)
            if attachment is None or attachment.state != _AVAILABLE:
                component = attachment.transit_gateway_attachment_id if attachment else target
                state = attachment.state if attachment else "missing"
                trace.hop(
                    leg,
                    component,
                    "gateway",
                    allowed=False,
                    detail=f"{vpc_id}'s attachment to {target} is {state}",
                )
                code = Code.BAD_STATE_ATTACHMENT if attachment else Code.NO_ROUTE_TO_DESTINATION
                trace.block(
                    code,
                    component,
                    leg=leg,
                    detail=f"{vpc_id} has no available attachment to {target} ({state})",
                )
                return False
        sender = self._attachment(eni.vpc_id, target)
        if sender is not None and not gateways.transit_az(trace, leg, self._inventory, eni, sender):
            return False
        receiver = self._attachment(peer.vpc_id, target) if peer is not None else None
        if sender is not None and not gateways.transit_route(
            trace, leg, self._inventory, sender, receiver, where
        ):
            return False
        trace.hop(leg, target, "gateway", detail=f"through {target}")
        return True

    def references_across(self, src: NetworkInterface, dst: NetworkInterface) -> str | None:
        """Why group references do not match between ``src`` and ``dst`` (None: they do).

        Across a transit gateway they match only when the gateway and both VPC
        attachments enable security-group referencing; across peering (same region)
        and inside a VPC they match.
        """
        address = eni_address(dst)
        if src.vpc_id == dst.vpc_id or address is None:
            return None
        route = self.route_kind(src, address)
        if route is None or route.target_kind is not RouteTargetKind.TRANSIT_GATEWAY:
            return None
        target = route.target_id or ""
        gateway = self._inventory.get(target)
        ends = [self._attachment(v, target) for v in (src.vpc_id, dst.vpc_id)]
        off = [
            a.transit_gateway_attachment_id
            for a in ends
            if a is not None and not a.security_group_referencing_support
        ]
        if (
            not isinstance(gateway, TransitGateway)
            or not gateway.security_group_referencing_support
        ):
            off.insert(0, target)
        return off[0] if off else None

    def _igw_attached(self, trace: Trace, eni: NetworkInterface, target: str) -> bool:
        """Whether internet gateway ``target`` is attached to ``eni``'s VPC (else the route
        is a dead end: BAD_STATE_ATTACHMENT), in and out alike."""
        igw = self._inventory.get(target)
        if isinstance(igw, InternetGateway) and eni.vpc_id in igw.vpc_ids:
            return True
        detail = f"{target} is not attached to {eni.vpc_id}"
        trace.drop(Code.BAD_STATE_ATTACHMENT, target, "gateway", leg=Leg.FORWARD, detail=detail)
        return False

    def _igw_out(
        self,
        trace: Trace,
        eni: NetworkInterface,
        address: Address,
        target: str,
        own: str | None = None,
    ) -> bool:
        if not self._igw_attached(trace, eni, target):
            return False
        # Public IPs belong to private addresses: a secondary address without its own
        # public IP or EIP cannot use the internet gateway.
        public = self._inventory.public_ip_of(eni, own)
        if address.family == 4 and not public:
            trace.hop(
                Leg.FORWARD,
                target,
                "gateway",
                direction=Direction.EGRESS,
                allowed=False,
                detail=f"{eni.network_interface_id} has no public IP for {own or 'it'}",
            )
            trace.block(
                Code.IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS,
                target,
                leg=Leg.FORWARD,
                direction=Direction.EGRESS,
                detail=f"{eni.network_interface_id} has no public IP: {target} sends IPv4 out "
                "only from an interface's public address (or use a NAT gateway route)",
            )
            return False
        trace.hop(
            Leg.FORWARD,
            target,
            "gateway",
            direction=Direction.EGRESS,
            detail=f"leaves through {target} as {public or 'itself (IPv6)'}",
        )
        return True

    def _nat_out(
        self, trace: Trace, address: Address, target: str, protocol: str | None = None
    ) -> bool:
        nat = self._inventory.get(target)
        if not isinstance(nat, NatGateway) or nat.state != _AVAILABLE:
            state = nat.state if isinstance(nat, NatGateway) else "not found"
            trace.hop(Leg.FORWARD, target, "gateway", allowed=False, detail=f"{target} is {state}")
            trace.block(
                Code.BAD_STATE,
                target,
                leg=Leg.FORWARD,
                detail=f"NAT gateway {target} is {state}, not available",
            )
            return False
        if protocol is not None and protocol not in _NAT_PROTOCOLS:
            what = "all traffic" if protocol == ALL else f"protocol {protocol}"
            detail = f"NAT gateway {target} carries TCP, UDP and ICMP only, not {what}"
            trace.drop(Code.PROTOCOL_RESTRICTION, target, "gateway", leg=Leg.FORWARD, detail=detail)
            return False
        table = self._inventory.route_table_of_subnet(nat.subnet_id)
        route = self._routes.lookup(table, address) if table else None
        component = table.route_table_id if table else nat.subnet_id
        kind = route.target_kind if route is not None else None
        if route is not None and route.state is not RouteState.BLACKHOLE:
            # A public NAT gateway may also send through a transit or virtual private
            # gateway (to other VPCs or on premises); so may a private one.
            if kind in (RouteTargetKind.TRANSIT_GATEWAY, RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY):
                via = route.target_id or (kind.value if kind else "")
                trace.note(
                    f"{target} sends {_text(address)} on through {via}; beyond it the path "
                    "is not followed"
                )
                trace.hop(Leg.FORWARD, target, "gateway", detail=f"through {target} and {via}")
                return True
            if kind is RouteTargetKind.INTERNET_GATEWAY and nat.connectivity_type == "private":
                detail = (
                    f"{target} is a private NAT gateway: the internet gateway drops what it "
                    "sends, so it never reaches the internet"
                )
                trace.drop(
                    Code.NO_ROUTE_TO_DESTINATION, target, "gateway", leg=Leg.FORWARD, detail=detail
                )
                return False
        igw = self._inventory.get(route.target_id or "") if route else None
        if (
            route is None
            or route.state is RouteState.BLACKHOLE
            or route.target_kind is not RouteTargetKind.INTERNET_GATEWAY
            or not isinstance(igw, InternetGateway)
            or nat.vpc_id not in igw.vpc_ids
        ):
            trace.hop(
                Leg.FORWARD,
                component,
                "route-table",
                allowed=False,
                detail=f"{nat.subnet_id} has no internet-gateway route to {_text(address)}",
            )
            trace.block(
                Code.NO_ROUTE_TO_DESTINATION,
                component,
                leg=Leg.FORWARD,
                detail=f"NAT gateway {target}'s subnet {nat.subnet_id} has no route "
                f"to {_text(address)} through an attached internet gateway",
            )
            return False
        trace.hop(
            Leg.FORWARD, target, "gateway", detail=f"through {target} and {igw.internet_gateway_id}"
        )
        return True

    # -- real-account steps

    def _peer_vpcs(self, pcx_id: str) -> tuple[str, ...]:
        pcx = self._inventory.get(pcx_id)
        if not isinstance(pcx, VpcPeeringConnection):
            return ()
        return (pcx.requester_vpc_id, pcx.accepter_vpc_id)

    def route_kind(self, eni: NetworkInterface, address: Address) -> Route | None:
        """The route ``eni``'s subnet takes towards ``address``, recording nothing."""
        return self._route(eni, address, Trace())[2]
