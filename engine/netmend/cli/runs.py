"""`netmend fix`, `rollback` and `runs`: the commands that make and keep runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netmend.cli.options import (
    ConfigFile,
    EndpointUrl,
    IcmpCode,
    IcmpType,
    Output,
    PlaybookDirs,
    Port,
    Profile,
    Protocol,
    Region,
    Verbose,
    aws_options,
)
from netmend.errors import BadInputError
from netmend.log import configure_logging
from netmend.render.console import OutputFormat, emit_json, error_console, stdout_console
from netmend.render.run import (
    FIX_SUCCESS,
    ROLLBACK_SUCCESS,
    render_plan_for,
    render_run_result,
)
from netmend.run.plan import Plan
from netmend.store.runs import RunStore

__all__ = ["fix", "rollback", "runs_app"]

runs_app = typer.Typer(
    help="Recorded runs: their plans, journals and results.", no_args_is_help=True
)


# Optional here: `fix --apply --plan RUN_ID` takes the flow from the stored plan.
FixSource = Annotated[str | None, typer.Option("--source", "-s", help="Instance id, ENI id or IP.")]
FixDestination = Annotated[
    str | None, typer.Option("--destination", "-d", help="Instance id, ENI id or IP.")
]
StoredPlan = Annotated[
    str | None,
    typer.Option(
        "--plan",
        metavar="RUN_ID",
        help="Apply exactly this stored plan (a dry run or a held run) after the drift check.",
    ),
]


def fix(
    source: FixSource = None,
    destination: FixDestination = None,
    port: Port = None,
    protocol: Protocol = "tcp",
    icmp_type: IcmpType = None,
    icmp_code: IcmpCode = None,
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
        typer.Option(
            "--change-id", help="Ticket or change number, stored and put in rule descriptions."
        ),
    ] = None,
    verify: Annotated[
        str, typer.Option("--verify", help="auto, local or reachability-analyzer.")
    ] = "auto",
    intents: Annotated[
        Path | None,
        typer.Option(
            "--intents", help="Intents that must still hold after the fix.", dir_okay=False
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Diff: table, awscli, terraform or cloudformation.")
    ] = "table",
    playbooks_dir: PlaybookDirs = None,
    plan_id: StoredPlan = None,
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Diagnose a flow and fix every root cause in one plan: a dry-run diff unless --apply.

    ``--apply --plan RUN_ID`` applies a stored plan instead (a dry run, or a run the
    event worker held for approval): exactly as stored, after approval and drift check.

    Exit code: 0 planned, applied or nothing to do; 1 refused, rolled back or failed;
    2 bad input.
    """
    from netmend.app.fixing import fix_flow, fix_result_json, make_runner
    from netmend.aws.collector import collect_inventory
    from netmend.aws.session import make_clients
    from netmend.config import load_config
    from netmend.playbook import load_playbooks
    from netmend.reach import make_flow
    from netmend.render.diff import DIFF_FORMATS, plan_to_text
    from netmend.run.runner import VERIFY_METHODS
    from netmend.verify.intents import load_intents

    configure_logging(verbose=verbose)
    if fmt not in DIFF_FORMATS:
        raise BadInputError(f"unknown --format {fmt!r}: use {', '.join(DIFF_FORMATS)}")
    if verify not in VERIFY_METHODS:
        raise BadInputError(f"unknown --verify {verify!r}: use {', '.join(VERIFY_METHODS)}")
    if plan_id is not None:
        if source is not None or destination is not None or playbook is not None:
            raise BadInputError("--plan takes the flow from the stored plan: drop --source, ...")
        if not apply:
            raise BadInputError("--plan RUN_ID applies a stored plan: add --apply")
        _apply_stored_plan(
            plan_id,
            yes=yes,
            verify=verify,
            intents=intents,
            fmt=fmt,
            config=config,
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            output=output,
        )
        return
    if source is None or destination is None:
        raise BadInputError("fix needs --source and --destination (or --apply --plan RUN_ID)")
    settings = load_config(config)
    loaded = load_playbooks([*settings.playbook_dirs, *(playbooks_dir or [])])
    if playbook is not None:
        loaded.require(playbook)
    declared = load_intents(intents) if intents is not None else None
    clients = make_clients(aws_options(region, profile, endpoint_url))
    estate = collect_inventory(clients)
    flow = make_flow(
        estate,
        source,
        destination,
        protocol=protocol,
        port=port,
        icmp_type=icmp_type,
        icmp_code=icmp_code,
    )
    runner = make_runner(clients, settings, yes=yes, verify_method=verify)
    console = stdout_console()
    text = output is OutputFormat.TEXT

    def show(plan: Plan) -> str:
        if text:
            console.print(render_plan_for(plan, fmt))
        return plan_to_text(plan, "table")

    outcome = fix_flow(
        runner,
        estate,
        flow,
        loaded,
        apply=apply,
        only=playbook,
        group=group,
        change_id=change_id,
        verify_method=verify,
        intents=declared.intents if declared else None,
        on_plan=show,
    )
    result = outcome.result
    if not text:
        emit_json(fix_result_json(outcome, verify))
    elif fmt == "table":
        console.print(render_run_result(result))
    else:
        # Code formats stay clean on stdout (redirect them to a .tf or template file).
        error_console().print(render_run_result(result))
    raise typer.Exit(0 if result.status in FIX_SUCCESS else 1)


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
    from netmend.app.fixing import make_runner
    from netmend.aws.session import make_clients
    from netmend.config import load_config

    configure_logging(verbose=verbose)
    settings = load_config(config)
    runner = make_runner(
        make_clients(aws_options(region, profile, endpoint_url)), settings, yes=yes
    )
    runner.store.load_run(run_id)  # unknown id: exit 2 before anything else
    result = runner.rollback(run_id, approver=None if yes else runner.approver, force=force)
    if output is OutputFormat.JSON:
        emit_json(result.to_json())
    else:
        stdout_console().print(render_run_result(result))
    raise typer.Exit(0 if result.status in ROLLBACK_SUCCESS else 1)


