"""The evaluator as a whole: public API, path order, hops, indexing and caching."""

from __future__ import annotations

from netmend import reach
from netmend.reach import Code, Evaluator, Leg, evaluate, evaluator_for
from netmend.reach.packet import parse_address

from .builders import Estate, allow, egress, flow, ingress


def _estate() -> Estate:
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-a", egress("tcp", 22))
    estate.group("sg-b", ingress("tcp", 22))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a")
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-b")
    estate.acl("acl-b", allow(100, "tcp", 22), subnets=("subnet-b",))
    return estate


def test_public_api_is_re_exported_from_netmend_reach() -> None:
    """The classifier and the CLI import these names from netmend.reach."""
    for name in (
        "evaluate",
        "Flow",
        "Endpoint",
        "make_flow",
        "resolve_endpoint",
        "Evaluation",
        "Explanation",
        "Hop",
        "Code",
        "Direction",
        "Leg",
        "EphemeralCoverage",
    ):
        assert name in reach.__all__
        assert getattr(reach, name) is not None


def test_every_blocking_point_is_reported_in_path_order() -> None:
    """Client egress SG, server ACL ingress, server SG ingress, then the server ACL's
    egress on the return leg: all four, in that order; reachable is False."""
    inventory = _estate().build()
    result = evaluate(inventory, flow(inventory, "eni-a", "eni-b", "tcp", 443))
    assert not result.reachable
    assert [(e.code, e.component, e.leg) for e in result.explanations] == [
        (Code.ENI_SG_RULES_MISMATCH, "sg-a", Leg.FORWARD),
        (Code.SUBNET_ACL_RESTRICTION, "acl-b", Leg.FORWARD),
        (Code.ENI_SG_RULES_MISMATCH, "sg-b", Leg.FORWARD),
        (Code.SUBNET_ACL_RESTRICTION, "acl-b", Leg.RETURN),
    ]
    assert result.blocking == result.explanations[0]


def test_hops_walk_the_components_in_order_and_mark_the_blocked_one() -> None:
    """Forward hops: eni, groups, ACL, route table, ACL, groups, eni; return: groups, ACL,
    route table, ACL, groups. Only the blocked ones say allowed=False."""
    estate = _estate()
    estate.acl(
        "acl-b",
        allow(100, "tcp", 22),
        allow(100, "tcp", (1024, 65535), out=True),
        subnets=("subnet-b",),
    )
    inventory = estate.build()
    result = evaluate(inventory, flow(inventory, "eni-a", "eni-b", "tcp", 22))
    assert result.reachable
    assert [h.kind for h in result.forward] == [
        "eni",
        "security-groups",
        "network-acl",
        "route-table",
        "network-acl",
        "security-groups",
        "eni",
    ]
    assert [h.kind for h in result.return_path] == [
        "security-groups",
        "network-acl",
        "route-table",
        "network-acl",
        "security-groups",
    ]
    assert all(h.allowed for h in result.forward + result.return_path)
    assert result.forward[4].detail == "acl-b #100 allow tcp 22 0.0.0.0/0"


def test_evaluate_reuses_one_evaluator_per_inventory() -> None:
    """Repeated calls on one inventory share the Evaluator (and its indexes); another
    inventory gets its own; results equal a fresh Evaluator's."""
    first = _estate().build()
    second = _estate().build()
    assert evaluator_for(first) is evaluator_for(first)
    assert evaluator_for(first) is not evaluator_for(second)
    checked = flow(first, "eni-a", "eni-b", "tcp", 22)
    assert evaluate(first, checked) == Evaluator(first).evaluate(checked)


def test_rule_tables_are_built_once_and_only_for_the_interfaces_evaluated() -> None:
    """Evaluating one flow indexes the client's egress and the server's ingress groups,
    nothing of the other 50 interfaces; a second flow reuses the tables."""
    estate = _estate()
    for i in range(50):
        estate.group(f"sg-x{i}", ingress("tcp", i + 1, f"10.9.{i}.0/24"))
        estate.eni(f"eni-x{i}", "subnet-a", f"10.0.1.{100 + i}", f"sg-x{i}")
    inventory = estate.build()
    evaluator = Evaluator(inventory)
    evaluator.evaluate(flow(inventory, "eni-a", "eni-b", "tcp", 22))
    assert set(evaluator.rules.built()) == {(("sg-a",), True), (("sg-b",), False)}
    table = evaluator.rules.rules(("sg-b",), egress=False)
    evaluator.evaluate(flow(inventory, "eni-a", "eni-b", "tcp", 23))
    assert evaluator.rules.rules(("sg-b",), egress=False) is table


def test_the_address_index_returns_only_rules_whose_peer_contains_the_address() -> None:
    """60 rules with distinct /32 peers: a lookup for one address returns one candidate."""
    estate = Estate()
    estate.group(
        "sg-many",
        *[ingress("tcp", 443, f"10.0.3.{i}/32") for i in range(60)],
        ingress("tcp", 22, "10.0.0.0/16"),
    )
    inventory = estate.build()
    table = Evaluator(inventory).rules.rules(("sg-many",), egress=False)
    found = table.candidates("tcp", parse_address("10.0.3.7"), ())
    assert sorted(r.rule.cidr_ipv4 or "" for r in found) == ["10.0.0.0/16", "10.0.3.7/32"]
    assert table.candidates("udp", parse_address("10.0.3.7"), ()) == []
