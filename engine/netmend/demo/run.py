"""``netmend demo``: the runbook's broken estates in the embedded sandbox, end to end.

For each estate: build it on the sandbox's EC2, collect its inventory over HTTP, and
diagnose its failing flow; the table says whether the expected root cause was found at
the expected component.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.console import emit_json, stdout_console
from netmend.demo.estates import BuiltEstate, build_all
from netmend.demo.sandbox import SANDBOX_REGION, sandbox_endpoint
from netmend.diagnosis import diagnose
from netmend.model import Inventory
from netmend.reach import make_flow

__all__ = ["EstateReport", "run_demo"]


@dataclass
class EstateReport:
    estate: BuiltEstate
    inventory: Inventory
    reachable: bool = False
    blocked_at: str | None = None
    causes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

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
    result = diagnose(inventory, flow)
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


def _inventory_table(reports: list[EstateReport]) -> Table:
    table = Table(title="sandbox estates, collected over HTTP", title_justify="left")
    for column in ("estate", "vpc", "subnets", "groups", "rules", "acls", "enis", "instances"):
        table.add_column(column, justify="left" if column in ("estate", "vpc") else "right")
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


def _diagnosis_table(reports: list[EstateReport]) -> Table:
    table = Table(title="diagnosis of each estate's failing flow", title_justify="left")
    for column in ("root cause", "flow", "reachable", "blocked at", "found", "detected"):
        table.add_column(column)
    for r in reports:
        ok = Text("yes", style="green") if r.detected else Text("NO", style="bold red")
        flow = f"{r.estate.protocol}/{r.estate.port}" if r.estate.port else r.estate.protocol
        table.add_row(
            r.estate.root_cause,
            flow,
            "yes" if r.reachable else "no",
            r.blocked_at or "-",
            ", ".join(r.causes) or "-",
            ok,
        )
    return table


def run_demo(*, json_output: bool = False) -> int:
    """Run the demo; returns the exit code (0 when every estate behaved as expected)."""
    console = stdout_console()
    with sandbox_endpoint() as endpoint:
        clients = make_clients(AwsOptions(region=SANDBOX_REGION, endpoint_url=endpoint))
        if not json_output:
            console.print(f"sandbox: moto EC2 at {endpoint} ({SANDBOX_REGION}), no AWS account")
        estates = build_all(clients.ec2)
        reports = [_diagnose_estate(clients, e) for e in estates]
    failures = [r for r in reports if r.problems]
    if json_output:
        emit_json({"estates": [r.as_json() for r in reports], "failures": len(failures)})
    else:
        console.print(_inventory_table(reports))
        console.print(_diagnosis_table(reports))
        for r in failures:
            console.print(f"[red]{r.estate.name}[/red]: " + "; ".join(r.problems))
        console.print(
            f"{len(reports) - len(failures)} of {len(reports)} estates behaved as expected."
        )
    return 1 if failures else 0
