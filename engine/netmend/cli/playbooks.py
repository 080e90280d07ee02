"""`netmend playbooks ...` and `netmend iam-policy`: the playbooks and what they need."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from netmend.cli.options import Output, playbook_dirs
from netmend.errors import BadInputError
from netmend.render.console import OutputFormat, emit_json, stdout_console

__all__ = ["iam_policy_command", "playbooks_app"]

playbooks_app = typer.Typer(
    help="List, show and validate playbooks; print their JSON Schema.", no_args_is_help=True
)


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

    from netmend.app.playbooks import list_playbooks

    listed = list_playbooks(playbook_dirs(playbooks_dir))
    if output is OutputFormat.JSON:
        emit_json(listed)
        return
    table = Table("id", "scope", "severity", "title")
    for row in listed.playbooks:
        table.add_row(row.id, row.scope, row.severity, row.title)
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

    playbook = load_playbooks(playbook_dirs(playbooks_dir)).require(playbook_id)
    if output is OutputFormat.JSON:
        emit_json(playbook.model_dump(mode="json", by_alias=True))
        return
    console = stdout_console()
    console.print(
        f"[bold]{playbook.id}[/bold]: {playbook.title}  "
        f"(scope {playbook.scope}, severity {playbook.severity})"
    )
    for section in ("detect", "propose", "verify"):
        console.print(f"[bold]{section}[/bold]")
        for step in getattr(playbook, section):
            console.print(f"  - {step.use}", markup=False)
            if section == "propose":
                action = get_action(step.use)
                if action is not None:
                    console.print(
                        f"      permissions: {', '.join(action.permissions)}", markup=False
                    )
    console.print(Text.assemble(("explain", "bold"), ": ", playbook.explain))


@playbooks_app.command("validate")
def playbooks_validate(
    path: Annotated[Path, typer.Argument(help="A playbook file or a folder of them.")],
    output: Output = OutputFormat.TEXT,
) -> None:
    """Check playbook files: YAML, schema, registered steps and their parameters."""
    from netmend.app.playbooks import validate_playbooks

    checked = validate_playbooks(path)
    if output is OutputFormat.JSON:
        emit_json(checked)
    else:
        stdout_console().print(
            f"{len(checked.playbooks)} playbook(s) valid: {', '.join(checked.playbooks)}"
        )


@playbooks_app.command("schema")
def playbooks_schema(output: Output = OutputFormat.JSON) -> None:
    """Print the playbook JSON Schema (for editors that complete and check YAML).

    The schema is JSON whichever ``--output`` is asked for: it is the document itself.
    """
    from netmend.playbook import playbook_json_schema

    emit_json(playbook_json_schema())


def iam_policy_command(
    playbook: Annotated[
        list[str] | None,
        typer.Option("--playbook", help="Only these playbooks' actions (repeatable)."),
    ] = None,
    playbooks_dir: Annotated[
        list[Path] | None,
        typer.Option("--playbooks", help="Another folder of playbooks (repeatable)."),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Add the event worker's queue, state and locks.")
    ] = False,
    queue_arn: Annotated[
        str | None, typer.Option("--queue-arn", help="With --watch: the SQS queue's ARN.")
    ] = None,
    state_url: Annotated[
        str | None, typer.Option("--state-url", help="With --watch: s3://BUCKET/PREFIX.")
    ] = None,
    lock_table_arn: Annotated[
        str | None, typer.Option("--lock-table-arn", help="With --watch: the table's ARN.")
    ] = None,
    output: Output = OutputFormat.JSON,
) -> None:
    """Print the IAM policy netmend needs: describe calls plus the playbooks' actions
    (and, with --watch, the event worker's queue, state bucket and lock table).

    The policy is a JSON document whichever ``--output`` is asked for (paste it into IAM).
    """
    from netmend.playbook import iam_policy, load_playbooks

    loaded = load_playbooks(playbook_dirs(playbooks_dir))
    chosen = [loaded.require(i) for i in playbook] if playbook else list(loaded)
    document = iam_policy(chosen)
    if watch:
        from netmend.watch.iam import watch_statements

        document["Statement"] += watch_statements(
            queue_arn=queue_arn, state_url=state_url, lock_table_arn=lock_table_arn
        )
    elif queue_arn or state_url or lock_table_arn:
        raise BadInputError("--queue-arn, --state-url and --lock-table-arn go with --watch")
    emit_json(document)
