"""The ``netmend`` command (typer + rich).

Every command takes ``--region``, ``--profile``, ``--endpoint-url`` and ``--output``;
errors netmend expects (bad input, AWS unreachable, an AWS call that failed) print one
line on stderr and exit with the error's code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netmend import __version__
from netmend.console import OutputFormat, emit_json, error_console, stdout_console
from netmend.errors import BadInputError, NetmendError
from netmend.log import configure_logging
from netmend.model import Inventory
from netmend.plan import Plan
from netmend.render_run import (
    FIX_SUCCESS,
    ROLLBACK_SUCCESS,
    render_plan_for,
    render_run_result,
)

if TYPE_CHECKING:
    from netmend.aws.session import AwsOptions

__all__ = ["app", "main"]

app = typer.Typer(
    name="netmend",
    help=(
        "Find out why traffic inside AWS is silently dropped (security groups, network "
        "ACLs, routes, quotas) and fix it safely: dry-run diff, approval, snapshot, "
        "apply, verify, rollback."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
inventory_app = typer.Typer(help="Collect an account and region's estate, or save it to a file.",
                            no_args_is_help=True)
playbooks_app = typer.Typer(help="List, show and validate playbooks; print their JSON Schema.",
                            no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")
runs_app = typer.Typer(help="Recorded runs: their plans, journals and results.",
                       no_args_is_help=True)
app.add_typer(playbooks_app, name="playbooks")
app.add_typer(runs_app, name="runs")

# -- options shared by every command -------------------------------------------------

Region = Annotated[
    str | None, typer.Option("--region", help="AWS region (default: AWS_REGION, the profile).")
]
Profile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile name (default: AWS_PROFILE).")
]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="EC2 endpoint, e.g. a moto server (default: AWS_ENDPOINT_URL).",
    ),
]
Output = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="text for people, json for machines.")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log what netmend does (stderr).")]
InventoryFile = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        help="Read the estate from a file saved by `netmend inventory save` (no AWS calls).",
        dir_okay=False,
    ),
]


def _aws_options(
    region: str | None, profile: str | None, endpoint_url: str | None
) -> AwsOptions:
    from netmend.aws.session import AwsOptions  # boto3 loads only when AWS is needed

    return AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url)


def _load_estate(
    inventory_file: Path | None, region: str | None, profile: str | None, endpoint_url: str | None
) -> Inventory:
    if inventory_file is not None:
        from netmend.inventory_file import load_inventory

        return load_inventory(inventory_file)
    from netmend.aws.collector import collect_inventory
    from netmend.aws.session import make_clients

    return collect_inventory(make_clients(_aws_options(region, profile, endpoint_url)))


# -- commands ---------------------------------------------------------------------------


@app.command()
def diagnose(
    source: Annotated[str, typer.Option("--source", "-s", help="Instance id, ENI id or IP.")],
    destination: Annotated[
        str, typer.Option("--destination", "-d", help="Instance id, ENI id or IP.")
    ],
    port: Annotated[
        int | None, typer.Option("--port", "-p", help="Destination port (TCP and UDP).")
    ] = None,
    protocol: Annotated[
        str, typer.Option("--protocol", help="tcp, udp, icmp, icmpv6, -1 (all) or a number.")
    ] = "tcp",
    icmp_type: Annotated[
        int | None, typer.Option("--icmp-type", help="ICMP type (default 8: echo request).")
    ] = None,
    icmp_code: Annotated[
        int | None, typer.Option("--icmp-code", help="ICMP code (default: any).")
    ] = None,
    inventory: InventoryFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Say whether SRC can reach DST, where the flow is dropped, and which root cause.

    Exit code: 0 reachable, 3 blocked, 2 bad input.
    """
    from netmend.diagnosis import EXIT_BLOCKED, diagnose, diagnosis_to_json, render_diagnosis
    from netmend.reach import make_flow

    configure_logging(verbose=verbose)
    estate = _load_estate(inventory, region, profile, endpoint_url)
    flow = make_flow(
        estate, source, destination, protocol=protocol, port=port,
        icmp_type=icmp_type, icmp_code=icmp_code,
    )
    result = diagnose(estate, flow)
    if output is OutputFormat.JSON:
        emit_json(diagnosis_to_json(result))
    else:
        stdout_console().print(render_diagnosis(result))
    raise typer.Exit(0 if result.reachable else EXIT_BLOCKED)


ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: NETMEND_CONFIG, ./netmend.yaml, "
                 "~/.config/netmend/config.yaml).", dir_okay=False),
]
PlaybookDirs = Annotated[
    list[Path] | None,
    typer.Option("--playbooks", help="Another folder of playbooks (repeatable)."),
]


