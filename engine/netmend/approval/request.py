"""An approval request: one plan waiting for a decision, whoever the approver is.

The terminal prompt, the policy and a chat button are three approvers of the same
request: each face builds an ``ApprovalRequest`` for a recorded run (who asks, who may
answer, through which route, until when) and turns an answer into a ``Decision`` with
``ApprovalRequest.decide``. The outcome is approved / rejected by a person, expired when
nobody answered in time, or unauthorised when someone who may not approve clicked; the
policy and the never-rules add refused. A face never decides by itself what counts as
an approval.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from netmend.approval.decision import Decision, DecisionOutcome
from netmend.run.plan import Plan

__all__ = ["ApprovalRequest", "ApprovalRoute", "request_for"]


def _now() -> datetime:
    return datetime.now(UTC)


class ApprovalRoute(StrEnum):
    """Where the request is answered (the face that asks)."""

    TERMINAL = "terminal"  # the y/N prompt of `netmend fix --apply`
    YES = "yes"  # `--yes`: the invoking user approved in advance
    POLICY = "policy"  # the config file's policy, unattended
    CHAT = "chat"  # approve / reject buttons in a chat channel
    WORKER = "worker"  # the event worker, under the policy alone


class ApprovalRequest(BaseModel):
    """A recorded run's plan, waiting for one decision.

    ``approvers`` lists who may answer (user or group ids; empty: anyone the route
    reaches, e.g. the person at the terminal). Under ``four_eyes`` the requester may not
    approve their own fix. ``expires_at`` None: the request never expires.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    change_id: str | None = None
    requester: str
    approvers: tuple[str, ...] = ()
    route: ApprovalRoute
    four_eyes: bool = False
    created_at: datetime = Field(default_factory=_now)
    expires_at: datetime | None = None
    summary: str = ""
    # Why a person must approve (the policy's kinds, a playbook's `approval: required`).
    needs_person: tuple[str, ...] = ()

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or _now()) >= self.expires_at

    def may_decide(self, who: str, member_of: tuple[str, ...] = ()) -> str | None:
        """Why ``who`` may not answer this request, or None when they may.

        ``member_of`` are the groups ``who`` belongs to (chat user groups), matched
        against ``approvers`` like a user id.
        """
        if self.approvers and not ({who, *member_of} & set(self.approvers)):
            return f"{who} is not a listed approver"
        if self.four_eyes and who == self.requester:
            return f"{who} requested this fix and may not approve it (four eyes)"
        return None

    def decide(
        self,
        who: str,
        *,
        approve: bool,
        reason: str = "",
        member_of: tuple[str, ...] = (),
        now: datetime | None = None,
    ) -> Decision:
        """``who``'s answer as a Decision: expired and unauthorised come first."""
        at = now or _now()
        if self.expired(at):
            return Decision(
                outcome=DecisionOutcome.EXPIRED,
                approver=who,
                reason=f"the approval request for run {self.run_id} expired at "
                f"{self.expires_at.isoformat() if self.expires_at else '?'}",
                at=at,
            )
        refused = self.may_decide(who, member_of)
        if refused is not None:
            return Decision(
                outcome=DecisionOutcome.UNAUTHORISED, approver=who, reason=refused, at=at
            )
        if approve:
            return Decision(
                outcome=DecisionOutcome.APPROVED,
                approver=who,
                reason=reason or f"approved via {self.route.value}",
                at=at,
            )
        return Decision(
            outcome=DecisionOutcome.REJECTED,
            approver=who,
            reason=reason or f"rejected via {self.route.value}",
            at=at,
        )


def request_for(
    plan: Plan,
    *,
    requester: str,
    route: ApprovalRoute,
    approvers: tuple[str, ...] = (),
    four_eyes: bool = False,
    ttl: timedelta | None = None,
    summary: str = "",
    needs_person: tuple[str, ...] = (),
    now: datetime | None = None,
) -> ApprovalRequest:
    """The request to approve ``plan`` (its run id and change id), expiring after ``ttl``."""
    created = now or _now()
    return ApprovalRequest(
        run_id=plan.run_id,
        change_id=plan.change_id,
        requester=requester,
        approvers=approvers,
        route=route,
        four_eyes=four_eyes,
        created_at=created,
        expires_at=created + ttl if ttl is not None else None,
        summary=summary,
        needs_person=needs_person,
    )
