"""`netmend serve slack` as an operator runs it: a process that serves until SIGTERM.

The process is the real console entry point; Slack's side is the fake Web API on
loopback (SLACK_API_URL) and requests signed as Slack signs them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from netmend.chatops.slack.fake import FakeSlackApi, FakeSlackSender
from tests.cli_runner import run_cli

SECRET = "cli-signing-secret-0123456789abcdef"
TOKEN = "xoxb-cli-token-0000"


def test_serve_slack_answers_signed_commands_and_stops_on_sigterm(tmp_path: Path) -> None:
    api = FakeSlackApi(TOKEN).start()
    env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": api.api_url,
        "NETMEND_STATE_DIR": str(tmp_path / "state"),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # never called by `help`
    }
    env.pop("NETMEND_CONFIG", None)
    command = [sys.executable, "-c", "from netmend.cli import main; main()"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and entry point
        [*command, "serve", "slack", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        found = None
        for line in process.stderr:  # the ready line comes once it listens
            seen.append(line)
            found = re.search(r"serving Slack on (http://127\.0\.0\.1:\d+/slack/events)", line)
            if found:
                break
        assert found, seen
        sender = FakeSlackSender(found.group(1), SECRET)
        assert sender.post(sender.command_body("U0ALICE", "help")).status_code == 200
        assert sender.post(sender.command_body("U0ALICE", "help"), secret="x").status_code == 401
        reply = api.wait_for("chat.postMessage", 2)[1].params
        assert "/netmend rollback RUN_ID" in str(reply["blocks"])
    finally:
        process.terminate()
        out, rest = process.communicate(timeout=60)
        err = "".join(seen) + rest
        api.stop()
    assert process.returncode == 0, err
    assert SECRET not in out + err
    assert TOKEN not in out + err


def test_serve_slack_without_its_secrets_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = run_cli("serve", "slack")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "netmend: error: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment"
    ]


def test_socket_mode_needs_the_app_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    result = run_cli("serve", "slack", "--socket-mode")
    assert result.exit_code == 2
    assert "SLACK_APP_TOKEN" in result.stderr


def test_help_names_the_environment_and_the_demo_its_chat_story() -> None:
    serve = run_cli("serve", "slack", "--help")
    assert serve.exit_code == 0
    for word in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_API_URL", "--socket-mode"):
        assert word in serve.stdout
    demo = run_cli("demo", "--help")
    assert demo.exit_code == 0
    assert "--chat" in demo.stdout
