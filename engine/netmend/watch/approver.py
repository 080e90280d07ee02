"""The unattended approver: what the policy lets through with nobody at a terminal.

In order: the never-rules refuse (``refused``, whoever would approve); a change of a
kind the policy does not auto-approve is held for a person; so is every run outside
the ``change_windows`` and every run that would take the hour over
``max_changes_per_hour`` (counted across all workers by the ``ChangeBudget``). Held
means ``DecisionOutcome.PENDING``: the runner records the run as ``needs_approval``
with its plan, and a person applies it later (``fix --apply --plan RUN_ID``, or a
ChatOps click). Nothing is ever applied silently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from netmend.approval.decision import Decision, DecisionOutcome
from netmend.approval.gate import POLICY_APPROVER, PolicyApprover
from netmend.approval.policy import Policy
from netmend.approval.windows import in_any_window
from netmend.run.plan import Plan
from netmend.store.budget import ChangeBudget

__all__ = ["HOLD_APPROVER", "HoldForPerson", "UnattendedApprover"]

HOLD_APPROVER = "unattended"


class HoldForPerson:
    """The fallback when nobody is there: hold the plan for a person."""

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        return Decision(
            outcome=DecisionOutcome.PENDING,
            approver=HOLD_APPROVER,
            reason="held for a person: nobody can approve it unattended",
        )


class UnattendedApprover:
    def __init__(
        self,
        policy: Policy,
        budget: ChangeBudget | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy = policy
        self.budget = budget
        self.clock = clock
        self._policy = PolicyApprover(policy, HoldForPerson())

    def _hold(self, reason: str) -> Decision:
        return Decision(outcome=DecisionOutcome.PENDING, approver=HOLD_APPROVER, reason=reason)

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        decision = self._policy.decide(plan, rendered_diff)
        if not decision.approved:
            return decision  # refused by a never-rule, or held: a kind needs a person
        now = self.clock()
        if not in_any_window(self.policy.change_windows, now):
            windows = ", ".join(self.policy.change_windows)
            return self._hold(
                f"held for a person: {now:%a %H:%M} UTC is outside the change windows ({windows})"
            )
        limit = self.policy.max_changes_per_hour
        budget = self.budget
        if (
            limit is not None
            and budget is not None
            and not budget.spend(plan.run_id, len(plan.changes), limit, now)
        ):
            return self._hold(
                f"held for a person: {len(plan.changes)} more change(s) would exceed "
                f"max_changes_per_hour {limit} (already {budget.spent(now)} this hour)"
            )
        return decision.model_copy(update={"approver": f"{POLICY_APPROVER} (unattended)"})
