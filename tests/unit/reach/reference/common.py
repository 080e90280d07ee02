"""The reference evaluator's shared names: packets, blocks, results, CIDR membership."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = [
    "ANY",
    "FIXED",
    "ICMPS",
    "NAT_PROTOCOLS",
    "PORTED",
    "REPLIES",
    "Block",
    "Pkt",
    "RefResult",
    "_contains",
]

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
