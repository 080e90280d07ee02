"""Parameter types shared by actions: ids, protocols, ports, CIDRs, peers.

Each rejects a bad value with a reason an engineer can act on ("port 70000 is out of
range: use 0-65535"), and normalises what AWS would normalise (``10.0.1.7/24`` is stored
as ``10.0.1.0/24``; a bare address is its own /32 or /128).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from netmend.model.created import is_placeholder
from netmend.model.protocol import normalise_protocol

__all__ = [
    "AclId",
    "AclRuleNumber",
    "Cidr",
    "EniId",
    "GroupRef",
    "Params",
    "Peer",
    "PortRange",
    "ProtocolName",
    "RuleId",
    "SgId",
    "parse_ports",
    "peer_kind",
]


class Params(BaseModel):
    """Base of every step's params model: frozen, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _id_checker(prefix: str, what: str) -> AfterValidator:
    pattern = re.compile(rf"^{prefix}-[0-9a-zA-Z][0-9a-zA-Z-]*$")

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what} id ({prefix}-...)")
        return value

    return AfterValidator(check)


def _text(value: Any) -> Any:
    # Ids and names arrive from templates as strings; refuse numbers and booleans early.
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__} {value!r}")
    return value.strip()


SgId = Annotated[str, BeforeValidator(_text), _id_checker("sg", "a security group")]


def _group_ref(value: str) -> str:
    if _SG_ID.match(value) or is_placeholder(value):
        return value
    raise ValueError(
        f"{value!r} is not a security group id (sg-...) nor a group the plan creates "
        "(new-sg:RUN:N, from sg.create-group)"
    )


_SG_ID = re.compile(r"^sg-[0-9a-zA-Z][0-9a-zA-Z-]*$")
# A group that exists, or one an earlier step of the plan creates (its placeholder).
GroupRef = Annotated[str, BeforeValidator(_text), AfterValidator(_group_ref)]
EniId = Annotated[str, BeforeValidator(_text), _id_checker("eni", "a network interface")]
AclId = Annotated[str, BeforeValidator(_text), _id_checker("acl", "a network ACL")]
RuleId = Annotated[str, BeforeValidator(_text), _id_checker("sgr", "a security group rule")]


def _protocol(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{value!r} is not a protocol: use tcp, udp, icmp, icmpv6, -1 or 0-255")
    return normalise_protocol(value)


ProtocolName = Annotated[str, BeforeValidator(_protocol)]


def _port(value: str | int) -> int:
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise ValueError(f"{value!r} is not a port number")
        value = int(value)
    if not 0 <= value <= 65535:
        raise ValueError(f"port {value} is out of range: use 0-65535")
    return value


def parse_ports(value: Any) -> tuple[int, int]:
    """``443``, ``"443"``, ``"1024-65535"`` or ``[1024, 65535]`` → ``(from, to)``."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a port or a from-to range")
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = _port(value[0]), _port(value[1])
    elif isinstance(value, int):
        low = high = _port(value)
    elif isinstance(value, str):
        text = value.strip()
        if "-" in text:
            first, _, second = text.partition("-")
            low, high = _port(first), _port(second)
        else:
            low = high = _port(text)
    else:
        raise ValueError(f"{value!r} is not a port or a from-to range")
    if low > high:
        raise ValueError(f"port range {low}-{high} is reversed: write {high}-{low}")
    return low, high


PortRange = Annotated[tuple[int, int], BeforeValidator(parse_ports)]


def _cidr(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a CIDR")
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 CIDR") from None


Cidr = Annotated[str, BeforeValidator(_cidr)]

_GROUP = re.compile(r"^sg-[0-9a-zA-Z][0-9a-zA-Z-]*$")
_PREFIX_LIST = re.compile(r"^pl-[0-9a-zA-Z][0-9a-zA-Z-]*$")


def _peer(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a peer: use a CIDR, an sg- id or a pl- id")
    text = value.strip()
    if _GROUP.match(text) or _PREFIX_LIST.match(text):
        return text
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a peer: use an IPv4/IPv6 CIDR, an sg- id or a pl- id"
        ) from None


Peer = Annotated[str, BeforeValidator(_peer)]


def peer_kind(peer: str) -> str:
    """``group``, ``prefix-list``, ``ipv4`` or ``ipv6`` for a validated peer."""
    if peer.startswith("sg-"):
        return "group"
    if peer.startswith("pl-"):
        return "prefix-list"
    return "ipv6" if ":" in peer else "ipv4"


def _rule_number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not a rule number")
    number = int(value) if isinstance(value, int) or value.strip().isdigit() else None
    if number is None:
        raise ValueError(f"{value!r} is not a rule number")
    if number in (32767, 32768):
        raise ValueError(f"rule {number} is AWS's default deny entry and cannot be changed")
    if not 1 <= number <= 32766:
        raise ValueError(f"rule number {number} is out of range: use 1-32766")
    return number


AclRuleNumber = Annotated[int, BeforeValidator(_rule_number)]
