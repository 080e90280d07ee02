"""Where a flow crosses network ACLs, and the allow entry each crossing would need.

A flow between ENIs in different subnets crosses up to four ACL checks, each stateless:
the request leaves the client's subnet (egress) and enters the server's (ingress); the
reply leaves the server's subnet (egress, to the client's ephemeral port) and enters the
client's (ingress). Two ENIs in one subnet cross none; an outside address has no subnet,
so only the ENI's side is crossed.

The entry netmend adds for a crossing names the far end as narrowly as AWS allows: its
own address (/32 or /128, ``scope="host"``: exactly this flow) or, on request, the far
end's subnet (``scope="subnet"``). It is numbered below every explicit deny that would
match the same packets (otherwise the deny, first in order, would still win), never at
32767/32768, and under a number that direction does not use yet.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from netmend.model import AclEntry, AclRuleAction, Inventory, NetworkAcl
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP
from netmend.reach.acl import CompiledAcl, walk
from netmend.reach.causes.match import endpoint_eni, host_cidr
from netmend.reach.flow import Flow
from netmend.reach.intervals import Interval
from netmend.reach.packet import ALL_KEYS, Packet, acl_entry_keys, forward_packet, reply_packet
from netmend.reach.result import Leg

__all__ = [
    "EPHEMERAL_PORTS",
    "Crossing",
    "Scope",
    "admits",
    "crossings",
    "entry_for",
    "overridden_denies",
    "place_entry",
    "room_in_direction",
]

EPHEMERAL_PORTS: Interval = (1024, 65535)  # every client's reply ports (AWS's advice)
_LAST_FREE = 32766  # 32767/32768 are AWS's default "*" entries

Scope = Literal["host", "subnet"]


@dataclass(frozen=True)
class Crossing:
    """One ACL check on the flow's path: which ACL, which way, and what crosses it."""

    acl_id: str
    subnet_id: str
    egress: bool
    leg: Leg
    remote_address: str  # the far end: what the entry's CIDR must contain
    remote_subnet_cidr: str | None
    packet: Packet


def _subnet_cidr(inventory: Inventory, subnet_id: str | None) -> str | None:
    subnet = inventory.subnet(subnet_id) if subnet_id else None
    return subnet.cidr_block if subnet is not None else None


def crossings(
    inventory: Inventory, flow: Flow, *, return_ports: Interval = EPHEMERAL_PORTS
) -> list[Crossing]:
    """Every ACL check the flow meets, in path order (request first, then the reply)."""
    src = endpoint_eni(inventory, flow.source)
    dst = endpoint_eni(inventory, flow.destination)
    if src is not None and dst is not None and src.subnet_id == dst.subnet_id:
        return []  # traffic inside one subnet never meets its ACL
    request = forward_packet(flow)
    reply = reply_packet(flow, return_ports)
    src_acl = inventory.acl_of_subnet(src.subnet_id) if src is not None else None
    dst_acl = inventory.acl_of_subnet(dst.subnet_id) if dst is not None else None
    src_cidr = _subnet_cidr(inventory, src.subnet_id if src else None)
    dst_cidr = _subnet_cidr(inventory, dst.subnet_id if dst else None)
    found: list[Crossing] = []

    def add(
        acl: NetworkAcl | None,
        subnet: str,
        egress: bool,
        leg: Leg,
        packet: Packet | None,
        remote: str,
        remote_cidr: str | None,
    ) -> None:
        if acl is not None and packet is not None:
            found.append(
                Crossing(acl.network_acl_id, subnet, egress, leg, remote, remote_cidr, packet)
            )

    if src is not None:
        add(src_acl, src.subnet_id, True, Leg.FORWARD, request, flow.destination.address, dst_cidr)
    if dst is not None:
        add(dst_acl, dst.subnet_id, False, Leg.FORWARD, request, flow.source.address, src_cidr)
        add(dst_acl, dst.subnet_id, True, Leg.RETURN, reply, flow.source.address, src_cidr)
    if src is not None:
        add(src_acl, src.subnet_id, False, Leg.RETURN, reply, flow.destination.address, dst_cidr)
    return found


