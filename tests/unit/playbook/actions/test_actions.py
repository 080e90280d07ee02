"""What each action proposes: exact parameters, before/after, kinds, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from netmend.model import Inventory, SecurityGroup
from netmend.model.change import Change, ChangeKind
from netmend.playbook import ProposalRefusedError, StepContext, get_action, sanitize_description
from playbook.estate import RUN_ID, acl_entry, build_inventory, make_context, sg_rule


def _propose(name: str, params: dict[str, Any], ctx: StepContext) -> list[Change]:
    act = get_action(name)
    assert act is not None
    return act.propose(ctx, act.params.model_validate(params))


def _params_error(name: str, params: dict[str, Any]) -> str:
    act = get_action(name)
    assert act is not None
    with pytest.raises(ValidationError) as caught:
        act.params.model_validate(params)
    return str(caught.value)


AUTH = {"group": "sg-server", "protocol": "tcp", "ports": 8443, "peer": "sg-client"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ports": 70000}, "port 70000 is out of range: use 0-65535"),
        ({"ports": "2000-1000"}, "port range 2000-1000 is reversed"),
        ({"ports": True}, "is not a port"),
        ({"peer": "10.0.0.300/24"}, "is not a peer"),
        ({"peer": "0.0.0.0/0x"}, "is not a peer"),
        ({"protocol": "tcpp"}, "unknown protocol 'tcpp'"),
        ({"group": "web"}, "'web' is not a security group id"),
        ({"ports": None}, "tcp needs ports"),
        ({"protocol": "-1"}, "admits every port: leave ports out"),
        ({"protocol": "icmp"}, "icmp takes icmp_type and icmp_code, not ports"),
    ],
)
def test_authorize_params_refuse_bad_values_readably(change: dict[str, Any], reason: str) -> None:
    """Bad CIDRs, ports and protocols fail validation with a reason an engineer can act on."""
    assert reason in _params_error("sg.authorize-ingress", {**AUTH, **change})


def test_authorize_params_normalise() -> None:
    """A bare address becomes its /32, a non-canonical CIDR its network, 6 becomes tcp."""
    act = get_action("sg.authorize-ingress")
    assert act is not None
    params = act.params.model_validate(
        {**AUTH, "peer": "10.0.1.10", "protocol": 6, "ports": "1024-65535"}
    )
    assert params.model_dump()["peer"] == "10.0.1.10/32"
    assert params.model_dump()["protocol"] == "tcp"
    assert params.model_dump()["ports"] == (1024, 65535)
    wide = act.params.model_validate({**AUTH, "peer": "10.0.1.7/24"})
    assert wide.model_dump()["peer"] == "10.0.1.0/24"


def test_authorize_ingress_adds_one_rule(inventory: Inventory) -> None:
    """The change carries the exact API params and the group before and after."""
    ctx = make_context(inventory)
    (change,) = _propose("sg.authorize-ingress", AUTH, ctx)
    stamp = f"netmend run {RUN_ID} change CHG42"
    assert change.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "UserIdGroupPairs": [{"GroupId": "sg-client", "Description": stamp}],
            }
        ],
    }
    assert change.kinds == (ChangeKind.ADDITION,)
    before = inventory.security_group("sg-server")
    assert change.before == before
    assert isinstance(change.after, SecurityGroup)
    assert before is not None
    assert change.after.rules[:-1] == before.rules
    new = change.after.rules[-1]
    assert (new.egress, new.protocol, new.from_port, new.to_port, new.referenced_group_id) == (
        False,
        "tcp",
        8443,
        8443,
        "sg-client",
    )
    assert new.description == stamp


def test_authorize_existing_rule_is_no_change() -> None:
    """A rule that already exists (description aside) is not added twice."""
    inventory = build_inventory(
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=8443,
                to_port=8443,
                referenced_group_id="sg-client",
                description="by hand",
            ),
        )
    )
    ctx = make_context(inventory)
    assert _propose("sg.authorize-ingress", AUTH, ctx) == []
    assert any("already allows" in n for n in ctx.notes)


def test_authorize_refuses_a_full_group() -> None:
    """The rules-per-group quota (per direction and family) refuses a rule that cannot fit."""
    ctx = make_context(build_inventory(rules_per_group=1))
    with pytest.raises(ProposalRefusedError, match="L-0EA8095F"):
        _propose("sg.authorize-ingress", AUTH, ctx)
    # The group's only rule is inbound IPv4; an IPv6 or outbound rule still fits.
    assert _propose("sg.authorize-ingress", {**AUTH, "peer": "2001:db8::/64"}, ctx)
    assert _propose("sg.authorize-egress", AUTH, ctx)


def test_authorize_world_is_marked_widening(inventory: Inventory) -> None:
    """0.0.0.0/0 is a widening with a warning, never passed off as a narrow addition."""
    (change,) = _propose(
        "sg.authorize-ingress", {**AUTH, "peer": "0.0.0.0/0"}, make_context(inventory)
    )
    assert change.kinds == (ChangeKind.WIDENING,)
    assert change.warnings


def test_authorize_icmp_and_ipv6_shapes(inventory: Inventory) -> None:
    """ICMP puts type and code in FromPort/ToPort; IPv6 peers go in Ipv6Ranges."""
    params = {"group": "sg-server", "protocol": "icmp", "icmp_type": 8, "peer": "10.0.1.10"}
    (change,) = _propose("sg.authorize-ingress", params, make_context(inventory))
    perm = change.params["IpPermissions"][0]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("icmp", 8, -1)
    assert perm["IpRanges"][0]["CidrIp"] == "10.0.1.10/32"
    params = {**AUTH, "peer": "2001:db8::1"}
    (change,) = _propose("sg.authorize-ingress", params, make_context(inventory))
    assert change.params["IpPermissions"][0]["Ipv6Ranges"][0]["CidrIpv6"] == "2001:db8::1/128"


def test_changes_to_one_group_chain(inventory: Inventory) -> None:
    """A second change to a group starts from the first one's after state."""
    ctx = make_context(inventory)
    (first,) = _propose("sg.authorize-ingress", AUTH, ctx)
    ctx.stage(first)
    (second,) = _propose("sg.revoke-rule", {"group": "sg-server", "rule_id": "sgr-server1"}, ctx)
    assert second.before == first.after
    assert isinstance(second.after, SecurityGroup)
    assert [r.from_port for r in second.after.rules] == [8443]


