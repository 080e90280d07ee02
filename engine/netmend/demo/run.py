"""``netmend demo``: the runbook's broken estates in the embedded sandbox, end to end.

For each estate: build it on the sandbox's EC2, collect its inventory over HTTP, diagnose
its failing flow, fix it (dry run, then apply with approval), verify, and roll back; the
tables say what was found, what changed, and whether the rollback restored the snapshot.
Runs go to a temporary state directory, never the user's.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from netmend.app.diagnosis import Diagnosis, diagnose
from netmend.app.fixing import fix_flow, make_runner
from netmend.approval import YesApprover
from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.config import NetmendConfig
from netmend.demo.balanced import build_unhealthy_targets
from netmend.demo.estates import BuiltEstate, build_all
from netmend.demo.sandbox import SANDBOX_REGION, sandbox_endpoint
from netmend.errors import NetmendError
from netmend.model import Inventory
from netmend.playbook import PlaybookSet, load_playbooks
from netmend.reach import Flow, make_flow
from netmend.render.console import emit_json, stdout_console
from netmend.render.progress import work_status
from netmend.render.scan_table import render_scan
from netmend.run.restore import differences
from netmend.scan import ScanReport, scan_estate

__all__ = ["EstateReport", "run_demo"]


@dataclass
class EstateReport:
    estate: BuiltEstate
    inventory: Inventory
    reachable: bool = False
    blocked_at: str | None = None
    causes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    flow: Flow | None = None
    diagnosis: Diagnosis | None = None  # of ``flow``, reused by the fix
    fix_status: str = "-"
    changes: list[str] = field(default_factory=list)
    verified: bool | None = None
    rollback_status: str = "-"
    restored: bool | None = None

    @property
    def detected(self) -> bool:
        if self.estate.reachable:
            return self.reachable
        return self.estate.root_cause in self.causes and not self.reachable

    def as_json(self) -> dict[str, Any]:
        inv = self.inventory
        return {
            "estate": self.estate.name,
            "root_cause": self.estate.root_cause,
            "flow": self.estate.command("diagnose"),
            "inventory": {
                "vpcs": len(inv.vpcs),
                "subnets": len(inv.subnets),
                "security_groups": len(inv.security_groups),
                "security_group_rules": sum(len(g.rules) for g in inv.security_groups),
                "network_acls": len(inv.network_acls),
                "network_interfaces": len(inv.network_interfaces),
                "instances": len(inv.instances),
            },
            "reachable": self.reachable,
            "blocked_at": self.blocked_at,
            "expected_component": self.estate.expected_component,
            "root_causes": self.causes,
            "detected": self.detected,
            "fix": {"status": self.fix_status, "changes": self.changes, "verified": self.verified},
            "rollback": {"status": self.rollback_status, "restored": self.restored},
            "problems": self.problems,
        }


def _diagnose_estate(clients: AwsClients, estate: BuiltEstate) -> EstateReport:
    inventory = collect_inventory(clients, vpc_ids=[estate.vpc_id], quotas=False)
    report = EstateReport(estate=estate, inventory=inventory)
    flow = make_flow(
        inventory,
        estate.source,
        estate.destination,
        protocol=estate.protocol,
        port=estate.port,
        icmp_type=estate.icmp_type,
    )
    report.flow = flow
    result = diagnose(inventory, flow)
    report.diagnosis = result
    report.reachable = result.reachable
    blocking = result.evaluation.blocking
    report.blocked_at = blocking.component if blocking else None
    report.causes = [c.playbook for c in result.causes]
    if not estate.reachable and report.blocked_at != estate.expected_component:
        report.problems.append(
            f"blocked at {report.blocked_at}, expected {estate.expected_component}"
        )
    if not report.detected:
        report.problems.append(f"root cause {estate.root_cause} not found")
    return report


def _fix_estate(
    clients: AwsClients, report: EstateReport, playbooks: PlaybookSet, state_dir: Path
) -> None:
    """Apply the fix with approval (--yes), check it verified, roll back, compare."""
    assert report.flow is not None
    runner = make_runner(
        clients,
        NetmendConfig(state_dir=state_dir),
        approver=YesApprover(),
        requester="netmend-demo",
    )
    try:
        outcome = fix_flow(
            runner,
            report.inventory,
            report.flow,
            playbooks,
            apply=True,
            change_id="DEMO-1",
            diagnosis=report.diagnosis,
        )
    except NetmendError as error:
        report.fix_status = "refused"
        report.problems.append(f"fix: {error}")
        return
    result = outcome
    report.fix_status = str(result.status)
    # One line per (API, resource), with a count: a quota fix can be 15 calls.
    counted = Counter(f"{c.api} {c.resource}" for c in result.changes)
    report.changes = [f"{n} x {call}" if n > 1 else call for call, n in counted.items()]
    expected = "nothing_to_do" if report.estate.reachable else "applied"
    if report.fix_status != expected:
        report.problems.append(f"fix ended {report.fix_status}: {result.message}")
    if result.verification is not None:
        report.verified = result.verification.passed and result.verification.reachable is True
    if report.estate.reachable:
        return
    undo = runner.rollback(result.run_id)
    report.rollback_status = str(undo.status)
    touched = [c.resource for c in outcome.plan.changes]
    live = collect_inventory(clients, vpc_ids=[report.estate.vpc_id], quotas=False)
    gaps = [
        line
        for rid in dict.fromkeys(touched)
        if (was := report.inventory.get(rid)) is not None
        for line in differences(live.get(rid), was)
    ]
    report.restored = not gaps
    if gaps:
        report.problems.append("rollback left differences: " + "; ".join(gaps))


def _inventory_table(reports: list[EstateReport]) -> Table:
    table = Table(title="sandbox estates, collected over HTTP", title_justify="left")
    for column in ("estate", "vpc", "subnets", "groups", "rules", "acls", "enis", "instances"):
        table.add_column(
            column, justify="left" if column in ("estate", "vpc") else "right", overflow="fold"
        )
    for r in reports:
        inv = r.inventory
        table.add_row(
            r.estate.name,
            r.estate.vpc_id,
            str(len(inv.subnets)),
            str(len(inv.security_groups)),
            str(sum(len(g.rules) for g in inv.security_groups)),
            str(len(inv.network_acls)),
            str(len(inv.network_interfaces)),
            str(len(inv.instances)),
        )
    return table


def _yes_no(value: bool | None) -> Text:
    if value is None:
        return Text("-")
    return Text("yes", style="green") if value else Text("NO", style="bold red")


def _diagnosis_table(reports: list[EstateReport], width: int) -> Table:
    narrow = width < 140
    table = Table(
        title="diagnose → fix (apply, verify) → rollback, per estate",
        title_justify="left",
        box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD,
        pad_edge=not narrow,
    )
    for column in (
        "root cause",
        "flow",
        "blocked at",
        "found" if narrow else "detected",
        "change",
        "verified",
        "undone" if narrow else "rolled back",
    ):
        # API names are long: on a wide page the change column is not the one rich
        # squeezes; on a narrow one (80 columns) every cell folds instead of overflowing.
        wide = column == "change" and width >= 140
        table.add_column(column, min_width=46 if wide else None, overflow="fold")
    for r in reports:
        flow = f"{r.estate.protocol}/{r.estate.port}" if r.estate.port else r.estate.protocol
        # Narrow: the API alone (its resource is the "blocked at" id beside it).
        shown = [c.rsplit(" ", 1)[0] for c in r.changes] if narrow else r.changes
        change = "\n".join(shown) or r.fix_status
        rolled = _yes_no(r.restored) if r.restored is not None else Text(r.rollback_status)
        table.add_row(
            r.estate.root_cause,
            flow,
            r.blocked_at or "-",
            _yes_no(r.detected),
            change,
            _yes_no(r.verified),
            rolled,
        )
    return table


def _scan_estates(clients: AwsClients, playbooks: PlaybookSet) -> ScanReport:
    """``netmend scan`` over the sandbox: every estate playbook, graded by reachability."""
    from netmend.aws.signals import collect_signals

    chosen = [p.id for p in playbooks.by_scope("estate")]
    signals, notes = collect_signals(clients, chosen)
    return scan_estate(
        collect_inventory(clients),
        playbooks,
        only=chosen,
        signals=signals,
        signal_notes=notes,
    )


def run_demo(*, json_output: bool = False) -> int:
    """Run the demo; returns the exit code (0 when every estate behaved as expected)."""
    console = stdout_console()
    with sandbox_endpoint() as endpoint:
        clients = make_clients(AwsOptions(region=SANDBOX_REGION, endpoint_url=endpoint))
        if not json_output:
            console.print(
                f"sandbox: moto EC2 and ELBv2 at {endpoint} ({SANDBOX_REGION}), no AWS account"
            )
        with work_status("demo") as step:
            step("building the runbook's broken estates in moto")
            estates = build_all(clients.ec2)
            # The load-balancer estate needs ELBv2 beside EC2 (moto's server has both).
            estates.append(build_unhealthy_targets(clients.ec2, clients.elbv2))
            reports = []
            for n, estate in enumerate(estates, start=1):
                step(f"diagnosing {estate.name} ({n}/{len(estates)})")
                reports.append(_diagnose_estate(clients, estate))
            playbooks = load_playbooks()
            with tempfile.TemporaryDirectory(prefix="netmend-demo-") as state_dir:
                for n, report in enumerate(reports, start=1):
                    step(f"fix, verify and roll back {report.estate.name} ({n}/{len(reports)})")
                    _fix_estate(clients, report, playbooks, Path(state_dir))
            # Last, the estate-wide hygiene scan of everything the demo built (after the
            # rollbacks: the estates as they were broken).
            step("scanning the estates for hygiene findings")
            hygiene = _scan_estates(clients, playbooks)
    failures = [r for r in reports if r.problems]
    if json_output:
        emit_json(
            {
                "estates": [r.as_json() for r in reports],
                "failures": len(failures),
                "scan": hygiene.to_json(),
            }
        )
    else:
        console.print(_inventory_table(reports))
        console.print(_diagnosis_table(reports, console.width))
        console.print(render_scan(hygiene))
        for r in failures:
            console.print(f"[red]{r.estate.name}[/red]: " + "; ".join(r.problems))
        console.print(
            f"{len(reports) - len(failures)} of {len(reports)} estates behaved as expected."
        )
    return 1 if failures else 0
