"""sg.revoke-rules: one revocation per rule, chained, warned about, and undoable."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from netmend.model import Inventory, SecurityGroup
from netmend.model.change import Change, ChangeKind
from netmend.playbook import StepContext, get_action, iam_policy, invert_change, load_playbooks
from playbook.estate import build_inventory, make_context, sg_rule

RULES = (
    sg_rule("sg-server", 1, protocol="tcp", from_port=22, to_port=22, cidr_ipv4="10.0.0.0/16"),
    sg_rule("sg-server", 2, protocol="tcp", from_port=1024, to_port=65535, cidr_ipv4="10.0.0.0/16"),
    sg_rule(
        "sg-server",
        3,
        egress=True,
        protocol="tcp",
        from_port=22,
        to_port=22,
        cidr_ipv4="10.0.0.0/16",
    ),
)


def _propose(ctx: StepContext, params: dict[str, Any]) -> list[Change]:
    act = get_action("sg.revoke-rules")
    assert act is not None
    return act.propose(ctx, act.params.model_validate(params))


def _inventory() -> Inventory:
    return build_inventory(server_rules=RULES)


def test_one_change_per_rule_chained_on_the_group() -> None:
    """Two rules of one group: two revocations by rule id (ingress, then egress API), the
    second starting from the first's after; each with tracking and refusal warnings."""
    ctx = make_context(_inventory())
    first, second = _propose(
        ctx,
        {
            "rules": [
                {"group": "sg-server", "rule_id": "sgr-server2"},
                {"group": "sg-server", "rule_id": "sgr-server3"},
            ],
            "reason": "stateless rule",
        },
    )
    assert (first.api, second.api) == ("RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress")
    assert first.params == {"GroupId": "sg-server", "SecurityGroupRuleIds": ["sgr-server2"]}
    assert first.kinds == second.kinds == (ChangeKind.REVOCATION,)
    assert second.before == first.after
    assert isinstance(second.after, SecurityGroup)
    assert [r.rule_id for r in second.after.rules] == ["sgr-server1"]
    assert first.summary.endswith(": stateless rule")
    assert first.warnings[0].startswith("tracked:")
    assert "new connections only inbound tcp 1024-65535 from 10.0.0.0/16" in first.warnings[1]
    assert "from eni-server from now on" in second.warnings[1]


def test_missing_or_repeated_rule_is_skipped_with_a_note() -> None:
    """A rule id the group no longer has proposes nothing (and says so); a repeated id is
    revoked once; an empty list proposes nothing."""
    ctx = make_context(_inventory())
    changes = _propose(
        ctx,
        {
            "rules": [
                {"group": "sg-server", "rule_id": "sgr-gone"},
                {"group": "sg-server", "rule_id": "sgr-server1"},
                {"group": "sg-server", "rule_id": "sgr-server1"},
            ]
        },
    )
    assert [c.params["SecurityGroupRuleIds"] for c in changes] == [["sgr-server1"]]
    assert any("has no rule sgr-gone any more" in n for n in ctx.notes)
    assert _propose(make_context(_inventory()), {"rules": []}) == []


def test_params_refuse_bad_ids() -> None:
    """Rule refs need an sg- group and an sgr- rule id, and nothing else."""
    act = get_action("sg.revoke-rules")
    assert act is not None
    for bad in (
        {"group": "web", "rule_id": "sgr-1"},
        {"group": "sg-1", "rule_id": "r-1"},
        {"group": "sg-1", "rule_id": "sgr-1", "why": "x"},
    ):
        with pytest.raises(ValidationError):
            act.params.model_validate({"rules": [bad]})


def test_invert_re_adds_the_rule_exactly() -> None:
    """Undoing a revocation authorizes the removed rule again (same protocol, ports,
    peer and description) and returns the group to its before state."""
    (change,) = _propose(
        make_context(_inventory()), {"rules": [{"group": "sg-server", "rule_id": "sgr-server2"}]}
    )
    undo = invert_change(change)
    assert undo is not None
    assert undo.api == "AuthorizeSecurityGroupIngress"
    assert undo.params == {
        "GroupId": "sg-server",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 1024,
                "ToPort": 65535,
                "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            }
        ],
    }
    assert undo.after == change.before


def test_iam_policy_grants_revoke_and_its_rollback() -> None:
    """The stateful-misunderstanding playbook's policy covers revoking both directions
    and re-authorizing them for a rollback."""
    policy = iam_policy([load_playbooks().require("stateful-misunderstanding")])
    statements = policy["Statement"]
    assert isinstance(statements, list)
    fix = next(s for s in statements if s["Sid"] == "NetmendFix")["Action"]
    assert {
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
    } <= set(fix)
