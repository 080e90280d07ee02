"""A diagnosis: the evaluation of one flow plus its root causes, for people and machines.

``diagnose`` is the whole offline step (evaluate, then classify); ``diagnosis_to_json``
is DESIGN.md's JSON contract and ``render_diagnosis`` the hop-by-hop text view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netmend.model import Inventory
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.reach import Evaluation, Flow, Hop, evaluate
from netmend.reach.causes.classify import classify
from netmend.reach.causes.model import RootCause

__all__ = [
    "BLIND_SPOTS",
    "EXIT_BLOCKED",
    "Diagnosis",
    "diagnose",
    "diagnosis_to_json",
    "render_diagnosis",
]

# diagnose's exit code for a flow that is blocked (0 reachable, 2 bad input).
EXIT_BLOCKED = 3

# What neither the offline evaluator nor Reachability Analyzer can see (runbook FAQ).
BLIND_SPOTS = (
    "Neither netmend nor Reachability Analyzer sees OS firewalls (iptables, nftables, "
    "Windows Firewall), whether the application listens, or TLS. From the source, "
    "`nc -zv DESTINATION PORT`: a timeout points at the network path; 'connection "
    "refused' means the packet arrived and nothing listens on that port."
)


@dataclass(frozen=True)
class Diagnosis:
    flow: Flow
    evaluation: Evaluation
    causes: tuple[RootCause, ...]

    @property
    def reachable(self) -> bool:
        return self.evaluation.reachable


def diagnose(inventory: Inventory, flow: Flow) -> Diagnosis:
    """Evaluate the flow and, when it is blocked, name its root causes in path order."""
    evaluation = evaluate(inventory, flow)
    return Diagnosis(flow=flow, evaluation=evaluation, causes=classify(inventory, flow, evaluation))


def _limits(flow: Flow) -> list[str]:
    notes = []
    if flow.protocol not in (TCP, UDP):
        notes.append(
            "Reachability Analyzer analyses TCP and UDP only: this "
            f"{'ICMP' if flow.protocol in (ICMP, ICMPV6) else flow.protocol} flow was "
            "checked offline only."
        )
    return notes


def _flow_json(flow: Flow) -> dict[str, Any]:
    return {
        "source": flow.source.given,
        "source_address": flow.source.address,
        "destination": flow.destination.given,
        "destination_address": flow.destination.address,
        "protocol": flow.protocol,
        "port": flow.port,
        "icmp_type": flow.icmp_type,
        "icmp_code": flow.icmp_code,
    }


def _hop_json(hop: Hop) -> dict[str, Any]:
    return {
        "component": hop.component,
        "kind": hop.kind,
        "leg": hop.leg.value,
        "direction": hop.direction.value if hop.direction else None,
        "allowed": hop.allowed,
        "detail": hop.detail,
    }


def diagnosis_to_json(diagnosis: Diagnosis) -> dict[str, Any]:
    """DESIGN.md's contract: reachable, explanations, root_causes; plus path and details."""
    ev = diagnosis.evaluation
    return {
        "reachable": ev.reachable,
        "flow": _flow_json(diagnosis.flow),
        "explanations": [
            {
                "code": e.code,
                "component": e.component,
                "direction": e.direction.value if e.direction else None,
                "leg": e.leg.value,
                "rules": list(e.rules),
                "detail": e.detail,
            }
            for e in ev.explanations
        ],
        "root_causes": [
            {
                "playbook": c.playbook,
                "resource": c.resource,
                "summary": c.summary,
                "leg": c.leg.value,
                "direction": c.direction.value if c.direction else None,
                "evidence": c.evidence,
            }
            for c in diagnosis.causes
        ],
        "path": {
            "forward": [_hop_json(h) for h in ev.forward],
            "return": [_hop_json(h) for h in ev.return_path],
        },
        "ephemeral": [
            {
                "network_acl_id": c.network_acl_id,
                "subnet_id": c.subnet_id,
                "direction": c.direction.value,
                "allowed": [list(r) for r in c.allowed],
                "summary": c.summary,
            }
            for c in ev.ephemeral
        ],
        "tracked": ev.tracked,
        "notes": list(ev.notes) + _limits(diagnosis.flow),
    }


def _path_table(title: str, hops: tuple[Hop, ...]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("", width=2)
    table.add_column("component", no_wrap=True)
    table.add_column("kind")
    table.add_column("dir")
    table.add_column("verdict")
    table.add_column("rule / reason", overflow="fold")
    for hop in hops:
        mark, style = ("✔", "green") if hop.allowed else ("✘", "bold red")
        table.add_row(
            Text(mark, style=style),
            Text(hop.component, style="" if hop.allowed else "bold red"),
            hop.kind,
            hop.direction.value if hop.direction else "",
            Text("allowed" if hop.allowed else "BLOCKED", style=style),
            hop.detail,
        )
    return table


def render_diagnosis(diagnosis: Diagnosis) -> RenderableType:
    """The hop-by-hop path with the blocking hop marked, evidence and root causes."""
    flow, ev = diagnosis.flow, diagnosis.evaluation
    parts: list[RenderableType] = []
    verdict = (
        Text("REACHABLE", style="bold green") if ev.reachable else Text("BLOCKED", style="bold red")
    )
    parts.append(
        Text.assemble(f"{flow.source.label} → {flow.destination.label}  {flow.service}: ", verdict)
    )
    parts.append(_path_table("forward path", ev.forward))
    if ev.return_path:
        parts.append(_path_table("return path", ev.return_path))
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
        parts.append(Text("root causes, in path order:", style="bold"))
        for number, cause in enumerate(diagnosis.causes, start=1):
            parts.append(
                Text.assemble(
                    f"  {number}. ",
                    (cause.playbook, "bold cyan"),
                    f" on {cause.resource}: ",
                    cause.summary,
                )
            )
        parts.append(
            Text(
                "  fix: the same command with `netmend fix` shows the change as a dry-run diff",
                style="dim",
            )
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
    for note in list(ev.notes) + _limits(flow):
        parts.append(Text(f"note: {note}", style="dim"))
    parts.append(Text(BLIND_SPOTS, style="dim"))
    return Group(*parts)
