"""ApprovalRequest: one request, whoever answers; expired and unauthorised come first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netmend.approval import ApprovalRoute, DecisionOutcome, request_for

from .plans import authorize, plan_of

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_listed_approver_approves_and_rejects() -> None:
    """A listed user's yes is approved, their no rejected; both name them."""
    request = request_for(
        plan_of(authorize()),
        requester="U-ALICE",
        route=ApprovalRoute.CHAT,
        approvers=("U-BOB",),
        ttl=timedelta(minutes=15),
        now=T0,
    )
    yes = request.decide("U-BOB", approve=True, now=T0 + timedelta(minutes=1))
    no = request.decide("U-BOB", approve=False, now=T0 + timedelta(minutes=1))
    assert (yes.outcome, yes.approver) == (DecisionOutcome.APPROVED, "U-BOB")
    assert (no.outcome, no.approver) == (DecisionOutcome.REJECTED, "U-BOB")


def test_unlisted_users_and_the_requester_under_four_eyes_are_unauthorised() -> None:
    """An unlisted user may not approve; the requester may not approve their own fix;
    a member of a listed group may."""
    request = request_for(
        plan_of(authorize()),
        requester="U-BOB",
        route=ApprovalRoute.CHAT,
        approvers=("U-BOB", "S-NETOPS"),
        four_eyes=True,
        now=T0,
    )
    stranger = request.decide("U-EVE", approve=True, now=T0)
    own = request.decide("U-BOB", approve=True, now=T0)
    member = request.decide("U-CAROL", approve=True, member_of=("S-NETOPS",), now=T0)
    assert stranger.outcome is DecisionOutcome.UNAUTHORISED
    assert "not a listed approver" in stranger.reason
    assert own.outcome is DecisionOutcome.UNAUTHORISED
    assert "four eyes" in own.reason
    assert member.outcome is DecisionOutcome.APPROVED


def test_an_answer_after_the_ttl_is_expired_even_from_an_approver() -> None:
    """The request expires at created_at + ttl: a listed approver's late yes is expired."""
    request = request_for(
        plan_of(authorize()),
        requester="U-ALICE",
        route=ApprovalRoute.CHAT,
        approvers=("U-BOB",),
        ttl=timedelta(minutes=15),
        now=T0,
    )
    assert request.expires_at == T0 + timedelta(minutes=15)
    assert not request.expired(T0 + timedelta(minutes=14))
    late = request.decide("U-BOB", approve=True, now=T0 + timedelta(minutes=15))
    assert late.outcome is DecisionOutcome.EXPIRED
    assert not late.approved


def test_a_request_without_approvers_or_ttl_is_answered_by_whoever_the_route_reaches() -> None:
    """The terminal's request: no list, no expiry; the person at it decides."""
    request = request_for(plan_of(authorize()), requester="bob", route=ApprovalRoute.TERMINAL)
    assert request.expires_at is None
    assert not request.expired(T0 + timedelta(days=365))
    assert request.decide("bob", approve=True).approved
