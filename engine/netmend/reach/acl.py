"""Network-ACL walks: stateless, first match wins, over intervals of keys.

An ACL's entries of one direction are tried in ascending rule number; IPv4 entries apply
to IPv4 packets only and IPv6 entries to IPv6 packets only; an entry matches when its
CIDR contains the other side's address (the destination going out, the source coming in),
its protocol is the packet's or -1, and its keys overlap what is left of the packet set.
Entries of a protocol other than TCP/UDP/ICMP/ICMPv6 match every port. Whatever no entry
matched falls to the default ``*`` deny (32767 for IPv4, 32768 for IPv6).

Verdicts are kept per compiled ACL, by direction, protocol, keys and the *segment* of
the address space the other side's address falls in (the entries' CIDR boundaries cut
it into segments; every address of one segment is matched by the same entries), so
flows between many addresses of few subnets walk each ACL once.

Because the packet set may be a range (a reply to 1024-65535, every code of an ICMP
type), the walk carries the keys not matched yet from entry to entry and reports which
keys were admitted and which entries denied the rest.

A protocol -1 packet set ("all traffic") is admitted only when no deny entry takes any
part of it before an all-traffic allow entry takes the rest; partial allows of single
protocols ahead of that entry shield later denies of the same protocol and ports.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from netmend.model import AclRuleAction, NetworkAcl
from netmend.model.protocol import ALL
from netmend.reach.intervals import Interval, IntervalSet, intersect, normalise, subtract
from netmend.reach.packet import ALL_KEYS, Packet, acl_entry_keys, keys_text, network_interval

__all__ = ["AclVerdict", "CompiledAcl", "default_deny_text", "entry_text", "walk"]


@dataclass(frozen=True, slots=True)
class _Entry:
    allow: bool
    protocol: str
    keys: Interval
    first: int
    last: int
    acl_id: str
    rule_number: int
    cidr: str

    @property
    def text(self) -> str:
        """``acl-1 #100 allow tcp 443 0.0.0.0/0``: written only for entries a verdict
        names (verdicts are kept, so once per entry and packet class)."""
        action = "allow" if self.allow else "deny"
        service = keys_text(self.protocol, self.keys)
        return entry_text(self.acl_id, self.rule_number, action, service, self.cidr)


@dataclass(frozen=True)
class AclVerdict:
    admitted: IntervalSet  # keys of the packet set the ACL lets through
    complete: bool  # every key admitted
    allowing: tuple[str, ...]  # allow entries that admitted part of it, in rule order
    denying: tuple[str, ...]  # deny entries (or the default) that dropped part of it


def entry_text(acl_id: str, rule_number: int, action: str, service: str, cidr: str) -> str:
    """``acl-1 #100 allow tcp 443 0.0.0.0/0``."""
    return f"{acl_id} #{rule_number} {action} {service} {cidr}"


def default_deny_text(family: int) -> str:
    return f"no rule matched: default deny {32767 if family == 4 else 32768}"


class CompiledAcl:
    """An ACL's entries parsed once, per direction and address family, in rule order."""

    def __init__(self, acl: NetworkAcl) -> None:
        self.acl = acl
        self._entries: dict[tuple[bool, int], list[_Entry]] = {}
        self._bounds: dict[tuple[bool, int], list[int]] = {}
        self.verdicts: dict[tuple[bool, str, Interval, int, int], AclVerdict] = {}
        for entry in sorted(acl.entries, key=lambda e: e.rule_number):
            family, first, last = network_interval(entry.cidr)
            self._entries.setdefault((entry.egress, family), []).append(
                _Entry(
                    entry.rule_action is AclRuleAction.ALLOW,
                    entry.protocol,
                    acl_entry_keys(entry),
                    first,
                    last,
                    acl.network_acl_id,
                    entry.rule_number,
                    entry.cidr,
                )
            )

    def entries(self, *, egress: bool, family: int) -> list[_Entry]:
        return self._entries.get((egress, family), [])

    def segment(self, *, egress: bool, family: int, value: int) -> int:
        """Which segment of this direction's entry boundaries holds ``value``."""
        key = (egress, family)
        bounds = self._bounds.get(key)
        if bounds is None:
            entries = self.entries(egress=egress, family=family)
            bounds = sorted({e.first for e in entries} | {e.last + 1 for e in entries})
            self._bounds[key] = bounds
        return bisect_right(bounds, value)


def walk(acl: CompiledAcl, packet: Packet, *, egress: bool) -> AclVerdict:
    """First-match evaluation of ``packet`` leaving (egress) or entering the subnet."""
    peer = packet.destination if egress else packet.source
    segment = acl.segment(egress=egress, family=peer.family, value=peer.value)
    key = (egress, packet.protocol, packet.keys, peer.family, segment)
    found = acl.verdicts.get(key)
    if found is None:
        found = _walk(acl, packet, egress=egress)
        acl.verdicts[key] = found
    return found


def _walk(acl: CompiledAcl, packet: Packet, *, egress: bool) -> AclVerdict:
    peer = packet.destination if egress else packet.source
    entries = [
        e for e in acl.entries(egress=egress, family=peer.family) if e.first <= peer.value <= e.last
    ]
    if packet.protocol == ALL:
        return _walk_all_traffic(entries, peer.family)
    remaining: IntervalSet = (packet.keys,)
    admitted: list[Interval] = []
    allowing: list[str] = []
    denying: list[str] = []
    for entry in entries:
        if entry.protocol not in (ALL, packet.protocol):
            continue
        hit = intersect(remaining, entry.keys)
        if not hit:
            continue
        if entry.allow:
            admitted.extend(hit)
            allowing.append(entry.text)
        else:
            denying.append(entry.text)
        remaining = subtract(remaining, entry.keys)
        if not remaining:
            break
    if remaining:
        denying.append(default_deny_text(peer.family))
    return AclVerdict(normalise(admitted), not denying, tuple(allowing), tuple(denying))


def _walk_all_traffic(entries: list[_Entry], family: int) -> AclVerdict:
    # What is left of each protocol named by an entry so far; every other protocol is
    # untouched until an all-traffic entry decides it.
    remaining: dict[str, IntervalSet] = {}
    allowing: list[str] = []
    denying: list[str] = []
    for entry in entries:
        if entry.protocol == ALL:
            (allowing if entry.allow else denying).append(entry.text)
            break
        left = remaining.get(entry.protocol, (ALL_KEYS,))
        if not intersect(left, entry.keys):
            continue
        (allowing if entry.allow else denying).append(entry.text)
        remaining[entry.protocol] = subtract(left, entry.keys)
    else:
        denying.append(default_deny_text(family))
    complete = not denying
    return AclVerdict(((ALL_KEYS,) if complete else ()), complete, tuple(allowing), tuple(denying))
