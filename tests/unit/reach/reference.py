"""A small, slow, obviously correct evaluator to check netmend.reach against.

Written apart from the engine: no index, no interval algebra, nothing imported from
netmend.reach but the Flow it is given (of which it reads the protocol and what the user
typed for each end: it resolves the ends itself). Rules and entries are scanned one by
one for each concrete packet; a flow that stands for many packets (every code of an ICMP
type, all traffic, a reply to any ephemeral port) is checked packet by packet over a set
of sample packets that contains one packet of every region where the answer can change
(each entry's range ends and their neighbours), so the scan is exhaustive in effect.

It returns every blocking point as (code, component, leg, direction), in path order.

Real-account semantics, written from AWS's documentation (issue 9;
/work/shared/reference/aws-facts.md section 7), not from the engine:

- addresses: an IP is resolved among the interfaces owning it (private, IPv6 or in a
  delegated prefix) in the other end's VPC first, then the VPCs peered (active) or on a
  transit gateway (available attachments) with it, then anywhere; a public IP or Elastic
  IP is the private address it is translated to; an address inside a VPC's CIDR that no
  interface owns answers nothing (NO_POSSIBLE_DESTINATION), except the DNS resolver at
  base + 2, and sends nothing (NO_PATH);
- public IPs are per private address (the ENI's association, DescribeAddresses): the
  internet gateway lets out or in only an address that has one; a flow from inside to a
  public address is a hairpin: out by the source's route, then in from the address it
  left as (its public IP, or the NAT gateway's), so group references do not match it;
- interfaces without groups are not filtered by groups; a group missing from the
  inventory makes the verdict unknown (UNKNOWN_RESOURCE); DenyAllIgwTraffic takes
  nothing in from an internet gateway; a NAT gateway's interface takes nothing in;
- egress-only internet gateway: IPv6 out only, nothing in (NO_PATH);
- NAT gateway: TCP, UDP and ICMP only, its subnet's ACL crossed both ways (replies
  arrive on its ports 1024-65535), on to an internet gateway (public only), a transit
  or a virtual private gateway;
- an appliance ENI a route names forwards only with its source/destination check off;
- transit gateway: both VPCs attached (available), an attachment subnet in the
  sender's AZ (either leg), group references only inbound and only with referencing on
  the gateway and both attachments; when the gateway's route tables are known, the
  sender's attachment's table must route the destination to an attachment (TGW_RTB_*);
- virtual private gateway: static VPN routes only; BGP is beyond the API
  (UNKNOWN_DESTINATION);
- identical prefixes: local, then CIDR over prefix list, then a static route to a
  listed target over a propagated one, over a static one to another target;
- echo requests carry code 0 (and the other fixed-code query types).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netmend.model import (
    GROUPLESS_INTERFACE_TYPES,
    AclEntry,
    Inventory,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    Route,
    SgRule,
    TransitGatewayAttachment,
)
from netmend.reach.flow import Flow

__all__ = ["Block", "RefResult", "reference_evaluate"]

Block = tuple[str, str, str, str | None]  # (code, component, leg, direction)
# A concrete packet: protocol and its port (TCP/UDP), (type, code) (ICMP), or None.
Pkt = tuple[str, object]

ANY = "-1"
NAT_PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6")
FIXED = {"icmp": {0, 8, 13, 14, 15, 16, 17, 18}, "icmpv6": {128, 129}}
PORTED = ("tcp", "udp")
ICMPS = ("icmp", "icmpv6")
REPLIES = {"icmp": {8: 0, 13: 14, 15: 16, 17: 18}, "icmpv6": {128: 129}}


@dataclass
class RefResult:
    blocks: list[Block]
    tracked: bool | None


def _contains(cidr: str, address: str) -> bool:
    net = ipaddress.ip_network(cidr, strict=False)
    ip = ipaddress.ip_address(address)
    return net.version == ip.version and ip in net


# -- security groups ---------------------------------------------------------------------


def _sg_peer_matches(
    inv: Inventory, rule: SgRule, address: str, peer: NetworkInterface | None
) -> bool:
    if rule.cidr_ipv4 is not None:
        return _contains(rule.cidr_ipv4, address)
    if rule.cidr_ipv6 is not None:
        return _contains(rule.cidr_ipv6, address)
    if rule.referenced_group_id is not None:
        return peer is not None and rule.referenced_group_id in peer.group_ids
    plist = inv.prefix_list(rule.prefix_list_id or "")
    return plist is not None and any(_contains(e.cidr, address) for e in plist.entries)


def _sg_rule_admits(rule: SgRule, pkt: Pkt) -> bool:
    protocol, value = pkt
    if rule.protocol == ANY:
        return True
    if rule.protocol != protocol:
        return False
    if protocol in PORTED:
        if rule.from_port is None or rule.from_port == -1:
            return True
        assert isinstance(value, int)
        return rule.from_port <= value <= (rule.to_port if rule.to_port is not None else 65535)
    if protocol in ICMPS:
        assert isinstance(value, tuple)
        icmp_type, icmp_code = value
        if rule.from_port is None or rule.from_port == -1:
            return True
        if rule.from_port != icmp_type:
            return False
        return rule.to_port is None or rule.to_port in (-1, icmp_code)
    return True


def _rules_of(inv: Inventory, eni: NetworkInterface, egress: bool) -> list[SgRule]:
    found = []
    for group_id in eni.group_ids:
        group = inv.security_group(group_id)
        if group is not None:
            found += [r for r in group.rules if r.egress == egress]
    return found


def _sg_allows(
    inv: Inventory,
    eni: NetworkInterface,
    flow: Flow,
    egress: bool,
    peer: NetworkInterface | None,
    address: str,
) -> tuple[bool, list[SgRule]]:
    """(allowed, the rules that admit some packet of the flow); ``address`` is the other
    end's as the packet carries it; ``peer`` (None: references match nothing) its ENI."""
    rules = [r for r in _rules_of(inv, eni, egress) if _sg_peer_matches(inv, r, address, peer)]
    if flow.protocol == ANY:
        admitting = [r for r in rules if r.protocol == ANY]
        return bool(admitting), admitting
    packets = _flow_packets(flow)
    admitting = [r for r in rules if any(_sg_rule_admits(r, p) for p in packets)]
    ok = all(any(_sg_rule_admits(r, p) for r in rules) for p in packets)
    return ok, admitting


