"""The rule-quota-exceeded playbook: room without widening first, then a listed widening.

The estate: sg-server's inbound rules fill a small quota (10) with tcp/8443 rules for
outside peers; the client (10.0.1.10, group sg-client) is not among them, so the flow
needs a rule (wrong-cidr) that does not fit (rule-quota-exceeded).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import pytest

from netmend.model import Inventory, SecurityGroup, SgRule
from netmend.playbook import ProposalRefusedError, get_action, invert_change
from netmend.playbook.detectors.quota_room import quota_increase
from netmend.playbook.sg.consolidate import consolidation
from netmend.playbook.sg.redundancy import covers, redundant_rules
from netmend.reach.flow import make_flow
from netmend.run.plan import ChangeKind, Plan
from playbook.estate import build_inventory, make_context, sg_rule
from playbook.planning import applied, causes_of, plan_for, reachable, rules_of

QUOTA = 10


def web(index: int, cidr: str, ports: tuple[int, int] = (8443, 8443), **extra: Any) -> SgRule:
    return sg_rule(
        "sg-server",
        index,
        protocol="tcp",
        from_port=ports[0],
        to_port=ports[1],
        cidr_ipv4=cidr,
        **extra,
    )


def estate(rules: Iterable[SgRule], **options: Any) -> Inventory:
    return build_inventory(server_rules=tuple(rules), rules_per_group=QUOTA, **options)


def shadowed_estate() -> Inventory:
    """A /24, three /32s inside it, a host with an all-ports rule and a 8443 rule, four
    more hosts: 10 rules, 4 of them redundant. Peers are in the VPC, so flows from them
    can be evaluated."""
    return estate(
        [
            web(1, "10.0.5.0/24"),
            web(2, "10.0.5.7/32"),
            web(3, "10.0.5.8/32"),
            web(4, "10.0.5.9/32"),
            web(5, "10.0.6.5/32", (1, 65535)),
            web(6, "10.0.6.5/32"),
            web(7, "10.0.7.10/32"),
            web(8, "10.0.7.20/32"),
            web(9, "10.0.7.30/32"),
            web(10, "10.0.7.40/32"),
        ]
    )


def peer_flows(
    inventory: Inventory, addresses: Iterable[str], ports: Iterable[int]
) -> dict[tuple[str, int], bool]:
    """Whether the server's groups and ACLs admit each address (no interface of its own)
    on each port: nothing in the VPC owns these addresses, so the evaluator also says
    nothing can send from them (NO_PATH at the VPC), which is set aside here."""
    from netmend.reach.evaluate import evaluate

    return {
        (address, port): all(
            e.code == "NO_PATH"
            for e in evaluate(
                inventory, make_flow(inventory, address, "eni-server", protocol="tcp", port=port)
            ).explanations
        )
        for address in addresses
        for port in ports
    }


def flow_of(inventory: Inventory) -> Any:
    return make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)


def revoked_ids(plan: Plan) -> list[str]:
    return [
        i
        for c in plan.changes
        if c.api.startswith("Revoke")
        for i in c.params["SecurityGroupRuleIds"]
    ]


def test_removes_only_as_many_redundant_rules_as_the_new_rule_needs() -> None:
    """One rule is needed, so one covered rule is revoked (naming its cover), not all
    four; then the rule wrong-cidr needs (from sg-client) is added: the flow passes,
    within the quota; the other redundant rules stay (cleanup is scan's job)."""
    inventory = shadowed_estate()
    flow = flow_of(inventory)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["wrong-cidr", "rule-quota-exceeded"]
    plan = plan_for(inventory, flow)
    assert revoked_ids(plan) == ["sgr-server2"]
    assert plan.changes[0].kinds == (ChangeKind.REVOCATION,)
    assert "10.0.5.0/24 (sgr-server1) admits all of it" in plan.changes[0].summary
    assert plan.changes[0].warnings[0].startswith("no access change")
    last = plan.changes[-1]
    assert len(plan.changes) == 2
    assert last.api == "AuthorizeSecurityGroupIngress"
    assert last.params["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == "sg-client"
    assert last.kinds == (ChangeKind.ADDITION,)
    assert ChangeKind.WIDENING not in plan.kinds
    after = applied(inventory, plan)
    assert reachable(after, flow)
    assert len(rules_of(plan.after("sg-server"))) == QUOTA
    note = " ".join(next(n for n in plan.notes if n.startswith("rule-quota-exceeded:")).split())
    assert "4 of its rules admit nothing another rule of the group does not" in note
    assert "removing 1 of them (exact duplicates first" in note
    assert "--service-code vpc --quota-code L-0EA8095F --desired-value 20" in note


def test_duplicates_go_first_and_a_temporary_rule_covers_nothing() -> None:
    """An exact duplicate is removed before a shadowed rule; a described rule is kept
    when the only broader rule looks temporary (it, not the described one, will go)."""
    group = SecurityGroup(
        group_id="sg-server",
        group_name="server",
        vpc_id="vpc-1",
        rules=(
            web(1, "10.0.9.0/24", description="temporary debug access"),
            web(2, "10.0.9.7/32", description="billing batch host"),
            web(3, "10.0.5.0/24"),
            web(4, "10.0.5.7/32"),
            web(5, "10.0.6.0/24"),
            web(6, "10.0.6.0/24"),
        ),
    )
    found = redundant_rules(shadowed_estate(), group, egress=False)
    assert [r.rule.rule_id for r in found] == ["sgr-server6", "sgr-server4"]
    assert found[0].covered_by.rule_id == "sgr-server5"  # its twin


def test_removing_redundant_rules_admits_exactly_the_same_traffic() -> None:
    """Proof by evaluation: every outside address (inside and around each removed rule's
    peer) reaches the server on the same ports before and after the revocations."""
    inventory = shadowed_estate()
    act = get_action("sg.revoke-redundant")
    assert act is not None
    ctx = make_context(inventory)
    changes = act.propose(
        ctx, act.params.model_validate({"group": "sg-server", "direction": "ingress"})
    )
    assert len(changes) == 4
    after = applied(inventory, Plan(run_id="x", changes=tuple(changes)))
    addresses = [f"10.0.5.{h}" for h in (0, 6, 7, 8, 9, 10, 255)]
    addresses += ["10.0.6.4", "10.0.6.5", "10.0.6.6", "10.0.7.10", "10.0.7.11"]
    ports = (22, 443, 8443, 8444)
    before_flows = peer_flows(inventory, addresses, ports)
    assert before_flows == peer_flows(after, addresses, ports)
    assert before_flows[("10.0.6.5", 22)]
    assert before_flows[("10.0.5.8", 8443)]
    assert not before_flows[("10.0.5.8", 22)]
    assert not before_flows[("10.0.7.11", 8443)]


def test_exact_duplicates_keep_the_first() -> None:
    """Two rules with the same protocol, ports and peer: the later one goes."""
    group = SecurityGroup(
        group_id="sg-server",
        group_name="server",
        vpc_id="vpc-1",
        rules=(web(1, "192.0.2.10/32"), web(2, "192.0.2.10/32", description="again")),
    )
    (found,) = redundant_rules(build_inventory(), group, egress=False)
    assert found.rule.rule_id == "sgr-server2"
    assert found.covered_by.rule_id == "sgr-server1"


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (
            {"protocol": "-1", "cidr_ipv4": "10.0.0.0/8"},
            {"protocol": "udp", "from_port": 53, "to_port": 53, "cidr_ipv4": "10.1.0.0/16"},
            True,
        ),
        (
            {"protocol": "tcp", "from_port": 0, "to_port": 65535, "cidr_ipv4": "10.0.0.0/8"},
            {"protocol": "udp", "from_port": 53, "to_port": 53, "cidr_ipv4": "10.1.0.0/16"},
            False,
        ),
        (
            {"protocol": "tcp", "from_port": 80, "to_port": 90, "cidr_ipv4": "10.0.0.0/8"},
            {"protocol": "tcp", "from_port": 85, "to_port": 95, "cidr_ipv4": "10.1.0.0/16"},
            False,
        ),
        (
            {"protocol": "icmp", "from_port": -1, "to_port": -1, "cidr_ipv4": "0.0.0.0/0"},
            {"protocol": "icmp", "from_port": 8, "to_port": 0, "cidr_ipv4": "10.0.0.1/32"},
            True,
        ),
        (
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "10.0.0.0/16"},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "10.1.0.0/16"},
            False,
        ),
        (
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv6": "2001:db8::/32"},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv6": "2001:db8::1/128"},
            True,
        ),
        (
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "referenced_group_id": "sg-a"},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "referenced_group_id": "sg-b"},
            False,
        ),
        (
            {"protocol": "tcp", "from_port": 1, "to_port": 9999, "prefix_list_id": "pl-1"},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "prefix_list_id": "pl-1"},
            True,
        ),
        (
            {"protocol": "tcp", "from_port": 0, "to_port": 65535, "cidr_ipv4": "0.0.0.0/0"},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "prefix_list_id": "pl-1"},
            False,
        ),
    ],
)
def test_covers(outer: dict[str, Any], inner: dict[str, Any], expected: bool) -> None:
    """Protocol -1 covers all; ports and CIDRs must contain; references must be equal."""
    assert (
        covers(
            SgRule(group_id="sg-x", egress=False, **outer),
            SgRule(group_id="sg-x", egress=False, **inner),
        )
        is expected
    )


