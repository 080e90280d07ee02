"""rule-quota-exceeded's overflow group: the rule goes in a new group attached to the ENI.

The estate: sg-server's inbound rules fill a small quota (10) with tcp/8443 rules for ten
unrelated /16s (nothing redundant, nothing folds into a small prefix); eni-server carries
sg-server and sg-extra, so it has room for a third group unless the quota says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.model.rules import sg_rule_key
from netmend.playbook import ProposalRefusedError, get_action
from netmend.playbook.detectors.quota_room import (
    needed_rule,
    overflow_name,
    overflow_room,
    room_plan,
)
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import Flow, make_flow
from netmend.run.new_resources import new_group_ref
from netmend.run.plan import ChangeKind, Plan
from netmend.verify.run import with_states
from playbook.estate import RUN_ID, build_inventory, make_context, sg_rule
from playbook.planning import plan_for, reachable

QUOTA = 10
REF = new_group_ref(RUN_ID, 1)


def spread(group: str = "sg-server", *, egress: bool = False) -> tuple[SgRule, ...]:
    return tuple(
        sg_rule(
            group,
            i,
            egress=egress,
            protocol="tcp",
            from_port=8443,
            to_port=8443,
            cidr_ipv4=f"10.{100 + i}.0.0/16",
        )
        for i in range(1, QUOTA + 1)
    )


def estate(**options: Any) -> Inventory:
    return build_inventory(server_rules=spread(), rules_per_group=QUOTA, **options)


def changed(inventory: Inventory, **updates: Any) -> Inventory:
    """The inventory with some top-level lists edited (as dumped dicts)."""
    data = inventory.model_dump()
    for key, edit in updates.items():
        data[key] = edit(data[key])
    return Inventory.model_validate(data)


def flow_of(inventory: Inventory) -> Flow:
    return make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)


def after_plan(inventory: Inventory, plan: Plan) -> Inventory:
    """The estate as the plan leaves it, the group it creates included."""
    return with_states(inventory, [s for s in map(plan.after, plan.resources) if s])


def egress_of(inventory: Inventory, eni_id: str) -> set[tuple[Any, ...]]:
    eni = inventory.network_interface(eni_id)
    assert eni is not None
    return {
        sg_rule_key(r)
        for g in eni.group_ids
        if (group := inventory.security_group(g)) is not None
        for r in group.rules
        if r.egress
    }


def test_overflow_group_takes_the_rule_when_nothing_is_redundant() -> None:
    """Create server-overflow-1 (tagged with the run), revoke its default egress, add
    the rule wrong-cidr needs to it, attach it beside eni-server's two groups; every
    later change names the placeholder, and nothing is a widening."""
    inventory = estate()
    flow = flow_of(inventory)
    plan = plan_for(inventory, flow)
    assert [c.api for c in plan.changes] == [
        "CreateSecurityGroup",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "ModifyNetworkInterfaceAttribute",
    ]
    assert [c.kinds for c in plan.changes] == [
        (ChangeKind.ADDITION,),
        (ChangeKind.REVOCATION,),
        (ChangeKind.ADDITION,),
        (ChangeKind.ENI_GROUPS,),
    ]
    create, revoke, add, attach = plan.changes
    assert create.resource == REF == f"new-sg:{RUN_ID}:1"
    assert create.params["GroupName"] == "server-overflow-1"
    assert create.params["VpcId"] == "vpc-1"
    assert create.params["Description"] == (
        f"overflow of sg-server (netmend run {RUN_ID} change CHG42)"
    )
    (spec,) = create.params["TagSpecifications"]
    assert spec["ResourceType"] == "security-group"
    assert {t["Key"]: t["Value"] for t in spec["Tags"]} == {
        "netmend:created-by": "netmend",
        "netmend:run-id": RUN_ID,
        "Name": "server-overflow-1",
        "netmend:overflow-of": "sg-server",
    }
    assert create.before is None
    assert plan.before(REF) is None  # nothing to snapshot or check for drift
    assert revoke.params == {
        "GroupId": REF,
        "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }
    assert add.params["GroupId"] == REF
    assert add.params["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == "sg-client"
    assert attach.params == {
        "NetworkInterfaceId": "eni-server",
        "Groups": ["sg-server", "sg-extra", REF],
    }
    assert any(
        w.startswith("creates a new security group, server-overflow-1") for w in create.warnings
    )
    assert ChangeKind.WIDENING not in plan.kinds
    assert "sg-server" not in plan.resources  # the full group itself is left alone
    note = " ".join(next(n for n in plan.notes if n.startswith("rule-quota-exceeded:")).split())
    assert "None of its rules is redundant" in note
    assert "eni-server carries 2 of 5 groups (L-2AFB9258): one more fits" in note


def test_overflow_admits_the_flow_and_nothing_else() -> None:
    """Applied: the flow passes; another address of the client's subnet is still refused
    on 8443; the interface's outbound rules are exactly what they were."""
    inventory = estate()
    flow = flow_of(inventory)
    after = after_plan(inventory, plan_for(inventory, flow))
    assert not reachable(inventory, flow)
    assert reachable(after, flow)
    created = after.security_group(REF)
    assert created is not None
    assert [r.egress for r in created.rules] == [False]
    assert egress_of(after, "eni-server") == egress_of(inventory, "eni-server")
    other = make_flow(after, "10.0.1.99", "eni-server", protocol="tcp", port=8443)
    assert not evaluate(after, other).reachable


