"""Connection tracking (seed 002): which reachable flows are untracked, and which rules
cut existing connections when removed."""

from __future__ import annotations

from netmend.model import Inventory, SgRule
from netmend.reach import evaluate, is_untracked, removal_cuts_connections

from .builders import Estate, RuleSpec, egress, flow, ingress


def _server(*rules: RuleSpec) -> Inventory:
    """eni-client (open egress only) and eni-server (sg-server with ``rules``)."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group(
        "sg-client",
        egress("tcp", (0, 1000), "10.0.0.0/16"),
        egress("udp", (0, 1000), "10.0.0.0/16"),
    )
    estate.group("sg-server", *rules)
    estate.eni("eni-client", "subnet-a", "10.0.1.10", "sg-client")
    estate.eni("eni-server", "subnet-a", "10.0.1.20", "sg-server")
    return estate.build()


def _tracked(
    inventory: Inventory, protocol: str = "tcp", port: int | None = 80, **icmp: int | None
) -> bool | None:
    return evaluate(
        inventory, flow(inventory, "eni-client", "eni-server", protocol, port, **icmp)
    ).tracked


def _rule(inventory: Inventory, group_id: str, *, egress: bool, protocol: str) -> SgRule:
    group = inventory.security_group(group_id)
    assert group is not None
    return next(r for r in group.rules if r.egress == egress and r.protocol == protocol)


def test_world_ingress_with_open_egress_is_untracked() -> None:
    """The seed's example: TCP 80 from 0.0.0.0/0 plus all outbound to 0.0.0.0/0."""
    assert _tracked(_server(ingress("tcp", 80), egress())) is False


def test_narrow_ingress_is_tracked() -> None:
    """TCP 80 from 10.0.0.0/16 only: tracked, whatever the egress rules."""
    assert _tracked(_server(ingress("tcp", 80, "10.0.0.0/16"), egress())) is True


def test_removing_the_open_egress_makes_it_tracked() -> None:
    """Without the all-open outbound rule the inbound world rule alone is tracked; an
    outbound TCP 0-65535 rule to 0.0.0.0/0 is enough to untrack TCP again."""
    assert _tracked(_server(ingress("tcp", 80))) is True
    assert _tracked(_server(ingress("tcp", 80), egress("tcp", 443))) is True
    assert _tracked(_server(ingress("tcp", 80), egress("tcp", (0, 65535)))) is False


def test_icmp_is_always_tracked() -> None:
    """ICMP from anywhere with open egress is still tracked."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-client", egress())
    estate.group("sg-server", ingress("icmp"), egress())
    estate.eni("eni-client", "subnet-a", "10.0.1.10", "sg-client")
    estate.eni("eni-server", "subnet-a", "10.0.1.20", "sg-server")
    assert _tracked(estate.build(), "icmp", None, icmp_type=8) is True


def test_the_client_side_counts_too() -> None:
    """A client whose egress to 0.0.0.0/0 meets an all-open ingress rule is untracked at
    its end, and the evaluation notes which ENI."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-client", egress(), ingress())
    estate.group("sg-server", ingress("tcp", 80, "10.0.0.0/16"))
    estate.eni("eni-client", "subnet-a", "10.0.1.10", "sg-client")
    estate.eni("eni-server", "subnet-a", "10.0.1.20", "sg-server")
    inventory = estate.build()
    result = evaluate(inventory, flow(inventory, "eni-client", "eni-server", "tcp", 80))
    assert result.tracked is False
    assert any("eni-client" in n and "untracked" in n for n in result.notes)


def test_unreachable_flows_have_no_tracking_answer() -> None:
    """tracked is None when the flow does not get through."""
    assert _tracked(_server(ingress("tcp", 22), egress()), port=80) is None


def test_is_untracked_and_removal_cuts_connections() -> None:
    """The world TCP 80 rule is untracked and removing it cuts connections; the open egress
    rule is not 'untracked' itself (no all-open inbound rule) but removing it cuts the
    replies of the untracked port-80 flows; a narrow rule does neither."""
    inventory = _server(ingress("tcp", 80), ingress("tcp", 22, "10.0.0.0/16"), egress())
    world = next(r for r in _rules(inventory) if r.from_port == 80)
    narrow = next(r for r in _rules(inventory) if r.from_port == 22)
    open_egress = _rule(inventory, "sg-server", egress=True, protocol="-1")
    assert is_untracked(inventory, "eni-server", world)
    assert removal_cuts_connections(inventory, "eni-server", world)
    assert not is_untracked(inventory, "eni-server", open_egress)
    assert removal_cuts_connections(inventory, "eni-server", open_egress)
    assert not is_untracked(inventory, "eni-server", narrow)
    assert not removal_cuts_connections(inventory, "eni-server", narrow)
    assert not is_untracked(inventory, "eni-client", world)  # its group is not there


def test_removing_one_of_two_open_egress_rules_cuts_nothing() -> None:
    """Another all-open outbound rule keeps the untracked replies flowing."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-1", ingress("tcp", 80), egress())
    estate.group("sg-2", egress())
    estate.eni("eni-server", "subnet-a", "10.0.1.20", "sg-1", "sg-2")
    inventory = estate.build()
    first = _rule(inventory, "sg-1", egress=True, protocol="-1")
    assert not removal_cuts_connections(inventory, "eni-server", first)


def _rules(inventory: Inventory) -> list[SgRule]:
    group = inventory.security_group("sg-server")
    assert group is not None
    return [r for r in group.rules if not r.egress]


def test_all_traffic_rule_is_untracked_per_protocol_of_the_traffic() -> None:
    """An all-traffic inbound rule from anywhere with an outbound TCP-only 0-65535 rule:
    TCP through it is untracked, UDP is not; by default either one counts."""
    inventory = _server(ingress("-1"), egress("tcp", (0, 65535)))
    everything = _rule(inventory, "sg-server", egress=False, protocol="-1")
    assert is_untracked(inventory, "eni-server", everything, protocol="tcp")
    assert not is_untracked(inventory, "eni-server", everything, protocol="udp")
    assert is_untracked(inventory, "eni-server", everything)
    assert _tracked(inventory, "udp", 53) is True
    assert _tracked(inventory, "tcp", 80) is False
