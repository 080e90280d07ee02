"""From root causes to one Plan (netmend.playbook.propose), on a hand-built estate.

The flows are evaluated and classified by the real evaluator and classifier; where a
test needs a cause the estate cannot produce, it builds the RootCause by hand.
"""

from __future__ import annotations

import json

import pytest

from netmend.errors import BadInputError
from netmend.model import Inventory, SecurityGroup
from netmend.playbook import (
    PlaybookError,
    PlaybookSet,
    ProposalRefusedError,
    load_playbook_text,
    load_playbooks,
    propose_plan,
)
from netmend.playbook.registry import get_detector
from netmend.reach.causes.classify import RootCause, classify
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import Flow, make_flow
from netmend.reach.result import Direction, Leg
from netmend.run.plan import ChangeKind, Plan
from playbook.estate import (
    RUN_ID,
    acl_entry,
    build_inventory,
    make_context,
    sg_rule,
    with_resources,
)

NACL_PLAYBOOK = """\
id: nacl-override
title: Test ACL fix
scope: flow
severity: high
detect:
  - use: cause.present
    with: {id: nacl-override}
propose:
  - use: acl.create-entry
    with:
      acl: "{{ evidence.acl_id }}"
      rule_number: "{{ evidence.suggested_rule_number }}"
      egress: "{{ evidence.direction == 'egress' }}"
      protocol: "{{ evidence.protocol }}"
      ports: "{{ evidence.port_from }}-{{ evidence.port_to }}"
      cidr: "{{ evidence.cidr }}"
explain: "{{ evidence.acl_id }} denies it"
approval: {required: true, reason: ACL changes touch a whole subnet}
"""


def _flow(inventory: Inventory, port: int = 8443) -> Flow:
    return make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=port)


def _plan(
    inventory: Inventory, flow: Flow, playbooks: PlaybookSet | None = None, **options: object
) -> Plan:
    evaluation = evaluate(inventory, flow)
    causes = classify(inventory, flow, evaluation)
    return propose_plan(
        inventory, flow, evaluation, causes, playbooks or load_playbooks(), run_id=RUN_ID, **options
    )  # type: ignore[arg-type]


def _applied(inventory: Inventory, plan: Plan) -> Inventory:
    return with_resources(inventory, *(plan.after(r) for r in plan.resources))


def test_missing_ingress_yields_one_narrow_authorize(inventory: Inventory) -> None:
    """The flow blocked by the server's groups gets one inbound rule from the client's
    group, on tcp/8443, on sg-server; applying it makes the flow reachable."""
    flow = _flow(inventory)
    plan = _plan(inventory, flow, change_id="CHG42")
    assert plan.playbooks == ("missing-ingress",)
    assert plan.run_id == RUN_ID
    assert plan.flow == flow
    (change,) = plan.changes
    assert change.action == "sg.authorize-ingress"
    assert change.api == "AuthorizeSecurityGroupIngress"
    assert change.resource == "sg-server"
    assert change.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "UserIdGroupPairs": [
                    {"GroupId": "sg-client", "Description": f"netmend run {RUN_ID} change CHG42"}
                ],
            }
        ],
    }
    assert change.kinds == (ChangeKind.ADDITION,)
    assert change.before == inventory.security_group("sg-server")
    assert isinstance(change.after, SecurityGroup)
    assert len(change.after.rules) == len(change.before.rules) + 1
    assert any(n.startswith("missing-ingress: ") and "sg-client" in n for n in plan.notes)
    assert evaluate(_applied(inventory, plan), flow).reachable


def test_reachable_flow_gives_an_empty_plan() -> None:
    """A flow that already gets through yields an empty plan: nothing to do."""
    inventory = build_inventory()
    fixed = _applied(inventory, _plan(inventory, _flow(inventory)))
    plan = _plan(fixed, _flow(fixed))
    assert plan.empty
    assert plan.playbooks == ()
    assert "nothing to do" in plan.notes[0]


def test_group_option_picks_the_group(inventory: Inventory) -> None:
    """--group puts the rule on the chosen group of the blocked interface."""
    plan = _plan(inventory, _flow(inventory), group="sg-extra")
    (change,) = plan.changes
    assert change.resource == "sg-extra"
    assert evaluate(_applied(inventory, plan), _flow(inventory)).reachable