def test_full_interface_falls_back_to_consolidation() -> None:
    """eni-server at its groups quota: no overflow group; ten host rules, two of them
    adjacent, fold into a /31 (the widening) instead."""
    hosts = [1, 2, 3, 20, 40, 60, 80, 100, 120, 140]
    rules = tuple(
        sg_rule(
            "sg-server", i, protocol="tcp", from_port=8443, to_port=8443, cidr_ipv4=f"10.0.9.{h}/32"
        )
        for i, h in enumerate(hosts, start=1)
    )
    roomy = build_inventory(server_rules=rules, rules_per_group=QUOTA)
    assert plan_for(roomy, flow_of(roomy)).changes[0].api == "CreateSecurityGroup"
    full = build_inventory(server_rules=rules, rules_per_group=QUOTA, groups_per_interface=2)
    plan = plan_for(full, flow_of(full))
    assert plan.changes[0].api == "ModifySecurityGroupRules"
    assert ChangeKind.WIDENING in plan.kinds
    assert "CreateSecurityGroup" not in {c.api for c in plan.changes}


def _eni(groups: int) -> NetworkInterface:
    return NetworkInterface(
        network_interface_id="eni-server",
        subnet_id="subnet-b",
        vpc_id="vpc-1",
        private_ips=("10.0.2.20",),
        group_ids=tuple(f"sg-g{n}" for n in range(groups)),
    )


@pytest.mark.parametrize(
    ("groups_on_eni", "groups_quota", "rules_quota", "fits"),
    [
        (2, 5, 60, True),
        (4, 5, 60, True),
        (5, 5, 60, False),  # the groups-per-interface quota
        (4, 5, 200, True),  # 5 x 200 = 1000: at AWS's cap, allowed
        (5, 6, 200, False),  # 6 x 200 = 1200: past the cap
        (15, 16, 60, True),  # 16 x 60 = 960
    ],
)
def test_overflow_room_respects_both_limits(
    groups_on_eni: int, groups_quota: int, rules_quota: int, fits: bool
) -> None:
    """One more group fits within the groups-per-interface quota and within AWS's cap
    of 1,000 for rules per group x groups per interface."""
    inventory = build_inventory(rules_per_group=rules_quota, groups_per_interface=groups_quota)
    room, why = overflow_room(inventory, _eni(groups_on_eni))
    assert room is fits
    if not fits:
        assert "no overflow group" in why or "cap of 1000" in why


def test_room_plan_prefers_redundancy_then_overflow() -> None:
    """With an interface that has room, a full group with nothing redundant overflows;
    with redundant rules enough, it still frees room first; without an interface or at
    five groups it does not overflow."""
    inventory = estate()
    group = inventory.security_group("sg-server")
    assert group is not None
    needed = needed_rule(flow_of(inventory), "sg-server", False, "sg-client")
    assert room_plan(inventory, group, needed, "ipv4", _eni(2))["strategy"] == "overflow"
    assert room_plan(inventory, group, needed, "ipv4")["strategy"] == "none"
    assert room_plan(inventory, group, needed, "ipv4", _eni(5))["strategy"] == "none"
    shadow = sg_rule(
        "sg-server", 99, protocol="tcp", from_port=8443, to_port=8443, cidr_ipv4="10.101.7.0/24"
    )  # inside 10.101.0.0/16
    covered = group.model_copy(update={"rules": (*group.rules[:-1], shadow)})
    assert room_plan(inventory, covered, needed, "ipv4", _eni(2))["strategy"] == "free-redundant"


