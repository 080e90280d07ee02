"""A NAT gateway's own subnet ACL, both ways, on a flow that leaves through it.

"You can use a network ACL to control the traffic to and from the subnet for your NAT
gateway. NAT gateways use ports 1024-65535." A flow from an ENI out through a NAT
gateway crosses the NAT subnet's ACL four times: inbound from the client and outbound to
the destination (the request), inbound from the destination on the NAT's ports
1024-65535 and outbound to the client's ephemeral ports (the reply). A client in the NAT
gateway's own subnet does not cross the ACL between itself and the gateway.

As on the rest of the return path, a TCP/UDP reply is blocked at an ACL that admits no
port of its range; one that admits only part of it is reachable with a note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from netmend.model import NatGateway, NetworkInterface
from netmend.model.protocol import TCP, UDP
from netmend.reach.acl import AclVerdict
from netmend.reach.ephemeral import ANY_CLIENT
from netmend.reach.intervals import covers, intersect, text
from netmend.reach.packet import Packet
from netmend.reach.result import Code, Direction, Leg
from netmend.reach.trace import Trace

__all__ = ["AclWalker", "nat_forward", "nat_return"]

# (trace, subnet id, packet, egress) -> (acl id, verdict), or None when no ACL is known.
AclWalker = Callable[[Trace, str, Packet, bool], tuple[str, AclVerdict] | None]

NAT_PORTS = ANY_CLIENT  # 1024-65535


def _check(
    trace: Trace,
    walk: AclWalker,
    nat: NatGateway,
    packet: Packet,
    *,
    egress: bool,
    leg: Leg,
    what: str,
) -> bool:
    found = walk(trace, nat.subnet_id, packet, egress)
    if found is None:
        return True
    acl_id, verdict = found
    direction = Direction.EGRESS if egress else Direction.INGRESS
    ported = packet.protocol in (TCP, UDP) and leg is Leg.RETURN
    admitted = intersect(verdict.admitted, packet.keys)
    passes = bool(admitted) if ported else verdict.complete
    said = f"{nat.nat_gateway_id}'s subnet: {what}" + (
        f": {text(admitted) or 'none'} of {text((packet.keys,))} admitted" if ported else ""
    )
    trace.hop(leg, acl_id, "network-acl", direction=direction, allowed=passes, detail=said)
    if not passes:
        trace.block(
            Code.SUBNET_ACL_RESTRICTION,
            acl_id,
            leg=leg,
            direction=direction,
            rules=verdict.denying,
            detail=f"{acl_id} ({nat.subnet_id}, NAT gateway {nat.nat_gateway_id}) drops {what}",
        )
    elif ported and not covers(admitted, packet.keys):
        trace.note(
            f"{acl_id} ({nat.subnet_id}) admits only {text(admitted)} of {what}: "
            f"NAT gateway {nat.nat_gateway_id} uses ports 1024-65535, so some connections fail"
        )
    return passes


def nat_forward(
    trace: Trace, walk: AclWalker, nat: NatGateway, client: NetworkInterface, packet: Packet
) -> None:
    """The request: into the NAT subnet from the client, out of it to the destination."""
    if client.subnet_id != nat.subnet_id:
        _check(
            trace,
            walk,
            nat,
            packet,
            egress=False,
            leg=Leg.FORWARD,
            what="the request from the client",
        )
    _check(
        trace,
        walk,
        nat,
        packet,
        egress=True,
        leg=Leg.FORWARD,
        what="the request to the destination",
    )


def nat_return(
    trace: Trace,
    walk: AclWalker,
    nat: NatGateway,
    client: NetworkInterface,
    reply: Packet,
) -> None:
    """The reply: into the NAT subnet on the NAT's ports, out of it to the client."""
    at_nat = replace(reply, keys=NAT_PORTS) if reply.protocol in (TCP, UDP) else reply
    _check(
        trace, walk, nat, at_nat, egress=False, leg=Leg.RETURN, what="the reply to the NAT gateway"
    )
    if client.subnet_id != nat.subnet_id:
        _check(trace, walk, nat, reply, egress=True, leg=Leg.RETURN, what="the reply to the client")