def _flow_packets(flow: Flow) -> list[Pkt]:
    if flow.protocol in PORTED:
        return [(flow.protocol, flow.port)]
    if flow.protocol in ICMPS:
        code = flow.icmp_code
        if code is None and flow.icmp_type in FIXED[flow.protocol]:
            code = 0  # echo, timestamp, ... always carry code 0
        codes = range(256) if code is None else [code]
        return [(flow.protocol, (flow.icmp_type, c)) for c in codes]
    return [(flow.protocol, None)]


# -- network ACLs ------------------------------------------------------------------------


def _acl_entry_matches(entry: AclEntry, pkt: Pkt, address: str) -> bool:
    if not _contains(entry.cidr, address):
        return False
    protocol, value = pkt
    if entry.protocol not in (ANY, protocol):
        return False
    if entry.protocol in PORTED:
        if entry.port_from is None or entry.port_to is None:
            return True
        assert isinstance(value, int)
        return entry.port_from <= value <= entry.port_to
    if entry.protocol in ICMPS:
        assert isinstance(value, tuple)
        if entry.icmp_type is None or entry.icmp_type == -1:
            return True
        if entry.icmp_type != value[0]:
            return False
        return entry.icmp_code is None or entry.icmp_code == -1 or entry.icmp_code == value[1]
    return True


def _acl_admits(acl: NetworkAcl, egress: bool, pkt: Pkt, address: str) -> bool:
    for entry in sorted(acl.entries, key=lambda e: e.rule_number):
        if entry.egress == egress and _acl_entry_matches(entry, pkt, address):
            return entry.rule_action.value == "allow"
    return False  # the default * deny


def _samples(values: list[int], low: int, high: int) -> list[int]:
    points = {low, high}
    for v in values:
        points.update({v - 1, v, v + 1})
    return sorted(p for p in points if low <= p <= high)


def _all_traffic_samples(acl: NetworkAcl) -> list[Pkt]:
    """One packet of each region of (protocol, keys) where an entry's match can change."""
    named = {e.protocol for e in acl.entries if e.protocol != ANY}
    unnamed = next(str(n) for n in range(200, 256) if str(n) not in named)
    packets: list[Pkt] = [(unnamed, None)]
    for protocol in named:
        mine = [e for e in acl.entries if e.protocol == protocol]
        if protocol in PORTED:
            ends = [x for e in mine for x in (e.port_from, e.port_to) if x is not None]
            packets += [(protocol, p) for p in _samples(ends, 0, 65535)]
        elif protocol in ICMPS:
            types = _samples([e.icmp_type for e in mine if e.icmp_type is not None], 0, 255)
            codes = _samples([e.icmp_code for e in mine if e.icmp_code is not None], 0, 255)
            packets += [(protocol, (t, c)) for t in types for c in codes]
        else:
            packets.append((protocol, None))
    return packets


