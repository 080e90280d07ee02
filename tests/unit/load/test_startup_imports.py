"""`netmend --help` and the offline commands start without what they do not use.

Each command runs in a fresh interpreter (a test process has imported everything
already), through the real entry point; the modules it ended up importing are then
compared with the ones only AWS, Slack or playbook rendering need.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from playbook.estate import build_inventory

from netmend.inventory_file import save_inventory

HEAVY = {"boto3", "botocore", "slack_bolt", "slack_sdk", "jinja2", "moto"}

PROBE = """
import json, sys
sys.argv = ["netmend", *json.loads(sys.argv[1])]
from netmend.cli import main
code = 0
try:
    main()
except SystemExit as done:
    code = done.code if isinstance(done.code, int) else 0
with open({out!r}, "w") as out:
    json.dump({{"exit": code, "modules": sorted({{m.split(".")[0] for m in sys.modules}})}}, out)
"""


def _imported(tmp_path: Path, *args: str, exit_codes: tuple[int, ...] = (0,)) -> set[str]:
    """The top-level modules ``netmend ARGS`` imported; it must exit with one of
    ``exit_codes`` (so a command refused early cannot pass for a lean one)."""
    out = tmp_path / "modules.json"
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", PROBE.format(out=str(out)), json.dumps(list(args))],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(out.read_text())
    assert found["exit"] in exit_codes, done.stdout + done.stderr
    return set(found["modules"])


@pytest.fixture(scope="module")
def offline_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("offline")
    inventory = save_inventory(build_inventory(), folder / "estate.json")
    intents = folder / "intents.yaml"
    intents.write_text(
        "intents:\n  - name: client reaches ssh\n    source: i-client\n"
        "    destination: eni-server\n    port: 22\n    expect: allowed\n"
    )
    return inventory, intents


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    """`netmend --help` loads neither boto3/botocore nor Slack, jinja2 or moto."""
    imported = _imported(tmp_path, "--help")
    assert "netmend" in imported
    assert imported & HEAVY == set()


def test_offline_diagnose_and_verify_skip_aws(
    tmp_path: Path, offline_files: tuple[Path, Path]
) -> None:
    """diagnose and verify of a saved inventory make no AWS call and load no AWS SDK."""
    inventory, intents = offline_files
    diagnose = _imported(
        tmp_path,
        *("diagnose", "--inventory", str(inventory), "-s", "i-client", "-d", "eni-server"),
        *("-p", "22", "--output", "json"),
        exit_codes=(0, 3),
    )
    assert "netmend" in diagnose
    assert diagnose & {"boto3", "botocore", "slack_bolt", "slack_sdk", "moto"} == set()
    verify = _imported(
        tmp_path,
        *("verify", "--inventory", str(inventory), "--intents", str(intents)),
        exit_codes=(0, 3),
    )
    assert "yaml" in verify  # it did read the intents
    assert verify & HEAVY == set()
