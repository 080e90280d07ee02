"""`netmend fix`, `rollback` and `runs`: the commands that make and keep runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netmend.cli.options import (
    ConfigFile,
    EndpointUrl,
    IcmpCode,
    IcmpType,
    InventoryFile,
    Output,
    PlaybookDirs,
    Port,
    Profile,
    Protocol,
    Region,
    Verbose,
)
from netmend.errors import BadInputError
from netmend.log import configure_logging
from netmend.render.console import OutputFormat, emit_json, error_console, stdout_console

if TYPE_CHECKING:
    from netmend.run.plan import Plan

__all__ = ["fix", "rollback", "runs_app"]

runs_app = typer.Typer(
    help="Recorded runs: their plans, journals and results.", no_args_is_help=True
)


def fix(
    source: Annotated[
        str | None,
        typer.Option("--source", "-s", help="Instance id, ENI id or IP (not with --plan)."),
    ] = None,
    destination: Annotated[
        str | None,
        typer.Option("--destination", "-d", help="Instance id, ENI id or IP (not with --plan)."),
    ] = None,
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
    peer: Annotated[
        str,
        typer.Option(
            "--peer",
            help="The peer a new rule names: narrowest (the source's group, else its "
            "address) or near-miss (the peer of the rule that almost matched).",
        ),
    ] = "narrowest",
    apply: Annotated[
        bool, typer.Option("--apply", help="Apply the plan (default: dry run, nothing written).")
    ] = False,
    plan_run_id: Annotated[
        str | None,
        typer.Option(
            "--plan",
            metavar="RUN_ID",
            help="With --apply: apply the plan a dry run (or a held run) recorded.",
        ),
    ] = None,
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
    inventory: InventoryFile = None,
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
    from netmend.app.fixing import fix as fix_core
    from netmend.app.requests import FixRequest, FlowRequest, Target
    from netmend.render.diff import DIFF_FORMATS, plan_to_text

    configure_logging(verbose=verbose)
    if fmt not in DIFF_FORMATS:
        raise BadInputError(f"unknown --format {fmt!r}: use {', '.join(DIFF_FORMATS)}")
    if plan_run_id is None and (source is None or destination is None):
        raise BadInputError(
            f"missing option '{'--source' if source is None else '--destination'}' "
            "(or apply a recorded plan with --apply --plan RUN_ID)"
        )
    if plan_run_id is not None and (source is not None or destination is not None):
        raise BadInputError("--plan applies a recorded plan: leave out --source/--destination")
    flow = (
        FlowRequest(
            source=source,
            destination=destination,
            protocol=protocol,
            port=port,
            icmp_type=icmp_type,
            icmp_code=icmp_code,
        )
        if source is not None and destination is not None
        else None
    )
    request = FixRequest(
        flow=flow,
        plan_run_id=plan_run_id,
        target=Target(
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            config_file=config,
            inventory_file=inventory,
        ),
        playbook=playbook,
        group=group,
        peer=peer,
        apply=apply,
        yes=yes,
        change_id=change_id,
        verify=verify,
        intents_file=intents,
        playbook_dirs=tuple(playbooks_dir or ()),
    )
    # Imported here, not at the top: `netmend --help` and the offline commands need
    # none of what runs import (boto3 among it).
    from netmend.render.run import FIX_SUCCESS, render_run_result, write_plan

    text = output is OutputFormat.TEXT
    # In text the diff is printed before the run asks: the prompt shows only a summary.
    from netmend.approval import TerminalApprover

    asker = None if yes or not text else TerminalApprover(show_diff=False)
    console = stdout_console()

    def show(plan: Plan) -> str:
        if text:
            write_plan(plan, fmt, console)
        return plan_to_text(plan, "table")

    from netmend.app.fixing import fix_estate
    from netmend.render.progress import collection_progress, step_lines

    estate = None
    if request.plan_run_id is None:
        # The spinner only while collecting: it would draw over the approval prompt.
        with collection_progress() as collecting:
            estate = fix_estate(request, progress=collecting)
    result = fix_core(
        request,
        estate=estate,
        approver=asker,
        render_diff=plan_to_text,
        on_plan=show,
        step_progress=step_lines(),
    )
    if not text:
        emit_json(result)
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
    from netmend.app.requests import RollbackRequest, Target
    from netmend.app.runs import rollback_run
    from netmend.render.diff import plan_to_text
    from netmend.render.run import ROLLBACK_SUCCESS, render_run_result

    configure_logging(verbose=verbose)
    request = RollbackRequest(
        run_id=run_id,
        yes=yes,
        force=force,
        target=Target(
            region=region, profile=profile, endpoint_url=endpoint_url, config_file=config
        ),
    )
    result = rollback_run(request, render_diff=plan_to_text)
    if output is OutputFormat.JSON:
        emit_json(result)
    else:
        stdout_console().print(render_run_result(result))
    raise typer.Exit(0 if result.nothing_to_undo or result.status in ROLLBACK_SUCCESS else 1)


@runs_app.command("list")
def runs_list(
    show_all: Annotated[
        bool, typer.Option("--all", help="Also saved plans (dry runs) and empty plans.")
    ] = False,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only runs with this status (repeatable)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many (newest first).")
    ] = None,
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """Runs that wrote (or tried to), newest first; --all adds the saved plans.

    A run killed mid-apply shows as interrupted.
    """
    from netmend.app.requests import Target
    from netmend.app.runs import list_runs
    from netmend.render.runs import render_runs
    from netmend.store.records import RunStatus

    wanted: set[RunStatus] = set()
    for name in status or ():
        try:
            wanted.add(RunStatus(name))
        except ValueError:
            choices = ", ".join(s.value for s in RunStatus)
            raise BadInputError(f"unknown --status {name!r}: use {choices}") from None
    # The AWS options reach the state when it is in S3 / DynamoDB (issue 14).
    target = Target(region=region, profile=profile, endpoint_url=endpoint_url, config_file=config)
    listed = list_runs(config, target, statuses=wanted, show_all=show_all, limit=limit)
    if output is OutputFormat.JSON:
        emit_json(listed)
        return
    stdout_console().print(render_runs(listed))


@runs_app.command("prune")
def runs_prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than", help="Age of the saved plans to delete, e.g. 30d, 12h, 90m, 2w."
        ),
    ],
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """Delete saved plans (dry runs) older than DURATION; runs that wrote are kept."""
    from netmend.app.requests import Target
    from netmend.app.runs import prune_plans

    target = Target(region=region, profile=profile, endpoint_url=endpoint_url, config_file=config)
    pruned = prune_plans(older_than, config, target)
    if output is OutputFormat.JSON:
        emit_json(pruned)
    else:
        stdout_console().print(
            f"removed {len(pruned.removed)} saved plan(s) older than {older_than}"
        )


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

    from netmend.app.requests import ShowRunRequest, Target
    from netmend.app.runs import show_run
    from netmend.render.diff import render_plan
    from netmend.render.runs import render_approval_and_verification, started_text

    target = Target(region=region, profile=profile, endpoint_url=endpoint_url, config_file=config)
    record = show_run(ShowRunRequest(run_id=run_id, config_file=config), target)
    if output is OutputFormat.JSON:
        emit_json(record)
        return
    console = stdout_console()
    console.print(
        f"run {run_id}: {record.status}  (started {started_text(record.started_at)}"
        f"{', requested by ' + record.requester if record.requester else ''})",
        markup=False,
    )
    console.print(render_approval_and_verification(record.approval, record.result))
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
