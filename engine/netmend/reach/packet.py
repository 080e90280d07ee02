"""Packets as the evaluator matches them: protocol, one key interval, two addresses.

Every protocol is matched on one integer "key" so that security-group rules and ACL
entries become plain intervals:

- TCP/UDP: the destination port (0-65535); ACLs and SGs match destination ports only;
- ICMP/ICMPv6: ``type * 256 + code``, so "type 8, any code" is ``[2048, 2303]`` and
  "type -1" (all) is the whole key space;
- any other protocol, and ``-1`` (all traffic): the whole key space, as AWS ignores
  ports for them.

A packet's ``keys`` is the set it stands for: a single port, every code of an ICMP type
(a flow given without ICMP code), or the client's ephemeral ports for a reply.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from netmend.model import AclEntry, SgRule
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP
from netmend.reach.flow import FIXED_CODE_TYPES, Flow
from netmend.reach.intervals import Interval, interval_text

__all__ = [
    "ALL_KEYS",
    "FIXED_CODE_TYPES",
    "Address",
    "Packet",
    "acl_entry_keys",
    "fixed_code",
    "forward_packet",
    "icmp_keys",
    "keys_text",
    "network_interval",
    "parse_address",
    "reply_icmp_type",
    "reply_packet",
    "sg_rule_keys",
]

ALL_KEYS: Interval = (0, 65535)

# Replies to ICMP queries (RFC 792 / RFC 4443); other ICMP types get no reply.
_ICMP_REPLY = {8: 0, 13: 14, 15: 16, 17: 18}
_ICMPV6_REPLY = {128: 129}


def fixed_code(protocol: str, icmp_type: int | None, icmp_code: int | None) -> int | None:
    """The code a flow of this ICMP type carries: 0 for the fixed-code query types (echo
    8/0, timestamp 13/14, ..., ICMPv6 echo 128/129) when no code is given, else the given
    code. An echo request always carries code 0, so a rule for type 8 code 0 admits
    every ping."""
    fixed = FIXED_CODE_TYPES.get(protocol, frozenset())
    if icmp_code is None and icmp_type is not None and icmp_type in fixed:
        return 0
    return icmp_code


@dataclass(frozen=True, slots=True)
class Address:
    family: int  # 4 or 6
    value: int


@dataclass(frozen=True, slots=True)
class Packet:
    """A set of packets from ``source`` to ``destination``; protocol ``-1`` is every one."""

    protocol: str
    keys: Interval
    source: Address
    destination: Address

    @property
    def family(self) -> int:
        return self.destination.family


def _ipv4_value(text: str) -> int | None:
    """The integer of a dotted-quad IPv4 address in canonical form, else None (then
    ``ipaddress`` decides: IPv6, leading zeros, anything odd)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part.isdigit() or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return value


@lru_cache(maxsize=1 << 16)
def parse_address(text: str) -> Address:
    value = _ipv4_value(text) if text.isascii() else None
    if value is not None:
        return Address(4, value)
    address = ipaddress.ip_address(text)
    return Address(address.version, int(address))


@lru_cache(maxsize=1 << 17)
def network_interval(cidr: str) -> tuple[int, int, int]:
    """``(family, first, last)`` of a CIDR (host bits ignored, as AWS stores them cleared).

    Cached, and IPv4 parsed by hand: an estate repeats few CIDR strings across many
    rules, entries and routes, and ``ipaddress`` is the costly part of indexing them."""
    address, slash, length = cidr.partition("/")
    value = _ipv4_value(address) if cidr.isascii() else None
    if value is not None and slash and length.isdigit() and int(length) <= 32:
        size = 1 << (32 - int(length))
        first = value & ~(size - 1)
        return 4, first, first + size - 1
    network = ipaddress.ip_network(cidr, strict=False)
    return network.version, int(network.network_address), int(network.broadcast_address)


