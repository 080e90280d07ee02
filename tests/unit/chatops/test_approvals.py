"""Who may decide a chat approval request: listed approvers, groups, four eyes, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netmend.approval import DecisionOutcome
from netmend.chatops.approvals import judge_click
from netmend.chatops.requests import ApprovalRequest, ChatActor, RequestKind, RequestState
from netmend.chatops.settings import ChatopsSettings

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
REQUESTER = ChatActor(user_id="U0REQ", team_id="T1", channel_id="C1")


def _request(**changes: object) -> ApprovalRequest:
    base = ApprovalRequest(
        request_id="req-1",
        kind=RequestKind.FIX,
        run_id="r1",
        requester=REQUESTER,
        channel_id="C1",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
    )
    return base.model_copy(update=changes)


def _members(groups: dict[str, set[str]]):  # type: ignore[no-untyped-def]
    def members(group: str) -> frozenset[str]:
        if group not in groups:
            raise RuntimeError("no_such_subteam")
        return frozenset(groups[group])

    return members


SETTINGS = ChatopsSettings(approvers=("U0REQ", "U0BOSS", "S0OPS"))
GROUPS = _members({"S0OPS": {"U0OPS"}})


def _judge(
    user: str,
    *,
    approve: bool = True,
    request: ApprovalRequest | None = None,
    settings: ChatopsSettings = SETTINGS,
    now: datetime = NOW,
    members=GROUPS,
):  # type: ignore[no-untyped-def]
    return judge_click(
        request or _request(),
        ChatActor(user_id=user),
        approve=approve,
        settings=settings,
        members=members,
        now=now,
    )


def test_listed_user_and_group_member_may_approve() -> None:
    assert _judge("U0BOSS") is None
    assert _judge("U0OPS") is None


def test_unlisted_user_may_neither_approve_nor_reject() -> None:
    for approve in (True, False):
        verdict = _judge("U0NOBODY", approve=approve)
        assert verdict is not None
        assert verdict.outcome is DecisionOutcome.UNAUTHORISED
        assert not verdict.final


def test_four_eyes_stops_the_requester_approving_but_not_withdrawing() -> None:
    verdict = _judge("U0REQ")
    assert verdict is not None
    assert "four eyes" in verdict.reason
    assert _judge("U0REQ", approve=False) is None
    assert _judge("U0REQ", settings=SETTINGS.model_copy(update={"four_eyes": False})) is None


def test_an_expired_request_expires_for_everyone() -> None:
    late = NOW + timedelta(minutes=15)
    verdict = _judge("U0BOSS", now=late)
    assert verdict is not None
    assert verdict.outcome is DecisionOutcome.EXPIRED
    assert verdict.final
    assert _judge("U0BOSS", now=late - timedelta(seconds=1)) is None


@pytest.mark.parametrize("state", [s for s in RequestState if s is not RequestState.PENDING])
def test_a_decided_request_is_refused(state: RequestState) -> None:
    decided = _request(state=state, decided_by=ChatActor(user_id="U0BOSS"), decided_at=NOW)
    verdict = _judge("U0OPS", request=decided)
    assert verdict is not None
    assert verdict.outcome is DecisionOutcome.REFUSED
    assert f"already {state.value} by <@U0BOSS>" in verdict.reason


def test_a_group_that_cannot_be_resolved_counts_as_no_one() -> None:
    broken = _members({})
    verdict = _judge("U0OPS", members=broken)
    assert verdict is not None
    assert verdict.outcome is DecisionOutcome.UNAUTHORISED
    assert "S0OPS could not be resolved (no_such_subteam)" in verdict.reason
    assert _judge("U0BOSS", members=broken) is None  # listed by id: no lookup needed


def test_no_approvers_configured_refuses_all() -> None:
    verdict = _judge("U0BOSS", settings=ChatopsSettings())
    assert verdict is not None
    assert "no approvers are configured" in verdict.reason
