"""The `netmend` command as a user meets it: help, exit codes, one-line errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.cli_runner import run_cli
from tests.conftest import MotoAws

pytestmark = pytest.mark.integration

COMMANDS = [
    [],
    ["diagnose"],
    ["fix"],
    ["rollback"],
    ["runs", "list"],
    ["runs", "show"],
    ["inventory", "save"],
    ["playbooks", "list"],
    ["playbooks", "show"],
    ["playbooks", "validate"],
    ["playbooks", "schema"],
    ["iam-policy"],
    ["demo"],
    ["verify"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "netmend")
def test_every_help_reads_well(command: list[str]) -> None:
    """`--help` works for every command, exits 0 and describes the command."""
    result = run_cli(*command, "--help")
    assert result.exit_code == 0, result.stderr
    assert "Usage" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # A description line beyond the usage line: no command is left undocumented.
    assert len([line for line in result.stdout.splitlines() if line.strip()]) > 3


def _one_line_error(result_stderr: str) -> str:
    lines = [line for line in result_stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result_stderr
    assert "Traceback" not in result_stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["--source", "i-0000000000000dead", "--destination", "10.1.1.50", "--port", "443"],
            "unknown instance",
        ),
        (
            ["--source", "10.1.2.300", "--destination", "10.1.1.50", "--port", "443"],
            "neither an instance id",
        ),
        (["--source", "SERVER", "--destination", "CLIENT", "--port", "0"], "out of range"),
        (["--source", "SERVER", "--destination", "CLIENT", "--port", "70000"], "out of range"),
        (
            ["--source", "SERVER", "--destination", "CLIENT", "--protocol", "tcpx", "--port", "1"],
            "unknown protocol",
        ),
        (["--source", "SERVER", "--destination", "CLIENT"], "--port is required"),
    ],
)
@pytest.mark.parametrize("verb", ["diagnose", "fix"])
def test_bad_flow_arguments_exit_2_with_one_line(
    aws: MotoAws, cli_env: Path, verb: str, args: list[str], needle: str
) -> None:
    """Unknown ids, malformed IPs and bad ports exit 2 with one line, writing nothing."""
    estate = build_estate(aws.ec2, "wrong-port")
    args = [a.replace("SERVER", estate.destination).replace("CLIENT", estate.source) for a in args]
    result = run_cli(verb, *args)
    assert result.exit_code == 2
    assert needle in _one_line_error(result.stderr)
    assert not (cli_env / "runs").exists() or not any((cli_env / "runs").iterdir())


def test_unreachable_endpoint_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed port on 127.0.0.1: one line naming the endpoint, exit 2, no traceback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path))
    result = run_cli(
        "inventory",
        "save",
        str(tmp_path / "x.json"),
        "--region",
        "us-east-1",
        "--endpoint-url",
        f"http://127.0.0.1:{port}",
    )
    assert result.exit_code == 2
    assert f"127.0.0.1:{port}" in _one_line_error(result.stderr)


def test_bad_region_is_one_line_exit_2(tmp_path: Path) -> None:
    """A malformed region name is refused before any call."""
    result = run_cli("inventory", "save", str(tmp_path / "x.json"), "--region", "mars")
    assert result.exit_code == 2
    assert "region" in _one_line_error(result.stderr)


def test_unknown_run_id_exits_2(cli_env: Path) -> None:
    """rollback and runs show of a run that does not exist: exit 2, one line."""
    for args in (
        ["rollback", "20990101T000000Z-deadbeef", "--yes"],
        ["runs", "show", "20990101T000000Z-deadbeef"],
    ):
        result = run_cli(*args)
        assert result.exit_code == 2, result
        assert "20990101T000000Z-deadbeef" in _one_line_error(result.stderr)


def test_invalid_playbook_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    """`playbooks validate` on a malformed file: exit 2, `file:line: reason`."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: broken\ntitle: Broken\nscope: flow\nseverity: high\n"
        "detect:\n  - use: no.such-detector\npropose: []\nexplain: x\n"
    )
    result = run_cli("playbooks", "validate", str(bad))
    assert result.exit_code == 2
    line = _one_line_error(result.stderr)
    assert f"{bad}:6" in line
    assert "no.such-detector" in line


def test_inventory_save_and_offline_diagnose_agree(
    aws: MotoAws, cli_env: Path, tmp_path: Path
) -> None:
    """`inventory save` then `diagnose --inventory FILE` gives the live answer offline."""
    estate = build_estate(aws.ec2, "wrong-port")
    saved = tmp_path / "estate.json"
    assert run_cli("inventory", "save", str(saved)).exit_code == 0
    live = run_cli("diagnose", *estate.flow_args(), "--output", "json")
    offline = run_cli(
        "diagnose",
        *estate.flow_args(),
        "--inventory",
        str(saved),
        "--output",
        "json",
        "--endpoint-url",
        "http://127.0.0.1:9",
    )
    assert live.exit_code == offline.exit_code == 3
    assert live.json()["explanations"] == offline.json()["explanations"]
    assert [c["playbook"] for c in offline.json()["root_causes"]] == ["wrong-port"]
