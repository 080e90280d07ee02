"""`netmend watch`: the event worker's command (parse, build the worker, run, report)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from netmend.cli.options import ConfigFile, EndpointUrl, Output, Profile, Region, Verbose
from netmend.errors import BadInputError
from netmend.log import configure_logging
from netmend.render.console import OutputFormat, emit_json, stdout_console

__all__ = ["watch"]


def watch(
    queue_url: Annotated[
        str | None,
        typer.Option("--queue-url", help="The SQS queue the EventBridge rule targets."),
    ] = None,
    intents: Annotated[
        Path | None,
        typer.Option("--intents", help="Intents to keep (YAML).", dir_okay=False),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Stop when the queue has no message to give.")
    ] = False,
    max_messages: Annotated[
        int | None, typer.Option("--max-messages", min=1, help="Stop after this many messages.")
    ] = None,
    print_event_pattern: Annotated[
        bool,
        typer.Option("--print-event-pattern", help="Print the EventBridge rule's pattern."),
    ] = False,
    wait_seconds: Annotated[
        int, typer.Option("--wait-seconds", min=0, max=20, help="SQS long polling.")
    ] = 20,
    visibility_timeout: Annotated[
        int,
        typer.Option(
            "--visibility-timeout", min=30, max=43200, help="Seconds a message stays hidden."
        ),
    ] = 300,
    own_role: Annotated[
        list[str] | None,
        typer.Option("--own-role", help="netmend's own role ARN (repeatable): not repaired."),
    ] = None,
    verify: Annotated[
        str, typer.Option("--verify", help="auto, local or reachability-analyzer.")
    ] = "auto",
    config: ConfigFile = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output: Output = OutputFormat.TEXT,
    verbose: Verbose = False,
) -> None:
    """Repair broken intents from CloudTrail events (EventBridge → SQS), as policy allows.

    Runs until SIGTERM (which finishes the current message and exits 0), or with --once
    until the queue is empty. Exit code: 0 stopped cleanly, 2 bad input.
    """
    if print_event_pattern:
        from netmend.watch.pattern import event_pattern

        sys.stdout.write(json.dumps(event_pattern(), indent=2) + "\n")
        return
    if queue_url is None or intents is None:
        raise BadInputError("watch needs --queue-url and --intents (or --print-event-pattern)")
    from netmend.aws.queue import SqsQueue
    from netmend.aws.session import make_clients
    from netmend.cli.options import aws_options
    from netmend.config import load_config
    from netmend.run.runner import VERIFY_METHODS
    from netmend.watch.setup import build_worker, own_principals
    from netmend.watch.worker import WorkerSettings

    # A service logs what it does: info and up, JSON lines when not on a terminal.
    configure_logging(verbose=True)
    if verify not in VERIFY_METHODS:
        raise BadInputError(f"unknown --verify {verify!r}: use {', '.join(VERIFY_METHODS)}")
    settings = load_config(config)
    clients = make_clients(aws_options(region, profile, endpoint_url))
    worker = build_worker(
        clients,
        settings,
        intents,
        queue=SqsQueue(clients, queue_url),
        settings=WorkerSettings(
            visibility_seconds=visibility_timeout,
            wait_seconds=wait_seconds,
            own_principals=own_principals(own_role),
        ),
        verify_method=verify,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    summary = worker.run(once=once, max_messages=max_messages)
    if output is OutputFormat.JSON:
        from netmend.watch.report import WatchReport

        emit_json(WatchReport.of(queue_url, summary, stopped=worker.stopping))
    else:
        stdout_console().print(
            f"watched {queue_url}: {summary.received} message(s), "
            f"{summary.acknowledged} acknowledged, {summary.left} left on the queue",
            markup=False,
        )