def _acl_admits_flow(
    acl: NetworkAcl, egress: bool, packets: list[Pkt] | None, address: str
) -> bool:
    """``packets`` None: all traffic."""
    todo = _all_traffic_samples(acl) if packets is None else packets
    return all(_acl_admits(acl, egress, p, address) for p in todo)


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


# -- the path ----------------------------------------------------------------------------


def _state(inv: Inventory, eni: NetworkInterface, blocks: list[Block]) -> None:
    if inv.subnet(eni.subnet_id) is None:
        blocks.append(("UNASSOCIATED_COMPONENT", eni.subnet_id, "forward", None))
    instance = inv.instance(eni.instance_id) if eni.instance_id else None
    if instance is not None and instance.state != "running":
        blocks.append(("BAD_STATE", instance.instance_id, "forward", None))
    if eni.status == "available" or eni.attachment_status in ("detached", "detaching"):
        blocks.append(("BAD_STATE_ATTACHMENT", eni.network_interface_id, "forward", None))


def _sg_step(
    inv: Inventory,
    eni: NetworkInterface,
    flow: Flow,
    egress: bool,
    peer: NetworkInterface | None,
    address: str,
    blocks: list[Block],
    cut: str | None = None,
) -> list[SgRule]:
    """``cut``: the component that keeps references to ``peer``'s groups from matching
    (across a transit gateway), None when they match."""
    direction = "egress" if egress else "ingress"
    if not eni.group_ids and eni.interface_type in GROUPLESS_INTERFACE_TYPES:
        return []  # a service interface without groups: not filtered
    if not eni.group_ids:  # AWS gives every other interface a group: unknown
        blocks.append(("UNKNOWN_RESOURCE", eni.network_interface_id, "forward", direction))
        return []
    ok, admitting = _sg_allows(inv, eni, flow, egress, None if cut else peer, address)
    missing = [g for g in eni.group_ids if inv.security_group(g) is None]
    if not ok and missing:
        blocks.append(("UNKNOWN_RESOURCE", missing[0], "forward", direction))
    elif not ok and cut and _sg_allows(inv, eni, flow, egress, peer, address)[0]:
        blocks.append(("SG_REFERENCING_SUPPORT", cut, "forward", direction))
    elif not ok:
        empty = not _rules_of(inv, eni, egress)
        code = "SG_HAS_NO_RULES" if empty else "ENI_SG_RULES_MISMATCH"
        blocks.append((code, eni.group_ids[0], "forward", direction))
    return admitting


def _acl_step(
    inv: Inventory,
    subnet_id: str,
    egress: bool,
    packets: list[Pkt] | None,
    address: str,
    leg: str,
    blocks: list[Block],
) -> None:
    acl = inv.acl_of_subnet(subnet_id)
    if acl is not None and not _acl_admits_flow(acl, egress, packets, address):
        blocks.append(
            ("SUBNET_ACL_RESTRICTION", acl.network_acl_id, leg, "egress" if egress else "ingress")
        )


def _reply(flow: Flow) -> list[Pkt] | str | None:
    """Reply packets (ports filled in later for TCP/UDP), None for all traffic, or "none"."""
    if flow.protocol in PORTED:
        return []
    if flow.protocol in ICMPS:
        reply = REPLIES[flow.protocol].get(flow.icmp_type or 0)
        return "none" if reply is None else [(flow.protocol, (reply, 0))]
    if flow.protocol == ANY:
        return None
    return [(flow.protocol, None)]


def _some_port(acl: NetworkAcl, egress: bool, protocol: str, address: str) -> list[bool]:
    ends = [x for e in acl.entries for x in (e.port_from, e.port_to) if x is not None]
    return [_acl_admits(acl, egress, (protocol, p), address) for p in _samples(ends, 1024, 65535)]


