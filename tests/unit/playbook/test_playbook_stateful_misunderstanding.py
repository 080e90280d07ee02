"""The stateful-misunderstanding playbook: the client-side egress fix, and (opt-in, with
approval) removal of the rules written for a stateless firewall.

The choice under test: by default the plan holds only the outbound rule (the flow's
fix); the stateless-thinking rules are listed in the notes and kept, because netmend
cannot see whether anything uses them. ``--playbook stateful-misunderstanding`` (here
``only=``) opts in to their removal: one revocation per rule, each with its
connection-tracking verdict, and never one a known flow relies on.
"""

from __future__ import annotations

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.model.change import ChangeKind
from netmend.reach.flow import Flow, make_flow
from playbook.estate import RUN_ID, build_inventory, sg_rule, with_resources
from playbook.planning import add_interface, applied, causes_of, plan_for, reachable, rules_of

STAMP = f"netmend run {RUN_ID} change CHG42"
OPT_IN = "stateful-misunderstanding"
HTTPS_IN = sg_rule(
    "sg-client", 1, protocol="tcp", from_port=443, to_port=443, cidr_ipv4="10.0.0.0/16"
)
EPHEMERAL_IN = sg_rule(
    "sg-client", 2, protocol="tcp", from_port=1024, to_port=65535, cidr_ipv4="10.0.0.0/16"
)
MIRROR_OUT = sg_rule(
    "sg-client", 3, egress=True, protocol="tcp", from_port=443, to_port=443, cidr_ipv4="10.0.0.0/16"
)


def _estate(*client_rules: SgRule, server_rules: tuple[SgRule, ...] = ()) -> Inventory:
    """The client's group: inbound 443 and 1024-65535, outbound 443 mirroring inbound 443,
    nothing else out. The server admits tcp 8443 from the client's group."""
    inventory = build_inventory(
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=8443,
                to_port=8443,
                referenced_group_id="sg-client",
            ),
            *server_rules,
        ),
        server_groups=("sg-server",),
    )
    client = inventory.security_group("sg-client")
    assert client is not None
    rules = client_rules or (HTTPS_IN, EPHEMERAL_IN, MIRROR_OUT)
    return with_resources(inventory, client.model_copy(update={"rules": rules}))


def _flow(inventory: Inventory, protocol: str = "tcp", port: int = 8443) -> Flow:
    return make_flow(inventory, "i-client", "eni-server", protocol=protocol, port=port)


def _note(notes: tuple[str, ...], prefix: str) -> str:
    return " ".join(next(n for n in notes if n.startswith(prefix)).split())


def test_default_plan_is_the_outbound_rule_only() -> None:
    """Without opting in, the plan is one outbound tcp 8443 rule to the server's group
    (an addition); the two stateless-thinking rules stay and the note says how to
    propose their removal. No inbound rule is ever added."""
    inventory = _estate()
    flow = _flow(inventory)
    assert [c.playbook for c in causes_of(inventory, flow)] == [
        "missing-egress",
        "stateful-misunderstanding",
    ]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.api == "AuthorizeSecurityGroupEgress"
    assert change.params == {
        "GroupId": "sg-client",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "UserIdGroupPairs": [{"GroupId": "sg-server", "Description": STAMP}],
            }
        ],
    }
    assert plan.kinds == frozenset({ChangeKind.ADDITION})
    kept = rules_of(plan.after("sg-client"))
    assert EPHEMERAL_IN in kept
    assert MIRROR_OUT in kept
    note = _note(plan.notes, "stateful-misunderstanding:")
    assert "inbound tcp 1024-65535 from 10.0.0.0/16 (sgr-client2" in note
    assert "outbound tcp 443 to 10.0.0.0/16 (sgr-client3" in note
    assert "--playbook stateful-misunderstanding" in note
    assert reachable(applied(inventory, plan), flow)


def test_opt_in_removes_each_rule_as_its_own_revocation() -> None:
    """With the playbook named, the plan adds the outbound rule first, then revokes the
    inbound 1024-65535 rule and the mirror by id, one change each, each a revocation
    with a connection-tracking warning (tracked: a VPC CIDR is no whole address space).
    The flow works afterwards and the inbound 443 service rule is untouched."""
    inventory = _estate()
    flow = _flow(inventory)
    plan = plan_for(inventory, flow, only=OPT_IN)
    assert [c.api for c in plan.changes] == [
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
    ]
    add, inbound, mirror = plan.changes
    assert add.kinds == (ChangeKind.ADDITION,)
    assert inbound.params == {"GroupId": "sg-client", "SecurityGroupRuleIds": ["sgr-client2"]}
    assert mirror.params == {"GroupId": "sg-client", "SecurityGroupRuleIds": ["sgr-client3"]}
    for change in (inbound, mirror):
        assert change.kinds == (ChangeKind.REVOCATION,)
        assert change.warnings[0].startswith("tracked: connections this rule admitted keep")
    assert mirror.before == inbound.after  # the removals chain on one group
    final = rules_of(plan.after("sg-client"))
    assert HTTPS_IN in final
    assert EPHEMERAL_IN not in final
    assert MIRROR_OUT not in final
    assert reachable(applied(inventory, plan), flow)
    note = _note(plan.notes, "stateful-misunderstanding:")
    assert "2 of the 2 stateless-thinking rules are proposed for removal" in note


