"""``netmend runs list`` and ``runs show``: recorded runs as tables and JSON.

Ids are never cut: cells fold onto another line instead (a truncated ``sg-1c13…`` cannot
be pasted into ``rollback``). Start times are UTC to the second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netmend.app.runs import RunList

__all__ = ["render_approval_and_verification", "render_runs", "started_text"]


def started_text(when: datetime | None) -> str:
    """``2025-05-01 09:30:12Z``: to the second, in UTC."""
    if when is None:
        return "-"
    return when.strftime("%Y-%m-%d %H:%M:%SZ")


def render_runs(listed: RunList) -> RenderableType:
    """The runs as a table whose cells fold rather than truncate."""
    hint = Text("saved plans (dry runs) are hidden: --all shows them", style="dim")
    if not listed.runs:
        empty = Text("no runs that wrote yet" if listed.hidden_plans else "no runs recorded yet")
        return Group(empty, hint) if listed.hidden_plans else empty
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("run id", "status", "started (UTC)", "flow", "playbook", "change id"):
        table.add_column(column, overflow="fold")
    for r in listed.runs:
        table.add_row(
            r.run_id,
            r.status,
            started_text(datetime.fromisoformat(r.started_at) if r.started_at else None),
            r.flow or "-",
            r.playbook or "-",
            r.change_id or "-",
        )
    return Group(table, hint) if listed.hidden_plans else table


def render_approval_and_verification(
    approval: dict[str, Any] | None, result: dict[str, Any] | None
) -> RenderableType:
    """Who approved (or refused) the run and what its verification found."""
    lines: list[RenderableType] = []
    if approval:
        who = approval.get("approver") or approval.get("who") or "?"
        outcome = approval.get("outcome", "?")
        reason = approval.get("reason")
        lines.append(Text(f"approval: {outcome} by {who}{f' ({reason})' if reason else ''}"))
    else:
        lines.append(Text("approval: none (never asked: a dry run, or refused before)"))
    verification = (result or {}).get("verification")
    if verification:
        verdict = "passed" if verification.get("passed") else "FAILED"
        reach = verification.get("reachable")
        flow = "" if reach is None else (", flow reachable" if reach else ", flow blocked")
        lines.append(
            Text(
                f"verification ({verification.get('method')}): {verdict}{flow}",
                style="green" if verification.get("passed") else "red",
            )
        )
        lines += [Text(f"  - {p}", style="red") for p in verification.get("problems") or ()]
    else:
        lines.append(Text("verification: none (nothing was applied)"))
    return Group(*lines)
