"""The one security-group rule identity (AWS's): what makes two rules the same rule."""

from __future__ import annotations

from netmend.model import SgRule
from netmend.model.rules import rule_permission, sg_rule_key
from netmend.render.rows import sg_row_key


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


def test_description_and_rule_id_are_not_part_of_a_rules_identity() -> None:
    """AWS refuses a second rule differing only in description (InvalidPermission.Duplicate)
    and gives a re-created rule a new sgr- id: neither makes a different rule."""
    plain = _rule()
    assert sg_rule_key(plain) == sg_rule_key(_rule(description="ticket 42", rule_id="sgr-9"))


def test_group_direction_protocol_ports_and_peer_are() -> None:
    """Any of group, direction, protocol, ports or peer makes another rule."""
    plain = sg_rule_key(_rule())
    for other in (
        _rule(group_id="sg-2"),
        _rule(egress=True),
        _rule(protocol="udp"),
        _rule(to_port=444),
        _rule(cidr_ipv4="10.0.0.0/24"),
        _rule(cidr_ipv4=None, referenced_group_id="sg-9"),
    ):
        assert sg_rule_key(other) != plain, other


def test_the_identity_round_trips_through_the_api_form() -> None:
    """The IpPermission built for a rule names the same rule again (ports normalised)."""
    rule = _rule(protocol="icmp", from_port=8, to_port=None)
    permission = rule_permission(rule)
    again = _rule(protocol="icmp", from_port=permission["FromPort"], to_port=permission["ToPort"])
    assert sg_rule_key(again) == sg_rule_key(rule)


def test_a_diff_row_is_the_identity_plus_the_description() -> None:
    """The diff shows a changed description as a changed row; the identity does not change."""
    described = _rule(description="ticket 42")
    assert sg_rule_key(described) == sg_rule_key(_rule())
    assert sg_row_key(described) != sg_row_key(_rule())
