"""A diagnosis for people: the hop-by-hop path with the blocking hop marked, and causes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netmend.app.diagnosis import BLIND_SPOTS, Diagnosis, flow_limits
from netmend.reach import Hop
from netmend.reach.causes.model import RootCause
from netmend.reach.target_health import TargetHealthReport
from netmend.verify.probe import application_probe

__all__ = ["render_diagnosis", "render_target_health"]


def _component(component: str, names: Mapping[str, str]) -> str:
    name = names.get(component)
    return f"{component} ({name})" if name else component


def _path_table(title: str, hops: tuple[Hop, ...], names: Mapping[str, str]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("", width=2)
    table.add_column("component", overflow="fold")
    table.add_column("kind")
    table.add_column("dir")
    table.add_column("verdict")
    table.add_column("rule / reason", overflow="fold")
    for hop in hops:
        mark, style = ("✔", "green") if hop.allowed else ("✘", "bold red")
        table.add_row(
            Text(mark, style=style),
            Text(_component(hop.component, names), style="" if hop.allowed else "bold red"),
            hop.kind,
            hop.direction.value if hop.direction else "",
            Text("allowed" if hop.allowed else "BLOCKED", style=style),
            hop.detail,
        )
    return table


def _causes(title: str, causes: Sequence[RootCause], fix_hint: str) -> list[RenderableType]:
    """The numbered root causes and how to get their fix."""
    lines: list[RenderableType] = [Text(title, style="bold")]
    for number, cause in enumerate(causes, start=1):
        lines.append(
            Text.assemble(
                f"  {number}. ",
                (cause.playbook, "bold cyan"),
                f" on {cause.resource}: ",
                cause.summary,
            )
        )
    lines.append(Text(f"  fix: {fix_hint}", style="dim"))
    return lines


def render_diagnosis(diagnosis: Diagnosis) -> RenderableType:
    """The hop-by-hop path with the blocking hop marked, evidence and root causes."""
    ev = diagnosis.evaluation
    flow = ev.flow
    parts: list[RenderableType] = []
    verdict = (
        Text("REACHABLE", style="bold green") if ev.reachable else Text("BLOCKED", style="bold red")
    )
    parts.append(
        Text.assemble(f"{flow.source.label} → {flow.destination.label}  {flow.service}: ", verdict)
    )
    parts.append(_path_table("forward path", ev.forward, diagnosis.names))
    if ev.return_path:
        parts.append(_path_table("return path", ev.return_path, diagnosis.names))
    if ev.explanations:
        rows = Table(title="where it is dropped", title_justify="left")
        for column in ("code", "component", "leg", "dir", "evidence"):
            rows.add_column(column, overflow="fold")
        for e in ev.explanations:
            evidence = "\n".join(e.rules) or e.detail
            if e.rules and e.detail:
                evidence = f"{e.detail}\n{evidence}"
            rows.add_row(
                Text(e.code, style="red"),
                e.component,
                e.leg.value,
                e.direction.value if e.direction else "",
                evidence,
            )
        parts.append(rows)
    for coverage in ev.ephemeral:
        parts.append(
            Text(
                f"ephemeral ports back through {coverage.network_acl_id} "
                f"({coverage.direction.value} of {coverage.subnet_id}): "
                f"{coverage.summary}",
                style="yellow",
            )
        )
    if diagnosis.causes:
        parts += _causes(
            "root causes, in path order:",
            diagnosis.causes,
            "the same command with `netmend fix` shows the change as a dry-run diff",
        )
    elif not ev.reachable:
        parts.append(Text("no root-cause playbook applies (see the explanations)", style="bold"))
    if ev.reachable and ev.tracked is False:
        parts.append(
            Text(
                "untracked flow (0.0.0.0/0 both ways): removing the rule cuts existing "
                "connections at once",
                style="yellow",
            )
        )
    for instance, dropped in (diagnosis.conntrack or {}).items():
        if dropped > 0:
            parts.append(
                Text(
                    f"{instance} dropped {dropped:.0f} packet(s) at its connection-tracking "
                    "allowance in the last hour (conntrack_allowance_exceeded): dropped "
                    "although every rule allows them",
                    style="yellow",
                )
            )
    for note in list(ev.notes) + flow_limits(flow):
        parts.append(Text(f"note: {note}", style="dim"))
    parts.append(Text(BLIND_SPOTS, style="dim"))
    if ev.reachable:
        probe = application_probe(flow.protocol, flow.destination.address, flow.port)
        parts.append(Text(f"from the source: {probe}", style="dim"))
    return Group(*parts)


def render_target_health(report: TargetHealthReport) -> RenderableType:
    """One row per target: AWS's health, the health-check flow, and netmend's verdict."""
    group = report.target_group
    parts: list[RenderableType] = []
    balancers = ", ".join(b.name for b in report.load_balancers) or "no load balancer"
    parts.append(
        Text(
            f"target group {group.name} ({balancers}): health check "
            f"{group.health_check_protocol or '-'} port {group.health_check_port}"
            + (f" {group.health_check_path}" if group.health_check_path else ""),
            style="bold",
        )
    )
    table = Table(title="targets", title_justify="left")
    for column in ("", "target", "AWS says", "health check", "verdict"):
        table.add_column(column, overflow="fold")
    for verdict in report.targets:
        check = verdict.check
        health = check.target.health
        blocked = len(check.health_check_blocked)
        mark, style = ("✘", "bold red") if verdict.network_blocks else ("✔", "green")
        table.add_row(
            Text(mark, style=style),
            check.label,
            health.state + (f" ({health.reason})" if health.reason else ""),
            f"tcp/{check.health_port}: "
            + (
                f"dropped from {blocked} of {len(check.health_checks)} node(s)"
                if blocked
                else "admitted from every node"
            ),
            verdict.verdict,
        )
    parts.append(table)
    if not report.targets:
        parts.append(Text("no target is registered (or no load balancer uses the group)"))
    if report.causes:
        parts += _causes(
            "root causes:",
            report.causes,
            "`netmend fix --source CLIENT --destination LOAD_BALANCER:PORT`",
        )
    parts.append(Text(BLIND_SPOTS, style="dim"))
    return Group(*parts)
