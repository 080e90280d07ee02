"""The nacl-override playbook: ACL allow entries for both directions, where missing.

The estate: the client (10.0.1.10, subnet-a) and the server (10.0.2.20, subnet-b) whose
groups already admit tcp/8443 from the client's group, so only ACLs can drop the flow.
subnet-b has its own ACL (acl-server); subnet-a keeps the open default ACL unless a test
gives it one (acl-client).
"""

from __future__ import annotations

from typing import Any

import pytest

from netmend.approval.policy import Policy
from netmend.model import AclEntry, Inventory, NetworkAcl
from netmend.playbook import ProposalRefusedError, invert_change
from netmend.playbook.acl_crossings import crossings, place_entry
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import Flow, make_flow
from netmend.reach.result import Leg
from netmend.run.plan import ChangeKind, Plan
from playbook.estate import acl_entry, build_inventory, sg_rule
from playbook.planning import applied, causes_of, plan_for, reachable

OPEN = (
    acl_entry(100, "allow", egress=False),
    acl_entry(32767, "deny", egress=False),
    acl_entry(100, "allow", egress=True),
    acl_entry(32767, "deny", egress=True),
)
SERVER_ADMITS = sg_rule(
    "sg-server", 2, protocol="tcp", from_port=8443, to_port=8443, referenced_group_id="sg-client"
)
PING_ADMITS = sg_rule(
    "sg-server", 3, protocol="icmp", from_port=-1, to_port=-1, referenced_group_id="sg-client"
)


def tcp(
    number: int, action: str, *, egress: bool, ports: tuple[int, int], cidr: str = "10.0.0.0/16"
) -> AclEntry:
    return acl_entry(
        number,
        action,
        egress=egress,
        protocol="tcp",
        cidr=cidr,
        port_from=ports[0],
        port_to=ports[1],
    )


def estate(
    server: tuple[AclEntry, ...], client: tuple[AclEntry, ...] | None = None, **options: Any
) -> Inventory:
    """The estate with acl-server on subnet-b (and acl-client on subnet-a if given)."""
    base = build_inventory(server_rules=(SERVER_ADMITS, PING_ADMITS), **options)
    data = base.model_dump()
    acls = [
        NetworkAcl(
            network_acl_id="acl-main",
            vpc_id="vpc-1",
            is_default=True,
            entries=OPEN,
            subnet_ids=() if client is not None else ("subnet-a",),
        ),
        NetworkAcl(
            network_acl_id="acl-server", vpc_id="vpc-1", entries=server, subnet_ids=("subnet-b",)
        ),
    ]
    if client is not None:
        acls.append(
            NetworkAcl(
                network_acl_id="acl-client",
                vpc_id="vpc-1",
                entries=client,
                subnet_ids=("subnet-a",),
            )
        )
    data["network_acls"] = [a.model_dump() for a in acls]
    return Inventory.model_validate(data)


def flow_of(inventory: Inventory, **options: Any) -> Flow:
    values: dict[str, Any] = {"protocol": "tcp", "port": 8443, **options}
    return make_flow(inventory, "i-client", "eni-server", **values)


def entries(plan: Plan) -> list[tuple[str, bool, Any, str, Any, int]]:
    """(acl, egress, protocol, cidr, ports or ICMP, rule number) of each planned entry."""
    return [
        (
            c.resource,
            c.params["Egress"],
            c.params["Protocol"],
            c.params["CidrBlock"],
            c.params.get("PortRange") or c.params.get("IcmpTypeCode"),
            c.params["RuleNumber"],
        )
        for c in plan.changes
    ]


def test_adds_only_the_missing_inbound_service_port() -> None:
    """The runbook's estate: inbound 443 only, replies already let out to the VPC. One
    entry: inbound tcp/8443 from the client's /32 as rule 110 (after the existing 100),
    an addition; the outbound ephemeral entry is not added again."""
    inventory = estate(
        (
            tcp(100, "allow", egress=False, ports=(443, 443)),
            tcp(100, "allow", egress=True, ports=(1024, 65535)),
        )
    )
    flow = flow_of(inventory)
    assert [c.playbook for c in causes_of(inventory, flow)] == ["nacl-override"]
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.api == "CreateNetworkAclEntry"
    assert change.params == {
        "NetworkAclId": "acl-server",
        "RuleNumber": 110,
        "Protocol": "6",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.0.1.10/32",
        "PortRange": {"From": 8443, "To": 8443},
    }
    assert change.kinds == (ChangeKind.ADDITION,)
    assert any("already passes the replies going out" in n and "#100" in n for n in plan.notes)
    assert reachable(applied(inventory, plan), flow)


