"""`runs list` shows runs that wrote, `--all` adds plans, `--status`/`--limit` filter,
`runs prune --older-than` removes only old plans (issue 11, item 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netmend.run.plan import Plan
from netmend.store import RunStore
from netmend.store.duration import parse_duration
from netmend.store.records import RunStatus
from tests.cli_runner import run_cli

NOW = datetime.now(UTC)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunStore:
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    store = RunStore(tmp_path)
    runs = [
        ("20250101T000000Z-0000old1", RunStatus.PLANNED, NOW - timedelta(days=40)),
        ("20250102T000000Z-000new01", RunStatus.PLANNED, NOW - timedelta(hours=1)),
        ("20250103T000000Z-0applied", RunStatus.APPLIED, NOW - timedelta(days=50)),
        ("20250104T000000Z-0refused", RunStatus.REFUSED, NOW - timedelta(days=2)),
        ("20250105T000000Z-00nothin", RunStatus.NOTHING_TO_DO, NOW - timedelta(days=45)),
    ]
    for run_id, status, started in runs:
        store.create_run(Plan(run_id=run_id, created_at=started), requester="alice")
        store.set_status(run_id, status)
    return store


def _ids(*args: str) -> list[str]:
    result = run_cli("runs", "list", *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    return [r["run_id"][-8:] for r in json.loads(result.stdout)["runs"]]


def test_the_default_hides_plans_and_all_shows_them(store: RunStore) -> None:
    assert _ids() == ["0refused", "0applied"]
    assert _ids("--all") == ["000new01", "0refused", "0000old1", "00nothin", "0applied"]
    assert _ids("--status", "planned") == ["000new01", "0000old1"]
    assert _ids("--all", "--limit", "2") == ["000new01", "0refused"]
    text = run_cli("runs", "list").stdout
    assert "--all shows them" in text
    started = (NOW - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%SZ")
    assert started in text  # to the second


def test_prune_removes_old_plans_only(store: RunStore) -> None:
    result = run_cli("runs", "prune", "--older-than", "30d", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert sorted(r[-8:] for r in json.loads(result.stdout)["removed"]) == ["0000old1", "00nothin"]
    assert _ids("--all") == ["000new01", "0refused", "0applied"]


def test_durations() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2w") == timedelta(days=14)
    bad = run_cli("runs", "prune", "--older-than", "30 days")
    assert bad.exit_code == 2
    assert "is not a duration" in bad.stderr


def test_runs_show_says_who_approved_and_what_verification_found(store: RunStore) -> None:
    """The text view of a run names the approver and the verification's verdict."""
    run_id = "20250103T000000Z-0applied"
    approval = {"outcome": "approved", "approver": "bob", "reason": "change window"}
    store.set_status(run_id, RunStatus.APPLIED, approval=approval)
    verification = {"method": "local", "passed": True, "reachable": True, "problems": []}
    store.write_result(run_id, {"status": "applied", "verification": verification})
    text = " ".join(run_cli("runs", "show", run_id).stdout.split())
    assert "approval: approved by bob (change window)" in text
    assert "verification (local): passed, flow reachable" in text
