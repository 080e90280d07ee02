"""The ``netmend`` command (typer + rich).

Every command takes ``--region``, ``--profile``, ``--endpoint-url`` and ``--output``;
errors netmend expects (bad input, AWS unreachable, an AWS call that failed) print one
line on stderr and exit with the error's code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from netmend import __version__
from netmend.console import OutputFormat, emit_json, error_console, stdout_console
from netmend.errors import NetmendError
from netmend.log import configure_logging
from netmend.model import Inventory

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
app.add_typer(playbooks_app, name="playbooks")

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


def _aws_options(region: str | None, profile: str | None, endpoint_url: str | None) -> object:
    from netmend.aws.session import AwsOptions  # boto3 loads only when AWS is needed

    return AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url)


def _load_estate(
    inventory_file: Path | None, region: str | None, profile: str | None, endpoint_url: str | None
) -> Inventory:
    if inventory_file is not None:
        from netmend.inventory_file import load_inventory

        return load_inventory(inventory_file)
    from netmend.aws.collector import collect_inventory
    from netmend.aws.session import AwsOptions, make_clients

    clients = make_clients(AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url))
    return collect_inventory(clients)


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
    """Console-script entry: NetmendError becomes one line on stderr and its exit code."""
    try:
        app(standalone_mode=False)
    except NetmendError as error:
        error_console().print(f"netmend: error: {error}", markup=False, highlight=False)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        error_console().print("netmend: aborted", markup=False)
        sys.exit(130)
    except Exception as error:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
