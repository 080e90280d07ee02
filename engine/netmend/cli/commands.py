"""The ``netmend`` command (typer + rich).

Every command takes ``--region``, ``--profile``, ``--endpoint-url`` and ``--output``;
errors netmend expects (bad input, AWS unreachable, an AWS call that failed) print one
line on stderr and exit with the error's code, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from netmend import __version__
from netmend.cli.options import (
    ConfigFile,
    EndpointUrl,
    IcmpCode,
    IcmpType,
    InventoryFile,
    OptionalDestination,
    OptionalSource,
    Output,
    Port,
    Profile,
    Protocol,
    Region,
    TargetHealthOption,
    Verbose,
    aws_options,
    load_estate,
)
from netmend.cli.playbooks import iam_policy_command, playbooks_app
from netmend.cli.runs import fix, rollback, runs_app
from netmend.cli.scan import scan
from netmend.cli.watch import watch
from netmend.errors import BadInputError, NetmendError
from netmend.log import configure_logging
from netmend.render.console import OutputFormat, emit_json, error_console, stdout_console

try:  # typer >= 0.26 vendors click; older ones use click itself
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import (  # type: ignore[assignment,no-redef,unused-ignore]
        ClickException,
        NoArgsIsHelpError,
        UsageError,
    )
if TYPE_CHECKING:
    from netmend.app.requests import Target

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
inventory_app = typer.Typer(
    help="Collect an account and region's estate, or save it to a file.", no_args_is_help=True
)
serve_app = typer.Typer(help="Serve netmend to a chat platform.", no_args_is_help=True)


@app.command()
def diagnose(
    source: OptionalSource = None,
    destination: OptionalDestination = None,
    target_health: TargetHealthOption = None,
    port: Port = None,
    protocol: Protocol = "tcp",
    icmp_type: IcmpType = None,
    icmp_code: IcmpCode = None,
    inventory: InventoryFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Say whether SRC can reach DST, where the flow is dropped, and which root cause.

    DST may be a load balancer (ARN, name or DNS name, with :PORT). With
    --target-health TARGET_GROUP instead: why each target is unhealthy (network or host).
    Exit code: 0 reachable, 3 blocked, 2 bad input.
    """
    from netmend.app.diagnosis import EXIT_BLOCKED, diagnose_request
    from netmend.app.requests import DiagnoseRequest, FlowRequest, Target
    from netmend.render.diagnosis import render_diagnosis

    configure_logging(verbose=verbose)
    target = Target(
        region=region, profile=profile, endpoint_url=endpoint_url, inventory_file=inventory
    )
    if target_health is not None:
        _diagnose_target_health(target_health, target, output)
    if source is None or destination is None:
        raise BadInputError("give --source and --destination (or --target-health TARGET_GROUP)")
    result = diagnose_request(
        DiagnoseRequest(
            flow=FlowRequest(
                source=source,
                destination=destination,
                protocol=protocol,
                port=port,
                icmp_type=icmp_type,
                icmp_code=icmp_code,
            ),
            target=target,
        )
    )
    if output is OutputFormat.JSON:
        emit_json(result)
    else:
        stdout_console().print(render_diagnosis(result))
    raise typer.Exit(0 if result.reachable else EXIT_BLOCKED)


def _diagnose_target_health(reference: str, target: Target, output: OutputFormat) -> None:
    """``diagnose --target-health``: exit 0 when the network admits every health check."""
    from netmend.app.diagnosis import EXIT_BLOCKED
    from netmend.app.target_health import diagnose_target_health
    from netmend.render.diagnosis import render_target_health

    result = diagnose_target_health(target, reference)
    if output is OutputFormat.JSON:
        emit_json(result)
    else:
        stdout_console().print(render_target_health(result.report))
    raise typer.Exit(0 if result.network_ok else EXIT_BLOCKED)


# Help lists commands in registration order: the order an engineer uses them in.
app.command()(fix)
app.command()(rollback)
app.add_typer(runs_app, name="runs")
app.command()(scan)
app.command()(watch)


