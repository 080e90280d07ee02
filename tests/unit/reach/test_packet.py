"""Packets and keys: how rules, entries and flows map onto one integer key space."""

from __future__ import annotations

import ipaddress

from netmend.model import SgRule
from netmend.reach.packet import (
    ALL_KEYS,
    acl_entry_keys,
    forward_packet,
    icmp_keys,
    keys_text,
    network_interval,
    parse_address,
    reply_icmp_type,
    reply_packet,
    sg_rule_keys,
)

from .builders import Estate, allow, flow


def _rule(protocol: str, from_port: int | None, to_port: int | None) -> SgRule:
    return SgRule(
        group_id="sg-1",
        egress=False,
        protocol=protocol,
        from_port=from_port,
        to_port=to_port,
        cidr_ipv4="10.0.0.0/8",
    )


def test_sg_rule_keys_follow_aws_fields() -> None:
    """TCP ports are inclusive ranges; ICMP FromPort/ToPort are type/code with -1 for all;
    -1 and other protocol numbers admit every port whatever range they carry."""
    assert sg_rule_keys(_rule("tcp", 80, 443)) == (80, 443)
    assert sg_rule_keys(_rule("icmp", 8, -1)) == (8 * 256, 8 * 256 + 255)
    assert sg_rule_keys(_rule("icmp", 3, 4)) == (3 * 256 + 4, 3 * 256 + 4)
    assert sg_rule_keys(_rule("icmp", -1, -1)) == ALL_KEYS
    assert sg_rule_keys(_rule("icmpv6", None, None)) == ALL_KEYS
    assert sg_rule_keys(_rule("-1", None, None)) == ALL_KEYS
    assert sg_rule_keys(_rule("47", 10, 20)) == ALL_KEYS


def test_acl_entry_keys_cover_ports_and_icmp_type_code() -> None:
    """ACL TCP entries use their port range; ICMP entries their type/code; protocol 50
    matches every port."""
    assert acl_entry_keys(allow(100, "tcp", (1024, 65535))) == (1024, 65535)
    assert acl_entry_keys(allow(100, "icmp", (0, -1))) == (0, 255)
    assert acl_entry_keys(allow(100, "50")) == ALL_KEYS


def test_flow_packets_and_their_replies() -> None:
    """A TCP reply goes from the server's service port back to the client's ephemeral
    ports; echo request 8 is answered by type 0, ICMPv6 128 by 129; other types get none."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.eni("eni-a", "subnet-a", "10.0.1.10")
    estate.eni("eni-b", "subnet-a", "10.0.1.11")
    inventory = estate.build()
    tcp = flow(inventory, "eni-a", "eni-b", "tcp", 443)
    assert forward_packet(tcp).keys == (443, 443)
    reply = reply_packet(tcp, (1024, 65535))
    assert reply is not None
    assert reply.keys == (1024, 65535)
    assert reply.source == forward_packet(tcp).destination
    ping = flow(inventory, "eni-a", "eni-b", "icmp")
    # an echo request always carries code 0: the default ping flow is matched as 8/0
    assert forward_packet(ping).keys == icmp_keys(8, 0)
    unreachable = flow(inventory, "eni-a", "eni-b", "icmp", icmp_type=3)
    assert forward_packet(unreachable).keys == icmp_keys(3, None)  # not a fixed-code type
    echo_reply = reply_packet(ping, (1024, 65535))
    assert echo_reply is not None
    assert echo_reply.keys == (0, 0)
    assert reply_icmp_type("icmpv6", 128) == 129
    assert reply_packet(flow(inventory, "eni-a", "eni-b", "icmp", icmp_type=3), (0, 0)) is None


def test_keys_text_names_services_as_engineers_do() -> None:
    """``tcp 443``, ``icmp type 8``, ``icmp type 3 code 4``, ``all``."""
    assert keys_text("tcp", (443, 443)) == "tcp 443"
    assert keys_text("udp", (1024, 65535)) == "udp 1024-65535"
    assert keys_text("icmp", icmp_keys(8, None)) == "icmp type 8"
    assert keys_text("icmp", icmp_keys(3, 4)) == "icmp type 3 code 4"
    assert keys_text("icmp", ALL_KEYS) == "icmp all"
    assert keys_text("-1", ALL_KEYS) == "all"
    assert keys_text("47", ALL_KEYS) == "protocol 47"


def test_cidr_and_address_parsing_agree_with_ipaddress() -> None:
    """IPv4 is parsed by hand for speed: every canonical, non-canonical and malformed
    form gives what ``ipaddress`` gives (host bits cleared; errors stay errors)."""
    cidrs = ["0.0.0.0/0", "10.0.1.7/24", "255.255.255.255/32", "10.0.0.0/33", "010.0.0.0/8"]
    cidrs += ["1.2.3/24", "1.2.3.4", "1.2.3.4/", "::/0", "2001:db8::1/64", "1.2.3.4/8"]
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr, strict=False)
            expected: object = (net.version, int(net.network_address), int(net.broadcast_address))
        except ValueError:
            expected = "error"
        try:
            got: object = network_interval(cidr)
        except ValueError:
            got = "error"
        assert got == expected, cidr
    for text in ["1.2.3.4", "0.0.0.0", "01.2.3.4", "256.1.1.1", "fe80::1"]:
        try:
            address = ipaddress.ip_address(text)
            wanted: object = (address.version, int(address))
        except ValueError:
            wanted = "error"
        try:
            parsed = parse_address(text)
            found: object = (parsed.family, parsed.value)
        except ValueError:
            found = "error"
        assert found == wanted, text