def icmp_keys(icmp_type: int | None, icmp_code: int | None) -> Interval:
    """Keys of an ICMP type/code pair where None or -1 means "all"."""
    if icmp_type is None or icmp_type < 0:
        return ALL_KEYS
    if icmp_code is None or icmp_code < 0:
        return (icmp_type * 256, icmp_type * 256 + 255)
    return (icmp_type * 256 + icmp_code, icmp_type * 256 + icmp_code)


def _port_keys(port_from: int | None, port_to: int | None) -> Interval:
    if port_from is None or port_to is None or port_from < 0:
        return ALL_KEYS
    return (port_from, port_to)


def sg_rule_keys(rule: SgRule) -> Interval:
    """Keys a security-group rule admits: FromPort/ToPort are ports, or ICMP type/code."""
    if rule.protocol in (TCP, UDP):
        return _port_keys(rule.from_port, rule.to_port)
    if rule.protocol in (ICMP, ICMPV6):
        return icmp_keys(rule.from_port, rule.to_port)
    return ALL_KEYS  # -1 and any other protocol number: every port


def acl_entry_keys(entry: AclEntry) -> Interval:
    """Keys an ACL entry matches."""
    if entry.protocol in (TCP, UDP):
        return _port_keys(entry.port_from, entry.port_to)
    if entry.protocol in (ICMP, ICMPV6):
        return icmp_keys(entry.icmp_type, entry.icmp_code)
    return ALL_KEYS


def forward_packet(flow: Flow) -> Packet:
    """What the client sends."""
    if flow.protocol in (TCP, UDP) and flow.port is not None:
        keys: Interval = (flow.port, flow.port)
    elif flow.protocol in (ICMP, ICMPV6):
        code = fixed_code(flow.protocol, flow.icmp_type, flow.icmp_code)
        keys = icmp_keys(flow.icmp_type, code)
    else:
        keys = ALL_KEYS
    return Packet(
        flow.protocol,
        keys,
        parse_address(flow.source.address),
        parse_address(flow.destination.address),
    )


def reply_icmp_type(protocol: str, icmp_type: int | None) -> int | None:
    """The ICMP type that answers ``icmp_type`` (echo request 8 → echo reply 0), or None."""
    if icmp_type is None:
        return None
    table = _ICMP_REPLY if protocol == ICMP else _ICMPV6_REPLY if protocol == ICMPV6 else {}
    return table.get(icmp_type)


def reply_packet(flow: Flow, client_ports: Interval) -> Packet | None:
    """What the server sends back; None when the flow has no reply (an ICMP error type).

    TCP/UDP replies go to the client's ephemeral ports (``client_ports``); an ICMP query
    is answered by its reply type with code 0; other protocols reply in kind.
    """
    source = parse_address(flow.destination.address)
    destination = parse_address(flow.source.address)
    if flow.protocol in (TCP, UDP):
        return Packet(flow.protocol, client_ports, source, destination)
    if flow.protocol in (ICMP, ICMPV6):
        reply = reply_icmp_type(flow.protocol, flow.icmp_type)
        if reply is None:
            return None
        return Packet(flow.protocol, icmp_keys(reply, 0), source, destination)
    return Packet(flow.protocol, ALL_KEYS, source, destination)


def keys_text(protocol: str, keys: Interval) -> str:
    """``tcp 443``, ``udp 1024-65535``, ``icmp type 8``, ``icmp type 3 code 4``, ``all``."""
    if protocol == ALL:
        return "all"
    if protocol in (TCP, UDP):
        return f"{protocol} {interval_text(keys)}"
    if protocol in (ICMP, ICMPV6):
        lo, hi = keys
        if keys == ALL_KEYS:
            return f"{protocol} all"
        if lo == hi:
            return f"{protocol} type {lo // 256} code {lo % 256}"
        if lo % 256 == 0 and hi == lo + 255:
            return f"{protocol} type {lo // 256}"
        return f"{protocol} types {lo // 256}-{hi // 256}"
    return f"protocol {protocol}"