def test_group_option_must_fit_the_blocked_interface(inventory: Inventory) -> None:
    """A group that is not on the blocked interface, or does not exist, is bad input."""
    with pytest.raises(BadInputError, match="sg-client is on no interface"):
        _plan(inventory, _flow(inventory), group="sg-client")
    with pytest.raises(BadInputError, match="unknown security group 'sg-nope'"):
        _plan(inventory, _flow(inventory), group="sg-nope")


def test_hand_built_cause_from_outside_gets_its_host_address(inventory: Inventory) -> None:
    """A source outside the estate is admitted as its /32, never 0.0.0.0/0."""
    flow = make_flow(inventory, "203.0.113.5", "eni-server", protocol="tcp", port=443)
    evaluation = evaluate(inventory, flow)
    cause = RootCause(
        playbook="missing-ingress",
        resource="sg-server",
        summary="nothing admits it",
        evidence={
            "group_id": "sg-server",
            "peer": "203.0.113.5/32",
            "peer_kind": "cidr",
            "current_groups": ["sg-server", "sg-extra"],
        },
        leg=Leg.FORWARD,
        direction=Direction.INGRESS,
        position=4,
    )
    plan = propose_plan(inventory, flow, evaluation, (cause,), load_playbooks(), run_id=RUN_ID)
    (change,) = plan.changes
    perm = change.params["IpPermissions"][0]
    assert perm["IpRanges"][0]["CidrIp"] == "203.0.113.5/32"
    assert (perm["FromPort"], perm["ToPort"]) == (443, 443)


def test_narrowest_peer_detector(inventory: Inventory) -> None:
    """flow.narrowest-peer: the source's own group inside the VPC, else its host address."""
    detector = get_detector("flow.narrowest-peer")
    assert detector is not None
    params = detector.params.model_validate({})
    inside = make_context(inventory, flow=_flow(inventory))
    assert detector.detect(inside, params) == {"peer": "sg-client", "peer_kind": "group"}
    outside = make_context(
        inventory, flow=make_flow(inventory, "198.51.100.9", "eni-server", protocol="tcp", port=443)
    )
    assert detector.detect(outside, params) == {"peer": "198.51.100.9/32", "peer_kind": "cidr"}


def test_flow_blocked_twice_gets_one_plan_in_path_order() -> None:
    """An ACL and a group both dropping the flow give one plan: ACL entry first (it comes
    first on the path), then the rule; applying both makes the flow reachable."""
    inventory = build_inventory(
        acl_entries=(
            acl_entry(
                50,
                "deny",
                egress=False,
                protocol="tcp",
                port_from=8000,
                port_to=9000,
                cidr="10.0.1.0/24",
            ),
            acl_entry(100, "allow", egress=False),
            acl_entry(32767, "deny", egress=False),
            acl_entry(100, "allow", egress=True),
            acl_entry(32767, "deny", egress=True),
        )
    )
    nacl = load_playbook_text(NACL_PLAYBOOK, "nacl.yaml")
    playbooks = PlaybookSet((load_playbooks().require("missing-ingress"), nacl))
    flow = _flow(inventory)
    plan = _plan(inventory, flow, playbooks)
    assert plan.playbooks == ("nacl-override", "missing-ingress")
    assert [c.api for c in plan.changes] == [
        "CreateNetworkAclEntry",
        "AuthorizeSecurityGroupIngress",
    ]
    acl_change = plan.changes[0]
    assert acl_change.params == {
        "NetworkAclId": "acl-main",
        "RuleNumber": 10,
        "Protocol": "6",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.0.1.10/32",
        "PortRange": {"From": 8443, "To": 8443},
    }
    assert acl_change.kinds == (ChangeKind.DENY_OVERRIDE,)
    assert "nacl-override: approval required: ACL changes touch a whole subnet" in plan.notes
    assert evaluate(_applied(inventory, plan), flow).reachable


