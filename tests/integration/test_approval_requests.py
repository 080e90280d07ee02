"""A plan held for approval on a real moto server: the chat flow through the core.

The plan is recorded as a dry run, held (needs_approval), then answered: an unlisted user
and the requester (four eyes) are unauthorised and nothing is written; a listed approver
applies and verifies it; a second click is refused as already decided. Another held run
expires, and a rejected one ends refused. Every answer is in the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from runner_estate import WriteCounter, build_estate, three_change_plan

from netmend.app.approvals import (
    ApprovalAnswer,
    HoldRequest,
    answer_approval,
    hold_for_approval,
    load_request,
)
from netmend.approval import (
    ApprovalRoute,
    DecisionOutcome,
    Policy,
    TerminalApprover,
    YesApprover,
)
from netmend.audit import AuditLog
from netmend.errors import BadInputError
from netmend.run.runner import Runner
from netmend.store import RunStatus, RunStore

pytestmark = pytest.mark.integration


def _runner(clients: Any, tmp_path: Path) -> Runner:
    state = tmp_path / "state"
    # The terminal approver is never reached here: answers come from the held request.
    return Runner(
        clients,
        RunStore(state),
        TerminalApprover(user="alice"),
        AuditLog(state / "audit.jsonl"),
        requester="U-ALICE",
    )


def _hold(runner: Runner, plan: Any, ttl: float | None = 900) -> None:
    assert runner.execute(plan, apply=False).status is RunStatus.PLANNED
    hold_for_approval(
        runner,
        HoldRequest(
            run_id=plan.run_id,
            requester="U-ALICE",
            route=ApprovalRoute.CHAT,
            approvers=("U-ALICE", "U-BOB"),
            four_eyes=True,
            ttl_seconds=ttl,
        ),
    )


def _audit(runner: Runner) -> list[dict[str, Any]]:
    return runner.audit.entries()


def test_a_held_plan_is_applied_only_by_a_listed_approver(aws: Any, tmp_path: Path) -> None:
    """Unlisted and own clicks write nothing; the approver's click applies and verifies."""
    clients = aws.clients()
    runner = _runner(clients, tmp_path)
    plan = three_change_plan(clients, build_estate(aws.ec2))
    writes = WriteCounter(clients.ec2)
    _hold(runner, plan)
    assert runner.store.load_run(plan.run_id).status is RunStatus.NEEDS_APPROVAL
    request = load_request(runner.store, plan.run_id)
    assert request is not None
    assert request.approvers == ("U-ALICE", "U-BOB")

    policy = Policy()
    context = {"team": "T1", "channel": "C1"}
    for who in ("U-EVE", "U-ALICE"):
        answer = ApprovalAnswer(run_id=plan.run_id, who=who, approve=True, context=context)
        refused = answer_approval(runner, policy, answer, verify_method="local")
        assert refused.decision.outcome is DecisionOutcome.UNAUTHORISED
        assert refused.result is None
    assert writes.calls == []
    assert runner.store.load_run(plan.run_id).status is RunStatus.NEEDS_APPROVAL

    answer = ApprovalAnswer(run_id=plan.run_id, who="U-BOB", approve=True, context=context)
    done = answer_approval(runner, policy, answer, verify_method="local")
    assert done.applied, done.result
    assert done.decision.approver == "U-BOB"
    assert len(writes.calls) == 3
    assert runner.store.load_run(plan.run_id).status is RunStatus.APPLIED

    again = answer_approval(runner, policy, answer, verify_method="local")
    assert again.decision.outcome is DecisionOutcome.REFUSED
    assert "already decided" in again.decision.reason
    assert len(writes.calls) == 3

    approvals = [e for e in _audit(runner) if e["event"] == "approval"]
    assert [(e["approver"], e["outcome"]) for e in approvals] == [
        ("U-EVE", "unauthorised"),
        ("U-ALICE", "unauthorised"),
        ("U-BOB", "approved"),
        ("U-BOB", "refused"),
    ]
    assert all(e["channel"] == "C1" and e["route"] == "chat" for e in approvals)


def test_expired_and_rejected_requests_end_the_run_refused(aws: Any, tmp_path: Path) -> None:
    """A late yes is expired and a no is rejected: both runs end refused, nothing written."""
    clients = aws.clients()
    runner = _runner(clients, tmp_path)
    estate = build_estate(aws.ec2)
    writes = WriteCounter(clients.ec2)
    late_plan = three_change_plan(clients, estate)
    _hold(runner, late_plan, ttl=60)
    later = datetime.now(UTC) + timedelta(minutes=2)
    late = answer_approval(
        runner,
        Policy(),
        ApprovalAnswer(run_id=late_plan.run_id, who="U-BOB", approve=True),
        now=later,
    )
    assert late.decision.outcome is DecisionOutcome.EXPIRED
    assert late.result is not None
    assert late.result.status is RunStatus.REFUSED

    no_plan = three_change_plan(clients, estate)
    _hold(runner, no_plan)
    no = answer_approval(
        runner, Policy(), ApprovalAnswer(run_id=no_plan.run_id, who="U-BOB", approve=False)
    )
    assert no.decision.outcome is DecisionOutcome.REJECTED
    assert no.result is not None
    assert no.result.status is RunStatus.REFUSED
    assert writes.calls == []


def test_only_a_planned_run_can_be_held_or_answered(aws: Any, tmp_path: Path) -> None:
    """A run never held has no request to answer; an applied run cannot be held."""
    clients = aws.clients()
    runner = _runner(clients, tmp_path)
    plan = three_change_plan(clients, build_estate(aws.ec2))
    runner.execute(plan, apply=False)
    with pytest.raises(BadInputError, match="not waiting for an approval"):
        answer_approval(
            runner, Policy(), ApprovalAnswer(run_id=plan.run_id, who="U-BOB", approve=True)
        )
    assert runner.apply_saved(plan.run_id, approver=_yes()).status is RunStatus.APPLIED
    with pytest.raises(BadInputError, match="only a planned run"):
        runner.apply_saved(plan.run_id, approver=_yes())


def _yes() -> YesApprover:
    return YesApprover("alice")
