"""The one wording of a security-group rule (and of an ACL entry), used by every reader.

``rule_text`` / ``rule_service`` are a contract: root-cause summaries, explanation
details, plan summaries, drift and restore messages and scan findings all name rules
with them, so an engineer reads one rule the same way wherever netmend mentions it.
"""

from __future__ import annotations

import pytest

from netmend.model import AclEntry, SgRule
from netmend.model.rules import acl_entry_text, rule_service, rule_text


def _rule(**fields: object) -> SgRule:
    base: dict[str, object] = {
        "group_id": "sg-1",
        "egress": False,
        "protocol": "tcp",
        "from_port": 443,
        "to_port": 443,
        "cidr_ipv4": "10.0.0.0/16",
    }
    return SgRule.model_validate(base | fields)


@pytest.mark.parametrize(
    ("fields", "service"),
    [
        ({}, "tcp 443"),
        ({"protocol": "udp", "from_port": 1024, "to_port": 65535}, "udp 1024-65535"),
        ({"from_port": 0, "to_port": 65535}, "all tcp"),
        ({"from_port": None, "to_port": None}, "all tcp"),
        ({"protocol": "icmp", "from_port": 8, "to_port": -1}, "icmp type 8"),
        ({"protocol": "icmp", "from_port": 3, "to_port": 4}, "icmp type 3 code 4"),
        ({"protocol": "icmp", "from_port": -1, "to_port": -1}, "all icmp"),
        ({"protocol": "icmpv6", "from_port": 128, "to_port": -1}, "icmpv6 type 128"),
        ({"protocol": "-1", "from_port": None, "to_port": None}, "all traffic"),
        ({"protocol": "47", "from_port": None, "to_port": None}, "protocol 47"),
    ],
)
def test_rule_service_names_what_a_rule_admits(fields: dict[str, object], service: str) -> None:
    """Ports, ICMP type/code, all-ports and portless protocols, in the runbook's words."""
    assert rule_service(_rule(**fields)) == service


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({}, "inbound tcp 443 from 10.0.0.0/16"),
        (
            {"egress": True, "protocol": "-1", "from_port": None, "to_port": None},
            "outbound all traffic to 10.0.0.0/16",
        ),
        (
            {"cidr_ipv4": None, "referenced_group_id": "sg-2", "description": "shop"},
            "inbound tcp 443 from sg-2",
        ),
        ({"cidr_ipv4": None, "cidr_ipv6": "::/0"}, "inbound tcp 443 from ::/0"),
        (
            {"egress": True, "cidr_ipv4": None, "prefix_list_id": "pl-1"},
            "outbound tcp 443 to pl-1",
        ),
    ],
)
def test_rule_text_is_direction_service_and_peer(fields: dict[str, object], text: str) -> None:
    """Inbound rules come "from" their peer, outbound ones go "to" it; the description
    and the rule id are not part of what a rule says."""
    rule = _rule(rule_id="sgr-1", **fields)
    assert rule_text(rule) == text
    assert rule_text(rule, group=True) == f"sg-1 {text}"


def _entry(**fields: object) -> AclEntry:
    base: dict[str, object] = {
        "rule_number": 110,
        "protocol": "tcp",
        "rule_action": "allow",
        "egress": False,
        "cidr": "10.5.2.100/32",
        "port_from": 8443,
        "port_to": 8443,
    }
    return AclEntry.model_validate(base | fields)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({}, "inbound rule 110: allow tcp 8443 from 10.5.2.100/32"),
        (
            {"egress": True, "port_from": 1024, "port_to": 65535, "cidr": "10.5.0.0/16"},
            "outbound rule 110: allow tcp 1024-65535 to 10.5.0.0/16",
        ),
        (
            {"rule_action": "deny", "protocol": "udp", "port_from": None, "port_to": None},
            "inbound rule 110: deny all udp from 10.5.2.100/32",
        ),
        (
            {
                "protocol": "icmp",
                "port_from": None,
                "port_to": None,
                "icmp_type": 3,
                "icmp_code": 4,
            },
            "inbound rule 110: allow icmp type 3 code 4 from 10.5.2.100/32",
        ),
        (
            {
                "rule_number": 32767,
                "rule_action": "deny",
                "protocol": "-1",
                "port_from": None,
                "port_to": None,
                "cidr": "0.0.0.0/0",
            },
            "inbound rule *: deny all traffic from 0.0.0.0/0",
        ),
    ],
)
def test_acl_entry_text_reads_like_a_rule(fields: dict[str, object], text: str) -> None:
    """An ACL entry is worded as a group rule is (direction, service, peer), with its
    number and action; the default entry is rule ``*``."""
    assert acl_entry_text(_entry(**fields)) == text


def test_an_entry_not_placed_yet_has_no_number() -> None:
    """Before a free rule number is found, the entry is named without one."""
    assert acl_entry_text(_entry(), numbered=False) == "inbound allow tcp 8443 from 10.5.2.100/32"
