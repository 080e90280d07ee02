"""Approval decisions in the audit trail: who, what, when, which ticket."""

from __future__ import annotations

from pathlib import Path

from netmend.approval import Decision, DecisionOutcome, record_decision
from netmend.audit import AuditLog

from .plans import authorize, plan_of


def test_decision_is_appended_with_who_what_when(tmp_path: Path) -> None:
    """The audit line names the run, ticket, approver, outcome, reason and each change."""
    audit = AuditLog(tmp_path / "audit.jsonl")
    plan = plan_of(authorize())
    decision = Decision(outcome=DecisionOutcome.REJECTED, approver="erin", reason="not today")
    record_decision(audit, plan, decision, requester="frank")
    (entry,) = audit.entries()
    assert entry["event"] == "approval"
    assert entry["run_id"] == plan.run_id
    assert entry["change_id"] == "CHG-42"
    assert entry["approver"] == "erin"
    assert entry["requester"] == "frank"
    assert entry["outcome"] == "rejected"
    assert entry["reason"] == "not today"
    assert entry["decided_at"] == decision.at.isoformat()
    assert entry["changes"][0]["api"] == "AuthorizeSecurityGroupIngress"
    assert entry["changes"][0]["resource"] == "sg-1"
    assert entry["changes"][0]["kinds"] == ["addition"]
