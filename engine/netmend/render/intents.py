"""An intents report for people: held or violated, the blocking hop, probes to try."""

from __future__ import annotations

import shlex

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netmend.app.diagnosis import BLIND_SPOTS
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.verify.report import IntentReport, IntentResult

__all__ = ["render_intent_report"]


def _probe(result: IntentResult) -> str | None:
    """The command to run from the source to see the application answer (runbook)."""
    address = shlex.quote(result.destination_address)
    if result.protocol == TCP:
        return f"nc -zv {address} {result.port}"
    if result.protocol == UDP:
        return f"nc -zuv {address} {result.port}"
    if result.protocol == ICMP:
        return f"ping -c 3 {address}"
    if result.protocol == ICMPV6:
        return f"ping -6 -c 3 {address}"
    return None


def _why(result: IntentResult) -> str:
    if result.held:
        return ""
    blocking = result.blocking
    if blocking is not None:
        direction = f" {blocking.direction.value}" if blocking.direction else ""
        return f"{blocking.component or '?'}{direction}: {blocking.code}"
    if result.reachable:
        return "nothing blocks it"
    return result.detail or "blocked"


def render_intent_report(report: IntentReport) -> RenderableType:
    """A table of the intents (held or violated, with the blocking component of each
    violation), the fallbacks, what no check can see, and what to try from the source."""
    table = Table(title="intents", title_justify="left")
    for column in ("", "intent", "flow", "expect", "verdict", "method", "why violated"):
        table.add_column(column, overflow="fold")
    for r in report.intents:
        mark, style = ("✔", "green") if r.held else ("✘", "bold red")
        table.add_row(
            Text(mark, style=style),
            r.name,
            f"{r.source} → {r.destination} {r.service}",
            r.expect,
            Text("held" if r.held else "VIOLATED", style=style),
            r.method,
            Text(_why(r), style="red" if not r.held else ""),
        )
    parts: list[RenderableType] = [table]
    held = len(report.intents) - report.violated
    summary_style = "bold green" if report.all_held else "bold red"
    parts.append(Text(f"{held} held, {report.violated} violated", style=summary_style))
    by_reason: dict[str, list[str]] = {}
    for r in report.intents:
        if r.fallback_reason:
            by_reason.setdefault(r.fallback_reason, []).append(r.name)
    for reason, names in by_reason.items():
        which = "every intent" if len(names) == len(report.intents) else ", ".join(names)
        parts.append(Text(f"note ({which}): {reason}", style="dim"))
    probes = [
        (r, p)
        for r in report.intents
        if r.held and r.expect == "allowed" and (p := _probe(r)) is not None
    ]
    if probes:
        parts.append(
            Text("allowed by the network; check the application from each source:", style="bold")
        )
        parts += [Text(f"  on {r.source}: {p}") for r, p in probes]
    parts.append(Text(BLIND_SPOTS, style="dim"))
    return Group(*parts)
