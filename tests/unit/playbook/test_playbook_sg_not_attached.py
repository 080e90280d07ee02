"""The sg-not-attached playbook: attach the group meant for the interface, keep the rest.

The estate: eni-server carries sg-server and sg-extra, neither of which admits tcp/8443
from the client; unattached groups of the VPC that do are added per test.
"""

from __future__ import annotations

from typing import Any

import pytest

from netmend.approval import Decision, DecisionOutcome, PolicyApprover
from netmend.approval.policy import Policy
from netmend.errors import BadInputError
from netmend.model import Inventory, NetworkInterface, SecurityGroup
from netmend.model.change import ChangeKind
from netmend.playbook import ProposalRefusedError, invert_change
from netmend.playbook.actions.attach_group import choose_group
from netmend.reach.flow import Flow, make_flow
from playbook.estate import build_inventory, sg_rule
from playbook.planning import applied, causes_of, plan_for, reachable


def api_group(
    group_id: str, name: str, *, tags: dict[str, str] | None = None, open_egress: bool = False
) -> SecurityGroup:
    """An unattached group admitting tcp/8443 from the client's group."""
    rules = [
        sg_rule(
            group_id,
            1,
            protocol="tcp",
            from_port=8443,
            to_port=8443,
            referenced_group_id="sg-client",
        )
    ]
    if open_egress:
        rules.append(sg_rule(group_id, 2, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0"))
    return SecurityGroup(
        group_id=group_id, group_name=name, vpc_id="vpc-1", rules=tuple(rules), tags=tags or {}
    )


def estate(
    *groups: SecurityGroup,
    server_tags: dict[str, str] | None = None,
    server_groups: tuple[str, ...] = ("sg-server", "sg-extra"),
    **options: Any,
) -> Inventory:
    data = build_inventory(server_groups=server_groups, **options).model_dump()
    data["security_groups"] = [*data["security_groups"], *(g.model_dump() for g in groups)]
    for eni in data["network_interfaces"]:
        if eni["network_interface_id"] == "eni-server" and server_tags:
            eni["tags"] = server_tags
    return Inventory.model_validate(data)


def flow_of(inventory: Inventory) -> Flow:
    return make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)


def test_attaches_the_only_candidate_beside_the_current_groups() -> None:
    """One unattached group admits the flow: the plan sends all current groups plus it
    (the call replaces the list), needs a person (eni-groups), and the flow passes."""
    inventory = estate(api_group("sg-api", "orders-api-sg"))
    flow = flow_of(inventory)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["sg-not-attached"]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.api == "ModifyNetworkInterfaceAttribute"
    assert change.params == {
        "NetworkInterfaceId": "eni-server",
        "Groups": ["sg-server", "sg-extra", "sg-api"],
    }
    assert change.kinds == (ChangeKind.ENI_GROUPS,)
    assert Policy().needs_person(change)
    assert any(
        "sg-api (orders-api-sg) adds to eni-server: inbound tcp 8443 from sg-client" in w
        for w in change.warnings
    )
    assert any("current groups (sg-server, sg-extra) are sent again" in w for w in change.warnings)
    assert reachable(applied(inventory, plan), flow)
    assert "sg-not-attached: approval required" in " ".join(plan.notes)


class AskedPerson:
    """The person a PolicyApprover falls back to: records that they were asked, says no."""

    def __init__(self) -> None:
        self.asked = 0

    def decide(self, plan: object, rendered_diff: str) -> Decision:
        self.asked += 1
        return Decision(outcome=DecisionOutcome.REJECTED, approver="carol", reason="asked")


def test_approval_required_needs_a_person_whatever_the_policy_auto_approves() -> None:
    """The playbook says `approval: required`: a policy that auto-approves eni-groups and
    requires a person for nothing still hands the plan to a person, who is asked."""
    inventory = estate(api_group("sg-api", "orders-api-sg"))
    plan = plan_for(inventory, flow_of(inventory))
    assert [p.split(":")[0] for p in plan.approval_required] == ["sg-not-attached"]
    policy = Policy(auto_approve=(ChangeKind.ADDITION, ChangeKind.ENI_GROUPS), require_person=())
    assert not any(policy.needs_person(c) for c in plan.changes)  # the policy alone would pass
    person = AskedPerson()
    decision = PolicyApprover(policy, person).decide(plan, "diff")
    assert person.asked == 1
    assert decision.outcome is DecisionOutcome.REJECTED
    assert "playbook approval required: sg-not-attached" in decision.reason


def test_the_candidate_named_for_the_instance_wins() -> None:
    """Two candidates, one whose name points at the interface (Name tag orders-api-1):
    that one is attached."""
    inventory = estate(
        api_group("sg-aaa", "generic-8443-sg"),
        api_group("sg-zzz", "orders-api-sg"),
        server_tags={"Name": "orders-api-1"},
    )
    plan = plan_for(inventory, flow_of(inventory))
    (change,) = plan.changes
    assert change.params["Groups"][-1] == "sg-zzz"
    assert "point at the instance" in " ".join(plan.notes)


def test_several_candidates_without_a_winner_refuse_and_list_them() -> None:
    """Two look-alike candidates: no plan; the refusal lists both and asks for --group."""
    inventory = estate(api_group("sg-one", "blue-sg"), api_group("sg-two", "green-sg"))
    with pytest.raises(ProposalRefusedError) as refused:
        plan_for(inventory, flow_of(inventory))
    message = str(refused.value)
    assert "sg-one (blue-sg)" in message
    assert "sg-two (green-sg)" in message
    assert "--group" in message


def test_group_option_picks_among_candidates() -> None:
    """--group sg-two picks it among look-alikes."""
    inventory = estate(api_group("sg-one", "blue-sg"), api_group("sg-two", "green-sg"))
    plan = plan_for(inventory, flow_of(inventory), group="sg-two")
    (change,) = plan.changes
    assert change.params["Groups"] == ["sg-server", "sg-extra", "sg-two"]
    assert "chosen with --group" in " ".join(plan.notes)


def test_group_option_naming_an_attached_group_refuses() -> None:
    """--group naming a group the interface already carries is refused, listing the
    candidates; one the diagnosis never names is bad input."""
    inventory = estate(api_group("sg-one", "blue-sg"), api_group("sg-two", "green-sg"))
    with pytest.raises(ProposalRefusedError, match="already attached"):
        plan_for(inventory, flow_of(inventory), group="sg-extra")
    with pytest.raises(BadInputError):
        plan_for(inventory, flow_of(inventory), group="sg-spare")


def test_full_interface_is_refused_with_the_quota() -> None:
    """An interface already carrying five groups cannot take a sixth: a clear refusal."""
    five = ("sg-server", "sg-extra", "sg-default", "sg-f1", "sg-f2")
    fillers = [SecurityGroup(group_id=g, group_name=g, vpc_id="vpc-1") for g in five[3:]]
    inventory = estate(api_group("sg-api", "orders-api-sg"), *fillers, server_groups=five)
    with pytest.raises(ProposalRefusedError, match=r"carries 5 security groups .* quota"):
        plan_for(inventory, flow_of(inventory))


def test_world_open_rules_the_interface_lacked_make_it_a_widening() -> None:
    """A candidate that also opens all egress to 0.0.0.0/0, which the interface's groups
    did not, is flagged as a widening and its warning lists that rule."""
    inventory = estate(api_group("sg-api", "orders-api-sg", open_egress=True))
    (change,) = plan_for(inventory, flow_of(inventory)).changes
    assert set(change.kinds) == {ChangeKind.ENI_GROUPS, ChangeKind.WIDENING}
    assert any("outbound all traffic to 0.0.0.0/0" in w for w in change.warnings)


def test_invert_restores_the_exact_list() -> None:
    """The undo sends back exactly the groups the interface had, in order."""
    inventory = estate(api_group("sg-api", "orders-api-sg"))
    (change,) = plan_for(inventory, flow_of(inventory)).changes
    undo = invert_change(change)
    assert undo is not None
    assert undo.params == {"NetworkInterfaceId": "eni-server", "Groups": ["sg-server", "sg-extra"]}
    assert isinstance(undo.after, NetworkInterface)
    assert undo.after.group_ids == ("sg-server", "sg-extra")


@pytest.mark.parametrize(
    ("candidates", "wanted", "chosen"),
    [
        ([{"group_id": "sg-a"}], None, "sg-a"),
        ([{"group_id": "sg-a"}, {"group_id": "sg-b", "points_at_instance": True}], None, "sg-b"),
        ([{"group_id": "sg-a"}, {"group_id": "sg-b"}], "sg-a", "sg-a"),
    ],
)
def test_choose_group(candidates: list[dict[str, Any]], wanted: str | None, chosen: str) -> None:
    """The only one; the only one pointing at the instance; the one --group names."""
    assert choose_group(candidates, wanted)[0] == chosen


def test_choose_group_refuses_two_pointing_candidates() -> None:
    """Two candidates that both point at the instance are no clear winner."""
    both = [
        {"group_id": "sg-a", "points_at_instance": True},
        {"group_id": "sg-b", "points_at_instance": True},
    ]
    with pytest.raises(ProposalRefusedError, match="--group sg-a"):
        choose_group(both, None)
    with pytest.raises(ProposalRefusedError, match="not a group that would admit"):
        choose_group(both, "sg-c")
