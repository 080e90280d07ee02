"""Security groups: allow-only unions, protocols, ports, ICMP, peers, stateful replies."""

from __future__ import annotations

from netmend.model import Inventory
from netmend.reach import Code, Direction, Evaluation, Leg, evaluate
from netmend.reach.packet import fixed_code

from .builders import Estate, RuleSpec, egress, flow, ingress, route


def _pair(
    client: tuple[RuleSpec, ...],
    server: tuple[RuleSpec, ...],
    *,
    extra_server_group: tuple[RuleSpec, ...] | None = None,
) -> Inventory:
    """eni-a (sg-a) and eni-b (sg-b, maybe sg-b2) in one subnet: only groups apply."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-a", *client)
    estate.group("sg-b", *server)
    server_groups = ["sg-b"]
    if extra_server_group is not None:
        estate.group("sg-b2", *extra_server_group)
        server_groups.append("sg-b2")
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a")
    estate.eni("eni-b", "subnet-a", "10.0.1.20", *server_groups)
    return estate.build()


def _run(
    inventory: Inventory, protocol: str = "tcp", port: int | None = 443, **icmp: int | None
) -> Evaluation:
    return evaluate(inventory, flow(inventory, "eni-a", "eni-b", protocol, port, **icmp))


def _codes(evaluation: Evaluation) -> list[tuple[str, str, str | None]]:
    return [(e.code, e.component, e.direction) for e in evaluation.explanations]


def test_matching_ingress_and_egress_rules_reach_and_name_the_rules() -> None:
    """A CIDR rule on each side admits the flow; the hops carry the matched rule text."""
    inventory = _pair((egress("tcp", 443, "10.0.1.0/24"),), (ingress("tcp", 443, "10.0.0.0/16"),))
    result = _run(inventory)
    assert result.reachable
    details = [h.detail for h in result.forward if h.kind == "security-groups"]
    assert details == [
        "sg-a outbound tcp 443 to 10.0.1.0/24",
        "sg-b inbound tcp 443 from 10.0.0.0/16",
    ]


def test_missing_ingress_rule_is_eni_sg_rules_mismatch_on_the_server_group() -> None:
    """A port the server's group does not open: ENI_SG_RULES_MISMATCH, ingress, sg-b."""
    inventory = _pair((egress(),), (ingress("tcp", 8443, "10.0.0.0/16"),))
    result = _run(inventory)
    assert not result.reachable
    assert _codes(result) == [(Code.ENI_SG_RULES_MISMATCH, "sg-b", Direction.INGRESS)]
    assert result.explanations[0].rules == ("sg-b",)
    assert result.explanations[0].leg is Leg.FORWARD


def test_groups_with_no_rules_in_a_direction_are_sg_has_no_rules() -> None:
    """No egress rule at all on the client: SG_HAS_NO_RULES (egress), not a mismatch."""
    inventory = _pair((ingress("tcp", 22),), (ingress("tcp", 443),))
    result = _run(inventory)
    assert _codes(result) == [(Code.SG_HAS_NO_RULES, "sg-a", Direction.EGRESS)]


def test_groups_on_an_eni_are_a_union() -> None:
    """sg-b opens 22 only; sg-b2 on the same ENI opens 443: together they admit 443, and the
    explanation of a miss lists both groups."""
    inventory = _pair((egress(),), (ingress("tcp", 22),), extra_server_group=(ingress("tcp", 443),))
    assert _run(inventory).reachable
    blocked = _run(inventory, port=8080)
    assert blocked.explanations[0].component == "sg-b"
    assert blocked.explanations[0].rules == ("sg-b", "sg-b2")


def test_one_empty_group_among_others_with_rules_is_a_mismatch() -> None:
    """SG_HAS_NO_RULES needs every group empty in that direction."""
    inventory = _pair((egress(),), (), extra_server_group=(ingress("tcp", 22),))
    assert _codes(_run(inventory))[0][0] == Code.ENI_SG_RULES_MISMATCH


def test_port_ranges_are_inclusive() -> None:
    """A 8000-8080 rule admits 8000 and 8080, not 8081."""
    inventory = _pair((egress(),), (ingress("tcp", (8000, 8080)),))
    assert _run(inventory, port=8000).reachable
    assert _run(inventory, port=8080).reachable
    assert not _run(inventory, port=8081).reachable