def test_rule_description_is_sanitised_and_bounded(inventory: Inventory) -> None:
    """Descriptions keep AWS's charset and 255 characters, and always keep the run stamp."""
    ctx = make_context(inventory, change_id="CHG<1>é")
    (change,) = _propose("sg.authorize-ingress", {**AUTH, "description": "x" * 200}, ctx)
    text = change.params["IpPermissions"][0]["UserIdGroupPairs"][0]["Description"]
    assert len(text) <= 255
    assert text.endswith(f"(netmend run {RUN_ID} change CHG_1__)")
    assert sanitize_description("shop → db 'quoted'") == "shop _ db _quoted_"


def test_revoke_unknown_rule_is_refused(inventory: Inventory) -> None:
    """Revoking a rule the group does not have is refused, not sent."""
    with pytest.raises(ProposalRefusedError, match="no rule sgr-nope"):
        _propose(
            "sg.revoke-rule", {"group": "sg-server", "rule_id": "sgr-nope"}, make_context(inventory)
        )


def test_revoke_warns_about_connection_tracking() -> None:
    """A world rule open both ways is untracked (cut at once); others are tracked."""
    inventory = build_inventory(
        server_rules=(
            sg_rule(
                "sg-server", 1, protocol="tcp", from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0"
            ),
            sg_rule("sg-server", 2, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0"),
            sg_rule(
                "sg-server", 3, protocol="tcp", from_port=22, to_port=22, cidr_ipv4="10.0.0.0/16"
            ),
        )
    )
    ctx = make_context(inventory)
    (world,) = _propose("sg.revoke-rule", {"group": "sg-server", "rule_id": "sgr-server1"}, ctx)
    assert world.api == "RevokeSecurityGroupIngress"
    assert world.warnings[0].startswith("untracked")
    (narrow,) = _propose("sg.revoke-rule", {"group": "sg-server", "rule_id": "sgr-server3"}, ctx)
    assert narrow.warnings[0].startswith("tracked")
    (out,) = _propose("sg.revoke-rule", {"group": "sg-server", "rule_id": "sgr-server2"}, ctx)
    assert out.api == "RevokeSecurityGroupEgress"


def test_eni_add_group_sends_the_whole_list(inventory: Inventory) -> None:
    """ModifyNetworkInterfaceAttribute replaces the list: existing groups are kept in it."""
    (change,) = _propose(
        "eni.add-group", {"eni": "eni-server", "group": "sg-spare"}, make_context(inventory)
    )
    assert change.params == {
        "NetworkInterfaceId": "eni-server",
        "Groups": ["sg-server", "sg-extra", "sg-spare"],
    }
    assert change.kinds == (ChangeKind.ENI_GROUPS,)


def test_eni_groups_respect_the_quota_and_the_vpc() -> None:
    """More groups than security_groups_per_interface, or an unknown group, is refused."""
    ctx = make_context(build_inventory(groups_per_interface=2))
    with pytest.raises(ProposalRefusedError, match="L-2AFB9258"):
        _propose("eni.add-group", {"eni": "eni-server", "group": "sg-spare"}, ctx)
    with pytest.raises(ProposalRefusedError, match="unknown security group sg-gone"):
        _propose("eni.set-groups", {"eni": "eni-server", "groups": ["sg-gone"]}, ctx)
    assert _propose("eni.add-group", {"eni": "eni-server", "group": "sg-server"}, ctx) == []


def test_eni_set_groups_dropping_a_group_is_a_revocation(inventory: Inventory) -> None:
    """Removing a group from an ENI is marked as taking access away."""
    (change,) = _propose(
        "eni.set-groups", {"eni": "eni-server", "groups": ["sg-server"]}, make_context(inventory)
    )
    assert ChangeKind.REVOCATION in change.kinds
    assert "listed twice" in _params_error(
        "eni.set-groups", {"eni": "eni-server", "groups": ["sg-a", "sg-a"]}
    )


def test_acl_default_entries_are_never_touched() -> None:
    """Rules 32767 and 32768 are refused by every ACL action's params."""
    for name in ("acl.delete-entry", "acl.replace-entry", "acl.create-entry"):
        params = {
            "acl": "acl-main",
            "rule_number": 32767,
            "egress": False,
            "protocol": "-1",
            "cidr": "0.0.0.0/0",
        }
        if name == "acl.delete-entry":
            params = {"acl": "acl-main", "rule_number": 32768, "egress": False}
        assert "default deny entry and cannot be changed" in _params_error(name, params)


def test_acl_create_entry_params_and_kinds() -> None:
    """An allow placed before an overlapping explicit deny is a deny override."""
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
        )
    )
    params = {
        "acl": "acl-main",
        "rule_number": 40,
        "egress": False,
        "protocol": "tcp",
        "ports": 8443,
        "cidr": "10.0.1.10",
    }
    (change,) = _propose("acl.create-entry", params, make_context(inventory))
    assert change.params == {
        "NetworkAclId": "acl-main",
        "RuleNumber": 40,
        "Protocol": "6",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.0.1.10/32",
        "PortRange": {"From": 8443, "To": 8443},
    }
    assert change.kinds == (ChangeKind.DENY_OVERRIDE,)
    (after_deny,) = _propose(
        "acl.create-entry", {**params, "rule_number": 60}, make_context(inventory)
    )
    assert after_deny.kinds == (ChangeKind.ADDITION,)
    with pytest.raises(ProposalRefusedError, match=r"acl\.replace-entry"):
        _propose("acl.create-entry", {**params, "rule_number": 50}, make_context(inventory))


