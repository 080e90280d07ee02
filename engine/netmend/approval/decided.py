"""An approver whose answer is already known: a chat click, or a stored decision.

A face that collected a person's answer outside the run (a Slack button, a web form)
hands the Decision to the run through this approver, so the runner records and acts on
it exactly as on a terminal answer; wrap it in a PolicyApprover so the never-rules still
refuse whoever approved.
"""

from __future__ import annotations

from netmend.approval.decision import Decision
from netmend.run.plan import Plan

__all__ = ["DecisionApprover"]


class DecisionApprover:
    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        return self.decision
