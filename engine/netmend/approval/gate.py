"""PolicyApprover: the policy decides what it can, and asks ``fallback`` for the rest.

Order: never-rules first (they refuse whatever anyone says, ``--yes`` included), then
auto-approval when every change is of an auto-approvable kind and no playbook of the plan
says ``approval: required``, else the fallback (the terminal prompt, ``--yes``, or
ChatOps) decides.
"""

from __future__ import annotations

from netmend.approval.decision import Approver, Decision, DecisionOutcome
from netmend.approval.policy import Policy, never_violations
from netmend.run.plan import Plan

__all__ = ["POLICY_APPROVER", "PolicyApprover"]

POLICY_APPROVER = "policy"


class PolicyApprover:
    def __init__(self, policy: Policy, fallback: Approver) -> None:
        self.policy = policy
        self.fallback = fallback

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        violations = never_violations(self.policy, plan)
        if violations:
            return Decision(
                outcome=DecisionOutcome.REFUSED,
                approver=POLICY_APPROVER,
                reason="never allowed by policy: " + "; ".join(violations),
            )
        needing = [c for c in plan.changes if self.policy.needs_person(c)]
        if plan.changes and not needing and not plan.approval_required:
            kinds = ", ".join(sorted(k.value for k in plan.kinds))
            return Decision(
                outcome=DecisionOutcome.APPROVED,
                approver=POLICY_APPROVER,
                reason=f"auto-approved by policy: only {kinds} changes",
            )
        decision = self.fallback.decide(plan, rendered_diff)
        if decision.approved:
            return decision
        if not needing:
            # Only the playbooks' `approval: required` asked for a person.
            why = "; ".join(plan.approval_required)
            return decision.model_copy(
                update={"reason": f"{decision.reason} (playbook approval required: {why})"}
            )
        needed = ", ".join(sorted({k.value for c in needing for k in c.kinds} or {"unclassified"}))
        return decision.model_copy(
            update={"reason": f"{decision.reason} (policy: {needed} needs a person)"}
        )