def test_acl_entry_icmp_and_ipv6_shapes(inventory: Inventory) -> None:
    """ICMP entries carry IcmpTypeCode, IPv6 ones Ipv6CidrBlock, protocols as numbers."""
    params = {
        "acl": "acl-main",
        "rule_number": 70,
        "egress": False,
        "protocol": "icmp",
        "icmp_type": 8,
        "cidr": "10.0.0.0/16",
    }
    (change,) = _propose("acl.create-entry", params, make_context(inventory))
    assert change.params["Protocol"] == "1"
    assert change.params["IcmpTypeCode"] == {"Type": 8, "Code": -1}
    params = {**params, "protocol": "-1", "icmp_type": None, "cidr": "::/0"}
    (change,) = _propose("acl.create-entry", params, make_context(inventory))
    assert change.params["Ipv6CidrBlock"] == "::/0"
    assert "PortRange" not in change.params


def test_acl_quota_and_missing_entries_are_refused() -> None:
    """A full ACL refuses a new entry; replacing or deleting a missing one is refused."""
    ctx = make_context(
        build_inventory().model_copy(
            update={
                "quotas": build_inventory().quotas.model_copy(update={"rules_per_network_acl": 2})
            }
        )
    )
    params = {
        "acl": "acl-main",
        "rule_number": 70,
        "egress": False,
        "protocol": "-1",
        "cidr": "10.0.0.0/16",
    }
    with pytest.raises(ProposalRefusedError, match="L-2AEEBF1A"):
        _propose("acl.create-entry", params, ctx)
    with pytest.raises(ProposalRefusedError, match="no inbound rule 70 to replace"):
        _propose("acl.replace-entry", params, ctx)
    with pytest.raises(ProposalRefusedError, match="no outbound rule 70 to delete"):
        _propose("acl.delete-entry", {"acl": "acl-main", "rule_number": 70, "egress": True}, ctx)