@app.command()
def fix(
    source: Annotated[str, typer.Option("--source", "-s", help="Instance id, ENI id or IP.")],
    destination: Annotated[
        str, typer.Option("--destination", "-d", help="Instance id, ENI id or IP.")
    ],
    port: Annotated[
        int | None, typer.Option("--port", "-p", help="Destination port (TCP and UDP).")
    ] = None,
    protocol: Annotated[
        str, typer.Option("--protocol", help="tcp, udp, icmp, icmpv6, -1 (all) or a number.")
    ] = "tcp",
    icmp_type: Annotated[int | None, typer.Option("--icmp-type", help="ICMP type (default 8).")]
    = None,
    icmp_code: Annotated[int | None, typer.Option("--icmp-code", help="ICMP code.")] = None,
    playbook: Annotated[
        str | None, typer.Option("--playbook", help="Run only this playbook.")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option("--group", help="The security group to change or attach, when several fit."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Apply the plan (default: dry run, nothing written).")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve without asking (the policy still rules).")
    ] = False,
    change_id: Annotated[
        str | None,
        typer.Option("--change-id", help="Ticket or change number, stored and put in rule "
                     "descriptions."),
    ] = None,
    verify: Annotated[
        str, typer.Option("--verify", help="auto, local or reachability-analyzer.")
    ] = "auto",
    intents: Annotated[
        Path | None,
        typer.Option("--intents", help="Intents that must still hold after the fix.",
                     dir_okay=False),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Diff: table, awscli, terraform or cloudformation.")
    ] = "table",
    playbooks_dir: PlaybookDirs = None,
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Diagnose a flow and fix every root cause in one plan: a dry-run diff unless --apply.

    Exit code: 0 planned, applied or nothing to do; 1 refused, rolled back or failed;
    2 bad input.
    """
    from netmend.aws.collector import collect_inventory
    from netmend.aws.session import make_clients
    from netmend.config import load_config
    from netmend.diff import DIFF_FORMATS, plan_to_text
    from netmend.fixing import fix_flow, fix_result_json, make_runner
    from netmend.playbook import load_playbooks
    from netmend.reach import make_flow
    from netmend.runner import VERIFY_METHODS
    from netmend.verify_intents import load_intents

    configure_logging(verbose=verbose)
    if fmt not in DIFF_FORMATS:
        raise BadInputError(f"unknown --format {fmt!r}: use {', '.join(DIFF_FORMATS)}")
    if verify not in VERIFY_METHODS:
        raise BadInputError(f"unknown --verify {verify!r}: use {', '.join(VERIFY_METHODS)}")
    settings = load_config(config)
    loaded = load_playbooks([*settings.playbook_dirs, *(playbooks_dir or [])])
    if playbook is not None:
        loaded.require(playbook)
    declared = load_intents(intents) if intents is not None else None
    clients = make_clients(_aws_options(region, profile, endpoint_url))
    estate = collect_inventory(clients)
    flow = make_flow(estate, source, destination, protocol=protocol, port=port,
                     icmp_type=icmp_type, icmp_code=icmp_code)
    runner = make_runner(clients, settings, yes=yes, verify_method=verify)
    console = stdout_console()
    text = output is OutputFormat.TEXT

    def show(plan: Plan) -> str:
        if text:
            console.print(render_plan_for(plan, fmt))
        return plan_to_text(plan, "table")

    outcome = fix_flow(
        runner, estate, flow, loaded, apply=apply, only=playbook, group=group,
        change_id=change_id, verify_method=verify,
        intents=declared.intents if declared else None, on_plan=show,
    )
    result = outcome.result
    if not text:
        emit_json(fix_result_json(outcome, verify))
    else:
        console.print(render_run_result(result))
    raise typer.Exit(0 if result.status in FIX_SUCCESS else 1)


@app.command()
def rollback(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run to undo.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Even when a newer run changed the same resources.")
    ] = False,
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Restore every resource a run touched to its snapshot (finished or interrupted runs)."""
    from netmend.aws.session import make_clients
    from netmend.config import load_config
    from netmend.fixing import make_runner

    configure_logging(verbose=verbose)
    settings = load_config(config)
    runner = make_runner(make_clients(_aws_options(region, profile, endpoint_url)), settings,
                         yes=yes)
    runner.store.load_run(run_id)  # unknown id: exit 2 before anything else
    result = runner.rollback(run_id, approver=None if yes else runner.approver, force=force)
    if output is OutputFormat.JSON:
        emit_json(result.to_json())
    else:
        stdout_console().print(render_run_result(result))
    raise typer.Exit(0 if result.status in ROLLBACK_SUCCESS else 1)


@runs_app.command("list")
def runs_list(
    config: ConfigFile = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """Every recorded run, newest first (a run killed mid-apply shows as interrupted)."""
    from rich.table import Table

    from netmend.config import load_config
    from netmend.store import RunStore

    runs = RunStore(load_config(config).state_dir).list_runs()
    rows = [
        {
            "run_id": r.run_id,
            "status": str(r.status),
            "playbook": r.playbook,
            "started_at": r.started_at.isoformat() if r.started_at else None,
            "change_id": r.change_id,
            "requester": r.requester,
        }
        for r in runs
    ]
    if output is OutputFormat.JSON:
        emit_json({"runs": rows})
        return
    table = Table("run id", "status", "playbook", "started", "change id", "requester")
    for row in rows:
        table.add_row(*(str(row[k] or "-") for k in
                        ("run_id", "status", "playbook", "started_at", "change_id", "requester")))
    stdout_console().print(table if rows else "no runs recorded yet")


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run to show.")],
    config: ConfigFile = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """One run: its plan as a diff, its journal of API calls, and its result."""
    from netmend.config import load_config
    from netmend.diff import render_plan
    from netmend.store import RunStore

    store = RunStore(load_config(config).state_dir)
    record = store.load_run(run_id)
    if output is OutputFormat.JSON:
        emit_json({
            "run_id": run_id,
            "status": str(record.status),
            "plan": record.plan.model_dump(mode="json"),
            "journal": [entry.model_dump(mode="json") for entry in record.journal],
            "result": record.result,
        })
        return
    console = stdout_console()
    console.print(f"run {run_id}: {record.status}")
    console.print(render_plan(record.plan))
    console.print(f"journal: {len(record.journal)} entries")
    for entry in record.journal:
        console.print(f"  {entry.model_dump_json()}", markup=False)


@app.command()
def verify(
    intents: Annotated[
        Path, typer.Option("--intents", help="YAML file of flows that must be allowed or denied.",
                           dir_okay=False)
    ],
    method: Annotated[
        str, typer.Option("--method", help="local, reachability-analyzer or auto.")
    ] = "local",
    inventory: InventoryFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Check declared intents: which hold, which are violated and where they are blocked.

    Exit code: 0 every intent holds, 3 at least one is violated, 2 bad input.
    """
    from netmend.diagnosis import EXIT_BLOCKED
    from netmend.verify import METHODS, MethodVerifier
    from netmend.verify_intents import load_intents
    from netmend.verify_report import check_intents, intent_report_to_json, render_intent_report

    configure_logging(verbose=verbose)
    if method not in METHODS:
        raise BadInputError(f"unknown --method {method!r}: use {', '.join(METHODS)}")
    declared = load_intents(intents)
    if inventory is not None:
        if method != "local":
            raise BadInputError("--inventory checks offline: use --method local with it")
        report = check_intents(_load_estate(inventory, None, None, None), declared)
    else:
        from netmend.aws.session import make_clients

        clients = make_clients(_aws_options(region, profile, endpoint_url))
        report = check_intents(MethodVerifier(method, clients), declared)
    if output is OutputFormat.JSON:
        emit_json(intent_report_to_json(report))
    else:
        stdout_console().print(render_intent_report(report))
    raise typer.Exit(0 if report.all_held else EXIT_BLOCKED)


@inventory_app.command("save")
def inventory_save(
    file: Annotated[Path, typer.Argument(help="Where to write the inventory (JSON).",
                                         dir_okay=False)],
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Collect one account and region and save it, for offline `--inventory FILE` runs."""
    from netmend.inventory_file import save_inventory

    configure_logging(verbose=verbose)
    estate = _load_estate(None, region, profile, endpoint_url)
    path = save_inventory(estate, file)
    counts = {
        "vpcs": len(estate.vpcs),
        "subnets": len(estate.subnets),
        "security_groups": len(estate.security_groups),
        "security_group_rules": sum(len(g.rules) for g in estate.security_groups),
        "network_acls": len(estate.network_acls),
        "route_tables": len(estate.route_tables),
        "network_interfaces": len(estate.network_interfaces),
        "instances": len(estate.instances),
    }
    if output is OutputFormat.JSON:
        emit_json({"file": str(path), "region": estate.region, "counts": counts})
    else:
        summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
        stdout_console().print(f"saved {estate.region} to {path}: {summary}")


@app.command()
def demo(
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Run the embedded sandbox: moto in-process, the runbook's broken estates, no AWS."""
    from netmend.demo.run import run_demo

    configure_logging(verbose=verbose)
    raise typer.Exit(run_demo(json_output=output is OutputFormat.JSON))


@playbooks_app.command("list")
def playbooks_list(
    playbooks_dir: Annotated[
        list[Path] | None,
        typer.Option("--playbooks", help="Another folder of playbooks (repeatable)."),
    ] = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """List the playbooks: built-in ones and those in --playbooks folders."""
    from rich.table import Table

    from netmend.playbook import load_playbooks

    loaded = load_playbooks(_playbook_dirs(playbooks_dir))
    rows = [
        {"id": p.id, "scope": p.scope, "severity": p.severity, "title": p.title}
        for p in loaded
    ]
    if output is OutputFormat.JSON:
        emit_json({"playbooks": rows})
        return
    table = Table("id", "scope", "severity", "title")
    for row in rows:
        table.add_row(row["id"], str(row["scope"]), str(row["severity"]), row["title"])
    stdout_console().print(table)


@playbooks_app.command("show")
def playbooks_show(
    playbook_id: Annotated[str, typer.Argument(metavar="ID", help="The playbook id.")],
    playbooks_dir: Annotated[
        list[Path] | None,
        typer.Option("--playbooks", help="Another folder of playbooks (repeatable)."),
    ] = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """Show one playbook: its steps, and each action's IAM permissions."""
    from netmend.playbook import get_action, load_playbooks

    playbook = load_playbooks(_playbook_dirs(playbooks_dir)).require(playbook_id)
    if output is OutputFormat.JSON:
        emit_json(playbook.model_dump(mode="json", by_alias=True))
        return
    console = stdout_console()
    console.print(f"[bold]{playbook.id}[/bold]: {playbook.title}  "
                  f"(scope {playbook.scope}, severity {playbook.severity})")
    for section in ("detect", "propose", "verify"):
        console.print(f"[bold]{section}[/bold]")
        for step in getattr(playbook, section):
            console.print(f"  - {step.use}", markup=False)
            if section == "propose":
                action = get_action(step.use)
                if action is not None:
                    console.print(f"      permissions: {', '.join(action.permissions)}",
                                  markup=False)
    console.print(f"[bold]explain[/bold]: {playbook.explain}", markup=False)


@playbooks_app.command("validate")
def playbooks_validate(
    path: Annotated[Path, typer.Argument(help="A playbook file or a folder of them.")],
    output: Output = OutputFormat.TEXT,
) -> None:
    """Check playbook files: YAML, schema, registered steps and their parameters."""
    from netmend.playbook import validate_path

    loaded = validate_path(path)
    if output is OutputFormat.JSON:
        emit_json({"valid": True, "playbooks": [p.id for p in loaded]})
    else:
        stdout_console().print(f"{len(loaded)} playbook(s) valid: "
                               f"{', '.join(p.id for p in loaded)}")


@playbooks_app.command("schema")
def playbooks_schema() -> None:
    """Print the playbook JSON Schema (for editors that complete and check YAML)."""
    from netmend.playbook import playbook_json_schema

    sys.stdout.write(json.dumps(playbook_json_schema(), indent=2) + "\n")


@app.command("iam-policy")
def iam_policy_command(
    playbook: Annotated[
        list[str] | None,
        typer.Option("--playbook", help="Only these playbooks' actions (repeatable)."),
    ] = None,
    playbooks_dir: Annotated[
        list[Path] | None,
        typer.Option("--playbooks", help="Another folder of playbooks (repeatable)."),
    ] = None,
) -> None:
    """Print the IAM policy netmend needs: describe calls plus the playbooks' actions."""
    from netmend.playbook import iam_policy, load_playbooks

    loaded = load_playbooks(_playbook_dirs(playbooks_dir))
    chosen = [loaded.require(i) for i in playbook] if playbook else list(loaded)
    sys.stdout.write(json.dumps(iam_policy(chosen), indent=2) + "\n")


def _playbook_dirs(extra: list[Path] | None) -> list[Path]:
    from netmend.config import load_config

    return [*load_config().playbook_dirs, *(extra or [])]


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"netmend {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """netmend: why is my traffic dropped, and a safe fix."""


def main() -> None:
    """Console-script entry: NetmendError becomes one line on stderr and its exit code.

    typer runs standalone: usage errors exit 2 with click's message and ``typer.Exit``
    carries each command's own code; only netmend's errors reach the handler below.
    """
    try:
        app()
    except NetmendError as error:
        error_console().print(f"netmend: error: {error}", markup=False, highlight=False)
        sys.exit(error.exit_code)