def test_overflow_name_is_unique_in_the_vpc() -> None:
    """server-overflow-1 taken: -2; a name AWS would refuse (sg-...) gets a prefix."""
    taken = SecurityGroup(group_id="sg-taken", group_name="server-overflow-1", vpc_id="vpc-1")
    inventory = changed(estate(), security_groups=lambda gs: [*gs, taken.model_dump()])
    group = inventory.security_group("sg-server")
    assert group is not None
    assert overflow_name(inventory, group, set()) == "server-overflow-2"
    assert overflow_name(inventory, group, {"server-overflow-2"}) == "server-overflow-3"
    odd = group.model_copy(update={"group_name": "sg-web"})
    assert overflow_name(inventory, odd, set()) == "netmend-sg-web-overflow-1"
    plan = plan_for(inventory, flow_of(inventory))
    assert plan.changes[0].params["GroupName"] == "server-overflow-2"


def test_ipv6_vpc_revokes_both_default_egress_rules() -> None:
    """In a VPC with an IPv6 block AWS adds ::/0 outbound too: both are revoked."""
    inventory = changed(
        estate(), vpcs=lambda vs: [{**v, "ipv6_cidr_blocks": ["2001:db8::/56"]} for v in vs]
    )
    plan = plan_for(inventory, flow_of(inventory))
    revokes = [
        c.params["IpPermissions"][0] for c in plan.changes if c.api == "RevokeSecurityGroupEgress"
    ]
    assert revokes == [
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ]
    created = after_plan(inventory, plan).security_group(REF)
    assert created is not None
    assert not any(r.egress for r in created.rules)


def test_full_egress_side_overflows_on_the_client() -> None:
    """The client's outbound rules are full (missing-egress beside the quota cause): the
    overflow group takes the outbound rule and joins eni-client; the default egress is
    revoked before the needed outbound rule is added."""
    base = build_inventory(rules_per_group=QUOTA)
    server_open = sg_rule(
        "sg-server", 1, protocol="tcp", from_port=8443, to_port=8443, cidr_ipv4="10.0.1.0/24"
    )
    client = spread("sg-client", egress=True)

    def groups(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rules = {"sg-client": client, "sg-server": (server_open,)}
        return [
            {**g, "rules": [r.model_dump() for r in rules[g["group_id"]]]}
            if g["group_id"] in rules
            else g
            for g in items
        ]

    inventory = changed(base, security_groups=groups)
    flow = flow_of(inventory)
    plan = plan_for(inventory, flow, only="rule-quota-exceeded")
    assert [c.api for c in plan.changes] == [
        "CreateSecurityGroup",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupEgress",
        "ModifyNetworkInterfaceAttribute",
    ]
    assert plan.changes[0].params["GroupName"] == "client-overflow-1"
    assert plan.changes[2].params["GroupId"] == REF
    assert plan.changes[3].params == {
        "NetworkInterfaceId": "eni-client",
        "Groups": ["sg-client", REF],
    }
    assert reachable(after_plan(inventory, plan), flow)


def test_create_group_refuses_a_taken_name_or_an_unknown_vpc() -> None:
    """A name already used in the VPC, or a VPC not in the inventory, is refused."""
    act = get_action("sg.create-group")
    assert act is not None
    ctx = make_context(build_inventory())
    taken = act.params.model_validate({"ref": REF, "name": "server", "vpc": "vpc-1"})
    with pytest.raises(ProposalRefusedError, match="already has a security group named"):
        act.propose(ctx, taken)
    elsewhere = act.params.model_validate({"ref": REF, "name": "x", "vpc": "vpc-9"})
    with pytest.raises(ProposalRefusedError, match="unknown VPC vpc-9"):
        act.propose(ctx, elsewhere)
    with pytest.raises(ValueError, match="starts with sg-"):
        act.params.model_validate({"ref": REF, "name": "sg-x", "vpc": "vpc-1"})
    with pytest.raises(ValueError, match="placeholder"):
        act.params.model_validate({"ref": "sg-123", "name": "x", "vpc": "vpc-1"})