def test_mirror_a_working_flow_relies_on_is_kept() -> None:
    """A third interface (web, 10.0.2.30) admits tcp 443 from the VPC: the client reaches
    it only through the outbound 443 'mirror', so that rule is not proposed for removal
    and a note names the flow; the inbound 1024-65535 rule still is."""
    inventory = add_interface(
        _estate(),
        NetworkInterface(
            network_interface_id="eni-web",
            subnet_id="subnet-b",
            vpc_id="vpc-1",
            private_ips=("10.0.2.30",),
            group_ids=("sg-web",),
            attachment_status="attached",
        ),
        SecurityGroup(
            group_id="sg-web",
            group_name="web",
            vpc_id="vpc-1",
            rules=(
                sg_rule(
                    "sg-web", 1, protocol="tcp", from_port=443, to_port=443, cidr_ipv4="10.0.0.0/16"
                ),
            ),
        ),
    )
    flow = _flow(inventory)
    plan = plan_for(inventory, flow, only=OPT_IN)
    revoked = [
        c.params["SecurityGroupRuleIds"]
        for c in plan.changes
        if c.kinds == (ChangeKind.REVOCATION,)
    ]
    assert revoked == [["sgr-client2"]]
    kept = _note(plan.notes, "stateful-misunderstanding: kept")
    assert "kept sg-client's outbound tcp 443 to 10.0.0.0/16 (sgr-client3)" in kept
    assert "tcp/443 from i-client (10.0.1.10) to eni-web (10.0.2.30)" in kept
    assert "1 of the 2 stateless-thinking rules" in _note(
        plan.notes, "stateful-misunderstanding: i-client"
    )


def test_inbound_ephemeral_rule_the_far_end_sends_to_is_kept() -> None:
    """The server's group sends tcp 9000 to the client's subnet on purpose (not AWS's
    default allow-all egress): the inbound 1024-65535 rule carries that flow, so it
    stays; with only the default egress on the server it would be proposed."""
    deliberate = sg_rule(
        "sg-server",
        2,
        egress=True,
        protocol="tcp",
        from_port=9000,
        to_port=9000,
        cidr_ipv4="10.0.1.0/24",
    )
    inventory = _estate(server_rules=(deliberate,))
    plan = plan_for(inventory, _flow(inventory), only=OPT_IN)
    revoked = [
        c.params["SecurityGroupRuleIds"][0]
        for c in plan.changes
        if ChangeKind.REVOCATION in c.kinds
    ]
    assert revoked == ["sgr-client3"]
    assert "tcp/9000 from eni-server (10.0.2.20) to i-client (10.0.1.10)" in _note(
        plan.notes, "stateful-misunderstanding: kept"
    )

    default_egress = sg_rule("sg-server", 2, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0")
    inventory = _estate(server_rules=(default_egress,))
    plan = plan_for(inventory, _flow(inventory), only=OPT_IN)
    revoked = [
        c.params["SecurityGroupRuleIds"][0]
        for c in plan.changes
        if ChangeKind.REVOCATION in c.kinds
    ]
    assert revoked == ["sgr-client2", "sgr-client3"]


def test_untracked_rule_says_existing_connections_are_cut() -> None:
    """Inbound tcp 1024-65535 from 0.0.0.0/0 with all tcp open outbound to 0.0.0.0/0 is
    untracked (seed 002): its removal warns that connections are cut at once. The
    outbound fix for the udp flow names the server's group, not the 0.0.0.0/0 of the
    nearby tcp rule."""
    world_in = sg_rule(
        "sg-client", 1, protocol="tcp", from_port=1024, to_port=65535, cidr_ipv4="0.0.0.0/0"
    )
    tcp_out = sg_rule(
        "sg-client",
        2,
        egress=True,
        protocol="tcp",
        from_port=0,
        to_port=65535,
        cidr_ipv4="0.0.0.0/0",
    )
    inventory = _estate(
        world_in,
        tcp_out,
        server_rules=(
            sg_rule(
                "sg-server",
                2,
                protocol="udp",
                from_port=514,
                to_port=514,
                referenced_group_id="sg-client",
            ),
        ),
    )
    flow = _flow(inventory, "udp", 514)
    assert "stateful-misunderstanding" in [c.playbook for c in causes_of(inventory, flow)]
    plan = plan_for(inventory, flow, only=OPT_IN)
    add, removal = plan.changes
    assert add.params["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == "sg-server"
    assert add.kinds == (ChangeKind.ADDITION,)
    assert removal.params["SecurityGroupRuleIds"] == ["sgr-client1"]
    assert removal.warnings[0].startswith("untracked:")
    assert "cuts them at once" in removal.warnings[0]
    assert "untracked: removing it would cut live connections" in _note(
        plan.notes, "stateful-misunderstanding: i-client"
    )


def test_full_run_leaves_the_outbound_rule_to_the_sibling_cause() -> None:
    """Beside wrong-protocol (tcp open outbound, the flow is udp), a full run holds one
    outbound rule, wrong-protocol's; this playbook adds none of its own and says so."""
    inventory = _estate(
        sg_rule(
            "sg-client", 1, protocol="tcp", from_port=32768, to_port=60999, cidr_ipv4="10.0.0.0/16"
        ),
        sg_rule(
            "sg-client",
            2,
            egress=True,
            protocol="tcp",
            from_port=514,
            to_port=514,
            cidr_ipv4="10.0.2.0/24",
        ),
        server_rules=(
            sg_rule(
                "sg-server",
                2,
                protocol="udp",
                from_port=514,
                to_port=514,
                referenced_group_id="sg-client",
            ),
        ),
    )
    flow = _flow(inventory, "udp", 514)
    assert [c.playbook for c in causes_of(inventory, flow)] == [
        "wrong-protocol",
        "stateful-misunderstanding",
    ]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.params["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "10.0.2.0/24"
    assert "is wrong-protocol's change in this plan" in _note(
        plan.notes, "stateful-misunderstanding:"
    )
    assert reachable(applied(inventory, plan), flow)
