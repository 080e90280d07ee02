"""No secret in any output: AWS keys, the session token and the Slack secrets, set to
sentinel values, appear nowhere netmend writes.

Every command runs against the moto server through the loopback proxy, with ``-v`` where
the command has it and JSON log lines (``NETMEND_LOG_FORMAT=json``), on success and on
errors: bad input, an unreachable endpoint, an unknown run, a throttled write (retry
warnings), a refused write (rollback), credentials AWS rejects. Then stdout, stderr,
the audit trail, every run record and the saved inventory are searched for each value.
``netmend serve slack`` runs as a child process against a fake Slack Web API on
loopback and answers a signed command, a forged one and an unsigned one; its stdout and
stderr are searched too. ``netmend demo`` (its own in-process moto, no credentials of the
user's) is left out for time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from netmend.chatops.slack.fake import FakeSlackApi, FakeSlackSender
from tests.cli_runner import CliResult, run_cli
from tests.conftest import MotoAws
from tests.reliability.matrix import build_playbook_estate
from tests.reliability.wire import AwsCall, Fault, FaultProxy, throttle, unauthorized

pytestmark = pytest.mark.integration

NETMEND = [sys.executable, "-c", "from netmend.cli import main; main()"]
SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIASENTINEL7QX3ZK9P",
    "AWS_SECRET_ACCESS_KEY": "sentinelSecret/k8Jw2+Qz5Lm0Vb7Yt4Rn1Xc6Hd9Fg3",
    "AWS_SESSION_TOKEN": "IQoJsentinelSessionToken+Zx9Lk2Qw8Er5Ty1Ui6Op3As7Df0Gh4Jk",
    "SLACK_SIGNING_SECRET": "sentinel8f3c2a1b9d7e6f5a4b3c2d1e0f9a8b7c",
    "SLACK_BOT_TOKEN": "xoxb-000000000000-sentinel-Qw8Er5Ty1Ui6Op3As7Df0",
}


def _first_write(fault: Fault) -> object:
    def decide(call: AwsCall) -> Fault | None:
        return fault if call.write_index == 1 else None

    return decide


def test_no_command_prints_or_stores_a_secret(
    aws: MotoAws,
    fault_proxy: FaultProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every command, verbose, with JSON logs, successes and errors: no sentinel value in
    stdout, stderr, the audit trail, the run records or the saved inventory."""
    estate = build_playbook_estate(aws.ec2, "wrong-port")
    state = tmp_path / "state"
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_SECURITY_TOKEN", SECRETS["AWS_SESSION_TOKEN"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    monkeypatch.setenv("AWS_REGION", aws.region)
    monkeypatch.setenv("NETMEND_STATE_DIR", str(state))
    monkeypatch.setenv("NETMEND_LOG_FORMAT", "json")
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    flow = estate.flow_args()
    intents = tmp_path / "intents.yaml"
    intents.write_text(
        "intents:\n  - name: web reaches api\n"
        f"    source: {estate.source}\n    destination: {estate.destination}\n"
        f"    port: {estate.port}\n    expect: allowed\n"
    )
    outputs: list[CliResult] = []

    def cli(*args: str, decide: object = None) -> CliResult:
        fault_proxy.reset(decide)  # type: ignore[arg-type]
        result = run_cli(*args)
        outputs.append(result)
        return result

    cli("diagnose", *flow, "-v")
    cli("diagnose", *flow, "-v", "--output", "json")
    cli("diagnose", "--source", estate.source, "--destination", "10.9.9.9", "--port", "70000")
    cli("diagnose", *flow, "-v", "--endpoint-url", "http://127.0.0.1:9")
    cli("fix", *flow, "-v")
    cli("fix", *flow, "-v", "--output", "json", "--format", "awscli")
    applied = cli(
        "fix", *flow, "--apply", "--yes", "-v", "--output", "json", decide=_first_write(throttle())
    )
    run_id = applied.json()["run_id"]
    cli("runs", "list")
    cli("runs", "show", run_id)
    cli("runs", "show", run_id, "--output", "json")
    cli("rollback", run_id, "--yes", "-v", "--output", "json")
    cli("rollback", "20990101T000000Z-deadbeef", "--yes", "-v")
    refused = cli("fix", *flow, "--apply", "--yes", "-v", decide=_first_write(unauthorized()))
    assert refused.exit_code == 1
    cli(
        "fix",
        *flow,
        "--apply",
        "--yes",
        "-v",
        decide=lambda c: Fault("respond", 401, "AuthFailure"),
    )
    cli("verify", "--intents", str(intents), "-v", "--output", "json")
    cli("inventory", "save", str(tmp_path / "estate.json"), "-v")
    cli("diagnose", *flow, "--inventory", str(tmp_path / "estate.json"), "-v")
    cli("playbooks", "list")
    cli("playbooks", "show", "wrong-port")
    cli("playbooks", "validate", str(tmp_path / "intents.yaml"))
    cli("playbooks", "schema")
    cli("iam-policy", "--playbook", "wrong-port")
    cli("audit", "verify", "--output", "json")
    assert applied.json()["status"] == "applied", applied
    assert any("aws call retrying" in r.stderr for r in outputs), "no retry was logged"

    slack_output = _serve_slack(tmp_path)
    assert "serving Slack on" in slack_output

    texts = {f"output {i}": r.stdout + r.stderr for i, r in enumerate(outputs)}
    texts["serve slack"] = slack_output
    for path in [*state.rglob("*"), tmp_path / "estate.json"]:
        if path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    assert (state / "audit.jsonl").is_file()
    assert any("runs" in name and "journal" in name for name in texts)
    leaks = [
        f"{secret} in {where}"
        for where, text in texts.items()
        for secret, value in SECRETS.items()
        if value in text
    ]
    assert leaks == []


def _serve_slack(tmp_path: Path) -> str:
    """`netmend serve slack -v` in a child process (the environment holds the sentinels):
    a signed `/netmend runs`, a forged and an unsigned request; its whole output."""
    api = FakeSlackApi(SECRETS["SLACK_BOT_TOKEN"]).start()
    log = tmp_path / "serve-slack.log"
    env = {**os.environ, "SLACK_API_URL": api.api_url}
    with log.open("w") as sink:
        child = subprocess.Popen(  # noqa: S603 (our interpreter running netmend)
            [*NETMEND, "serve", "slack", "--host", "127.0.0.1", "--port", "0", "-v"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        url = ""
        for _ in range(1200):
            text = log.read_text()
            if "serving Slack on " in text:
                url = text.split("serving Slack on ", 1)[1].split()[0]
                break
            if child.poll() is not None:
                pytest.fail(f"serve slack ended: {text}")
            time.sleep(0.1)
        assert url, log.read_text()
        sender = FakeSlackSender(url, SECRETS["SLACK_SIGNING_SECRET"])
        body = sender.command_body("U0ALICE", "runs")
        assert sender.post(body).status_code == 200
        assert sender.post(body, secret="forged").status_code == 401
        assert requests.post(url, data=body, timeout=30).status_code == 401
        api.wait_for("chat.postMessage", 1)
    finally:
        child.terminate()
        child.wait(60)
        api.stop()
    return log.read_text()
