"""The missing-egress playbook: one outbound rule on the client; never inbound ephemeral."""

from __future__ import annotations

from netmend.model import Inventory
from netmend.model.change import ChangeKind
from netmend.reach.flow import make_flow
from playbook.estate import RUN_ID, build_inventory, sg_rule, with_resources
from playbook.planning import applied, causes_of, plan_for, reachable, rules_of

STAMP = f"netmend run {RUN_ID} change CHG42"


def _estate(*, server_groups: tuple[str, ...] = ("sg-server", "sg-extra")) -> Inventory:
    """The client's group lost its default egress (only tcp 443 to 10.0.9.0/24 is left);
    the server admits tcp 8443 from the client's group."""
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
        ),
        server_groups=server_groups,
    )
    client = inventory.security_group("sg-client")
    assert client is not None
    hardened = client.model_copy(
        update={
            "rules": (
                sg_rule(
                    "sg-client",
                    1,
                    egress=True,
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_ipv4="10.0.9.0/24",
                ),
            )
        }
    )
    return with_resources(inventory, hardened)


def test_adds_one_outbound_rule_to_the_destination_group() -> None:
    """The fix is AuthorizeSecurityGroupEgress on the client's group, tcp 8443, to the
    server's group (a reference, the narrowest peer), an addition; the flow works."""
    inventory = _estate()
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["missing-egress"]
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
    assert change.kinds == (ChangeKind.ADDITION,)
    assert reachable(applied(inventory, plan), flow)


def test_never_adds_an_inbound_rule() -> None:
    """No change is an inbound authorization, and no rule of the plan's after state
    opens inbound ephemeral ports: replies come back by connection tracking."""
    inventory = _estate()
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    plan = plan_for(inventory, flow)
    assert plan.changes
    assert all(c.api != "AuthorizeSecurityGroupIngress" for c in plan.changes)
    for resource in plan.resources:
        before = rules_of(plan.before(resource))
        added = [r for r in rules_of(plan.after(resource)) if r not in before]
        assert all(r.egress for r in added)
    note = " ".join(next(n for n in plan.notes if n.startswith("missing-egress:")).split())
    assert "no inbound ephemeral-port rule is needed" in note


def test_destination_with_only_the_default_group_is_named_by_its_address() -> None:
    """A destination carrying only the VPC's default group is named by its /32."""
    inventory = _estate(server_groups=("sg-default",))
    default = inventory.security_group("sg-default")
    assert default is not None
    inventory = with_resources(
        inventory,
        default.model_copy(
            update={
                "rules": (
                    sg_rule(
                        "sg-default",
                        1,
                        protocol="tcp",
                        from_port=8443,
                        to_port=8443,
                        cidr_ipv4="10.0.0.0/16",
                    ),
                )
            }
        ),
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    permission = change.params["IpPermissions"][0]
    assert permission["IpRanges"] == [{"CidrIp": "10.0.2.20/32", "Description": STAMP}]
    assert reachable(applied(inventory, plan), flow)


def test_udp_flow_gets_a_udp_rule() -> None:
    """The rule carries the flow's protocol: udp 514 out to the server's group."""
    inventory = _estate()
    server = inventory.security_group("sg-server")
    assert server is not None
    inventory = with_resources(
        inventory,
        server.model_copy(
            update={
                "rules": (
                    sg_rule(
                        "sg-server",
                        1,
                        protocol="udp",
                        from_port=514,
                        to_port=514,
                        referenced_group_id="sg-client",
                    ),
                )
            }
        ),
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="udp", port=514)
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    permission = change.params["IpPermissions"][0]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "udp",
        514,
        514,
    )
    assert reachable(applied(inventory, plan), flow)
