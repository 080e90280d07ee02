"""The playbooks' ``verify:`` steps, run after a plan is applied: one check per step name.

A playbook names its checks (``verify: [{use: reach.flow-allowed}]``); the loader makes
sure each name is a registered VerifyStep; the plan carries the names of the playbooks
that contributed changes (``Plan.verify_steps``); and after the writes the runner runs
each one here on the run's verification. A step that fails fails the verification, so
the snapshot is restored.
"""

from __future__ import annotations

from collections.abc import Callable

from netmend.reach.flow import Flow
from netmend.run.plan import Plan
from netmend.run.result import Verification

__all__ = ["STEP_CHECKS", "run_verify_steps"]

# (the plan, its flow, the verification so far) -> a problem, or None when the step holds.
StepCheck = Callable[[Plan, Flow | None, Verification], str | None]


def _flow_allowed(plan: Plan, flow: Flow | None, verification: Verification) -> str | None:
    """``reach.flow-allowed``: the failing flow is reachable after the fix."""
    if flow is None:
        return None  # a fix without a flow (a hygiene fix) has no flow to check
    if verification.reachable is True:
        return None
    if verification.reachable is False and not verification.passed:
        return None  # the flow check itself already failed and said where
    return (
        f"reach.flow-allowed: {flow.service} from {flow.source.label} to "
        f"{flow.destination.label} was not shown to be reachable"
    )


# The one table of what each registered verify step does.
STEP_CHECKS: dict[str, StepCheck] = {"reach.flow-allowed": _flow_allowed}


def run_verify_steps(plan: Plan, flow: Flow | None, verification: Verification) -> Verification:
    """``verification`` with every step of ``plan.verify_steps`` run and recorded."""
    if not plan.verify_steps:
        return verification
    problems: list[str] = []
    ran: list[str] = []
    for name in plan.verify_steps:
        check = STEP_CHECKS.get(name)
        problem = (
            f"{name}: no check is registered for this verify step"
            if check is None
            else check(plan, flow, verification)
        )
        ran.append(f"{name}: {'failed' if problem else 'passed'}")
        if problem:
            problems.append(problem)
    if not problems:
        return verification.model_copy(update={"steps": tuple(ran)})
    return verification.model_copy(
        update={
            "steps": tuple(ran),
            "passed": False,
            "problems": (*verification.problems, *problems),
            "detail": "; ".join((*verification.problems, *problems)),
        }
    )
