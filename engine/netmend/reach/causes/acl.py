"""``nacl-override``: a subnet's network ACL drops the flow, whatever the groups allow.

An ACL is stateless, so it can block either leg: the request (outbound from the client's
subnet, inbound to the server's) or the reply (outbound from the server's subnet to the
client's ephemeral port, inbound to the client's). This module finds the entry that
decides, says whether it is somebody's explicit deny or the default ``*`` entry, and,
on the return leg, which part of the ephemeral range gets back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netmend.model import AclEntry, Inventory, NetworkAcl
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP, protocol_number
from netmend.reach.causes.match import address_in, endpoint_eni, host_cidr
from netmend.reach.causes.model import PathPosition, RootCause
from netmend.reach.causes.sg import flow_words
from netmend.reach.flow import Endpoint, Flow
from netmend.reach.intervals import (
    Interval,
    IntervalSet,
    covers,
    normalise,
    size,
    subtract,
    text,
)
from netmend.reach.packet import acl_entry_keys, forward_packet, reply_packet
from netmend.reach.result import Direction, Evaluation, Explanation, Leg

__all__ = ["AclHop", "acl_hop", "nacl_cause"]

EPHEMERAL: Interval = (1024, 65535)
_CLIENTS = (
    ("Linux", (32768, 60999)),
    ("Windows and NLB", (49152, 65535)),
    ("ELB, NAT gateway and Lambda", (1024, 65535)),
)

_POSITIONS = {
    (Leg.FORWARD, Direction.EGRESS): PathPosition.SOURCE_ACL_EGRESS,
    (Leg.FORWARD, Direction.INGRESS): PathPosition.DESTINATION_ACL_INGRESS,
    (Leg.RETURN, Direction.EGRESS): PathPosition.DESTINATION_ACL_EGRESS,
    (Leg.RETURN, Direction.INGRESS): PathPosition.SOURCE_ACL_INGRESS,
}


@dataclass(frozen=True)
class AclHop:
    """One ACL crossing: ``remote`` is the far end of the packet as this ACL sees it."""

    acl: NetworkAcl
    subnet_id: str
    leg: Leg
    direction: Direction
    remote: Endpoint

    @property
    def position(self) -> PathPosition:
        return _POSITIONS[(self.leg, self.direction)]


def _at_source(leg: Leg, direction: Direction) -> bool:
    # The client's subnet is crossed outbound by the request and inbound by the reply.
    return (leg is Leg.FORWARD) == (direction is Direction.EGRESS)


def acl_hop(inventory: Inventory, flow: Flow, explanation: Explanation) -> AclHop | None:
    """The ACL crossing a SUBNET_ACL_RESTRICTION explanation names; None if unplaceable."""
    named = inventory.get(explanation.component)
    src_eni = endpoint_eni(inventory, flow.source)
    dst_eni = endpoint_eni(inventory, flow.destination)
    direction = explanation.direction
    if direction is None:
        # Place it by whose subnet the ACL guards.
        src_acl = inventory.acl_of_subnet(src_eni.subnet_id) if src_eni else None
        at_source = isinstance(named, NetworkAcl) and src_acl == named
        if explanation.leg is Leg.FORWARD:
            direction = Direction.EGRESS if at_source else Direction.INGRESS
        else:
            direction = Direction.INGRESS if at_source else Direction.EGRESS
    at_source = _at_source(explanation.leg, direction)
    eni = src_eni if at_source else dst_eni
    if eni is None:
        return None
    acl = named if isinstance(named, NetworkAcl) else inventory.acl_of_subnet(eni.subnet_id)
    if acl is None:
        return None
    return AclHop(
        acl=acl,
        subnet_id=eni.subnet_id,
        leg=explanation.leg,
        direction=direction,
        remote=flow.destination if at_source else flow.source,
    )


@dataclass(frozen=True)
class _Packet:
    """The packets one ACL crossing sees: ``keys`` as the evaluator encodes them."""

    address: str  # the far end, which the entries' CIDRs must contain
    protocol: str
    keys: Interval


def _packet(flow: Flow, hop: AclHop) -> _Packet:
    if hop.leg is Leg.RETURN:
        reply = reply_packet(flow, EPHEMERAL)
        keys = reply.keys if reply is not None else forward_packet(flow).keys
    else:
        keys = forward_packet(flow).keys
    return _Packet(hop.remote.address, flow.protocol, keys)


def _entry_matches(entry: AclEntry, packet: _Packet) -> bool:
    """Address and protocol match; ports and ICMP type/code are keys, walked apart."""
    if not address_in(entry.cidr, packet.address):
        return False
    return entry.protocol in (ALL, packet.protocol)


def _walk(
    acl: NetworkAcl, egress: bool, packet: _Packet
) -> tuple[IntervalSet, list[tuple[AclEntry | None, IntervalSet]]]:
    """First match wins, port by port: what is allowed, and which entry denies the rest.

    A deny decided by no entry at all (an inventory without the ``*`` rows) is listed
    with ``None``: AWS's default entry denies it.
    """
    undecided: IntervalSet = (packet.keys,)
    allowed: list[Interval] = []
    denied: list[tuple[AclEntry | None, IntervalSet]] = []
    for entry in acl.ordered(egress=egress):
        if not undecided:
            break
        if not _entry_matches(entry, packet):
            # All traffic needs every protocol: a deny of one protocol blocks part.
            if (
                packet.protocol == ALL
                and entry.rule_action.value == "deny"
                and address_in(entry.cidr, packet.address)
            ):
                denied.append((entry, undecided))
            continue
        low, high = acl_entry_keys(entry)
        decided = normalise(
            (max(a, low), min(b, high)) for a, b in undecided if a <= high and b >= low
        )
        if not decided:
            continue
        if entry.rule_action.value == "allow":
            allowed.extend(decided)
        else:
            denied.append((entry, decided))
        undecided = subtract(undecided, (low, high))
    if undecided:
        denied.append((None, undecided))
    return normalise(allowed), denied


def _icmp_of(packet: _Packet) -> tuple[int, int | None]:
    """ICMP type and code (None: every code) of the packets' keys (``type * 256 + code``)."""
    lo, hi = packet.keys
    return lo // 256, (lo % 256 if lo == hi else None)


