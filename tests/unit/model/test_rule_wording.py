"""The one wording of a security-group rule, and that every reader of a rule uses it.

``rule_text`` / ``rule_service`` are a contract: root-cause summaries, explanation
details, plan summaries, drift and restore messages and scan findings all name rules
with them, so an engineer reads one rule the same way wherever netmend mentions it.
"""

from __future__ import annotations

import pytest

from netmend.model import SgRule
from netmend.model.rules import rule_service, rule_text


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
