"""Who may decide a chat approval request: listed approvers, groups, four eyes, expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from netmend.approval import ApprovalRequest, ApprovalRoute, DecisionOutcome
from netmend.approval.chat import ChatopsSettings
from netmend.chatops.approvals import Verdict, judge_click
from netmend.chatops.requests import ChatActor, ChatRequest, RequestKind, RequestState

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
REQUESTER = ChatActor(user_id="U0REQ", team_id="T1", channel_id="C1")
SETTINGS = ChatopsSettings(approvers=("U0REQ", "U0BOSS", "S0OPS"))


def _request(**changes: object) -> ChatRequest:
    base = ChatRequest(
        request_id="req-1",
        kind=RequestKind.FIX,
        approval=ApprovalRequest(
            run_id="r1",
            requester="U0REQ",
            approvers=SETTINGS.approvers,
            route=ApprovalRoute.CHAT,
            four_eyes=True,
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=15),
        ),
        requester=REQUESTER,
        channel_id="C1",
    )
    return base.model_copy(update=changes)


def _members(groups: dict[str, set[str]]):  # type: ignore[no-untyped-def]
    def members(group: str) -> frozenset[str]:
        if group not in groups:
            raise RuntimeError("no_such_subteam")
        return frozenset(groups[group])

    return members


GROUPS = _members({"S0OPS": {"U0OPS"}})


def _judge(
    user: str,
    *,
    approve: bool = True,
    request: ChatRequest | None = None,
    settings: ChatopsSettings = SETTINGS,
    now: datetime = NOW,
    members: Callable[[str], frozenset[str]] = GROUPS,
) -> Verdict:
    return judge_click(
        request or _request(),
        ChatActor(user_id=user),
        approve=approve,
        settings=settings,
        members=members,
        now=now,
    )


def test_listed_user_and_group_member_may_approve() -> None:
    assert _judge("U0BOSS").outcome is DecisionOutcome.APPROVED
    member = _judge("U0OPS")
    assert member.outcome is DecisionOutcome.APPROVED
    assert member.member_of == ("S0OPS",)
    assert member.decision is not None
    assert member.decision.approver == "U0OPS"


def test_unlisted_user_may_neither_approve_nor_reject() -> None:
    for approve in (True, False):
        verdict = _judge("U0NOBODY", approve=approve)
        assert verdict.outcome is DecisionOutcome.UNAUTHORISED
        assert not verdict.final


def test_four_eyes_stops_the_requester_deciding_their_own_request() -> None:
    verdict = _judge("U0REQ")
    assert verdict.outcome is DecisionOutcome.UNAUTHORISED
    assert "four eyes" in verdict.reason
    assert _judge("U0REQ", approve=False).outcome is DecisionOutcome.UNAUTHORISED
    relaxed = _request(approval=_request().approval.model_copy(update={"four_eyes": False}))
    assert _judge("U0REQ", request=relaxed).outcome is DecisionOutcome.APPROVED


def test_an_expired_request_expires_for_everyone() -> None:
    late = NOW + timedelta(minutes=15)
    verdict = _judge("U0BOSS", now=late)
    assert verdict.outcome is DecisionOutcome.EXPIRED
    assert verdict.final
    assert _judge("U0NOBODY", now=late).outcome is DecisionOutcome.EXPIRED
    just_in_time = _judge("U0BOSS", now=late - timedelta(seconds=1))
    assert just_in_time.outcome is DecisionOutcome.APPROVED


@pytest.mark.parametrize("state", [s for s in RequestState if s is not RequestState.PENDING])
def test_a_decided_request_is_refused(state: RequestState) -> None:
    decided = _request(state=state, decided_by=ChatActor(user_id="U0BOSS"), decided_at=NOW)
    verdict = _judge("U0OPS", request=decided)
    assert verdict.outcome is DecisionOutcome.REFUSED
    assert verdict.decision is None
    assert f"already {state.value} by <@U0BOSS>" in verdict.reason


def test_a_group_that_cannot_be_resolved_counts_as_no_one() -> None:
    broken = _members({})
    verdict = _judge("U0OPS", members=broken)
    assert verdict.outcome is DecisionOutcome.UNAUTHORISED
    assert "S0OPS could not be resolved (no_such_subteam)" in verdict.reason
    by_id = _judge("U0BOSS", members=broken)  # listed by id: no lookup needed
    assert by_id.outcome is DecisionOutcome.APPROVED


def test_no_approvers_configured_refuses_all() -> None:
    verdict = _judge("U0BOSS", settings=ChatopsSettings())
    assert verdict.outcome is DecisionOutcome.UNAUTHORISED
    assert "no approvers are configured" in verdict.reason
