"""Policy: auto-approval, person-needed kinds and the never-rules (even with --yes)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netmend.approval import (
    Decision,
    DecisionOutcome,
    Policy,
    PolicyApprover,
    YesApprover,
    never_violations,
)
from netmend.model import SecurityGroup
from netmend.run.plan import ChangeKind, Plan

from .plans import GROUP, authorize, plan_of, revoke


class RecordingApprover:
    """A fallback that records whether it was asked, and answers as told."""

    def __init__(self, outcome: DecisionOutcome = DecisionOutcome.APPROVED) -> None:
        self.asked: list[Plan] = []
        self.outcome = outcome

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        self.asked.append(plan)
        return Decision(outcome=self.outcome, approver="carol", reason="asked")


def test_nothing_is_auto_approved_by_default() -> None:
    """Without a configured policy even a narrow addition goes to a person."""
    fallback = RecordingApprover(DecisionOutcome.REJECTED)
    decision = PolicyApprover(Policy(), fallback).decide(plan_of(authorize()), "diff")
    assert decision.outcome is DecisionOutcome.REJECTED
    assert len(fallback.asked) == 1


def test_additions_are_auto_approved_when_configured() -> None:
    """With auto_approve: [addition], narrow additions pass; the fallback is never asked."""
    fallback = RecordingApprover(DecisionOutcome.REJECTED)
    policy = Policy(auto_approve=(ChangeKind.ADDITION,))
    decision = PolicyApprover(policy, fallback).decide(plan_of(authorize()), "diff")
    assert decision.outcome is DecisionOutcome.APPROVED
    assert decision.approver == "policy"
    assert fallback.asked == []


def test_revocation_needs_a_person() -> None:
    """A revocation is handed to the fallback, whose answer stands."""
    fallback = RecordingApprover(DecisionOutcome.REJECTED)
    decision = PolicyApprover(Policy(), fallback).decide(plan_of(authorize(), revoke()), "diff")
    assert len(fallback.asked) == 1
    assert decision.outcome is DecisionOutcome.REJECTED
    assert "revocation needs a person" in decision.reason


def test_revocation_approved_by_the_person() -> None:
    """When the person approves a revocation, the decision names that person."""
    fallback = RecordingApprover(DecisionOutcome.APPROVED)
    decision = PolicyApprover(Policy(), fallback).decide(plan_of(revoke()), "diff")
    assert decision.approved
    assert decision.approver == "carol"


def test_change_without_kinds_needs_a_person() -> None:
    """An unclassified change is never auto-approved."""
    fallback = RecordingApprover()
    PolicyApprover(Policy(), fallback).decide(plan_of(authorize(kinds=())), "diff")
    assert len(fallback.asked) == 1


@pytest.mark.parametrize(
    ("cidr", "port", "protocol"),
    [
        ("0.0.0.0/0", 22, "tcp"),
        ("0.0.0.0/0", 3389, "tcp"),
        ("::/0", 5432, "tcp"),
        ("0.0.0.0/0", 0, "-1"),
    ],
)
def test_world_open_sensitive_port_refused_even_with_yes(
    cidr: str, port: int, protocol: str
) -> None:
    """0.0.0.0/0 or ::/0 on SSH/RDP/database ports (or all traffic) is refused, --yes or not."""
    decision = PolicyApprover(Policy(), YesApprover("alice")).decide(
        plan_of(authorize(cidr, port, protocol=protocol)), "diff"
    )
    assert decision.outcome is DecisionOutcome.REFUSED
    assert decision.approver == "policy"
    assert "whole internet" in decision.reason


def test_world_open_refused_from_params_alone() -> None:
    """Without before/after states, the Authorize parameters are still checked."""
    plan = plan_of(authorize("0.0.0.0/0", 22, with_states=False))
    assert never_violations(Policy(), plan)


def test_allow_world_on_permits_a_listed_port() -> None:
    """A port listed in allow_world_on may face the internet (then ordinary rules apply)."""
    policy = Policy(allow_world_on=(22,))
    assert never_violations(policy, plan_of(authorize("0.0.0.0/0", 22))) == []


def test_world_on_https_is_not_a_never_rule() -> None:
    """0.0.0.0/0 on 443 is not sensitive: no never-rule, auto-approved as an addition."""
    fallback = RecordingApprover(DecisionOutcome.REJECTED)
    policy = Policy(auto_approve=(ChangeKind.ADDITION,))
    decision = PolicyApprover(policy, fallback).decide(plan_of(authorize("0.0.0.0/0", 443)), "diff")
    assert decision.approved


def test_narrow_peer_on_ssh_is_fine() -> None:
    """SSH from a private range is not world-open."""
    assert never_violations(Policy(), plan_of(authorize("10.1.2.3/32", 22))) == []


@pytest.mark.parametrize(
    ("policy_tags", "group_tags", "refused"),
    [
        ({"netmend:protected": "true"}, {"netmend:protected": "true"}, True),
        ({"netmend:protected": "true"}, {"netmend:protected": "false"}, False),
        ({"frozen": None}, {"frozen": "anything"}, True),
        ({"frozen": None}, {"other": "x"}, False),
    ],
)
def test_protected_tag_refuses_even_with_yes(
    policy_tags: dict[str, str | None], group_tags: dict[str, str], refused: bool
) -> None:
    """A touched resource carrying a protected tag (key=value or key-only) is refused."""
    group = SecurityGroup(group_id="sg-9", group_name="db", vpc_id="vpc-1", tags=group_tags)
    decision = PolicyApprover(Policy(protected_tags=policy_tags), YesApprover("alice")).decide(
        plan_of(authorize(group=group)), "diff"
    )
    assert (decision.outcome is DecisionOutcome.REFUSED) is refused
    if refused:
        assert "sg-9 carries the protected tag" in decision.reason


def test_protected_tags_accept_a_list() -> None:
    """protected_tags may be a list of "key" and "key=value" strings."""
    policy = Policy.model_validate({"protected_tags": ["frozen", "env=prod"]})
    assert policy.protected_tags == {"frozen": None, "env": "prod"}


def test_max_changes_is_a_never_rule() -> None:
    """More changes than max_changes is refused whoever approves."""
    plan = plan_of(*(authorize(port=1000 + i) for i in range(3)))
    decision = PolicyApprover(Policy(max_changes=2), YesApprover("alice")).decide(plan, "")
    assert decision.outcome is DecisionOutcome.REFUSED
    assert "max_changes 2" in decision.reason


def test_policy_kinds_are_configurable() -> None:
    """A policy may auto-approve revocations too; then no one is asked."""
    policy = Policy(auto_approve=(ChangeKind.ADDITION, ChangeKind.REVOCATION), require_person=())
    fallback = RecordingApprover(DecisionOutcome.REJECTED)
    assert PolicyApprover(policy, fallback).decide(plan_of(revoke()), "").approved
    assert fallback.asked == []


def test_policy_rejects_unknown_kinds_and_ports() -> None:
    """A misspelt kind or an impossible port is a validation error, not ignored."""
    with pytest.raises(ValidationError):
        Policy.model_validate({"auto_approve": ["additions"]})
    with pytest.raises(ValidationError):
        Policy.model_validate({"allow_world_on": [70000]})


def test_default_group_fixture_has_no_protected_tag() -> None:
    """Sanity of the shared fixture: the default group is not protected."""
    assert never_violations(Policy(), plan_of(authorize(group=GROUP))) == []
