"""Who may decide a pending request from chat, and the approver the runner is given.

The rules, in the order they are checked (the first that bites decides):
1. a request already approved, rejected, expired or refused stays so: the click is
   refused (a replayed or late click can never apply twice);
2. a request past its ``approval_ttl`` expires, whoever clicks;
3. approving takes a listed approver: a listed user id, or a member of a listed user
   group (resolved when the click comes, so a membership change counts at once; a group
   that cannot be resolved counts as no one: fail closed);
4. under ``four_eyes`` the requester may not approve their own request (they may still
   reject it, which withdraws it);
5. rejecting takes a listed approver or the requester.
The policy's never-rules are checked after these, by the chat service, on the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from netmend.approval import Decision, DecisionOutcome
from netmend.chatops.requests import ApprovalRequest, ChatActor, RequestState
from netmend.chatops.settings import ChatopsSettings
from netmend.run.plan import Plan

__all__ = ["ChatDecisionApprover", "GroupMembers", "Verdict", "judge_click"]

# Members of a user group by its id; raises (any Exception) when it cannot be resolved.
GroupMembers = Callable[[str], frozenset[str]]


@dataclass(frozen=True)
class Verdict:
    """A refusal: what to record and say. ``final`` marks the request decided for good."""

    outcome: DecisionOutcome
    reason: str
    final: bool = False


def _stamp(request: ApprovalRequest) -> str:
    who = f" by <@{request.decided_by.user_id}>" if request.decided_by else ""
    when = f" at {request.decided_at:%Y-%m-%d %H:%M:%S} UTC" if request.decided_at else ""
    return f"{request.state.value}{who}{when}"


def _is_approver(user_id: str, settings: ChatopsSettings, members: GroupMembers) -> str | None:
    """None if ``user_id`` is a listed approver, else why not."""
    if user_id in settings.user_ids:
        return None
    problems: list[str] = []
    for group in settings.group_ids:
        try:
            if user_id in members(group):
                return None
        except Exception as error:  # a failed lookup proves nothing: fail closed
            problems.append(f"user group {group} could not be resolved ({error})")
    if not settings.approvers:
        return "no approvers are configured (chatops.approvers)"
    return "not a listed approver" + (f"; {'; '.join(problems)}" if problems else "")


def judge_click(
    request: ApprovalRequest,
    actor: ChatActor,
    *,
    approve: bool,
    settings: ChatopsSettings,
    members: GroupMembers,
    now: datetime,
) -> Verdict | None:
    """None when ``actor`` may make this decision now, else the refusal."""
    if request.state is not RequestState.PENDING:
        return Verdict(DecisionOutcome.REFUSED, f"this request was already {_stamp(request)}")
    if request.expired(now):
        return Verdict(
            DecisionOutcome.EXPIRED,
            f"this request expired at {request.expires_at:%Y-%m-%d %H:%M:%S} UTC "
            f"(approval_ttl {settings.approval_ttl}); ask again",
            final=True,
        )
    is_requester = actor.user_id == request.requester.user_id
    not_listed = _is_approver(actor.user_id, settings, members)
    if approve:
        if not_listed is not None:
            return Verdict(DecisionOutcome.UNAUTHORISED, f"<@{actor.user_id}> is {not_listed}")
        if settings.four_eyes and is_requester:
            return Verdict(
                DecisionOutcome.UNAUTHORISED,
                "four eyes: the requester may not approve their own request",
            )
        return None
    if not_listed is not None and not is_requester:
        return Verdict(
            DecisionOutcome.UNAUTHORISED,
            f"<@{actor.user_id}> is {not_listed} (only approvers or the requester may reject)",
        )
    return None


class ChatDecisionApprover:
    """Hands the runner a decision already made in chat (the runner records it)."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        return self.decision
