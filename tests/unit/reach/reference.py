"""A small, slow, obviously correct evaluator to check netmend.reach against.

Written apart from the engine: no index, no interval algebra, nothing imported from
netmend.reach but the Flow it is given. Rules and entries are scanned one by one for each
concrete packet; a flow that stands for many packets (every code of an ICMP type, all
traffic, a reply to any ephemeral port) is checked packet by packet over a set of sample
packets that contains one packet of every region where the answer can change (each
entry's range ends and their neighbours), so the scan is exhaustive in effect.

It returns every blocking point as (code, component, leg, direction), in path order.

Real-account semantics it knows as well (issue 9): interfaces without groups are not
filtered by groups; a group missing from the inventory makes the verdict unknown
(UNKNOWN_RESOURCE); an address in the VPC's CIDR that no interface owns answers nothing
(NO_POSSIBLE_DESTINATION), except the DNS resolver at base + 2; a NAT gateway carries
TCP, UDP and ICMP only and its subnet's ACL is crossed both ways (replies arrive on its
ports 1024-65535); an appliance ENI a route names forwards only with its
source/destination check off; echo requests carry code 0 (and the other fixed-code
query types).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netmend.model import (
    AclEntry,
    Inventory,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    Route,
    SgRule,
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
    inv: Inventory, eni: NetworkInterface, flow: Flow, egress: bool, peer: NetworkInterface | None
) -> tuple[bool, list[SgRule]]:
    """(allowed, the rules that admit some packet of the flow)."""
    address = flow.destination.address if egress else flow.source.address
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


# -- routes ------------------------------------------------------------------------------


def _best_route(inv: Inventory, table_routes: tuple[Route, ...], address: str) -> Route | None:
    best: tuple[int, bool, bool] | None = None
    chosen = None
    for route in table_routes:
        if route.destination_prefix_list_id is not None:
            plist = inv.prefix_list(route.destination_prefix_list_id)
            cidrs = [e.cidr for e in plist.entries] if plist else []
        else:
            cidrs = [route.destination_cidr or route.destination_ipv6_cidr or ""]
        for cidr in cidrs:
            if not _contains(cidr, address):
                continue
            rank = (
                ipaddress.ip_network(cidr).prefixlen,
                route.target_kind.value == "local",
                route.destination_prefix_list_id is None,
            )
            if best is None or rank > best:
                best, chosen = rank, route
    return chosen


def _igw_attached(inv: Inventory, igw_id: str, vpc_id: str) -> bool:
    return any(
        g.internet_gateway_id == igw_id and vpc_id in g.vpc_ids for g in inv.internet_gateways
    )


def _route_toward(
    inv: Inventory,
    eni: NetworkInterface,
    address: str,
    peer: NetworkInterface | None,
    leg: str,
    blocks: list[Block],
    protocol: str = "tcp",
) -> str | None:
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
    if kind == "local":
        if peer is not None and peer.vpc_id != eni.vpc_id:
            blocks.append(("NO_ROUTE_TO_DESTINATION", table.route_table_id, leg, None))
            return None
        if peer is None and leg == "forward" and _unowned_in_vpc(inv, eni.vpc_id, address):
            blocks.append(("NO_POSSIBLE_DESTINATION", eni.vpc_id, leg, None))
            return None
    elif kind == "internet-gateway":
        if peer is not None:
            blocks.append(("NO_ROUTE_TO_DESTINATION", table.route_table_id, leg, None))
            return None
        if leg == "forward":
            if not _igw_attached(inv, target, eni.vpc_id):
                blocks.append(("BAD_STATE_ATTACHMENT", target, leg, None))
                return None
            if ":" not in address and not eni.public_ip:
                blocks.append(("IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS", target, leg, "egress"))
                return None
    elif kind in ("network-interface", "instance"):
        box = inv.network_interface(target)
        if box is not None and box.source_dest_check:
            blocks.append(
                ("ENI_SOURCE_DEST_CHECK_RESTRICTION", box.network_interface_id, leg, None)
            )
            return None
    elif kind == "nat-gateway" and peer is None and leg == "forward":
        nat = next((n for n in inv.nat_gateways if n.nat_gateway_id == target), None)
        if nat is None or nat.state != "available":
            blocks.append(("BAD_STATE", target, leg, None))
            return None
        if protocol not in NAT_PROTOCOLS:
            blocks.append(("PROTOCOL_RESTRICTION", target, leg, None))
            return None
        nat_table = inv.route_table_of_subnet(nat.subnet_id)
        assert nat_table is not None
        out = _best_route(inv, nat_table.routes, address)
        if (
            out is None
            or out.state.value == "blackhole"
            or out.target_kind.value != "internet-gateway"
            or not _igw_attached(inv, out.target_id or "", nat.vpc_id)
        ):
            blocks.append(("NO_ROUTE_TO_DESTINATION", nat_table.route_table_id, leg, None))
            return None
    return kind


def _unowned_in_vpc(inv: Inventory, vpc_id: str, address: str) -> bool:
    vpc = inv.vpc(vpc_id)
    assert vpc is not None
    if not any(_contains(c, address) for c in vpc.cidr_blocks):
        return False
    bases = [*vpc.cidr_blocks, *(s.cidr_block for s in inv.subnets if s.cidr_block)]
    dns = {str(ipaddress.ip_network(c).network_address + 2) for c in bases}
    owned = any(address in e.private_ips for e in inv.network_interfaces)
    return not owned and address not in dns


def _entering(inv: Inventory, eni: NetworkInterface, source: str, blocks: list[Block]) -> None:
    table = inv.route_table_of_subnet(eni.subnet_id)
    assert table is not None
    route = _best_route(inv, table.routes, source)
    if route is None or route.state.value == "blackhole":
        return
    target = route.target_id or ""
    if route.target_kind.value == "internet-gateway":
        if not _igw_attached(inv, target, eni.vpc_id):
            blocks.append(("BAD_STATE_ATTACHMENT", target, "forward", None))
        elif ":" not in source and not eni.public_ip:
            blocks.append(("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", target, "forward", "ingress"))
    elif route.target_kind.value == "nat-gateway":
        igw = next(
            (g.internet_gateway_id for g in inv.internet_gateways if eni.vpc_id in g.vpc_ids),
            target,
        )
        blocks.append(("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", igw, "forward", "ingress"))


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
    blocks: list[Block],
) -> list[SgRule]:
    if not eni.group_ids:  # a service interface without groups: not filtered
        return []
    ok, admitting = _sg_allows(inv, eni, flow, egress, peer)
    missing = [g for g in eni.group_ids if inv.security_group(g) is None]
    if not ok and missing:
        blocks.append(
            ("UNKNOWN_RESOURCE", missing[0], "forward", "egress" if egress else "ingress")
        )
        return admitting
    if not ok:
        empty = not _rules_of(inv, eni, egress)
        component = eni.group_ids[0] if eni.group_ids else eni.network_interface_id
        blocks.append(
            (
                "SG_HAS_NO_RULES" if empty else "ENI_SG_RULES_MISMATCH",
                component,
                "forward",
                "egress" if egress else "ingress",
            )
        )
    return admitting


def _acl_step(
    inv: Inventory,
    eni: NetworkInterface,
    egress: bool,
    packets: list[Pkt] | None,
    address: str,
    leg: str,
    blocks: list[Block],
) -> None:
    acl = inv.acl_of_subnet(eni.subnet_id)
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


def _ephemeral_blocks(
    inv: Inventory,
    flow: Flow,
    server: NetworkInterface | None,
    client: NetworkInterface | None,
    crosses: bool,
) -> tuple[Block | None, Block | None]:
    """Which of the server's egress ACL and client's ingress ACL block a TCP/UDP reply."""
    server_acl = inv.acl_of_subnet(server.subnet_id) if server and crosses else None
    client_acl = inv.acl_of_subnet(client.subnet_id) if client and crosses else None
    acls = [a for a in (server_acl, client_acl) if a is not None]
    ends = [x for a in acls for e in a.entries for x in (e.port_from, e.port_to) if x is not None]
    ports = _samples(ends, 1024, 65535)

    def admits(acl: NetworkAcl | None, egress: bool, address: str, port: int) -> bool:
        return acl is None or _acl_admits(acl, egress, (flow.protocol, port), address)

    first = [admits(server_acl, True, flow.source.address, p) for p in ports]
    second = [admits(client_acl, False, flow.destination.address, p) for p in ports]
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
    inv: Inventory, eni: NetworkInterface, admitting: list[SgRule], egress: bool, flow: Flow
) -> bool:
    family = 6 if ":" in flow.destination.address else 4
    if not any(_world(r) == family for r in admitting):
        return False
    for r in _rules_of(inv, eni, not egress):
        all_ports = r.protocol == flow.protocol and (
            r.from_port in (None, -1, 0) and r.to_port in (None, -1, 65535)
        )
        if _world(r) == family and (r.protocol == ANY or all_ports):
            return True
    return False


def reference_evaluate(inv: Inventory, flow: Flow) -> RefResult:
    blocks: list[Block] = []
    src = inv.network_interface(flow.source.eni_id or "") if flow.source.eni_id else None
    dst = inv.network_interface(flow.destination.eni_id or "") if flow.destination.eni_id else None
    if src is not None and dst is not None and src.network_interface_id == dst.network_interface_id:
        _state(inv, src, blocks)
        return RefResult(blocks, None if blocks else True)
    crosses = src is None or dst is None or src.subnet_id != dst.subnet_id
    packets = None if flow.protocol == ANY else _flow_packets(flow)
    src_rules: list[SgRule] = []
    dst_rules: list[SgRule] = []
    via = None
    nat = None
    if src is not None:
        _state(inv, src, blocks)
        src_rules = _sg_step(inv, src, flow, True, dst, blocks)
        if crosses:
            _acl_step(inv, src, True, packets, flow.destination.address, "forward", blocks)
            via = _route_toward(
                inv, src, flow.destination.address, dst, "forward", blocks, flow.protocol
            )
            nat = _nat_used(inv, src, flow) if via == "nat-gateway" and dst is None else None
            if nat is not None:
                nat_acl = inv.acl_of_subnet(nat.subnet_id)
                if (
                    nat_acl is not None
                    and nat.subnet_id != src.subnet_id
                    and not _acl_admits_flow(nat_acl, False, packets, flow.source.address)
                ):
                    blocks.append(
                        ("SUBNET_ACL_RESTRICTION", nat_acl.network_acl_id, "forward", "ingress")
                    )
                if nat_acl is not None and not _acl_admits_flow(
                    nat_acl, True, packets, flow.destination.address
                ):
                    blocks.append(
                        ("SUBNET_ACL_RESTRICTION", nat_acl.network_acl_id, "forward", "egress")
                    )
    elif dst is not None:
        _entering(inv, dst, flow.source.address, blocks)
    if dst is not None:
        if crosses:
            _acl_step(inv, dst, False, packets, flow.source.address, "forward", blocks)
        dst_rules = _sg_step(inv, dst, flow, False, src, blocks)
        _state(inv, dst, blocks)

    reply = _reply(flow)
    if reply != "none":
        server_block = client_block = None
        if flow.protocol in PORTED:
            server_block, client_block = _ephemeral_blocks(inv, flow, dst, src, crosses)
        else:
            rp = reply if isinstance(reply, list) else None
            if dst is not None and crosses:
                acl = inv.acl_of_subnet(dst.subnet_id)
                if acl is not None and not _acl_admits_flow(acl, True, rp, flow.source.address):
                    server_block = (
                        "SUBNET_ACL_RESTRICTION",
                        acl.network_acl_id,
                        "return",
                        "egress",
                    )
            if src is not None and crosses:
                acl = inv.acl_of_subnet(src.subnet_id)
                if acl is not None and not _acl_admits_flow(
                    acl, False, rp, flow.destination.address
                ):
                    client_block = (
                        "SUBNET_ACL_RESTRICTION",
                        acl.network_acl_id,
                        "return",
                        "ingress",
                    )
        if server_block:
            blocks.append(server_block)
        if dst is not None and crosses:
            _route_toward(inv, dst, flow.source.address, src, "return", blocks)
        if nat is not None and src is not None:
            blocks += _nat_return_blocks(inv, nat, src, flow, reply)
        if client_block:
            blocks.append(client_block)

    blocks = list(dict.fromkeys(blocks))  # one component failing one way is said once
    tracked: bool | None = None
    if not blocks:
        tracked = True
        if flow.protocol in PORTED and via not in ("nat-gateway", "transit-gateway"):
            if dst is not None and _untracked(inv, dst, dst_rules, False, flow):
                tracked = False
            if src is not None and _untracked(inv, src, src_rules, True, flow):
                tracked = False
    return RefResult(blocks, tracked)


def _nat_used(inv: Inventory, src: NetworkInterface, flow: Flow) -> NatGateway | None:
    table = inv.route_table_of_subnet(src.subnet_id)
    assert table is not None
    route = _best_route(inv, table.routes, flow.destination.address)
    return next(
        (n for n in inv.nat_gateways if route and n.nat_gateway_id == route.target_id), None
    )


def _nat_return_blocks(
    inv: Inventory, nat: NatGateway, src: NetworkInterface, flow: Flow, reply: object
) -> list[Block]:
    """The reply crosses the NAT subnet's ACL in from the destination (on the NAT's ports
    1024-65535) and out to the client (on its ephemeral ports): some port must pass each."""
    acl = inv.acl_of_subnet(nat.subnet_id)
    if acl is None:
        return []
    found: list[Block] = []
    checks = [(False, flow.destination.address, "ingress")]
    if nat.subnet_id != src.subnet_id:
        checks.append((True, flow.source.address, "egress"))
    for egress, address, direction in checks:
        if flow.protocol in PORTED:
            ends = [x for e in acl.entries for x in (e.port_from, e.port_to) if x is not None]
            ok = any(
                _acl_admits(acl, egress, (flow.protocol, p), address)
                for p in _samples(ends, 1024, 65535)
            )
        else:
            rp = reply if isinstance(reply, list) else None
            ok = _acl_admits_flow(acl, egress, rp, address)
        if not ok:
            found.append(("SUBNET_ACL_RESTRICTION", acl.network_acl_id, "return", direction))
    return found
