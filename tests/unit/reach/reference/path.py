"""The forward and return path of a flow, and hairpins through public addresses."""

from __future__ import annotations

import ipaddress

from netmend.model import (
    GROUPLESS_INTERFACE_TYPES,
    Inventory,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    SgRule,
)
from netmend.reach.flow import Flow

from .addresses import (
    Side,
    _public_ip_of,
    reference_resolve,
)
from .common import (
    ANY,
    ICMPS,
    PORTED,
    REPLIES,
    Block,
    Pkt,
    RefResult,
)
from .filters import (
    _acl_admits,
    _acl_admits_flow,
    _flow_packets,
    _rules_of,
    _samples,
    _sg_allows,
)
from .routes import (
    _best_route,
    _entering,
    _references_cut,
    _route_toward,
)

__all__ = [
    "_acl_step",
    "_ephemeral_blocks",
    "_left_as",
    "_nat_return_blocks",
    "_nat_used",
    "_reply",
    "_sg_step",
    "_some_port",
    "_state",
    "_untracked",
    "_walk",
    "_world",
    "reference_evaluate",
]

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