def test_empty_acl_gets_both_directions_with_runbook_numbers() -> None:
    """An ACL with only its default entries: inbound tcp/8443 and outbound 1024-65535,
    both naming the client's /32, numbered 100; the applied estate lets every client's
    ephemeral range back."""
    inventory = estate(
        (acl_entry(32767, "deny", egress=False), acl_entry(32767, "deny", egress=True))
    )
    flow = flow_of(inventory)
    plan = plan_for(inventory, flow)
    assert entries(plan) == [
        ("acl-server", False, "6", "10.0.1.10/32", {"From": 8443, "To": 8443}, 100),
        ("acl-server", True, "6", "10.0.1.10/32", {"From": 1024, "To": 65535}, 100),
    ]
    evaluation = evaluate(applied(inventory, plan), flow)
    assert evaluation.reachable
    assert all(c.allowed == ((1024, 65535),) for c in evaluation.ephemeral)


def test_client_custom_acl_gets_the_mirror_entries() -> None:
    """Both subnets have custom, empty ACLs: the request out of the client's subnet and
    the replies into it are added on acl-client, naming the server's /32, in path order."""
    inventory = estate((), client=())
    flow = flow_of(inventory)
    plan = plan_for(inventory, flow)
    assert entries(plan) == [
        ("acl-client", True, "6", "10.0.2.20/32", {"From": 8443, "To": 8443}, 100),
        ("acl-server", False, "6", "10.0.1.10/32", {"From": 8443, "To": 8443}, 100),
        ("acl-server", True, "6", "10.0.1.10/32", {"From": 1024, "To": 65535}, 100),
        ("acl-client", False, "6", "10.0.2.20/32", {"From": 1024, "To": 65535}, 100),
    ]
    assert reachable(applied(inventory, plan), flow)
    # One run of the playbook covered every cause: no entry is planned twice.
    assert len({(c.resource, c.params["Egress"]) for c in plan.changes}) == 4


def test_allow_before_an_explicit_deny_is_a_deny_override_naming_it() -> None:
    """Someone denies tcp/8000-9000 from the VPC at rule 100: the allow goes before it
    (99), is a deny-override that needs a person, and its warning names rule 100."""
    deny = tcp(100, "deny", egress=False, ports=(8000, 9000))
    inventory = estate(
        (deny, acl_entry(200, "allow", egress=False), acl_entry(100, "allow", egress=True))
    )
    flow = flow_of(inventory)
    (cause,) = causes_of(inventory, flow)
    assert cause.evidence["explicit_deny"] is True
    plan = plan_for(inventory, flow)
    (change,) = plan.changes
    assert change.params["RuleNumber"] == 99
    assert change.kinds == (ChangeKind.DENY_OVERRIDE,)
    assert Policy().needs_person(change)
    assert any(
        "overrides someone's explicit deny" in w
        and "inbound rule 100: deny tcp 8000-9000 from 10.0.0.0/16" in w
        for w in change.warnings
    )
    assert "explicit deny" in " ".join(plan.notes)
    assert reachable(applied(inventory, plan), flow)


def test_a_deny_elsewhere_is_not_overridden() -> None:
    """A deny for another port or peer neither moves the entry nor makes an override."""
    inventory = estate(
        (
            tcp(50, "deny", egress=False, ports=(22, 22)),
            tcp(60, "deny", egress=False, ports=(8443, 8443), cidr="192.0.2.0/24"),
            acl_entry(100, "allow", egress=True),
        )
    )
    plan = plan_for(inventory, flow_of(inventory))
    (change,) = plan.changes
    assert change.params["RuleNumber"] == 70
    assert change.kinds == (ChangeKind.ADDITION,)


def test_default_entries_are_never_used_or_counted_as_overrides() -> None:
    """The 32767 entries stay as they are: the new entry takes a free number below them,
    and overriding the default deny is an addition, not a deny-override."""
    inventory = estate(
        (acl_entry(32767, "deny", egress=False), acl_entry(32767, "deny", egress=True))
    )
    plan = plan_for(inventory, flow_of(inventory))
    assert all(c.params["RuleNumber"] < 32767 for c in plan.changes)
    assert plan.kinds == frozenset({ChangeKind.ADDITION})
    after = plan.after("acl-server")
    assert isinstance(after, NetworkAcl)
    assert acl_entry(32767, "deny", egress=False) in after.entries