# eni-server already carries as many groups as the quota allows (its two): no overflow
# group can be attached, so what is left is a widening.
FULL_INTERFACE = {"groups_per_interface": 2}


def hosts_estate() -> Inventory:
    """Ten distinct tcp/8443 host rules, none redundant: 10.0.9.{1,2,3,20,...}; the
    server's interface is at its groups quota."""
    hosts = [1, 2, 3, 20, 40, 60, 80, 100, 120, 140]
    return estate(
        (web(i, f"10.0.9.{h}/32") for i, h in enumerate(hosts, start=1)), **FULL_INTERFACE
    )


def test_consolidates_hosts_into_the_narrowest_prefix_as_a_listed_widening() -> None:
    """Nothing is redundant: 10.0.9.2 and .3 fold into 10.0.9.2/31, the prefix
    adding the fewest addresses (none); one host rule is rewritten in place, the other
    revoked, then the needed rule fits and the flow passes."""
    inventory = hosts_estate()
    flow = flow_of(inventory)
    plan = plan_for(inventory, flow)
    modify = plan.changes[0]
    assert modify.api == "ModifySecurityGroupRules"
    request = modify.params["SecurityGroupRules"][0]
    assert request["SecurityGroupRuleId"] == "sgr-server2"
    assert request["SecurityGroupRule"]["CidrIpv4"] == "10.0.9.2/31"
    assert modify.kinds == (ChangeKind.WIDENING,)
    assert revoked_ids(plan) == ["sgr-server3"]
    assert plan.changes[-1].api == "AuthorizeSecurityGroupIngress"
    assert reachable(applied(inventory, plan), flow)