@app.command()
def verify(
    intents: Annotated[
        Path,
        typer.Option(
            "--intents", help="YAML file of flows that must be allowed or denied.", dir_okay=False
        ),
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
    from netmend.app.diagnosis import EXIT_BLOCKED
    from netmend.app.intents import verify_intents
    from netmend.app.requests import Target, VerifyIntentsRequest
    from netmend.render.intents import render_intent_report

    configure_logging(verbose=verbose)
    report = verify_intents(
        VerifyIntentsRequest(
            intents_file=intents,
            method=method,
            target=Target(
                region=region, profile=profile, endpoint_url=endpoint_url, inventory_file=inventory
            ),
        )
    )
    if output is OutputFormat.JSON:
        emit_json(report)
    else:
        stdout_console().print(render_intent_report(report))
    raise typer.Exit(0 if report.all_held else EXIT_BLOCKED)


@inventory_app.command("save")
def inventory_save(
    file: Annotated[
        Path, typer.Argument(help="Where to write the inventory (JSON).", dir_okay=False)
    ],
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Collect one account and region and save it, for offline `--inventory FILE` runs."""
    from netmend.app.inventory import save_estate

    configure_logging(verbose=verbose)
    saved = save_estate(load_estate(None, region, profile, endpoint_url), file)
    if output is OutputFormat.JSON:
        emit_json(saved)
    else:
        counts = saved.counts.model_dump()
        summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
        stdout_console().print(f"saved {saved.region} to {saved.file}: {summary}")


@app.command()
def demo(
    chat: Annotated[
        bool,
        typer.Option("--chat", help="Show the Slack approval flow against a fake Slack."),
    ] = False,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Run the embedded sandbox: moto in-process, the runbook's broken estates, no AWS."""
    configure_logging(verbose=verbose)
    if chat:
        try:
            from netmend.demo.chat import run_chat_demo
        except ImportError as error:
            raise BadInputError(
                f"the chat demo needs the slack extra: pip install 'netmend[slack]' ({error.name})"
            ) from None
        raise typer.Exit(run_chat_demo(json_output=output is OutputFormat.JSON))
    from netmend.demo.run import run_demo

    raise typer.Exit(run_demo(json_output=output is OutputFormat.JSON))


audit_app = typer.Typer(help="The audit trail: check that it is intact.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="An audit trail file (default: the state dir's).", dir_okay=False
        ),
    ] = None,
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
) -> None:
    """Check the audit trail's hash chain; name the first edited, removed or inserted record.

    Exit code: 0 intact, 1 broken, 2 bad input.
    """
    from netmend.app.audit import verify_audit_trail
    from netmend.app.requests import Target

    check = verify_audit_trail(
        file,
        Target(region=region, profile=profile, endpoint_url=endpoint_url, config_file=config),
    )
    if output is OutputFormat.JSON:
        emit_json(check)
    elif check.first_broken is None:
        end = (
            "its end matches the anchor"
            if check.end_anchored
            else "no anchor (records cut off its end would not show)"
        )
        stdout_console().print(
            f"{check.file}: {check.records} record(s), hash chain intact, {end}",
            markup=False,
            highlight=False,
        )
    else:
        broken = check.first_broken
        stdout_console().print(
            f"{check.file}:{broken.record}: record {broken.record} is broken: {broken.reason}",
            markup=False,
            highlight=False,
        )
    raise typer.Exit(0 if check.intact else 1)


@serve_app.command("slack")
def serve_slack_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=0, max=65535)
    ] = 3000,
    socket_mode: Annotated[
        bool,
        typer.Option("--socket-mode", help="Connect out over Socket Mode (SLACK_APP_TOKEN)."),
    ] = False,
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    verbose: Verbose = False,
) -> None:
    """Serve /netmend and its approval buttons to Slack on /slack/events.

    Reads SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (and SLACK_API_URL for another Web API
    base URL; SLACK_APP_TOKEN with --socket-mode) from the environment.
    """
    try:
        from netmend.chatops.slack import SlackSettings, serve_slack
    except ImportError as error:
        raise BadInputError(
            f"the Slack app needs the slack extra: pip install 'netmend[slack]' ({error.name})"
        ) from None
    from netmend.aws.session import make_clients
    from netmend.config import load_config

    configure_logging(verbose=verbose)
    settings = SlackSettings.from_env(socket_mode=socket_mode)
    clients = make_clients(aws_options(region, profile, endpoint_url))

    def ready(where: str) -> None:
        error_console().print(f"netmend: serving Slack on {where}", markup=False, highlight=False)

    serve_slack(
        load_config(config),
        clients,
        settings,
        host=host,
        port=port,
        socket_mode=socket_mode,
        on_ready=ready,
    )


app.add_typer(serve_app, name="serve")
app.add_typer(inventory_app, name="inventory")
app.add_typer(audit_app, name="audit")
app.add_typer(playbooks_app, name="playbooks")
app.command("iam-policy")(iam_policy_command)


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"netmend {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """netmend: why is my traffic dropped, and a safe fix."""


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for ``--output json`` (read before click parses it,
    so that a usage error, too, is answered as JSON)."""
    for index, word in enumerate(argv):
        if word in ("--output", "-o") and index + 1 < len(argv):
            if argv[index + 1] == OutputFormat.JSON:
                return True
        elif word in ("--output=json", "-ojson"):
            return True
    return False


def _fail(code: str, message: str, exit_code: int, *, as_json: bool) -> NoReturn:
    if as_json:
        emit_json({"error": {"code": code, "message": message}})
    else:
        error_console().print(f"netmend: error: {message}", markup=False, highlight=False)
    sys.exit(exit_code)


def main() -> None:
    """Console-script entry: every failure is one line (or one JSON document) and a code.

    typer runs with ``standalone_mode=False`` so that click's usage errors (``--port
    abc``, an unknown option) reach this handler instead of a rich box: one line on
    stderr, exit 2, or ``{"error": {"code": "usage", ...}}`` on stdout under ``--output
    json``. ``typer.Exit`` carries each command's own code; NetmendError its
    ``exit_code`` and ``kind``.
    """
    as_json = _wants_json(sys.argv[1:])
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as error:  # `netmend` or `netmend runs` alone: the help
        if error.ctx is not None:
            typer.echo(error.ctx.get_help())
        sys.exit(0)
    except UsageError as error:
        hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx is not None else ""
        _fail("usage", f"{error.format_message()}{hint}", error.exit_code, as_json=as_json)
    except ClickException as error:
        _fail("usage", error.format_message(), error.exit_code, as_json=as_json)
    except typer.Abort:
        _fail("aborted", "aborted", 1, as_json=as_json)
    except NetmendError as error:
        _fail(error.kind, str(error), error.exit_code, as_json=as_json)
    sys.exit(code if isinstance(code, int) else 0)
