"""``netmend scan``: estate hygiene, graded by what is really reachable (a thin face).

Parses, collects (one inventory, plus the signals the chosen playbooks need), calls
``netmend.scan`` and renders: a table on a terminal (with a progress bar on stderr),
JSON, SARIF 2.1.0 or ASFF. ``--fix PLAYBOOK --resource ID`` runs one finding's fix
through the same engine as ``fix``. Exit 0, or 3 when ``--fail-on`` is met; 2 on bad input.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from netmend.cli.options import (
    ConfigFile,
    EndpointUrl,
    InventoryFile,
    PlaybookDirs,
    Profile,
    Region,
    Verbose,
    aws_options,
)
from netmend.errors import BadInputError, NetmendError
from netmend.log import configure_logging
from netmend.render.console import emit_json, error_console, stdout_console

if TYPE_CHECKING:
    from netmend.run.plan import Plan
    from netmend.scan import Progress

__all__ = ["ScanOutput", "scan"]

EXIT_FAIL_ON = 3


class ScanOutput(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    ASFF = "asff"


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr (a terminal only), as a ``Progress`` callback."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=error_console(),
        transient=True,
    )
    with bar:
        task = bar.add_task("collecting the estate", total=None)

        def update(what: str, done: int, total: int) -> None:
            label = "evaluating" if what == "done" else f"evaluating {what}"
            bar.update(task, description=label, completed=done, total=total)

        yield update


def _fail(output: ScanOutput, error: NetmendError) -> None:
    if output is ScanOutput.TEXT:
        raise error
    code = "bad_input" if isinstance(error, BadInputError) else type(error).__name__
    emit_json({"error": {"code": code, "message": str(error)}})
    raise typer.Exit(error.exit_code)


def scan(
    playbook: Annotated[
        list[str] | None,
        typer.Option("--playbook", help="Run only this estate playbook (repeatable)."),
    ] = None,
    vpc: Annotated[
        list[str] | None, typer.Option("--vpc", help="Report only this VPC (repeatable).")
    ] = None,
    inventory: InventoryFile = None,
    output: Annotated[
        ScanOutput, typer.Option("--output", "-o", help="text, json, sarif or asff.")
    ] = ScanOutput.TEXT,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 3 when a finding at or above this severity is open."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", help="Silence the findings listed in this file.", dir_okay=False
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(
            "--write-baseline", help="Write the open findings to this file.", dir_okay=False
        ),
    ] = None,
    fix: Annotated[
        str | None,
        typer.Option("--fix", metavar="PLAYBOOK", help="Fix one finding of this playbook."),
    ] = None,
    resource: Annotated[
        str | None, typer.Option("--resource", help="The finding's resource (with --fix).")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Apply the fix (default: dry run, nothing written).")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve without asking (the policy still rules).")
    ] = False,
    change_id: Annotated[
        str | None, typer.Option("--change-id", help="Ticket or change number for the fix.")
    ] = None,
    playbooks_dir: PlaybookDirs = None,
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    verbose: Verbose = False,
) -> None:
    """Check the whole estate (the runbook's prevention list and FAQ), graded by reachability.

    Exit code: 0 nothing open at or above --fail-on, 3 otherwise, 2 bad input.
    """
    configure_logging(verbose=verbose)
    try:
        _scan(
            playbook=playbook or [],
            vpc=vpc or [],
            inventory=inventory,
            output=output,
            fail_on=fail_on,
            baseline=baseline,
            write_baseline=write_baseline,
            fix=fix,
            resource=resource,
            apply=apply,
            yes=yes,
            change_id=change_id,
            playbooks_dir=playbooks_dir,
            config=config,
            aws=(region, profile, endpoint_url),
        )
    except NetmendError as error:
        _fail(output, error)


def _scan(
    *,
    playbook: list[str],
    vpc: list[str],
    inventory: Path | None,
    output: ScanOutput,
    fail_on: str | None,
    baseline: Path | None,
    write_baseline: Path | None,
    fix: str | None,
    resource: str | None,
    apply: bool,
    yes: bool,
    change_id: str | None,
    playbooks_dir: list[Path] | None,
    config: Path | None,
    aws: tuple[str | None, str | None, str | None],
) -> None:
    from netmend.config import load_config
    from netmend.playbook import load_playbooks
    from netmend.scan import estate_playbooks, load_baseline, parse_severity, scan_estate

    threshold = parse_severity(fail_on) if fail_on is not None else None
    if (fix is None) != (resource is None):
        raise BadInputError("--fix PLAYBOOK and --resource ID go together")
    if fix is None and (apply or yes):
        raise BadInputError("--apply and --yes apply a fix: give --fix PLAYBOOK --resource ID")
    settings = load_config(config)
    loaded = load_playbooks([*settings.playbook_dirs, *(playbooks_dir or [])])
    chosen = estate_playbooks(loaded, [fix] if fix else playbook)
    accepted = load_baseline(baseline) if baseline is not None else None
    if fix is not None and resource is not None:
        if inventory is not None:
            raise BadInputError("--fix writes to AWS: drop --inventory")
        _fix(
            loaded,
            fix,
            resource,
            apply=apply,
            yes=yes,
            change_id=change_id,
            settings=settings,
            output=output,
            aws=aws,
        )
        return
    terminal = output is ScanOutput.TEXT and sys.stderr.isatty()
    with _progress(terminal) as progress:
        if inventory is not None:
            from netmend.inventory_file import load_inventory

            estate = load_inventory(inventory)
            signals: dict[str, Any] = {}
            notes = {"signals": "not read: the estate comes from a file (--inventory)"}
        else:
            from netmend.aws.collector import collect_inventory
            from netmend.aws.session import make_clients
            from netmend.aws.signals import collect_signals
            from netmend.scan import unused_candidates

            clients = make_clients(aws_options(*aws))
            estate = collect_inventory(clients)
            signals, notes = collect_signals(
                clients, [p.id for p in chosen], group_ids=unused_candidates(estate)
            )
        report = scan_estate(
            estate,
            loaded,
            only=[p.id for p in chosen],
            vpcs=vpc,
            baseline=accepted,
            fail_on=threshold,
            signals=signals,
            signal_notes=notes,
            progress=progress,
        )
    if write_baseline is not None:
        from netmend.scan import write_baseline as write

        count = write(write_baseline, report.open_findings, region=report.region)
        error_console().print(f"baseline written to {write_baseline}: {count} finding(s)")
    _emit(report, loaded, output)
    raise typer.Exit(EXIT_FAIL_ON if report.failed else 0)


def _emit(report: Any, loaded: Any, output: ScanOutput) -> None:
    if output is ScanOutput.JSON:
        emit_json(report.to_json())
    elif output is ScanOutput.SARIF:
        from netmend.render.sarif import report_to_sarif

        emit_json(report_to_sarif(report, loaded))
    elif output is ScanOutput.ASFF:
        from netmend.render.asff import report_to_asff

        emit_json(report_to_asff(report, loaded))
    else:
        from netmend.render.scan_table import render_scan

        stdout_console().print(render_scan(report))


def _fix(
    loaded: Any,
    playbook_id: str,
    resource: str,
    *,
    apply: bool,
    yes: bool,
    change_id: str | None,
    settings: Any,
    output: ScanOutput,
    aws: tuple[str | None, str | None, str | None],
) -> None:
    from netmend.app.fixing import make_runner
    from netmend.aws.collector import collect_inventory
    from netmend.aws.session import make_clients
    from netmend.aws.signals import collect_signals
    from netmend.render.diff import plan_to_text
    from netmend.render.run import FIX_SUCCESS, render_plan_for, render_run_result
    from netmend.scan import fix_finding

    if output not in (ScanOutput.TEXT, ScanOutput.JSON):
        raise BadInputError("--fix prints text or json")
    clients = make_clients(aws_options(*aws))
    estate = collect_inventory(clients)
    signals, _ = collect_signals(clients, [playbook_id], group_ids=[resource])
    runner = make_runner(clients, settings, yes=yes, verify_method="local")
    text = output is ScanOutput.TEXT
    console = stdout_console()

    def show(plan: Plan) -> str:
        if text:
            console.print(render_plan_for(plan, "table"))
        return plan_to_text(plan, "table")

    outcome = fix_finding(
        runner,
        estate,
        loaded,
        playbook_id,
        resource,
        apply=apply,
        signals=signals,
        change_id=change_id,
        on_plan=show,
    )
    result = outcome.result
    if result is None:  # fix_finding always runs the plan; say so if that ever changes
        raise NetmendError(f"{playbook_id} on {resource}: the plan did not run")
    if text:
        console.print(render_run_result(result))
    else:
        emit_json(outcome.to_json())
    raise typer.Exit(0 if result.status in FIX_SUCCESS else 1)
