"""The unattended approver: never-rules refuse, people's kinds, windows and the hourly
budget hold (pending), only what is left is approved."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from netmend.approval.decision import DecisionOutcome
from netmend.approval.policy import Policy
from netmend.run.plan import ChangeKind, Plan
from netmend.store.backend import LocalBackend
from netmend.store.budget import RecordBudget
from netmend.watch.approver import UnattendedApprover
from tests.unit.approval.plans import authorize

TUESDAY_NOON = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
SATURDAY = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
POLICY = Policy(
    auto_approve=(ChangeKind.ADDITION,),
    change_windows=("Mon-Fri 08:00-18:00 Europe/Berlin",),
    max_changes_per_hour=3,
)


def _plan(*changes: object) -> Plan:
    return Plan(changes=changes)  # type: ignore[arg-type]


def test_an_addition_inside_the_window_is_approved() -> None:
    decision = UnattendedApprover(POLICY, clock=lambda: TUESDAY_NOON).decide(_plan(authorize()), "")
    assert decision.outcome is DecisionOutcome.APPROVED
    assert decision.approver == "policy (unattended)"


def test_outside_the_window_it_is_held() -> None:
    decision = UnattendedApprover(POLICY, clock=lambda: SATURDAY).decide(_plan(authorize()), "")
    assert decision.outcome is DecisionOutcome.PENDING
    assert "outside the change windows" in decision.reason


def test_a_kind_for_a_person_is_held_and_a_never_rule_refuses() -> None:
    approver = UnattendedApprover(POLICY, clock=lambda: TUESDAY_NOON)
    held = approver.decide(_plan(authorize(kinds=(ChangeKind.DENY_OVERRIDE,))), "")
    assert held.outcome is DecisionOutcome.PENDING
    assert "deny-override" in held.reason
    refused = approver.decide(_plan(authorize("0.0.0.0/0", 22)), "")
    assert refused.outcome is DecisionOutcome.REFUSED
    assert "sensitive port" in refused.reason


def test_the_hourly_budget_is_shared_through_the_store(tmp_path: Path) -> None:
    """Two approvers (two workers) on one state: 2 + 1 changes fit the hour's 3, the
    next one is held; the next hour has room again."""
    first = UnattendedApprover(
        POLICY, RecordBudget(LocalBackend(tmp_path)), clock=lambda: TUESDAY_NOON
    )
    second = UnattendedApprover(
        POLICY, RecordBudget(LocalBackend(tmp_path)), clock=lambda: TUESDAY_NOON
    )
    assert first.decide(_plan(authorize(), authorize(port=8443)), "").approved
    assert second.decide(_plan(authorize(port=9443)), "").approved
    over = first.decide(_plan(authorize(port=7443)), "")
    assert over.outcome is DecisionOutcome.PENDING
    assert "max_changes_per_hour 3 (already 3 this hour)" in over.reason
    later = UnattendedApprover(
        POLICY,
        RecordBudget(LocalBackend(tmp_path)),
        clock=lambda: TUESDAY_NOON.replace(hour=12),
    )
    assert later.decide(_plan(authorize(port=7443)), "").approved
