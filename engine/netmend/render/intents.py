"""An intents report for people: held or violated, the blocking hop, probes to try.

Up to ``FULL_REPORT_LIMIT`` intents, a table of every intent. A longer report (a whole
estate's intents: rich lays a table of 10,000 rows out in seconds) says how many held
and lists the violated ones in full, as plain aligned lines; ``--output json`` has
every intent either way.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netmend.app.diagnosis import BLIND_SPOTS
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.verify.probe import application_probe
from netmend.verify.report import IntentReport, IntentResult

__all__ = ["FULL_REPORT_LIMIT", "render_intent_report"]

FULL_REPORT_LIMIT = 50


def _probe(result: IntentResult) -> str | None:
    """The command to run from the source to see the application answer (runbook)."""
    if result.protocol not in (TCP, UDP, ICMP, ICMPV6):
        return None
    return application_probe(result.protocol, result.destination_address, result.port)


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


def _flow(result: IntentResult) -> str:
    return f"{result.source} → {result.destination} {result.service}"


def _violated_lines(report: IntentReport) -> RenderableType:
    """The violated intents, two plain lines each (cheap for thousands of them): the
    name, then the flow, the verdict expected and where it is blocked."""
    lines = Text()
    for r in report.intents:
        if r.held:
            continue
        lines.append("✘ ", style="bold red")
        lines.append(f"{r.name}\n")
        lines.append(f"    {_flow(r)}: expected {r.expect}, {r.method}: {_why(r)}\n", style="red")
    lines.rstrip()
    return lines


def _long_report(report: IntentReport) -> list[RenderableType]:
    total = len(report.intents)
    held = total - report.violated
    style = "bold green" if report.all_held else "bold red"
    parts: list[RenderableType] = [
        Text(f"{total:,} intents: {held:,} held, {report.violated:,} violated", style=style)
    ]
    if report.violated:
        parts += [Text("violated:", style="bold"), _violated_lines(report)]
    parts.append(
        Text(
            f"the {held:,} held intents are not listed (over {FULL_REPORT_LIMIT} intents); "
            "--output json lists every intent",
            style="dim",
        )
    )
    by_reason: dict[str, int] = {}
    for r in report.intents:
        if r.fallback_reason:
            by_reason[r.fallback_reason] = by_reason.get(r.fallback_reason, 0) + 1
    for reason, count in by_reason.items():
        which = "every intent" if count == total else f"{count:,} intents"
        parts.append(Text(f"note ({which}): {reason}", style="dim"))
    allowed = sum(1 for r in report.intents if r.held and r.expect == "allowed")
    if allowed:
        parts.append(
            Text(
                f"{allowed:,} allowed intents hold in the network; check each application "
                "from its source (a shorter intents file lists the command for each)",
                style="bold",
            )
        )
    parts.append(Text(BLIND_SPOTS, style="dim"))
    return parts


def render_intent_report(report: IntentReport) -> RenderableType:
    """A table of the intents (held or violated, with the blocking component of each
    violation), the fallbacks, what no check can see, and what to try from the source;
    past ``FULL_REPORT_LIMIT`` intents, the counts and the violated ones only."""
    if len(report.intents) > FULL_REPORT_LIMIT:
        return Group(*_long_report(report))
    table = Table(title="intents", title_justify="left")
    for column in ("", "intent", "flow", "expect", "verdict", "method", "why violated"):
        table.add_column(column, overflow="fold")
    for r in report.intents:
        mark, style = ("✔", "green") if r.held else ("✘", "bold red")
        table.add_row(
            Text(mark, style=style),
            r.name,
            _flow(r),
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