def test_widening_lists_exactly_the_addresses_it_adds() -> None:
    """Hosts .1 and .3 fold into 10.0.9.0/30: the warning lists .0 and .2, and those
    are exactly the addresses newly admitted, checked address by address."""
    hosts = [1, 3, 20, 40, 60, 80, 100, 120, 140, 160]
    inventory = estate(
        (web(i, f"10.0.9.{h}/32") for i, h in enumerate(hosts, start=1)), **FULL_INTERFACE
    )
    plan = plan_for(inventory, flow_of(inventory))
    modify = plan.changes[0]
    assert modify.params["SecurityGroupRules"][0]["SecurityGroupRule"]["CidrIpv4"] == (
        "10.0.9.0/30"
    )
    (widening,) = [w for w in modify.warnings if w.startswith("widening")]
    assert "admits 2 address(es)" in widening
    assert widening.endswith("10.0.9.0, 10.0.9.2")
    network = [str(a) for a in ipaddress.ip_network("10.0.9.0/29")]
    before = peer_flows(inventory, network, (8443,))
    after = peer_flows(applied(inventory, plan), network, (8443,))
    newly = sorted(
        address for (address, _), ok in after.items() if ok and not before[(address, 8443)]
    )
    assert newly == ["10.0.9.0", "10.0.9.2"]
    assert all(after[(f"10.0.9.{h}", 8443)] for h in (1, 3))


def test_consolidation_respects_max_added() -> None:
    """No prefix within the limit: None."""
    group = SecurityGroup(
        group_id="sg-server",
        group_name="s",
        vpc_id="vpc-1",
        rules=(web(1, "203.0.113.1/32"), web(2, "203.0.113.200/32")),
    )
    inventory = build_inventory()
    assert (
        consolidation(inventory, group, egress=False, family="ipv4", free=1, max_added=100) is None
    )
    found = consolidation(inventory, group, egress=False, family="ipv4", free=1)
    assert found is not None
    assert found.prefix == "203.0.113.0/24"
    assert found.added_count == 254


def test_nothing_to_free_refuses_with_the_quota_command() -> None:
    """Ten rules for ten different /16s and a full interface: neither redundancy, nor an
    overflow group, nor a small prefix helps; the refusal says why and gives the exact
    quota increase command (service code vpc)."""
    inventory = estate((web(i, f"10.{100 + i}.0.0/16") for i in range(1, 11)), **FULL_INTERFACE)
    with pytest.raises(ProposalRefusedError) as refused:
        plan_for(inventory, flow_of(inventory))
    message = str(refused.value)
    assert (
        "aws service-quotas request-service-quota-increase --service-code vpc "
        "--quota-code L-0EA8095F --desired-value 20"
    ) in message
    assert "eni-server already carries 2 security groups and the quota (L-2AFB9258) is 2" in (
        " ".join(message.split())
    )


