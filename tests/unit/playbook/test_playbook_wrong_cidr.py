"""The wrong-cidr playbook: admit the source by its narrowest peer; keep the narrow rule."""

from __future__ import annotations

import pytest

from netmend.model import Inventory
from netmend.model.change import ChangeKind
from netmend.playbook import ProposalRefusedError
from netmend.reach import evaluate
from netmend.reach.flow import make_flow
from playbook.estate import RUN_ID, build_inventory, sg_rule, with_resources
from playbook.planning import applied, causes_of, plan_for, reachable, rules_of

STAMP = f"netmend run {RUN_ID} change CHG42"
NARROW = sg_rule(
    "sg-server", 1, protocol="tcp", from_port=8443, to_port=8443, cidr_ipv4="10.0.9.0/24"
)


def _estate(**options: int) -> Inventory:
    """sg-server admits tcp 8443 from 10.0.9.0/24; the client is 10.0.1.10."""
    return build_inventory(server_rules=(NARROW,), **options)


def test_admits_the_source_by_its_security_group() -> None:
    """The client has a purpose-made group in the VPC: the new rule references it
    (never the VPC CIDR the runbook widens to), and the flow becomes reachable."""
    inventory = _estate()
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["wrong-cidr"]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.api == "AuthorizeSecurityGroupIngress"
    assert change.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "UserIdGroupPairs": [{"GroupId": "sg-client", "Description": STAMP}],
            }
        ],
    }
    assert change.kinds == (ChangeKind.ADDITION,)
    assert reachable(applied(inventory, plan), flow)


def test_too_narrow_rule_stays_with_a_note() -> None:
    """The 10.0.9.0/24 rule is still in the plan's after state and the note says why."""
    inventory = _estate()
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    plan = plan_for(inventory, flow)
    assert NARROW in rules_of(plan.after("sg-server"))
    assert ChangeKind.REVOCATION not in plan.kinds
    note = " ".join(next(n for n in plan.notes if n.startswith("wrong-cidr:")).split())
    assert "Kept the 10.0.9.0/24 rule (sgr-server1)" in note


def test_source_with_only_the_default_group_is_admitted_by_its_own_address() -> None:
    """A source whose interface carries only the VPC's default group is admitted by its
    /32: referencing the default group would admit everything that carries it."""
    inventory = _estate()
    client = inventory.network_interface("eni-client")
    default = inventory.security_group("sg-default")
    assert client is not None
    assert default is not None
    inventory = with_resources(
        inventory,
        client.model_copy(update={"group_ids": ("sg-default",)}),
        default.model_copy(
            update={
                "rules": (
                    sg_rule("sg-default", 1, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0"),
                )
            }
        ),
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    (change,) = plan_for(inventory, flow).changes
    permission = change.params["IpPermissions"][0]
    assert permission["IpRanges"] == [{"CidrIp": "10.0.1.10/32", "Description": STAMP}]


def test_full_group_is_refused_rather_than_widened() -> None:
    """With the group at its rules quota the playbook refuses (naming the quota) instead
    of proposing anything wider or removing the narrow rule."""
    inventory = _estate(rules_per_group=1)
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    with pytest.raises(ProposalRefusedError, match="L-0EA8095F"):
        plan_for(inventory, flow, only="wrong-cidr")


def test_source_without_a_known_interface_is_admitted_by_its_own_address() -> None:
    """A source address no interface of the inventory owns (10.0.1.77) gets a /32 rule;
    the groups then admit it, and what is left is that nothing in vpc-1 owns 10.0.1.77,
    so nothing can send from it (NO_PATH, issue 9)."""
    inventory = _estate()
    flow = make_flow(inventory, "10.0.1.77", "eni-server", protocol="tcp", port=8443)
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    permission = change.params["IpPermissions"][0]
    assert permission["IpRanges"] == [{"CidrIp": "10.0.1.77/32", "Description": STAMP}]
    after = evaluate(applied(inventory, plan), flow)
    assert [(e.code, e.component) for e in after.explanations] == [("NO_PATH", "vpc-1")]
