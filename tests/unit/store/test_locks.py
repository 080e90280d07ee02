"""Per-resource locks: one run at a time per resource, stale locks taken over."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netmend.store import ResourceLockedError, RunStore, current_process


def test_lock_files_hold_run_and_pid_and_go_away(tmp_path: Path) -> None:
    """Inside the block each resource has a lock file naming the run and this pid."""
    store = RunStore(tmp_path)
    with store.lock(["sg-1", "acl-1"], "run-a"):
        content = json.loads((tmp_path / "locks" / "sg-1").read_text())
        assert content["run_id"] == "run-a"
        assert content["owner"]["pid"] == current_process().pid
        assert (tmp_path / "locks" / "acl-1").exists()
    assert list((tmp_path / "locks").iterdir()) == []


def test_live_lock_refuses_a_second_run(tmp_path: Path) -> None:
    """A second run on a locked resource gets ResourceLockedError naming both."""
    store = RunStore(tmp_path)
    with store.lock(["sg-1"], "run-a"):
        with pytest.raises(ResourceLockedError) as caught, store.lock(["sg-1"], "run-b"):
            pass
        assert caught.value.resource == "sg-1"
        assert caught.value.holder_run_id == "run-a"
        assert "sg-1" in str(caught.value)
        assert "run-a" in str(caught.value)


def test_refused_lock_releases_those_already_taken(tmp_path: Path) -> None:
    """If one of several locks is held elsewhere, the others taken meanwhile are released."""
    store = RunStore(tmp_path)
    with store.lock(["sg-2"], "run-a"):
        with pytest.raises(ResourceLockedError), store.lock(["sg-1", "sg-2", "sg-3"], "run-b"):
            pass
        assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == ["sg-2"]


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    """A lock left by a process that no longer exists does not block the next run."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = current_process().model_copy(update={"pid": child.pid, "start_ticks": None})
    folder = tmp_path / "locks"
    folder.mkdir()
    (folder / "sg-1").write_text(json.dumps({"run_id": "run-old", "owner": dead.model_dump()}))
    store = RunStore(tmp_path)
    with store.lock(["sg-1"], "run-new"):
        content = json.loads((folder / "sg-1").read_text())
        assert content["run_id"] == "run-new"
    assert not (folder / "sg-1").exists()


def test_same_run_in_same_process_is_reentrant(tmp_path: Path) -> None:
    """A run that already holds its locks can take them again (its own rollback)."""
    store = RunStore(tmp_path)
    with store.lock(["sg-1"], "run-a"):
        with store.lock(["sg-1"], "run-a"):
            pass
        assert (tmp_path / "locks" / "sg-1").exists()  # the inner block did not release it
    assert not (tmp_path / "locks" / "sg-1").exists()


def test_odd_resource_ids_become_safe_file_names(tmp_path: Path) -> None:
    """A quota code with a slash is locked under a safe name inside the locks folder."""
    store = RunStore(tmp_path)
    with store.lock(["vpc/L-0EA8095F"], "run-a"):
        names = [p.name for p in (tmp_path / "locks").iterdir()]
    assert names == ["_vpc_L-0EA8095F"]