def _ephemeral_blocks(
    inv: Inventory,
    flow: Flow,
    server: Side,
    client: Side,
    crosses: bool,
) -> tuple[Block | None, Block | None]:
    """Which of the server's egress ACL and client's ingress ACL block a TCP/UDP reply."""
    server_acl = inv.acl_of_subnet(server[0].subnet_id) if server[0] and crosses else None
    client_acl = inv.acl_of_subnet(client[0].subnet_id) if client[0] and crosses else None
    acls = [a for a in (server_acl, client_acl) if a is not None]
    ends = [x for a in acls for e in a.entries for x in (e.port_from, e.port_to) if x is not None]
    ports = _samples(ends, 1024, 65535)
    to_client, from_server = client[1], server[1]

    def admits(acl: NetworkAcl | None, egress: bool, address: str, port: int) -> bool:
        return acl is None or _acl_admits(acl, egress, (flow.protocol, port), address)

    first = [admits(server_acl, True, to_client, p) for p in ports]
    second = [admits(client_acl, False, from_server, p) for p in ports]
    server_block = client_block = None
    if server_acl is not None and not any(first):
        server_block = ("SUBNET_ACL_RESTRICTION", server_acl.network_acl_id, "return", "egress")
    both = any(a and b for a, b in zip(first, second, strict=True))
    if client_acl is not None and (not any(second) or (any(first) and not both)):
        client_block = ("SUBNET_ACL_RESTRICTION", client_acl.network_acl_id, "return", "ingress")
    return server_block, client_block


def _world(rule: SgRule) -> int | None:
    return 4 if rule.cidr_ipv4 == "0.0.0.0/0" else 6 if rule.cidr_ipv6 == "::/0" else None


def _untracked(
    inv: Inventory,
    eni: NetworkInterface,
    admitting: list[SgRule],
    egress: bool,
    family: int,
    protocol: str,
) -> bool:
    """Allowed by a whole-address-space rule, and the opposite direction open to all."""
    if not any(_world(r) == family for r in admitting):
        return False
    for r in _rules_of(inv, eni, not egress):
        all_ports = r.protocol == protocol and (
            r.from_port in (None, -1, 0) and r.to_port in (None, -1, 65535)
        )
        if _world(r) == family and (r.protocol == ANY or all_ports):
            return True
    return False


def _nat_used(inv: Inventory, src: NetworkInterface, address: str) -> NatGateway | None:
    table = inv.route_table_of_subnet(src.subnet_id)
    assert table is not None
    route = _best_route(inv, table.routes, address)
    return next(
        (n for n in inv.nat_gateways if route and n.nat_gateway_id == route.target_id), None
    )


def _nat_return_blocks(
    inv: Inventory,
    nat: NatGateway,
    src: NetworkInterface,
    flow: Flow,
    ends: tuple[str, str],
    reply: object,
) -> list[Block]:
    """The reply crosses the NAT subnet's ACL in from the destination (on the NAT's ports
    1024-65535) and out to the client (on its ephemeral ports): some port must pass each."""
    acl = inv.acl_of_subnet(nat.subnet_id)
    if acl is None:
        return []
    client, server = ends
    found: list[Block] = []
    checks = [(False, server, "ingress")]
    if nat.subnet_id != src.subnet_id:
        checks.append((True, client, "egress"))
    for egress, address, direction in checks:
        if flow.protocol in PORTED:
            ok = any(_some_port(acl, egress, flow.protocol, address))
        else:
            ok = _acl_admits_flow(acl, egress, reply if isinstance(reply, list) else None, address)
        if not ok:
            found.append(("SUBNET_ACL_RESTRICTION", acl.network_acl_id, "return", direction))
    return found


