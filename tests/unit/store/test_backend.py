"""The local record backend: exclusive creation, ordered lines, child folders; and the
config's ``state_dir: s3://...`` with ``lock_table``."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.config import load_config
from netmend.errors import BadInputError
from netmend.store.backend import LocalBackend
from netmend.store.state import open_state


def test_create_happens_once_and_write_replaces(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    assert backend.create("runs/r1/plan.json", b"first")
    assert not backend.create("runs/r1/plan.json", b"second")  # a second creator loses
    assert backend.read("runs/r1/plan.json") == b"first"
    backend.write("runs/r1/meta.json", b"one")
    backend.write("runs/r1/meta.json", b"two")
    assert backend.read("runs/r1/meta.json") == b"two"
    assert backend.read("runs/nope/meta.json") is None


def test_lines_come_back_in_order_and_children_are_folders(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    for n in range(3):
        backend.append("runs/r1/journal.jsonl", f"line {n}")
    backend.write("runs/r2/meta.json", b"{}")
    backend.write("runs/stray.txt", b"")
    assert backend.lines("runs/r1/journal.jsonl") == ["line 0", "line 1", "line 2"]
    assert backend.children("runs") == ["r1", "r2"]
    assert backend.children("absent") == []


def test_state_in_s3_is_read_from_the_config(tmp_path: Path) -> None:
    config_file = tmp_path / "netmend.yaml"
    config_file.write_text("state_dir: s3://netmend-state/prod\nlock_table: netmend-locks\n")
    config = load_config(config_file, env={})
    assert config.state_url == "s3://netmend-state/prod"
    assert config.lock_table == "netmend-locks"
    with pytest.raises(BadInputError, match="no AWS clients"):
        open_state(config)


def test_s3_state_without_a_lock_table_is_refused(tmp_path: Path) -> None:
    config_file = tmp_path / "netmend.yaml"
    config_file.write_text("state_dir: s3://netmend-state/prod\n")
    config = load_config(config_file, env={})
    with pytest.raises(BadInputError, match="set lock_table"):
        open_state(config, object())  # type: ignore[arg-type]


def test_local_state_stays_the_default(tmp_path: Path) -> None:
    state = open_state(
        load_config(env={"NETMEND_STATE_DIR": str(tmp_path)}, cwd=tmp_path, home=tmp_path)
    )
    assert state.runs.location == str(tmp_path)
    assert state.runs.list_runs() == []


def test_state_and_lock_table_from_the_environment(tmp_path: Path) -> None:
    """A Lambda function names its bucket and table in variables; a file still wins."""
    env = {"NETMEND_STATE_DIR": "s3://netmend-state/fn", "NETMEND_LOCK_TABLE": "locks"}
    config = load_config(env=env, cwd=tmp_path, home=tmp_path)
    assert (config.state_url, config.lock_table) == ("s3://netmend-state/fn", "locks")
    config_file = tmp_path / "netmend.yaml"
    config_file.write_text("policy:\n  auto_approve: [addition]\n")
    from_file = load_config(config_file, env=env)
    assert (from_file.state_url, from_file.lock_table) == ("s3://netmend-state/fn", "locks")
    config_file.write_text(f"state_dir: {tmp_path}\n")
    local = load_config(config_file, env=env)
    assert local.state_url is None
    assert local.state_dir == tmp_path
