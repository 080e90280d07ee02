"""How a run reads on a terminal: the plan in the chosen diff format, then the outcome."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from netmend.render.diff import DiffFormat, plan_to_text, render_plan
from netmend.run.plan import Plan
from netmend.run.result import RunResult
from netmend.store.records import RunStatus

__all__ = ["FIX_SUCCESS", "ROLLBACK_SUCCESS", "render_plan_for", "render_run_result"]

# Statuses each command reports with exit 0; anything else is exit 1. A fix that ended
# rolled back failed (its verification or a write did), a rollback that did succeeded.
FIX_SUCCESS = frozenset({RunStatus.PLANNED, RunStatus.APPLIED, RunStatus.NOTHING_TO_DO})
ROLLBACK_SUCCESS = frozenset({RunStatus.ROLLED_BACK})

_STYLE = {
    RunStatus.APPLIED: "bold green",
    RunStatus.PLANNED: "bold cyan",
    RunStatus.NOTHING_TO_DO: "green",
    RunStatus.ROLLED_BACK: "bold yellow",
}


def render_plan_for(plan: Plan, fmt: str) -> RenderableType:
    """The table view as rich renders it; code formats as plain, unwrapped text."""
    if fmt == "table":
        return render_plan(plan)
    text: DiffFormat = fmt  # type: ignore[assignment]  # checked by the CLI
    return Text(plan_to_text(plan, text), no_wrap=True, overflow="ignore")


def render_run_result(result: RunResult) -> RenderableType:
    lines: list[RenderableType] = []
    style = _STYLE.get(result.status, "bold red")
    lines.append(
        Text.assemble(
            "run ",
            (result.run_id, "bold"),
            ": ",
            (str(result.status), style),
            f"  ({result.message})" if result.message else "",
        )
    )
    if result.status is RunStatus.PLANNED:
        lines.append(
            Text("dry run: nothing was written; add --apply to apply this plan", style="dim")
        )
    for change in result.changes:
        outcome = change.outcome or "planned"
        lines.append(
            Text(
                f"  {outcome:<12} {change.api} {change.resource}"
                f"{': ' + change.summary if change.summary else ''}"
            )
        )
    if result.verification is not None:
        v = result.verification
        verdict = "passed" if v.passed else "FAILED"
        reach = (
            ""
            if v.reachable is None
            else (", flow reachable" if v.reachable else ", flow still blocked")
        )
        lines.append(
            Text(
                f"verification ({v.method}): {verdict}{reach}; "
                f"{v.flows_checked} other flows checked",
                style="green" if v.passed else "red",
            )
        )
        for problem in v.problems:
            lines.append(Text(f"  - {problem}", style="red"))
    if result.rollback is not None:
        rb = result.rollback
        lines.append(
            Text(
                f"rollback: {rb.status} ({len(rb.calls)} calls)"
                f"{'; live state equals the snapshot' if not rb.differences else ''}",
                style="yellow",
            )
        )
        for line in (*rb.differences, *rb.errors):
            lines.append(Text(f"  - {line}", style="red"))
    return Group(*lines)
