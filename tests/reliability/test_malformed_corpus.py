"""Hand-written malformed inputs (tests/reliability/malformed/) through the CLI.

YAML alias bombs, nesting thousands deep, a file over the size limit, control
characters, unhashable and duplicate keys, a template reaching for Python internals,
wrong types, truncated or non-UTF-8 JSON: each command refuses with exit 2 and one line
naming the file (and its line where the file has lines), never a traceback, and sends
no AWS request (AWS_ENDPOINT_URL points at the counting loopback proxy).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netmend.inventory_file import save_inventory
from tests.cli_runner import CliResult, run_cli
from tests.reliability.test_fuzz_inputs import SMALL_ESTATE
from tests.reliability.wire import FaultProxy

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).with_name("malformed")


@pytest.fixture
def offline(fault_proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """AWS pointed at the counting proxy; a fresh state dir; a good inventory file."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    fault_proxy.reset()
    return save_inventory(SMALL_ESTATE, tmp_path / "estate.json")


def _command(path: Path, inventory: Path) -> list[str]:
    kind = path.name.split("-", 1)[0]
    flow = ["--source", "eni-a", "--destination", "eni-b", "--port", "443"]
    return {
        "playbook": ["playbooks", "validate", str(path)],
        "intents": ["verify", "--intents", str(path), "--inventory", str(inventory)],
        "config": ["runs", "list", "--config", str(path)],
        "inventory": ["diagnose", "--inventory", str(path), *flow],
    }[kind]


def _assert_refused(result: CliResult, path: Path, *, with_line: bool) -> None:
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines, result
    assert lines[0].startswith("netmend: error:"), result.stderr
    where = re.escape(str(path)) + (r":\d+: " if with_line else "")
    for line in lines:
        assert re.search(where, line), (where, result.stderr)
    if not path.name.startswith("intents"):  # intents list each problem on its own line
        assert len(lines) == 1, result.stderr


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_malformed_input_is_refused_in_one_line(
    path: Path, offline: Path, fault_proxy: FaultProxy
) -> None:
    """Exit 2, one line naming FILE:LINE (a JSON inventory: the file), nothing sent."""
    result = run_cli(*_command(path, offline))
    _assert_refused(result, path, with_line=not path.name.startswith("inventory"))
    assert fault_proxy.calls == []


def test_limits_refuse_huge_and_deep_files(
    offline: Path, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """A playbook over 1 MiB, an inventory nested 10,000 deep, YAML nested 2,000 deep
    (past the parser's stack): refused by the limits, not by running out of memory or
    stack."""
    big = tmp_path / "playbook-big.yaml"
    big.write_text("id: big\ndescription: >-\n" + ("  " + "x" * 78 + "\n") * 14000)
    result = run_cli("playbooks", "validate", str(big))
    _assert_refused(result, big, with_line=True)
    assert "too large" in result.stderr
    deep_json = tmp_path / "inventory-deep.json"
    deep_json.write_text("[" * 10_000 + "]" * 10_000)
    result = run_cli("diagnose", "--inventory", str(deep_json), "-s", "a", "-d", "b", "-p", "1")
    _assert_refused(result, deep_json, with_line=False)
    deep_yaml = tmp_path / "config-deep.yaml"
    deep_yaml.write_text("policy: " + "[" * 2_000 + "]" * 2_000 + "\n")
    result = run_cli("runs", "list", "--config", str(deep_yaml))
    _assert_refused(result, deep_yaml, with_line=True)
    assert "nested deeper" in result.stderr
    assert fault_proxy.calls == []
