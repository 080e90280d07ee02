"""Write an approval decision to the audit trail: who, what, when, under which ticket."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netmend.approval.decision import Decision
from netmend.audit import AuditLog
from netmend.run.plan import Plan

__all__ = ["record_decision"]


def record_decision(
    audit: AuditLog,
    plan: Plan,
    decision: Decision,
    *,
    requester: str | None,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one ``approval`` event and return it as written.

    ``context`` adds where the answer came from (a chat face's team and channel, say);
    it never holds secrets.
    """
    return audit.record(
        "approval",
        run_id=plan.run_id,
        change_id=plan.change_id,
        playbooks=list(plan.playbooks),
        requester=requester,
        outcome=decision.outcome.value,
        approver=decision.approver,
        reason=decision.reason,
        decided_at=decision.at.isoformat(),
        changes=[
            {
                "api": c.api,
                "resource": c.resource,
                "kinds": [k.value for k in c.kinds],
                "summary": c.summary,
            }
            for c in plan.changes
        ],
        **dict(context or {}),
    )
