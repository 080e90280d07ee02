"""Judging a click: the core's ApprovalRequest decides, chat adds what only it knows.

``netmend.approval.ApprovalRequest.decide`` holds the rules (expired first, then a listed
approver, then four eyes: the requester may neither approve nor reject their own
request). Before it, chat checks:
1. a request already approved, rejected, expired or refused in this channel stays so:
   the click is refused (a replayed or late click can never apply twice);
2. chat never means "anyone": with no ``chatops.approvers`` configured every click is
   unauthorised;
3. which of the listed user groups the clicker is in, asked of the chat platform when the
   click comes (a membership change counts at once); a group that cannot be resolved
   counts as not a member: fail closed.
The policy's never-rules are checked by the core when the run is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from netmend.approval import Decision, DecisionOutcome
from netmend.approval.chat import ChatopsSettings
from netmend.chatops.requests import ChatActor, ChatRequest, RequestState

__all__ = ["FINAL_OUTCOMES", "GroupMembers", "Verdict", "judge_click", "member_groups"]

# Members of a user group by its id; raises (any Exception) when it cannot be resolved.
GroupMembers = Callable[[str], frozenset[str]]

# Outcomes that decide a request for good (the others leave it pending or were refused).
FINAL_OUTCOMES = frozenset(
    {DecisionOutcome.APPROVED, DecisionOutcome.REJECTED, DecisionOutcome.EXPIRED}
)


@dataclass(frozen=True)
class Verdict:
    """What a click amounts to; ``decision`` is the core's, None when chat refused first."""

    outcome: DecisionOutcome
    reason: str
    decision: Decision | None = None
    member_of: tuple[str, ...] = ()

    @property
    def final(self) -> bool:
        return self.outcome in FINAL_OUTCOMES


def _stamp(request: ChatRequest) -> str:
    who = f" by <@{request.decided_by.user_id}>" if request.decided_by else ""
    when = f" at {request.decided_at:%Y-%m-%d %H:%M:%S} UTC" if request.decided_at else ""
    return f"{request.state.value}{who}{when}"


def member_groups(
    user_id: str, settings: ChatopsSettings, members: GroupMembers
) -> tuple[tuple[str, ...], list[str]]:
    """The listed groups ``user_id`` is in, and the groups that could not be resolved."""
    found: list[str] = []
    problems: list[str] = []
    for group in settings.group_ids:
        try:
            if user_id in members(group):
                found.append(group)
        except Exception as error:  # a failed lookup proves nothing: fail closed
            problems.append(f"user group {group} could not be resolved ({error})")
    return tuple(found), problems


def judge_click(
    request: ChatRequest,
    actor: ChatActor,
    *,
    approve: bool,
    settings: ChatopsSettings,
    members: GroupMembers,
    now: datetime,
) -> Verdict:
    """What ``actor``'s click on ``request`` amounts to now."""
    if request.state is not RequestState.PENDING:
        return Verdict(DecisionOutcome.REFUSED, f"this request was already {_stamp(request)}")
    if not settings.approvers:
        return Verdict(
            DecisionOutcome.UNAUTHORISED, "no approvers are configured (chatops.approvers)"
        )
    member_of, problems = member_groups(actor.user_id, settings, members)
    decision = request.approval.decide(
        actor.user_id,
        approve=approve,
        member_of=member_of,
        now=now,
        reason=f"{'approved' if approve else 'rejected'} in chat by {actor.label}",
    )
    reason = decision.reason
    if decision.outcome is DecisionOutcome.UNAUTHORISED and problems:
        reason = f"{reason}; {'; '.join(problems)}"
    return Verdict(decision.outcome, reason, decision, member_of)
