"""Atomic whole-file writes and fsynced journal lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from netmend.store.atomic import append_line, atomic_write_text


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    """A second write replaces the content entirely and leaves no temporary file."""
    target = tmp_path / "meta.json"
    atomic_write_text(target, '{"status": "planned"}\n')
    atomic_write_text(target, '{"status": "applied"}\n')
    assert target.read_text() == '{"status": "applied"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json"]


def test_failed_atomic_write_leaves_old_file_and_no_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash before the rename keeps the old content whole and removes the temp file."""
    target = tmp_path / "snapshot.json"
    atomic_write_text(target, "old content\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "simulated I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="simulated"):
        atomic_write_text(target, "new content that must never be seen half-written\n")
    monkeypatch.undo()
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot.json"]


def test_failed_first_write_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the very first write fails, the target does not exist at all (no empty file)."""
    target = tmp_path / "plan.json"

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "no space left")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="no space"):
        atomic_write_text(target, "{}")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_is_private_to_the_user(tmp_path: Path) -> None:
    """Run records hold account details: the file is readable by its owner only."""
    target = tmp_path / "plan.json"
    atomic_write_text(target, "{}")
    assert target.stat().st_mode & 0o777 == 0o600


def test_append_line_appends_and_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each appended line is fsynced before append_line returns, and lines accumulate."""
    journal = tmp_path / "journal.jsonl"
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    append_line(journal, '{"seq": 1}')
    first = len(synced)
    append_line(journal, '{"seq": 2}')
    assert journal.read_text() == '{"seq": 1}\n{"seq": 2}\n'
    assert first >= 1
    assert len(synced) > first


def test_append_line_rejects_embedded_newline(tmp_path: Path) -> None:
    """A line with a newline would read back as two entries, so it is refused."""
    with pytest.raises(ValueError, match="newline"):
        append_line(tmp_path / "journal.jsonl", "a\nb")
