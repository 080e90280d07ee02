"""SIGTERM to a real `netmend watch` process: the message in hand is finished (repaired,
recorded, deleted), no other is taken, and the process exits 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.conftest import MotoAws
from tests.integration.test_watch_repair import _reachable, _revoke_https
from tests.integration.watch_support import (
    cloudtrail_event,
    intents_file,
    make_watch_aws,
    revoke_ingress_event,
)

pytestmark = pytest.mark.integration


def test_sigterm_finishes_the_current_message_and_exits_zero(
    aws: MotoAws, tmp_path: Path, cli_env: Path
) -> None:
    """SIGTERM arrives as soon as the worker logs that it received the message; that
    message is still repaired and deleted; one sent after the signal is not taken."""
    estate = build_estate(aws.ec2, "healthy")
    server_sg, client_sg = estate.ids["server_sg"], estate.ids["client_sg"]
    watch = make_watch_aws(aws, tmp_path, policy="  auto_approve: [addition]\n")
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    _revoke_https(aws, server_sg, client_sg)
    watch.send(revoke_ingress_event(server_sg, client_sg, 443))
    env = {**os.environ, "NETMEND_LOG_FORMAT": "json"}
    command = [
        sys.executable, "-c", "from netmend.cli import main; main()",
        "watch", "--queue-url", watch.queue_url, "--intents", str(intents),
        "--config", str(watch.config), "--wait-seconds", "1", "--verify", "local",
        "--output", "json",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    received = threading.Event()
    log_lines: list[str] = []

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log_lines.append(line)
            if '"message received"' in line:
                process.send_signal(signal.SIGTERM)  # mid-message
                watch.send(cloudtrail_event("DescribeVpcs", {}))  # would be skipped, deleted
                received.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    code = process.wait(timeout=240)
    reader.join(timeout=10)
    assert process.stdout is not None
    output = process.stdout.read()

    assert received.is_set(), "".join(log_lines)
    assert code == 0, "".join(log_lines)
    document = json.loads(output)
    assert document["stopped_by_signal"] is True
    assert document["received"] == 1
    [message] = document["messages"]
    assert message["action"] == "repaired"
    assert message["acknowledged"] is True
    assert _reachable(aws, estate.vpc_id, estate.source, estate.destination)
    assert watch.waiting() == 1  # the second message was not taken
    events = [json.loads(line).get("event") for line in log_lines if line.startswith("{")]
    assert events.index("message received") < events.index("event done")
    assert events[-1] == "stopped watching"