def test_only_runs_the_named_playbook() -> None:
    """--playbook ID runs that playbook alone; one that does not hold proposes nothing."""
    inventory = build_inventory(
        acl_entries=(
            acl_entry(
                50,
                "deny",
                egress=False,
                protocol="tcp",
                port_from=8000,
                port_to=9000,
                cidr="10.0.1.0/24",
            ),
            acl_entry(100, "allow", egress=False),
            acl_entry(100, "allow", egress=True),
        ),
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=8443,
                to_port=8443,
                referenced_group_id="sg-client",
            ),
        ),
    )
    nacl = load_playbook_text(NACL_PLAYBOOK, "nacl.yaml")
    playbooks = PlaybookSet((load_playbooks().require("missing-ingress"), nacl))
    flow = _flow(inventory)
    plan = _plan(inventory, flow, playbooks, only="nacl-override")
    assert [c.api for c in plan.changes] == ["CreateNetworkAclEntry"]
    plan = _plan(inventory, flow, playbooks, only="missing-ingress")
    assert plan.changes == ()
    assert any("does not apply" in n for n in plan.notes)


def test_same_fix_from_two_playbooks_is_proposed_once(inventory: Inventory) -> None:
    """Two causes whose playbooks propose the same rule give one change."""
    twin = load_playbooks().require("missing-ingress").model_dump(by_alias=True)
    twin["id"] = "twin"
    twin["detect"] = [{"use": "cause.present", "with": {"id": "twin"}}]
    twin_playbook = load_playbook_text(_as_yaml(twin), "twin.yaml")
    playbooks = PlaybookSet((load_playbooks().require("missing-ingress"), twin_playbook))
    flow = _flow(inventory)
    evaluation = evaluate(inventory, flow)
    (cause,) = classify(inventory, flow, evaluation)
    causes = (cause, cause.model_copy(update={"playbook": "twin"}))
    plan = propose_plan(inventory, flow, evaluation, causes, playbooks, run_id=RUN_ID)
    assert len(plan.changes) == 1
    assert plan.playbooks == ("missing-ingress", "twin")


def _as_yaml(data: dict[str, object]) -> str:
    return json.dumps(data)  # JSON is YAML: good enough to write a playbook back out


def test_rendered_value_failing_validation_names_file_and_line(inventory: Inventory) -> None:
    """A template that renders to an invalid value fails naming the playbook's file:line."""
    text = load_playbooks().require("missing-ingress").path
    with open(text, encoding="utf-8") as handle:
        source = handle.read()
    broken = source.replace('ports: "{{ flow.port }}"', 'ports: "{{ evidence.peer }}"')
    playbooks = PlaybookSet((load_playbook_text(broken, "broken.yaml"),))
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "ports:" in t)
    with pytest.raises(PlaybookError) as caught:
        _plan(inventory, _flow(inventory), playbooks)
    assert str(caught.value).startswith(f"broken.yaml:{line}: sg.authorize-ingress: ports:")
    assert "'sg-client'" in str(caught.value)


def test_refused_fix_raises_when_nothing_else_is_proposed() -> None:
    """A full group refuses the rule; with nothing else to propose, the refusal is raised."""
    inventory = build_inventory(rules_per_group=1)
    playbooks = PlaybookSet((load_playbooks().require("missing-ingress"),))
    with pytest.raises(ProposalRefusedError, match="L-0EA8095F"):
        _plan(inventory, _flow(inventory), playbooks)


def test_cause_without_playbook_is_noted() -> None:
    """A root cause no loaded playbook handles is noted, not silently dropped."""
    inventory = build_inventory(rules_per_group=1)
    nacl = load_playbook_text(NACL_PLAYBOOK, "nacl.yaml")
    evaluation = evaluate(inventory, _flow(inventory))
    causes = classify(inventory, _flow(inventory), evaluation)
    plan = propose_plan(
        inventory, _flow(inventory), evaluation, causes, PlaybookSet((nacl,)), run_id=RUN_ID
    )
    assert plan.empty
    assert any(n.startswith("rule-quota-exceeded: no playbook loaded") for n in plan.notes)


def test_estate_playbook_cannot_fix_a_flow(inventory: Inventory) -> None:
    """--playbook naming an estate check is refused for a flow."""
    estate = NACL_PLAYBOOK.replace("id: nacl-override", "id: hygiene").replace(
        "scope: flow", "scope: estate"
    )
    playbooks = PlaybookSet((load_playbook_text(estate, "hygiene.yaml"),))
    with pytest.raises(PlaybookError, match="estate check"):
        _plan(inventory, _flow(inventory), playbooks, only="hygiene")
