"""The wrong-port playbook: the rule for the port the service listens on, old rule kept."""

from __future__ import annotations

from netmend.model import Inventory
from netmend.model.change import ChangeKind
from netmend.reach.flow import make_flow
from playbook.estate import RUN_ID, build_inventory, sg_rule
from playbook.planning import applied, causes_of, plan_for, reachable, rules_of

STAMP = f"netmend run {RUN_ID} change CHG42"


def _estate(**peer: str) -> Inventory:
    """sg-server opens tcp 8080 (and 22) to ``peer``; the service listens on 8443."""
    return build_inventory(
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=22,
                to_port=22,
                cidr_ipv4="192.168.50.0/24",
            ),
            sg_rule("sg-server", 2, protocol="tcp", from_port=8080, to_port=8080, **peer),
        )
    )


def test_adds_the_listening_port_with_the_near_miss_peer_and_protocol() -> None:
    """One inbound tcp 8443 rule on the near-miss rule's group, from the same CIDR peer
    (10.0.0.0/16), as an addition; the flow becomes reachable."""
    inventory = _estate(cidr_ipv4="10.0.0.0/16")
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["wrong-port"]
    plan = plan_for(inventory, flow)
    assert plan.playbooks == ("wrong-port",)
    (change,) = plan.changes
    assert change.api == "AuthorizeSecurityGroupIngress"
    assert change.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": STAMP}],
            }
        ],
    }
    assert change.kinds == (ChangeKind.ADDITION,)
    assert reachable(applied(inventory, plan), flow)


def test_keeps_the_wrong_rule_and_says_why() -> None:
    """No revocation is proposed: the 8080 rule is in the plan's after state, and a note
    says netmend kept it because it cannot see whether anything uses it."""
    inventory = _estate(cidr_ipv4="10.0.0.0/16")
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    plan = plan_for(inventory, flow)
    assert ChangeKind.REVOCATION not in plan.kinds
    after = rules_of(plan.after("sg-server"))
    assert any(r.rule_id == "sgr-server2" and r.from_port == 8080 for r in after)
    note = next(n for n in plan.notes if n.startswith("wrong-port:"))
    assert (
        "Kept sg-server's tcp 8080 rule (sgr-server2): netmend cannot see whether anything uses it"
    ) in " ".join(note.split())


def test_group_reference_peer_is_kept() -> None:
    """A near-miss rule that names the client's group gives a new rule naming that group."""
    inventory = _estate(referenced_group_id="sg-client")
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    (change,) = plan_for(inventory, flow).changes
    permission = change.params["IpPermissions"][0]
    assert permission["UserIdGroupPairs"] == [{"GroupId": "sg-client", "Description": STAMP}]
    assert "IpRanges" not in permission


def test_group_option_puts_the_rule_on_another_group_of_the_interface() -> None:
    """--group sg-extra (another group on the server's interface) takes the new rule."""
    inventory = _estate(cidr_ipv4="10.0.0.0/16")
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    plan = plan_for(inventory, flow, group="sg-extra")
    assert [c.resource for c in plan.changes] == ["sg-extra"]
    assert reachable(applied(inventory, plan), flow)


def test_udp_near_miss_keeps_udp() -> None:
    """A udp near miss (udp 5353 for 5354) gives a udp rule: the protocol is the rule's."""
    inventory = build_inventory(
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="udp",
                from_port=5353,
                to_port=5353,
                cidr_ipv4="10.0.1.0/24",
            ),
        )
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="udp", port=5354)
    (change,) = plan_for(inventory, flow).changes
    permission = change.params["IpPermissions"][0]
    assert (permission["IpProtocol"], permission["FromPort"]) == ("udp", 5354)
    assert permission["IpRanges"][0]["CidrIp"] == "10.0.1.0/24"
