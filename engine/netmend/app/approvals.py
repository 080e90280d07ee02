"""Approvals as the faces use them: hold a recorded plan for a person, take their answer.

A face that cannot ask at once (a chat channel, the event worker) records a dry run,
holds it with ``hold_for_approval`` (status ``needs_approval``, the ApprovalRequest
stored with the run), and later passes each answer to ``answer_approval``. The answer is
judged by the stored request (expired, unauthorised, four eyes), recorded in the audit
trail with the face's context, and, unless unauthorised, handed to the runner: approved
plans are applied under the policy (never-rules still refuse), anything else ends the
run as ``refused``. An unauthorised click leaves the request pending for a listed
approver; an answer to a request already decided is refused and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from netmend.approval.decided import DecisionApprover
from netmend.approval.decision import Decision, DecisionOutcome
from netmend.approval.gate import PolicyApprover
from netmend.approval.policy import Policy
from netmend.approval.request import ApprovalRequest, ApprovalRoute, request_for
from netmend.approval.trail import record_decision
from netmend.errors import BadInputError
from netmend.run.result import RunResult
from netmend.run.runner import Runner
from netmend.store.records import RunStatus
from netmend.store.runs import RunStore
from netmend.verify.run import IntentCheck

__all__ = [
    "AnswerResult",
    "ApprovalAnswer",
    "HoldRequest",
    "answer_approval",
    "hold_for_approval",
    "load_request",
]


class HoldRequest(BaseModel):
    """Hold the recorded plan of ``run_id`` until one of ``approvers`` answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    requester: str
    route: ApprovalRoute
    approvers: tuple[str, ...] = ()
    four_eyes: bool = False
    ttl_seconds: float | None = Field(default=None, gt=0)
    summary: str = ""


class ApprovalAnswer(BaseModel):
    """One person's answer to a held run (``member_of``: their chat user groups)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    who: str
    approve: bool
    member_of: tuple[str, ...] = ()
    reason: str = ""
    # Where the answer came from, for the audit trail (team, channel...). No secrets.
    context: dict[str, str] = Field(default_factory=dict)


class AnswerResult(BaseModel):
    """The decision taken on an answer and, when the run went on, how it ended."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Decision
    request: ApprovalRequest
    result: RunResult | None = None  # None: the run was not touched (unauthorised, stale)

    @property
    def applied(self) -> bool:
        return self.result is not None and self.result.status is RunStatus.APPLIED


def load_request(store: RunStore, run_id: str) -> ApprovalRequest | None:
    """The approval request a run waits (or waited) on, None if it never had one."""
    data = store.read_approval_request(run_id)
    return ApprovalRequest.model_validate(data) if data is not None else None


def hold_for_approval(
    runner: Runner, hold: HoldRequest, *, now: datetime | None = None
) -> ApprovalRequest:
    """Store the request for ``hold.run_id`` and mark the run ``needs_approval``."""
    plan = runner.store.read_plan(hold.run_id)
    request = request_for(
        plan,
        requester=hold.requester,
        route=hold.route,
        approvers=hold.approvers,
        four_eyes=hold.four_eyes,
        ttl=timedelta(seconds=hold.ttl_seconds) if hold.ttl_seconds is not None else None,
        summary=hold.summary,
        needs_person=plan.approval_required,
        now=now,
    )
    runner.hold_for_approval(request)
    return request


def answer_approval(
    runner: Runner,
    policy: Policy,
    answer: ApprovalAnswer,
    *,
    verify_method: str = "auto",
    intents: Sequence[IntentCheck] | None = None,
    now: datetime | None = None,
) -> AnswerResult:
    """Judge ``answer`` by the stored request, record it, and go on with the run."""
    store = runner.store
    request = load_request(store, answer.run_id)
    if request is None:
        raise BadInputError(f"run {answer.run_id} is not waiting for an approval")
    record = store.load_run(answer.run_id)
    context = {"route": request.route.value, **answer.context}
    if record.status is not RunStatus.NEEDS_APPROVAL:
        decision = Decision(
            outcome=DecisionOutcome.REFUSED,
            approver=answer.who,
            reason=f"run {answer.run_id} is {record.status.value}: its approval request "
            "was already decided",
        )
        record_decision(
            runner.audit, record.plan, decision, requester=request.requester, context=context
        )
        return AnswerResult(decision=decision, request=request)
    decision = request.decide(
        answer.who,
        approve=answer.approve,
        reason=answer.reason,
        member_of=answer.member_of,
        now=now,
    )
    if decision.outcome is DecisionOutcome.UNAUTHORISED:
        # Someone who may not approve clicked: say so, keep waiting for someone who may.
        record_decision(
            runner.audit, record.plan, decision, requester=request.requester, context=context
        )
        return AnswerResult(decision=decision, request=request)
    person = DecisionApprover(decision)
    # An approval still passes the policy (never-rules refuse whoever approved); a
    # rejection or an expiry ends the run whatever the policy would have allowed.
    approver = PolicyApprover(policy, person) if decision.approved else person
    result = runner.apply_saved(
        answer.run_id,
        approver=approver,
        verify_method=verify_method,
        intents=intents,
        audit_context=context,
    )
    final = result.approval or decision
    return AnswerResult(decision=final, request=request, result=result)