def test_tcp_and_udp_are_distinct_and_minus_one_matches_all() -> None:
    """A TCP 53 rule does not admit UDP 53; an all-traffic rule admits both."""
    tcp_only = _pair((egress(),), (ingress("tcp", 53),))
    assert _run(tcp_only, "tcp", 53).reachable
    assert not _run(tcp_only, "udp", 53).reachable
    everything = _pair((egress(),), (ingress("-1"),))
    assert _run(everything, "udp", 53).reachable
    assert _run(everything, "47", None).reachable


def test_other_protocol_numbers_admit_all_their_ports_and_nothing_else() -> None:
    """A protocol 47 (GRE) rule admits GRE, not TCP."""
    inventory = _pair((egress(),), (ingress("47"),))
    assert _run(inventory, "47", None).reachable
    assert not _run(inventory, "tcp", 443).reachable


def test_all_traffic_flow_needs_an_all_traffic_rule() -> None:
    """Protocol -1 flows are not admitted by a TCP 0-65535 rule, only by a -1 rule."""
    ports_only = _pair((egress(),), (ingress("tcp", (0, 65535)), ingress("udp", (0, 65535))))
    assert not _run(ports_only, "-1", None).reachable
    assert _run(_pair((egress(),), (ingress("-1"),)), "-1", None).reachable


def test_icmp_matches_type_and_code() -> None:
    """Echo request (type 8) rule admits ping; an echo-reply (type 0) rule does not. An
    echo request always carries code 0, so a rule for 8/0 admits every ping; for a type
    whose code varies (3, unreachable) a rule for one code admits a flow naming that code
    but not a flow of any code."""
    echo = _pair((egress(),), (ingress("icmp", 8),))
    assert _run(echo, "icmp", None, icmp_type=8).reachable
    echo_reply_only = _pair((egress(),), (ingress("icmp", 0),))
    assert not _run(echo_reply_only, "icmp", None, icmp_type=8).reachable
    one_code = _pair((egress(),), (ingress("icmp", (8, 0)),))
    assert _run(one_code, "icmp", None, icmp_type=8, icmp_code=0).reachable
    assert _run(one_code, "icmp", None, icmp_type=8).reachable
    for protocol, icmp_type in (("icmp", 13), ("icmp", 0), ("icmpv6", 128), ("icmpv6", 129)):
        assert fixed_code(protocol, icmp_type, None) == 0
    assert fixed_code("icmp", 3, None) is None
    one_unreachable_code = _pair((egress(),), (ingress("icmp", (3, 4)),))
    assert _run(one_unreachable_code, "icmp", None, icmp_type=3, icmp_code=4).reachable
    assert not _run(one_unreachable_code, "icmp", None, icmp_type=3).reachable
    all_icmp = _pair((egress(),), (ingress("icmp"),))
    assert _run(all_icmp, "icmp", None, icmp_type=3, icmp_code=4).reachable


def test_cidr_peers_match_by_containment() -> None:
    """10.0.1.0/24 contains the client 10.0.1.10; 10.0.2.0/24 does not."""
    assert _run(_pair((egress(),), (ingress("tcp", 443, "10.0.1.0/24"),))).reachable
    assert not _run(_pair((egress(),), (ingress("tcp", 443, "10.0.2.0/24"),))).reachable
    assert _run(_pair((egress(),), (ingress("tcp", 443, "10.0.1.10/32"),))).reachable


def test_group_reference_matches_members_of_the_referenced_group() -> None:
    """sg-b admits 'from sg-a': the client carries sg-a, so it passes; 'from sg-zzz' does not."""
    assert _run(_pair((egress("tcp", 443, "sg-b"),), (ingress("tcp", 443, "sg-a"),))).reachable
    result = _run(_pair((egress(),), (ingress("tcp", 443, "sg-zzz"),)))
    assert _codes(result) == [(Code.ENI_SG_RULES_MISMATCH, "sg-b", Direction.INGRESS)]


def test_instances_in_one_group_talk_only_through_a_self_reference() -> None:
    """Two ENIs in sg-app: without a self-referencing rule they cannot talk; with one they
    can."""

    def estate(*rules: RuleSpec) -> Inventory:
        built = Estate()
        built.subnet("subnet-a", "10.0.1.0/24")
        built.group("sg-app", egress(), *rules)
        built.eni("eni-a", "subnet-a", "10.0.1.10", "sg-app")
        built.eni("eni-b", "subnet-a", "10.0.1.20", "sg-app")
        return built.build()

    assert not _run(estate(ingress("tcp", 443, "10.9.0.0/16"))).reachable
    assert _run(estate(ingress("tcp", 443, "sg-app"))).reachable