def admits(acl: NetworkAcl, crossing: Crossing) -> str | None:
    """The allow entry (as text) that lets every packet of the crossing through, or None.

    On the return leg that is all of the reply ports.
    """
    verdict = walk(CompiledAcl(acl), crossing.packet, egress=crossing.egress)
    if not verdict.complete:
        return None
    return ", ".join(verdict.allowing) or "an allow entry"


def _icmp_fields(keys: Interval) -> tuple[int, int]:
    if keys == ALL_KEYS:
        return -1, -1
    low, high = keys
    return low // 256, (low % 256 if low == high else -1)


def entry_for(crossing: Crossing, rule_number: int, scope: Scope = "host") -> AclEntry:
    """The allow entry that admits exactly the crossing's packets from (or to) the far end."""
    cidr = host_cidr(crossing.remote_address)
    if scope == "subnet" and crossing.remote_subnet_cidr is not None:
        cidr = crossing.remote_subnet_cidr
    packet = crossing.packet
    fields: dict[str, int | None] = {}
    if packet.protocol in (TCP, UDP):
        fields = {"port_from": packet.keys[0], "port_to": packet.keys[1]}
    elif packet.protocol in (ICMP, ICMPV6):
        icmp_type, icmp_code = _icmp_fields(packet.keys)
        fields = {"icmp_type": icmp_type, "icmp_code": icmp_code}
    return AclEntry(
        rule_number=rule_number,
        egress=crossing.egress,
        protocol=packet.protocol,
        rule_action=AclRuleAction.ALLOW,
        cidr=cidr,
        **fields,
    )


def _overlap(a: AclEntry, b: AclEntry) -> bool:
    """Whether some packet matches both entries (address, protocol and keys)."""
    if a.is_ipv6 != b.is_ipv6 or a.egress != b.egress:
        return False
    if not ipaddress.ip_network(a.cidr).overlaps(ipaddress.ip_network(b.cidr)):
        return False
    if ALL not in (a.protocol, b.protocol) and a.protocol != b.protocol:
        return False
    a_low, a_high = acl_entry_keys(a)  # protocol -1 and numbered protocols: every key
    b_low, b_high = acl_entry_keys(b)
    return a_low <= b_high and b_low <= a_high


def overridden_denies(acl: NetworkAcl, entry: AclEntry) -> list[AclEntry]:
    """Explicit denies (not the default ``*``) numbered after ``entry`` that match its packets.

    Putting the allow first overrides them for those packets: someone's decision.
    """
    return sorted(
        (
            e
            for e in acl.entries
            if e.rule_action is AclRuleAction.DENY
            and not e.is_default_deny
            and e.rule_number > entry.rule_number
            and _overlap(e, entry)
        ),
        key=lambda e: e.rule_number,
    )


def place_entry(acl: NetworkAcl, template: AclEntry) -> int | None:
    """A free rule number for ``template`` ahead of every deny that would shadow it.

    The limit is the lowest explicit deny in that direction matching its packets (else
    32767). Below it, the next ten after the entries already there (the runbook's
    100, 110, ... habit; 100 when there are none), else the highest free number below
    the limit. None when nothing is free.
    """
    direction = [e for e in acl.entries if e.egress == template.egress]
    used = {e.rule_number for e in direction}
    shadowing = [
        e.rule_number
        for e in direction
        if e.rule_action is AclRuleAction.DENY and not e.is_default_deny and _overlap(e, template)
    ]
    limit = min([*shadowing, _LAST_FREE + 1])
    below = [n for n in used if n < limit]
    candidate = (max(below, default=90) // 10 + 1) * 10  # 100 in an empty direction
    if candidate < limit and candidate not in used:
        return candidate
    return next((n for n in range(limit - 1, 0, -1) if n not in used), None)


def room_in_direction(acl: NetworkAcl, egress: bool, ipv6: bool) -> int:
    """Entries one direction and address family hold, counted as AWS counts them.

    AWS counts the default ``*`` entry; an inventory without it (moto leaves it out of
    custom ACLs) still has it in AWS's books, so it is added when missing.
    """
    same = [e for e in acl.entries if e.egress == egress and e.is_ipv6 == ipv6]
    has_default = any(e.is_default_deny for e in same)
    return len(same) + (0 if has_default else 1)