def test_acl_replace_keeps_entry_order(inventory: Inventory) -> None:
    """Replace swaps the entry in place; the other entries keep their order."""
    params = {
        "acl": "acl-main",
        "rule_number": 100,
        "egress": False,
        "protocol": "tcp",
        "ports": 443,
        "cidr": "10.0.0.0/16",
    }
    (change,) = _propose("acl.replace-entry", params, make_context(inventory))
    before = change.before
    after = change.after
    assert before is not None
    assert after is not None
    assert [e.rule_number for e in after.entries] == [e.rule_number for e in before.entries]
    assert change.kinds == (ChangeKind.ADDITION,)


def test_quota_request_checks_current_value(inventory: Inventory) -> None:
    """A request must raise the quota and stay within AWS's rules x groups cap."""
    (change,) = _propose("quota.request-increase", {"desired_value": 100}, make_context(inventory))
    assert change.service == "service-quotas"
    assert change.params == {"ServiceCode": "vpc", "QuotaCode": "L-0EA8095F", "DesiredValue": 100}
    assert change.kinds == (ChangeKind.QUOTA,)
    with pytest.raises(ProposalRefusedError, match="already 60"):
        _propose("quota.request-increase", {"desired_value": 60}, make_context(inventory))
    with pytest.raises(ProposalRefusedError, match="cap of 1000"):
        _propose("quota.request-increase", {"desired_value": 250}, make_context(inventory))
    assert "up to 16" in _params_error(
        "quota.request-increase", {"quota_code": "L-2AFB9258", "desired_value": 20}
    )