def test_outside_address_never_matches_a_group_reference() -> None:
    """An internet client is in no group: a 'from sg-a' rule does not admit it."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.igw("igw-1", "vpc-1")
    estate.add_routes("rtb-main", route("0.0.0.0/0", "igw-1"))
    estate.group("sg-a", ingress("tcp", 443, "sg-a"), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a", public_ip="54.1.1.1")
    inventory = estate.build()
    result = evaluate(inventory, flow(inventory, "198.51.100.9", "eni-a", "tcp", 443))
    assert _codes(result) == [(Code.ENI_SG_RULES_MISMATCH, "sg-a", Direction.INGRESS)]


def test_prefix_list_peer_matches_its_entries_and_an_unknown_list_matches_nothing() -> None:
    """pl-office holds 10.0.1.0/24: the client matches; a list missing from the inventory
    matches nothing and a note says so."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.prefix_list("pl-office", "192.168.0.0/16", "10.0.1.0/24")
    estate.group("sg-a", egress())
    estate.group("sg-b", ingress("tcp", 443, "pl-office"), ingress("tcp", 22, "pl-gone"))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a")
    estate.eni("eni-b", "subnet-a", "10.0.1.20", "sg-b")
    inventory = estate.build()
    assert _run(inventory).reachable
    missing = _run(inventory, port=22)
    assert not missing.reachable
    assert any("pl-gone" in note for note in missing.notes)


def test_ipv6_rules_match_ipv6_flows_only() -> None:
    """A ::/0 rule admits an IPv6 flow; a 0.0.0.0/0 rule does not."""

    def estate(rule: RuleSpec) -> Inventory:
        built = Estate(with_default_vpc=False)
        built.vpc("vpc-1", "10.0.0.0/16", ipv6_cidr="2600:1f18::/56")
        built.subnet("subnet-a", "10.0.1.0/24", ipv6_cidr="2600:1f18::/64")
        built.group("sg-a", egress("-1", None, "::/0"))
        built.group("sg-b", rule)
        built.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a", ipv6=("2600:1f18::10",))
        built.eni("eni-b", "subnet-a", "10.0.1.20", "sg-b", ipv6=("2600:1f18::20",))
        return built.build()

    v6 = estate(ingress("tcp", 443, "::/0"))
    assert evaluate(v6, flow(v6, "2600:1f18::10", "2600:1f18::20", "tcp", 443)).reachable
    v4_only = estate(ingress("tcp", 443, "0.0.0.0/0"))
    assert not evaluate(
        v4_only, flow(v4_only, "2600:1f18::10", "2600:1f18::20", "tcp", 443)
    ).reachable


def test_groups_are_stateful_the_reply_needs_no_opposite_rule() -> None:
    """The server has no egress rule and the client no ingress rule: the reply still
    passes, and the return hops say the groups are stateful."""
    inventory = _pair((egress("tcp", 443),), (ingress("tcp", 443),))
    result = _run(inventory)
    assert result.reachable
    group_hops = [h for h in result.return_path if h.kind == "security-groups"]
    assert [h.component for h in group_hops] == ["sg-b", "sg-a"]
    assert all(h.allowed and "stateful" in h.detail for h in group_hops)


def test_outbound_group_is_checked_before_inbound_group() -> None:
    """Both groups block: the client's egress comes first, then the server's ingress."""
    inventory = _pair((egress("tcp", 22),), (ingress("tcp", 22),))
    assert _codes(_run(inventory)) == [
        (Code.ENI_SG_RULES_MISMATCH, "sg-a", Direction.EGRESS),
        (Code.ENI_SG_RULES_MISMATCH, "sg-b", Direction.INGRESS),
    ]


def test_interface_without_groups_is_not_filtered_by_groups() -> None:
    """An interface with ``Groups: []`` (an NLB without groups, a NAT gateway, ...) is not
    filtered by security groups: the flow is admitted, and the path says why."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-a", egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a")
    estate.eni("eni-b", "subnet-a", "10.0.1.20")
    evaluation = _run(estate.build())
    assert evaluation.reachable
    assert any("not filtered by security groups" in h.detail for h in evaluation.forward)