@pytest.mark.parametrize(
    ("rules", "groups", "desired"),
    [(60, 5, 120), (150, 5, 200), (200, 5, None), (60, 16, 62)],
)
def test_quota_increase_stays_within_the_cap(rules: int, groups: int, desired: int | None) -> None:
    """Ask for double, never above 1000 / groups per interface; None at the cap."""
    inventory = build_inventory(rules_per_group=rules, groups_per_interface=groups)
    value, command = quota_increase(inventory)
    assert value == desired
    if desired is not None:
        assert f"--desired-value {desired}" in command
        assert desired * groups <= 1000
    else:
        assert "cannot go above" in command


def test_egress_quota_adds_the_outbound_rule() -> None:
    """A full client egress side (missing-egress beside the quota cause): redundant
    outbound rules go and the outbound rule to the server's group is added."""
    base = build_inventory(rules_per_group=3)
    client = base.security_group("sg-client")
    assert client is not None
    egress = tuple(
        sg_rule(
            "sg-client", i, egress=True, protocol="tcp", from_port=443, to_port=443, cidr_ipv4=c
        )
        for i, c in enumerate(("192.0.2.0/24", "192.0.2.9/32", "198.51.100.1/32"), start=1)
    )
    data = base.model_dump()
    data["security_groups"] = [
        {**g, "rules": [r.model_dump() for r in egress]} if g["group_id"] == "sg-client" else g
        for g in data["security_groups"]
    ]
    inventory = Inventory.model_validate(data)
    flow = flow_of(inventory)
    plan = plan_for(inventory, flow, only="rule-quota-exceeded")
    assert revoked_ids(plan) == ["sgr-client2"]
    assert plan.changes[-1].api == "AuthorizeSecurityGroupEgress"


def test_invert_of_a_redundant_revocation_authorizes_it_again() -> None:
    """The undo re-authorizes the exact rule that was removed."""
    inventory = shadowed_estate()
    plan = plan_for(inventory, flow_of(inventory))
    undo = invert_change(plan.changes[0])
    assert undo is not None
    assert undo.api == "AuthorizeSecurityGroupIngress"
    (perm,) = undo.params["IpPermissions"]
    assert perm["IpRanges"][0]["CidrIp"] == "10.0.5.7/32"
    assert (perm["FromPort"], perm["ToPort"]) == (8443, 8443)


def test_invert_of_a_consolidation_rewrites_the_host_back() -> None:
    """The undo of the in-place rewrite modifies the same rule id back to its /32."""
    inventory = hosts_estate()
    plan = plan_for(inventory, flow_of(inventory))
    undo = invert_change(plan.changes[0])
    assert undo is not None
    assert undo.api == "ModifySecurityGroupRules"
    request = undo.params["SecurityGroupRules"][0]
    assert request["SecurityGroupRuleId"] == "sgr-server2"
    assert request["SecurityGroupRule"]["CidrIpv4"] == "10.0.9.2/32"


def test_room_plan_strategies() -> None:
    """fits when the group has room after all; free-redundant when the covered rules
    free enough; consolidate when they do not; none when nothing helps."""
    from netmend.playbook.detectors.quota_room import needed_rule, room_plan

    inventory = shadowed_estate()
    flow = flow_of(inventory)
    needed = needed_rule(flow, "sg-server", False, "sg-client")
    group = inventory.security_group("sg-server")
    assert group is not None
    assert room_plan(inventory, group, needed, "ipv4")["strategy"] == "free-redundant"
    roomy = group.model_copy(update={"rules": group.rules[:5]})
    assert room_plan(inventory, roomy, needed, "ipv4")["strategy"] == "fits"
    hosts = hosts_estate().security_group("sg-server")
    assert hosts is not None
    folded = room_plan(hosts_estate(), hosts, needed, "ipv4")
    assert (folded["strategy"], folded["consolidate_prefix"]) == ("consolidate", "10.0.9.2/31")
    spread = group.model_copy(
        update={"rules": tuple(web(i, f"10.{100 + i}.0.0/16") for i in range(1, 11))}
    )
    assert room_plan(inventory, spread, needed, "ipv4")["strategy"] == "none"
