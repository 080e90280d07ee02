"""What an approver reads: risky changes marked, full ids, Block Kit buttons and stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netmend.approval import ApprovalRequest, ApprovalRoute, Policy
from netmend.chatops.content import DIFF_LIMIT, approval_message, plan_parts, stamp_part
from netmend.chatops.messages import Context, Preformatted, Section
from netmend.chatops.requests import ChatActor, ChatRequest, RequestKind, RequestState
from netmend.chatops.slack.blocks import message_blocks, stamped_blocks
from tests.unit.approval.plans import authorize, plan_of, revoke

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
REQUEST = ChatRequest(
    request_id="req-00ff",
    kind=RequestKind.FIX,
    approval=ApprovalRequest(
        run_id="20260101T000000Z-test",
        requester="U0REQ",
        route=ApprovalRoute.CHAT,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
    ),
    requester=ChatActor(user_id="U0REQ"),
    channel_id="C1",
)


def test_revocations_are_marked_additions_are_not() -> None:
    parts = plan_parts(plan_of(authorize(), revoke()), Policy())
    lines = next(p for p in parts if isinstance(p, Section) and p.text.startswith("1."))
    first, second = lines.text.splitlines()[:2]
    assert ":warning:" not in first
    assert "`AuthorizeSecurityGroupIngress` on `sg-1` [addition]" in first
    assert second.startswith("2. :warning: `RevokeSecurityGroupIngress` on `sg-1` [revocation]")
    assert "(1 addition, 1 revocation)" in str(parts[0])
    assert any(isinstance(p, Preformatted) and "sg-1" in p.text for p in parts)


def test_a_long_diff_is_cut_but_keeps_its_notes() -> None:
    many = [authorize(f"10.{i}.0.0/16", 443) for i in range(60)]
    plan = plan_of(*many).model_copy(update={"notes": ("would still be blocked at rtb-1",)})
    parts = plan_parts(plan, Policy(max_changes=None))
    diff = next(p for p in parts if isinstance(p, Preformatted))
    assert len(diff.text) < DIFF_LIMIT + 200
    assert "netmend runs show" in diff.text
    assert Context("would still be blocked at rtb-1") in parts


def test_buttons_name_the_request_and_the_stamp_replaces_them() -> None:
    blocks = message_blocks(approval_message(REQUEST, [Section("plan")], head="*Fix*"))
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions[0]["elements"]] == [
        ("netmend.approve", "req-00ff"),
        ("netmend.reject", "req-00ff"),
    ]
    decided = REQUEST.model_copy(
        update={
            "state": RequestState.APPROVED,
            "decided_by": ChatActor(user_id="U0BOSS"),
            "decided_at": NOW,
        }
    )
    stamped = stamped_blocks(blocks, stamp_part(decided))
    assert all(b["type"] != "actions" for b in stamped)
    assert stamped[:-1] == [b for b in blocks if b["type"] != "actions"]
    assert "*Approved* by <@U0BOSS> at 2026-01-01 12:00:00 UTC" in stamped[-1]["text"]["text"]
