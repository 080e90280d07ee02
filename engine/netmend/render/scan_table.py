"""``netmend scan`` for people: one table of findings, worst first, and a summary line."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netmend.scan.findings import ScanReport

__all__ = ["render_scan"]

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def render_scan(report: ScanReport) -> RenderableType:
    """The findings table (accepted ones dimmed, marked), then counts and notes."""
    parts: list[RenderableType] = []
    if report.findings:
        table = Table(title=f"netmend scan of {report.region}", show_lines=False, expand=False)
        table.add_column("severity")
        table.add_column("playbook")
        table.add_column("resource", no_wrap=True)
        table.add_column("finding", overflow="fold")
        for finding in report.findings:
            severity = Text(finding.severity, style=_STYLE[finding.severity])
            summary = finding.summary
            if finding.exposure is not None:
                summary = f"[{finding.exposure.grade}] {summary}"
            if finding.accepted is not None:
                summary = f"(accepted: {finding.accepted.detail}) {summary}"
            row_style = "dim" if finding.accepted is not None else None
            # Text, not markup: summaries hold brackets ("[exposed]") and user-made names.
            table.add_row(
                severity, finding.playbook, finding.resource, Text(summary), style=row_style
            )
        parts.append(table)
    else:
        parts.append(Text(f"netmend scan of {report.region}: no findings"))
    counts = report.counts()
    words = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    parts.append(
        Text(
            f"{len(report.findings)} finding(s) from {len(report.playbooks)} "
            f"playbook(s){': ' + words if words else ''}"
        )
    )
    if report.signals:
        # What the playbooks read besides the inventory, and whether they could.
        parts.append(Text("read besides the inventory:", style="dim"))
        for name, note in report.signals.items():
            parts.append(Text(f"  {name.replace('_', ' ')}: {note}", style="dim"))
    if report.fail_on is not None:
        verdict = "met" if report.failed else "not met"
        parts.append(Text(f"--fail-on {report.fail_on}: {verdict}"))
    return Group(*parts)
