"""Where run records live: the interface a state store implements, and the local one.

A run record is a handful of small documents (plan, meta, snapshot, result) and one
append-only journal. ``RecordBackend`` is what ``RunStore`` needs from a place that
keeps them: read, replace atomically, create only if absent (so two workers cannot
both create the same record), append a line durably, list. The local folder
implements it with fsync and rename (``netmend.store.atomic``); S3 implements it in
``netmend.aws.objects`` with conditional writes (``If-None-Match: *``).

Keys are ``/``-separated relative paths such as ``runs/<run_id>/meta.json``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Protocol

from netmend.store.atomic import append_line, atomic_write_bytes, fsync_dir

__all__ = ["LocalBackend", "RecordBackend"]


class RecordBackend(Protocol):
    """A durable key → bytes store with create-if-absent and append-only lines."""

    @property
    def location(self) -> str:
        """Where the records are, for messages (a folder, or ``s3://bucket/prefix``)."""
        ...

    def read(self, key: str) -> bytes | None:
        """The document's bytes, or None when there is none."""
        ...

    def write(self, key: str, data: bytes) -> None:
        """Replace the document atomically: a reader sees the old or the new, never half."""
        ...

    def create(self, key: str, data: bytes) -> bool:
        """Write the document only if it does not exist yet; False if it already did."""
        ...

    def append(self, key: str, line: str) -> None:
        """Append one line durably (the journal's and the audit trail's unit)."""
        ...

    def lines(self, key: str) -> list[str]:
        """Every line appended to ``key``, in order (empty when none)."""
        ...

    def children(self, prefix: str) -> list[str]:
        """Names directly under the folder ``prefix`` (run ids under ``runs``)."""
        ...

    def files(self, prefix: str) -> list[str]:
        """Names of the documents directly in the folder ``prefix`` (not sub-folders)."""
        ...

    def remove_tree(self, prefix: str) -> None:
        """Delete every document under the folder ``prefix`` (``runs prune`` only)."""
        ...


class LocalBackend:
    """Records in a folder on this machine (the default ``state_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    @property
    def location(self) -> str:
        return str(self.root)

    def path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, key: str, data: bytes) -> None:
        atomic_write_bytes(self.path(key), data)

    def create(self, key: str, data: bytes) -> bool:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        try:
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            raise
        os.close(fd)
        fsync_dir(path.parent)
        return True

    def append(self, key: str, line: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        append_line(path, line)

    def lines(self, key: str) -> list[str]:
        path = self.path(key)
        if not path.is_file():
            return []
        with path.open(encoding="utf-8") as handle:
            return [line.rstrip("\n") for line in handle if line.strip()]

    def children(self, prefix: str) -> list[str]:
        folder = self.path(prefix)
        if not folder.is_dir():
            return []
        return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())

    def files(self, prefix: str) -> list[str]:
        folder = self.path(prefix)
        if not folder.is_dir():
            return []
        return sorted(entry.name for entry in folder.iterdir() if entry.is_file())

    def remove_tree(self, prefix: str) -> None:
        shutil.rmtree(self.path(prefix), ignore_errors=False)
        fsync_dir(self.path(prefix).parent)
