"""IP protocol names and numbers, normalised the way security-group APIs report them.

Security-group describe calls return ``tcp``/``udp``/``icmp``/``icmpv6`` by name and any
other protocol as its number (``-1`` for all); network-ACL calls always return numbers.
netmend keeps one canonical string form for both so rules can be compared directly.
"""

from __future__ import annotations

__all__ = [
    "ALL",
    "ICMP",
    "ICMPV6",
    "PORTED_PROTOCOLS",
    "TCP",
    "UDP",
    "normalise_protocol",
    "protocol_number",
]

ALL = "-1"
TCP = "tcp"
UDP = "udp"
ICMP = "icmp"
ICMPV6 = "icmpv6"

_BY_NUMBER = {"6": TCP, "17": UDP, "1": ICMP, "58": ICMPV6}
_NUMBER_OF = {name: number for number, name in _BY_NUMBER.items()}
_ALIASES = {"all": ALL, "-1": ALL, "any": ALL}
# The forms a saved inventory or a describe call holds, answered without parsing (a large
# inventory validates this for every rule and entry).
_AS_IS = {ALL: ALL, TCP: TCP, UDP: UDP, ICMP: ICMP, ICMPV6: ICMPV6, **_BY_NUMBER}

# Protocols whose rules carry a port range (TCP/UDP) or an ICMP type/code; any other
# protocol number in a rule admits every port of that protocol.
PORTED_PROTOCOLS = frozenset({TCP, UDP, ICMP, ICMPV6})


def normalise_protocol(value: str | int) -> str:
    """Return the canonical form: ``-1``, a name for tcp/udp/icmp/icmpv6, else the number.

    Raises ValueError for anything that is not a protocol (a number outside 0-255 or an
    unknown name).
    """
    if type(value) is str:
        known = _AS_IS.get(value)
        if known is not None:
            return known
    text = str(value).strip().lower()
    if text in _ALIASES:
        return _ALIASES[text]
    if text in _NUMBER_OF:
        return text
    if text in _BY_NUMBER:
        return _BY_NUMBER[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    raise ValueError(f"unknown protocol {value!r}: use tcp, udp, icmp, icmpv6, -1 or 0-255")


def protocol_number(protocol: str) -> str:
    """The numeric string network-ACL APIs use for a canonical protocol (``tcp`` → ``6``)."""
    canonical = normalise_protocol(protocol)
    return _NUMBER_OF.get(canonical, canonical)