def _walk(inv: Inventory, flow: Flow, source: Side, destination: Side) -> RefResult:
    """The forward and return path between two resolved ends."""
    blocks: list[Block] = []
    src, src_addr, _ = source
    dst, dst_addr, _ = destination
    if dst is not None and dst.interface_type == "nat_gateway":
        # A NAT gateway takes in no connection it did not open.
        return RefResult(
            [("NO_POSSIBLE_DESTINATION", dst.network_interface_id, "forward", None)], None
        )
    tgw, cut = _references_cut(inv, src, dst, dst_addr) if src and dst else (False, None)
    crosses = src is None or dst is None or src.subnet_id != dst.subnet_id
    packets = None if flow.protocol == ANY else _flow_packets(flow)
    src_rules: list[SgRule] = []
    dst_rules: list[SgRule] = []
    via = None
    nat = None
    if src is not None:
        _state(inv, src, blocks)
        outbound = src.group_ids[0] if tgw and src.group_ids else None
        src_rules = _sg_step(inv, src, flow, True, dst, dst_addr, blocks, outbound)
        if crosses:
            _acl_step(inv, src.subnet_id, True, packets, dst_addr, "forward", blocks)
            via = _route_toward(inv, src, dst_addr, dst, "forward", blocks, flow.protocol, src_addr)
            nat = _nat_used(inv, src, dst_addr) if via == "nat-gateway" and dst is None else None
            if nat is not None:
                if nat.subnet_id != src.subnet_id:
                    _acl_step(inv, nat.subnet_id, False, packets, src_addr, "forward", blocks)
                _acl_step(inv, nat.subnet_id, True, packets, dst_addr, "forward", blocks)
    elif dst is not None:
        _entering(inv, dst, src_addr, dst_addr, blocks)
    if dst is not None:
        if crosses:
            _acl_step(inv, dst.subnet_id, False, packets, src_addr, "forward", blocks)
        dst_rules = _sg_step(inv, dst, flow, False, src, src_addr, blocks, cut if tgw else None)
        _state(inv, dst, blocks)

    reply = _reply(flow)
    if reply != "none":
        server_block = client_block = None
        if flow.protocol in PORTED:
            server_block, client_block = _ephemeral_blocks(inv, flow, destination, source, crosses)
        else:
            rp = reply if isinstance(reply, list) else None
            if dst is not None and crosses:
                acl = inv.acl_of_subnet(dst.subnet_id)
                if acl is not None and not _acl_admits_flow(acl, True, rp, src_addr):
                    server_block = (
                        "SUBNET_ACL_RESTRICTION",
                        acl.network_acl_id,
                        "return",
                        "egress",
                    )
            if src is not None and crosses:
                acl = inv.acl_of_subnet(src.subnet_id)
                if acl is not None and not _acl_admits_flow(acl, False, rp, dst_addr):
                    client_block = (
                        "SUBNET_ACL_RESTRICTION",
                        acl.network_acl_id,
                        "return",
                        "ingress",
                    )
        if server_block:
            blocks.append(server_block)
        if dst is not None and crosses:
            _route_toward(inv, dst, src_addr, src, "return", blocks)
        if nat is not None and src is not None:
            blocks += _nat_return_blocks(inv, nat, src, flow, (src_addr, dst_addr), reply)
        if client_block:
            blocks.append(client_block)

    blocks = list(dict.fromkeys(blocks))  # one component failing one way is said once
    tracked: bool | None = None
    if not blocks:
        tracked = True
        family = 6 if ":" in dst_addr else 4
        if flow.protocol in PORTED and via not in ("nat-gateway", "transit-gateway"):
            if dst is not None and _untracked(inv, dst, dst_rules, False, family, flow.protocol):
                tracked = False
            if src is not None and _untracked(inv, src, src_rules, True, family, flow.protocol):
                tracked = False
    return RefResult(blocks, tracked)


def _left_as(inv: Inventory, src: NetworkInterface, own: str, public: str) -> str | None:
    """The public address a packet from ``own`` to ``public`` leaves the VPC with."""
    table = inv.route_table_of_subnet(src.subnet_id)
    assert table is not None
    route = _best_route(inv, table.routes, public)
    if route is None:
        return None
    if route.target_kind.value == "internet-gateway":
        return _public_ip_of(inv, src, own)
    nat = next((n for n in inv.nat_gateways if n.nat_gateway_id == route.target_id), None)
    if route.target_kind.value == "nat-gateway" and nat is not None and nat.public_ips:
        return nat.public_ips[0]
    return None


def reference_evaluate(inv: Inventory, flow: Flow) -> RefResult:
    """Every blocking point of ``flow``, its ends resolved from what the user typed."""
    source, destination = reference_resolve(inv, flow.source.given, flow.destination.given)
    src, src_addr, _ = source
    dst, dst_addr, public = destination
    if src is not None and dst is not None and src.network_interface_id == dst.network_interface_id:
        blocks: list[Block] = []
        _state(inv, src, blocks)  # the traffic never leaves the host
        return RefResult(blocks, None if blocks else True)
    if src is None or dst is None or not public:
        return _walk(inv, flow, source, destination)
    # A hairpin: out to the public address by the source's own route, then in from the
    # address it left with; the destination's groups see that public source.
    outside = str(ipaddress.ip_address(flow.destination.given))
    first = _walk(inv, flow, source, (None, outside, False))
    left = _left_as(inv, src, src_addr, outside) if not first.blocks else None
    if left is None:
        return first
    second = _walk(inv, flow, (None, left, False), (dst, dst_addr, False))
    tracked = None if second.blocks else bool(first.tracked and second.tracked)
    return RefResult(second.blocks, tracked)
