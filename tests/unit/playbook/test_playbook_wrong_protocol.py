"""The wrong-protocol playbook: add the protocol the flow needs beside the existing rule.

ICMP is tested here on a hand-built estate (moto keeps SG ICMP rules, but drops ACL
ICMP fields, so the unit level is where ping is checked end to end).
"""

from __future__ import annotations

from netmend.model import Inventory, SgRule
from netmend.model.change import ChangeKind
from netmend.reach.flow import make_flow
from playbook.estate import RUN_ID, build_inventory, sg_rule, with_resources
from playbook.planning import applied, causes_of, plan_for, reachable, rules_of

STAMP = f"netmend run {RUN_ID} change CHG42"
TCP_53 = sg_rule("sg-server", 1, protocol="tcp", from_port=53, to_port=53, cidr_ipv4="10.0.0.0/16")


def _server(*rules: SgRule) -> Inventory:
    return build_inventory(server_rules=rules)


def test_udp_53_beside_tcp_53() -> None:
    """DNS over udp 53 with only tcp 53 open: one inbound udp 53 rule from the same peer
    (10.0.0.0/16) on the same group; the tcp 53 rule stays; the flow works."""
    inventory = _server(TCP_53)
    flow = make_flow(inventory, "i-client", "eni-server", protocol="udp", port=53)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["wrong-protocol"]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.api == "AuthorizeSecurityGroupIngress"
    assert change.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "udp",
                "FromPort": 53,
                "ToPort": 53,
                "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": STAMP}],
            }
        ],
    }
    assert change.kinds == (ChangeKind.ADDITION,)
    assert TCP_53 in rules_of(plan.after("sg-server"))
    assert reachable(applied(inventory, plan), flow)
    note = " ".join(next(n for n in plan.notes if n.startswith("wrong-protocol:")).split())
    assert "the tcp 53 rule (sgr-server1) stays" in note


def test_ping_where_only_tcp_is_open_adds_echo_request() -> None:
    """Ping (ICMP type 8) to a server that admits the client's group on tcp 8443 only:
    one inbound ICMP rule, type 8 (FromPort) any code (ToPort -1), from the client's
    group; no echo-reply rule (security groups track ICMP); the ping works."""
    inventory = _server(
        sg_rule(
            "sg-server",
            1,
            protocol="tcp",
            from_port=8443,
            to_port=8443,
            referenced_group_id="sg-client",
        )
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="icmp")
    assert [c.playbook for c in causes_of(inventory, flow)] == ["wrong-protocol"]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "icmp",
                "FromPort": 8,
                "ToPort": -1,
                "UserIdGroupPairs": [{"GroupId": "sg-client", "Description": STAMP}],
            }
        ],
    }
    assert not [
        r for r in rules_of(plan.after("sg-server")) if r.protocol == "icmp" and r.from_port == 0
    ]
    assert reachable(applied(inventory, plan), flow)
    note = " ".join(next(n for n in plan.notes if n.startswith("wrong-protocol:")).split())
    assert "echo reply needs no rule: security groups track ICMP" in note


def test_echo_reply_only_rule_gets_echo_request_beside_it() -> None:
    """The runbook's one-way ping: the group allows ICMP type 0 (echo reply) only; the fix
    adds type 8 from the same peer and keeps the type 0 rule."""
    echo_reply = sg_rule(
        "sg-server", 1, protocol="icmp", from_port=0, to_port=-1, cidr_ipv4="10.0.1.0/24"
    )
    inventory = _server(echo_reply)
    flow = make_flow(inventory, "i-client", "eni-server", protocol="icmp", icmp_type=8)
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    permission = change.params["IpPermissions"][0]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "icmp",
        8,
        -1,
    )
    assert permission["IpRanges"][0]["CidrIp"] == "10.0.1.0/24"
    assert echo_reply in rules_of(plan.after("sg-server"))
    assert reachable(applied(inventory, plan), flow)


def test_outbound_wrong_protocol_is_fixed_outbound() -> None:
    """The runbook's own case: the client may send tcp 53 only (to 10.0.2.0/24); DNS
    queries use udp 53. The fix is authorize-security-group-egress udp 53 to the same
    peer on the client's group, and the flow works."""
    inventory = _server(
        sg_rule("sg-server", 1, protocol="udp", from_port=53, to_port=53, cidr_ipv4="10.0.0.0/16")
    )
    client = inventory.security_group("sg-client")
    assert client is not None
    inventory = with_resources(
        inventory,
        client.model_copy(
            update={
                "rules": (
                    sg_rule(
                        "sg-client",
                        1,
                        egress=True,
                        protocol="tcp",
                        from_port=53,
                        to_port=53,
                        cidr_ipv4="10.0.2.0/24",
                    ),
                )
            }
        ),
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="udp", port=53)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["wrong-protocol"]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.api == "AuthorizeSecurityGroupEgress"
    assert change.params == {
        "GroupId": "sg-client",
        "IpPermissions": [
            {
                "IpProtocol": "udp",
                "FromPort": 53,
                "ToPort": 53,
                "IpRanges": [{"CidrIp": "10.0.2.0/24", "Description": STAMP}],
            }
        ],
    }
    assert reachable(applied(inventory, plan), flow)
    note = " ".join(next(n for n in plan.notes if n.startswith("wrong-protocol:")).split())
    assert "One outbound rule on sg-client" in note