def _run_store(
    config: Path | None, region: str | None, profile: str | None, endpoint_url: str | None
) -> RunStore:
    """The config's run records: a local folder, or S3 + DynamoDB (AWS clients then)."""
    from netmend.config import load_config
    from netmend.store.state import needs_aws, open_state

    settings = load_config(config)
    clients = None
    if needs_aws(settings):
        from netmend.aws.session import make_clients

        clients = make_clients(aws_options(region, profile, endpoint_url))
    return open_state(settings, clients).runs


@runs_app.command("list")
def runs_list(
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """Every recorded run, newest first (a run killed mid-apply shows as interrupted)."""
    from rich.table import Table

    runs = _run_store(config, region, profile, endpoint_url).list_runs()
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
        table.add_row(
            *(
                str(row[k] or "-")
                for k in ("run_id", "status", "playbook", "started_at", "change_id", "requester")
            )
        )
    stdout_console().print(table if rows else "no runs recorded yet")


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run to show.")],
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """One run: its plan as a diff, its journal of API calls, and its result."""
    from rich.table import Table

    from netmend.render.diff import render_plan

    store = _run_store(config, region, profile, endpoint_url)
    record = store.load_run(run_id)
    if output is OutputFormat.JSON:
        emit_json(
            {
                "run_id": run_id,
                "status": str(record.status),
                "plan": record.plan.model_dump(mode="json"),
                "journal": [entry.model_dump(mode="json") for entry in record.journal],
                "result": record.result,
            }
        )
        return
    console = stdout_console()
    console.print(f"run {run_id}: {record.status}")
    console.print(render_plan(record.plan))
    journal = Table(
        "#",
        "time",
        "phase",
        "event",
        "api",
        "resource",
        "outcome",
        title=f"journal: {len(record.journal)} entries",
        title_justify="left",
    )
    for entry in record.journal:
        outcome: str = entry.outcome or ""
        if entry.code:
            outcome = f"{outcome} ({entry.code})"
        journal.add_row(
            str(entry.seq),
            entry.ts.isoformat(),
            str(entry.phase),
            str(entry.event),
            entry.api,
            entry.resource,
            outcome,
        )
    console.print(journal)


def _apply_stored_plan(
    run_id: str,
    *,
    yes: bool,
    verify: str,
    intents: Path | None,
    fmt: str,
    config: Path | None,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    output: OutputFormat,
) -> None:
    """`fix --apply --plan RUN_ID`: the stored plan, approved as usual, drift-checked, applied."""
    from netmend.app.fixing import make_runner
    from netmend.aws.session import make_clients
    from netmend.config import load_config
    from netmend.render.diff import plan_to_text
    from netmend.verify.intents import load_intents

    settings = load_config(config)
    declared = load_intents(intents) if intents is not None else None
    runner = make_runner(
        make_clients(aws_options(region, profile, endpoint_url)),
        settings,
        yes=yes,
        verify_method=verify,
    )
    plan = runner.store.read_plan(run_id)  # unknown id: exit 2
    text = output is OutputFormat.TEXT
    console = stdout_console()
    if text:
        console.print(render_plan_for(plan, fmt))
    result = runner.apply_saved(
        run_id,
        verify_method=verify,
        intents=declared.intents if declared else None,
        rendered_diff=plan_to_text(plan, "table"),
    )
    if text:
        console.print(render_run_result(result))
    else:
        document = result.to_json()
        if document.get("verification") is None:
            document["verification"] = {"method": verify, "reachable": None}
        emit_json(document)
    raise typer.Exit(0 if result.status in FIX_SUCCESS else 1)