def test_no_free_number_before_the_deny_refuses() -> None:
    """A deny at rule 1 leaves no number before it: the plan is refused, readably."""
    inventory = estate(
        (tcp(1, "deny", egress=False, ports=(0, 65535)), acl_entry(100, "allow", egress=True))
    )
    with pytest.raises(ProposalRefusedError, match="no free rule number ahead of the denies"):
        plan_for(inventory, flow_of(inventory))


@pytest.mark.parametrize("with_default", [True, False])
def test_entries_quota_is_respected(with_default: bool) -> None:
    """19 inbound entries plus the default one fill the quota of 20, whether or not the
    inventory lists the default entry (moto leaves it out of custom ACLs)."""
    full = tuple(tcp(10 + i, "allow", egress=False, ports=(1000 + i, 1000 + i)) for i in range(19))
    default = (acl_entry(32767, "deny", egress=False),) if with_default else ()
    inventory = estate((*full, *default, acl_entry(100, "allow", egress=True)))
    with pytest.raises(ProposalRefusedError, match=r"quota \(L-2AEEBF1A\) is 20"):
        plan_for(inventory, flow_of(inventory))


def test_ping_gets_echo_request_in_and_echo_reply_out() -> None:
    """ICMP: inbound type 8 code 0 (an echo request always carries code 0) and outbound
    type 0 code 0, the echo reply."""
    inventory = estate(())
    flow = flow_of(inventory, protocol="icmp", port=None, icmp_type=8)
    plan = plan_for(inventory, flow)
    assert entries(plan) == [
        ("acl-server", False, "1", "10.0.1.10/32", {"Type": 8, "Code": 0}, 100),
        ("acl-server", True, "1", "10.0.1.10/32", {"Type": 0, "Code": 0}, 100),
    ]
    assert reachable(applied(inventory, plan), flow)


def test_subnet_scope_names_the_far_subnet() -> None:
    """scope=subnet names the client's subnet CIDR instead of its /32."""
    from netmend.playbook import get_action
    from playbook.estate import make_context

    inventory = estate((acl_entry(100, "allow", egress=True),))
    act = get_action("acl.allow-flow")
    assert act is not None
    ctx = make_context(inventory, flow=flow_of(inventory))
    (change,) = act.propose(ctx, act.params.model_validate({"scope": "subnet"}))
    assert change.params["CidrBlock"] == "10.0.1.0/24"


def test_invert_deletes_the_entry() -> None:
    """Undoing an added entry deletes it by rule number and direction."""
    inventory = estate((acl_entry(100, "allow", egress=True),))
    (change,) = plan_for(inventory, flow_of(inventory)).changes
    undo = invert_change(change)
    assert undo is not None
    assert undo.api == "DeleteNetworkAclEntry"
    assert undo.params == {"NetworkAclId": "acl-server", "RuleNumber": 100, "Egress": False}
    assert undo.after == change.before


def test_same_subnet_flow_crosses_no_acl() -> None:
    """Two interfaces in one subnet never meet their ACL: no crossing at all."""
    inventory = estate(())
    flow = make_flow(inventory, "eni-server", "eni-server", protocol="tcp", port=8443)
    assert crossings(inventory, flow) == []
    other = flow_of(inventory)
    legs = [(c.acl_id, c.egress, c.leg) for c in crossings(inventory, other)]
    assert legs == [
        ("acl-main", True, Leg.FORWARD),
        ("acl-server", False, Leg.FORWARD),
        ("acl-server", True, Leg.RETURN),
        ("acl-main", False, Leg.RETURN),
    ]


def test_place_entry_prefers_the_next_ten_and_falls_back_below_the_deny() -> None:
    """Numbers: the next ten after existing entries; else the highest free number below
    the first shadowing deny; None when every number below it is taken."""
    template = tcp(1, "allow", egress=False, ports=(8443, 8443), cidr="10.0.1.10/32")
    acl = NetworkAcl(
        network_acl_id="acl-x",
        vpc_id="vpc-1",
        entries=(
            tcp(10, "allow", egress=False, ports=(22, 22)),
            tcp(20, "deny", egress=False, ports=(8443, 8443)),
            tcp(30, "allow", egress=True, ports=(1, 2)),
        ),
    )
    assert place_entry(acl, template) == 19
    roomy = acl.model_copy(update={"entries": acl.entries[:1]})
    assert place_entry(roomy, template) == 20
    taken = NetworkAcl(
        network_acl_id="acl-y",
        vpc_id="vpc-1",
        entries=(
            *(tcp(n, "allow", egress=False, ports=(1, 1)) for n in range(1, 5)),
            tcp(5, "deny", egress=False, ports=(0, 65535)),
        ),
    )
    assert place_entry(taken, template) is None
