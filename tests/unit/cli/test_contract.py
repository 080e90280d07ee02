"""What scripts rely on (issue 11, items 11 and 13): JSON everywhere, errors as JSON
with the text mode's exit code, one line for bad input, never a box or a traceback.

The commands run offline (``--inventory FILE``) or need no AWS at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playbook.estate import build_inventory

from netmend.inventory_file import save_inventory
from netmend.model import Inventory
from tests.cli_runner import CliResult, run_cli


@pytest.fixture
def empty_estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path / "state"))
    return save_inventory(Inventory(region="us-east-1"), tmp_path / "estate.json")


def _one_line(result: CliResult) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "╭" not in result.stderr  # typer's error box
    assert "Traceback" not in result.stderr
    return lines[0]


FLOW = ["--source", "10.0.0.1", "--destination", "10.0.0.2"]
BAD = [
    (["diagnose", *FLOW, "--port", "abc"], "usage", "--port"),
    (["diagnose", *FLOW, "--protocol", "icmp", "--port", "8"], "bad_input", "tcp and udp only"),
    (["diagnose", *FLOW, "--protocol", "-1", "--port", "8"], "bad_input", "tcp and udp only"),
    (["diagnose", *FLOW, "--port", "22", "--icmp-type", "8"], "bad_input", "icmp only"),
    (["diagnose", "--destination", "10.0.0.2", "--port", "22"], "bad_input", "--source"),
    (["diagnose", *FLOW, "--port", "22", "--bogus"], "usage", "--bogus"),
]


@pytest.mark.parametrize(("args", "code", "needle"), BAD, ids=lambda v: str(v)[:40])
def test_bad_input_is_one_line_in_text_and_one_document_in_json(
    empty_estate: Path, args: list[str], code: str, needle: str
) -> None:
    """Text: exit 2, one line on stderr naming the problem. JSON: the same exit code and
    {"error": {"code", "message"}} as the only thing on stdout."""
    text = run_cli(*args, "--inventory", str(empty_estate))
    assert text.exit_code == 2
    assert needle in _one_line(text)
    assert text.stdout == ""

    as_json = run_cli(*args, "--inventory", str(empty_estate), "--output", "json")
    assert as_json.exit_code == 2
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == code
    assert needle in error["message"]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["iam-policy"], "Statement"),
        (["playbooks", "schema"], "$defs"),
        (["playbooks", "list"], "playbooks"),
    ],
)
def test_documents_take_output_json(args: list[str], key: str) -> None:
    """`iam-policy` and `playbooks schema` accept --output json (they are JSON anyway)."""
    result = run_cli(*args, "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert key in json.loads(result.stdout)


def test_an_unknown_run_is_a_json_error_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path))
    result = run_cli("runs", "show", "20250101T000000Z-deadbeef", "-o", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "bad_input"


def test_fix_plans_offline_from_a_saved_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fix --inventory FILE` proposes the plan from the file (no endpoint is set, so
    any AWS call would fail) and records it as `planned`; `--apply` is refused, exit 2
    (issue 11, item 12)."""
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    estate = save_inventory(build_inventory(), tmp_path / "estate.json")
    flow = ["-s", "eni-client", "-d", "eni-server", "-p", "8443", "--inventory", str(estate)]

    planned = run_cli("fix", *flow, "-o", "json")
    assert planned.exit_code == 0, planned.stderr
    document = json.loads(planned.stdout)
    assert document["status"] == "planned"
    assert [c["api"] for c in document["changes"]] == ["AuthorizeSecurityGroupIngress"]

    applied = run_cli("fix", *flow, "--apply", "--yes")
    assert applied.exit_code == 2
    assert "--apply needs a live endpoint" in _one_line(applied)


def test_fix_checks_its_request_before_reading_any_estate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad --verify or --peer is refused (exit 2) before netmend reads AWS: with the
    endpoint a closed loopback port, the answer names the option, not the endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    for option, needle in (("--verify", "unknown --verify"), ("--peer", "unknown --peer")):
        result = run_cli("fix", *FLOW, "--port", "22", option, "bogus")
        assert result.exit_code == 2
        assert needle in _one_line(result)
