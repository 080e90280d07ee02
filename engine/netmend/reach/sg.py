"""Security-group checks at one ENI, in one direction.

Groups are allow-only and an ENI's groups are a union: a packet set passes when the keys
(ports, ICMP type/code) of the rules whose protocol and peer match cover all of it.
Peers match as follows:

- a CIDR (IPv4 or IPv6) when it contains the other side's address;
- a group reference when the other side is an ENI of the inventory carrying that group;
  an outside address never matches one, and a self-reference is no different: the other
  ENI must carry the group (the ENI itself is never its own peer);
- a prefix list when one of its entries contains the address; a list missing from the
  inventory matches nothing (and the evaluation says so in a note).

ICMP: a flow given without a code stands for every code of its type, so it needs a rule
that admits the whole type (``type 3`` or all ICMP); a rule for one code matches only a
flow that names that code. Query types with one fixed code (echo 8/0, timestamp 13/14,
ICMPv6 echo 128/129, ...) are that code: a rule for 8/0 admits every ping (packet.py).
Protocol -1 flows need a -1 rule. An ENI without groups is not filtered by them at all
(the evaluator does not ask this module).
"""

from __future__ import annotations

from dataclasses import dataclass

from netmend.model import SgRule
from netmend.reach.index import DirectionRules
from netmend.reach.intervals import covers, intersect, normalise
from netmend.reach.packet import Packet

__all__ = ["SgVerdict", "check_groups"]


@dataclass(frozen=True)
class SgVerdict:
    allowed: bool
    admitting: tuple[SgRule, ...]  # rules that admit all or part of the packet set
    table: DirectionRules
    notes: tuple[str, ...]

    @property
    def no_rules(self) -> bool:
        """True when none of the ENI's groups has a rule in this direction."""
        return self.table.rule_count == 0

    @property
    def direction_name(self) -> str:
        return "egress" if self.table.egress else "ingress"


def check_groups(table: DirectionRules, packet: Packet, peer_groups: tuple[str, ...]) -> SgVerdict:
    """Whether the groups of ``table`` admit ``packet``.

    ``peer_groups`` are the groups of the ENI on the other side (empty for an outside
    address): egress rules match the destination, ingress rules the source.
    """
    peer = packet.destination if table.egress else packet.source
    lo, hi = packet.keys
    admitting = [
        c
        for c in table.candidates(packet.protocol, peer, peer_groups)
        if c.keys[0] <= hi and c.keys[1] >= lo
    ]
    admitted = normalise(intersect((c.keys,), packet.keys)[0] for c in admitting)
    notes = [
        f"{r.rule.group_id} references prefix list {r.rule.prefix_list_id}, which is not in "
        "the inventory: that rule was taken to match nothing"
        for r in table.unknown_prefix_lists(packet.protocol)
    ]
    notes += [
        f"{group_id} is on the interface but not in the inventory: its rules are unknown"
        for group_id in table.missing_group_ids
    ]
    return SgVerdict(
        allowed=covers(admitted, packet.keys),
        admitting=tuple(c.rule for c in admitting),
        table=table,
        notes=tuple(notes),
    )
