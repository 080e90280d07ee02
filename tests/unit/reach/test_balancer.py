"""The load-balancer hop offline: listeners, stand-in nodes, targets outside the inventory.

Estates are built with the evaluator tests' builders plus hand-made ELBv2 models (the
shapes the collector produces); no AWS.
"""

from __future__ import annotations

import pytest

from netmend.app.diagnosis import diagnose
from netmend.errors import BadInputError
from netmend.model import (
    Inventory,
    Listener,
    LoadBalancer,
    LoadBalancerZone,
    Target,
    TargetGroup,
    TargetHealth,
)
from netmend.playbook import load_playbooks, propose_plan
from netmend.reach import evaluate, make_flow
from netmend.reach.causes.classify import classify
from tests.unit.reach.builders import Estate, egress, ingress

_LB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web-alb/0f1e2d3c"
_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/8a9b"


def _inventory(
    *,
    lb_groups: tuple[str, ...] = ("sg-alb",),
    targets: tuple[Target, ...] = (Target(target_id="i-app", port=8080),),
    action: str = "forward",
    app_rules: tuple = (ingress("tcp", 8080, "sg-alb"),),
    alb_rules: tuple = (ingress("tcp", 443, "sg-client"), egress()),
) -> Inventory:
    estate = Estate()
    estate.subnet("subnet-client", "10.0.2.0/24")
    estate.subnet("subnet-app", "10.0.1.0/24")
    estate.subnet("subnet-lb", "10.0.10.0/24")
    estate.group("sg-client", egress())
    estate.group("sg-alb", *alb_rules)
    estate.group("sg-app", *app_rules)
    estate.eni("eni-client", "subnet-client", "10.0.2.100", "sg-client", instance="i-client")
    estate.eni("eni-app", "subnet-app", "10.0.1.50", "sg-app", instance="i-app")
    base = estate.build()
    balancer = LoadBalancer(
        load_balancer_arn=_LB,
        name="web-alb",
        dns_name="internal-web-alb-1.eu-west-1.elb.amazonaws.com",
        vpc_id="vpc-1",
        zones=(LoadBalancerZone(zone="eu-west-1a", subnet_id="subnet-lb"),),
        security_group_ids=lb_groups,
        listeners=(
            Listener(
                listener_arn=f"{_LB}/l1",
                protocol="HTTPS",
                port=443,
                target_group_arns=(_TG,) if action == "forward" else (),
                default_action=action,
            ),
        ),
    )
    group = TargetGroup(
        target_group_arn=_TG,
        name="web-tg",
        protocol="HTTP",
        port=8080,
        vpc_id="vpc-1",
        load_balancer_arns=(_LB,),
        targets=targets,
    )
    fields = {name: getattr(base, name) for name in Inventory.model_fields}
    return Inventory(**(fields | {"load_balancers": (balancer,), "target_groups": (group,)}))


def test_name_dns_and_arn_resolve_to_the_load_balancer() -> None:
    """All three names reach the listener; a stand-in node (no ENI collected) takes the
    subnet's last usable address."""
    inventory = _inventory()
    for name in ("web-alb:443", "INTERNAL-web-alb-1.eu-west-1.elb.amazonaws.com:443", _LB):
        flow = make_flow(inventory, "i-client", name, port=443)
        assert flow.destination.load_balancer_arn == _LB
        assert flow.destination.address == "10.0.10.254"
        assert evaluate(inventory, flow).reachable


def test_unknown_load_balancer_with_a_port_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="unknown load balancer 'no-such-alb'"):
        make_flow(_inventory(), "i-client", "no-such-alb:443")
    with pytest.raises(BadInputError, match="contradicts"):
        make_flow(_inventory(), "i-client", "web-alb:443", port=80)


def test_listener_without_targets_is_listener_has_no_tg() -> None:
    evaluation = evaluate(
        _inventory(targets=()), make_flow(_inventory(), "i-client", "web-alb:443")
    )
    assert [e.code for e in evaluation.explanations] == ["ELBV2_LISTENER_HAS_NO_TG"]


def test_redirect_listener_answers_itself() -> None:
    """A redirect (or fixed-response) listener sends nothing to a target: reachable, noted."""
    inventory = _inventory(action="redirect", app_rules=())
    evaluation = evaluate(inventory, make_flow(inventory, "i-client", "web-alb:443"))
    assert evaluation.reachable
    assert any("answers itself (redirect)" in n for n in evaluation.notes)


def test_target_outside_the_inventory_is_noted_not_judged() -> None:
    inventory = _inventory(targets=(Target(target_id="192.168.7.9", port=8080),))
    evaluation = evaluate(inventory, make_flow(inventory, "i-client", "web-alb:443"))
    assert evaluation.reachable
    assert any("192.168.7.9" in n for n in evaluation.notes)


def test_groupless_stand_in_nodes_are_admitted_by_their_subnet() -> None:
    """No groups on the load balancer: its nodes filter nothing, and the fix admits its
    subnet's CIDR on the target's group (the nodes' addresses are somewhere in it)."""
    inventory = _inventory(
        lb_groups=(),
        targets=(Target(target_id="i-app", health=TargetHealth(state="unhealthy")),),
        app_rules=(),
    )
    flow = make_flow(inventory, "i-client", "web-alb:443")
    evaluation = evaluate(inventory, flow)
    assert {e.segment.split()[0] for e in evaluation.explanations if e.segment} == {
        "target",
        "health-check",
    }
    (cause,) = classify(inventory, flow, evaluation)
    assert cause.evidence["peers"] == ["10.0.10.0/24"]
    assert cause.evidence["peer_kind"] == "cidr"
    assert cause.evidence["ports"] == [8080]


def test_inventory_with_load_balancers_round_trips_through_json() -> None:
    inventory = _inventory()
    again = Inventory.model_validate_json(inventory.model_dump_json())
    assert again == inventory
    assert again.get(_LB) == inventory.load_balancers[0]


def test_stand_in_node_blocking_the_client_is_missing_ingress_on_its_group() -> None:
    """The ALB's group admits nothing from the web tier and its node is a stand-in (no
    ENI to hang the ordinary classifier on): missing-ingress on sg-alb, from sg-client,
    on the listener's port; the built-in playbook proposes exactly that rule."""
    inventory = _inventory(alb_rules=(egress(),))
    flow = make_flow(inventory, "i-client", "web-alb:443")
    found = diagnose(inventory, flow)
    (cause,) = found.causes
    assert (cause.playbook, cause.resource) == ("missing-ingress", "sg-alb")
    assert (cause.evidence["peer"], cause.evidence["port"]) == ("sg-client", 443)
    plan = propose_plan(
        inventory, flow, found.evaluation, found.causes, load_playbooks(), run_id="r-1"
    )
    (change,) = plan.changes
    assert (change.api, change.resource) == ("AuthorizeSecurityGroupIngress", "sg-alb")
    (permission,) = change.params["IpPermissions"]
    assert permission["FromPort"] == permission["ToPort"] == 443
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == ["sg-client"]