def _suggested_rule_number(acl: NetworkAcl, egress: bool, before: int) -> int | None:
    """A free rule number below ``before``: the next ten after the entries already there."""
    used = {e.rule_number for e in acl.entries if e.egress == egress}
    below = [n for n in used if n < before]
    candidate = (max(below, default=0) // 10 + 1) * 10
    if candidate < before and candidate not in used:
        return candidate
    return next((n for n in range(before - 1, 0, -1) if n not in used), None)


def _ephemeral_summary(allowed: IntervalSet) -> str:
    passing = [name for name, window in _CLIENTS if covers(allowed, window)]
    failing = [
        f"{name} ({window[0]}-{window[1]})"
        for name, window in _CLIENTS
        if not covers(allowed, window)
    ]
    if not failing:
        return f"lets back {text(allowed)}: every client's replies pass"
    if not passing:
        return f"lets back {text(allowed)} of 1024-65535: no client gets its replies"
    return (
        f"lets back {text(allowed)}: {', '.join(passing)} clients pass; {', '.join(failing)} do not"
    )


def nacl_cause(inventory: Inventory, flow: Flow, evaluation: Evaluation, hop: AclHop) -> RootCause:
    egress = hop.direction is Direction.EGRESS
    packet = _packet(flow, hop)
    allowed, denied = _walk(hop.acl, egress, packet)
    ipv6 = ":" in packet.address
    # The entry that denies the most of the packets (all of them on the forward leg; on
    # the return leg, most of the ephemeral range), the lower rule number on a tie.
    blocking = min(
        ((e, ports) for e, ports in denied if ports),
        key=lambda d: (-size(d[1]), d[0].rule_number if d[0] else 65536),
        default=None,
    )
    entry = blocking[0] if blocking else None
    if entry is not None:
        rule_number: int | None = entry.rule_number
        default_deny = entry.is_default_deny
    elif blocking is not None:  # no entry decided: the "*" row AWS always keeps
        rule_number, default_deny = (32768 if ipv6 else 32767), True
    else:  # the evaluator saw a drop this walk cannot place; report the ACL anyway
        rule_number, default_deny = None, False
    explicit = entry is not None and not entry.is_default_deny
    family_entries = [e for e in hop.acl.entries if e.egress == egress and e.is_ipv6 == ipv6]
    quota = inventory.quotas.rules_per_network_acl
    reply = hop.leg is Leg.RETURN
    ported = flow.protocol in (TCP, UDP)
    port_from, port_to = packet.keys if ported else (None, None)
    icmp_type, icmp_code = _icmp_of(packet) if flow.protocol in (ICMP, ICMPV6) else (None, None)
    ephemeral: dict[str, Any] | None = None
    if reply and ported:
        given = next(
            (
                c
                for c in evaluation.ephemeral
                if c.network_acl_id == hop.acl.network_acl_id and c.direction is hop.direction
            ),
            None,
        )
        ranges = given.allowed if given is not None else allowed
        ephemeral = {
            "allowed": [list(r) for r in ranges],
            "summary": given.summary if given is not None else _ephemeral_summary(allowed),
        }
    evidence: dict[str, Any] = {
        "acl_id": hop.acl.network_acl_id,
        "subnet_id": hop.subnet_id,
        "direction": hop.direction.value,
        "leg": hop.leg.value,
        "rule_number": rule_number,
        "rule_action": "deny" if blocking is not None else None,
        "explicit_deny": explicit,
        "default_deny": default_deny,
        "rule_cidr": entry.cidr if entry is not None else None,
        "denied_by": [
            {
                "rule_number": e.rule_number if e else (32768 if ipv6 else 32767),
                "ports": text(ports),
                "explicit": bool(e and not e.is_default_deny),
            }
            for e, ports in denied
            if ports
        ],
        "protocol": flow.protocol,
        "protocol_number": protocol_number(flow.protocol),
        "ports": text((packet.keys,)) if ported else None,
        "port_from": port_from,
        "port_to": port_to,
        "icmp_type": icmp_type,
        "icmp_code": icmp_code,
        "remote_address": hop.remote.address,
        "cidr": host_cidr(hop.remote.address),
        "suggested_rule_number": _suggested_rule_number(
            hop.acl, egress, rule_number if rule_number is not None else 32767
        ),
        "entry_count": len(family_entries),
        "entry_quota": quota,
        "has_room": len(family_entries) < quota,
        "ephemeral": ephemeral,
    }
    return RootCause(
        playbook="nacl-override",
        resource=hop.acl.network_acl_id,
        summary=_summary(flow, hop, rule_number, explicit, ephemeral),
        evidence=evidence,
        leg=hop.leg,
        direction=hop.direction,
        position=int(hop.position),
    )


def _summary(
    flow: Flow,
    hop: AclHop,
    rule_number: int | None,
    explicit: bool,
    ephemeral: dict[str, Any] | None,
) -> str:
    where = f"The network ACL {hop.acl.network_acl_id} on {hop.subnet_id}"
    way = "outbound" if hop.direction is Direction.EGRESS else "inbound"
    if rule_number is None:
        rule = "no entry netmend can name"
    elif explicit:
        rule = f"rule {rule_number}, an explicit deny"
    else:
        rule = f"the default rule {rule_number}"
    if hop.leg is Leg.FORWARD:
        to_from = "to" if hop.direction is Direction.EGRESS else "from"
        return (
            f"{where} drops {way} {flow_words(flow)} {to_from} {hop.remote.label}: {rule} "
            f"matches first, whatever the security groups allow."
        )
    if hop.direction is Direction.EGRESS:
        reply = f"the server's replies to {hop.remote.label}"
    else:
        reply = f"the replies from {hop.remote.label} on their way in"
    if flow.protocol in (TCP, UDP):
        what = f"{way} {flow.protocol} to the client's ephemeral ports"
    else:
        what = f"{way} {flow_words(flow)} replies"
    coverage = f"; it {ephemeral['summary']}" if ephemeral else ""
    return f"{where} drops {reply}: {what} meets {rule}, and ACLs are stateless{coverage}."
