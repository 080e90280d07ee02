"""One run at a time per resource: a lock file per resource id under ``state_dir/locks``.

A lock file is created with O_CREAT|O_EXCL (only one creator can win) and holds the run
id and the owning process. A lock whose process is gone is stale and is taken over; one
held by a live process refuses the second run with ``ResourceLockedError``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from netmend.errors import ResourceLockedError
from netmend.store.atomic import fsync_dir
from netmend.store.process import ProcessIdentity, current_process, process_alive

__all__ = ["FileLocks", "LeaseProbe", "LockManager", "ResourceLockedError", "hold_locks"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
# A lock file is written right after its exclusive creation; a reader that finds it
# empty waits this long for the content before calling its creator dead.
_EMPTY_LOCK_PATIENCE = 2.0


def _lock_path(folder: Path, resource: str) -> Path:
    # Resource ids (sg-..., acl-..., eni-...) are file names as they are; anything else
    # (a quota code "vpc/L-...") is made safe, and kept clear of "." and "..".
    name = _UNSAFE.sub("_", resource)
    return folder / (name if name == resource and not name.startswith(".") else f"_{name}")


def _read_holder(path: Path) -> dict[str, object] | None:
    """The lock's content; None if it is missing; {} if it stays unreadable."""
    deadline = time.monotonic() + _EMPTY_LOCK_PATIENCE
    while True:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
            if isinstance(data, dict):
                return data
        except json.JSONDecodeError:
            pass
        if time.monotonic() >= deadline:
            return {}
        time.sleep(0.05)


def _holder_alive(holder: dict[str, object]) -> bool:
    try:
        owner = ProcessIdentity.model_validate(holder.get("owner"))
    except ValueError:
        return False  # never finished writing: its creator died at once
    # Another host's lock cannot be checked from here: respect it.
    return process_alive(owner) is not False


def _try_create(path: Path, content: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return True


def _take_over_stale(path: Path, seen: dict[str, object]) -> None:
    """Move a stale lock aside, atomically, unless someone else already replaced it."""
    aside = path.with_name(f".{path.name}.stale-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return  # another taker was first
    # Between our read and the rename a new owner may have taken it over: put theirs back.
    current = _read_holder(aside)
    if current != seen and current:
        with contextlib.suppress(OSError):
            os.link(aside, path)  # fails if yet another lock exists; then theirs wins
    with contextlib.suppress(FileNotFoundError):
        aside.unlink()


def _acquire(path: Path, resource: str, run_id: str, content: bytes) -> bool:
    """Take the lock; False if this process already held it for this run."""
    for _ in range(20):
        if _try_create(path, content):
            return True
        holder = _read_holder(path)
        if holder is None:
            continue  # released meanwhile: try again
        holder_run = str(holder.get("run_id", "?"))
        me = current_process()
        owner = holder.get("owner")
        if holder_run == run_id and isinstance(owner, dict) and owner.get("pid") == me.pid:
            return False  # this process already holds it for this run (re-entrant)
        if _holder_alive(holder):
            pid = owner.get("pid") if isinstance(owner, dict) else None
            raise ResourceLockedError(resource, holder_run, pid if isinstance(pid, int) else None)
        _take_over_stale(path, holder)
    raise ResourceLockedError(resource, "unknown (lock keeps changing hands)")


@contextlib.contextmanager
def hold_locks(folder: Path, resources: Iterable[str], run_id: str) -> Iterator[None]:
    """Hold the locks of every resource for the duration of the ``with`` block.

    Locks are taken in sorted order (two runs never wait on each other crosswise) and,
    if one is refused, those already taken are released before the error propagates.
    """
    folder.mkdir(parents=True, exist_ok=True)
    content = json.dumps(
        {"run_id": run_id, "owner": current_process().model_dump()}, sort_keys=True
    ).encode("utf-8")
    held: list[Path] = []
    try:
        for resource in sorted(set(resources)):
            path = _lock_path(folder, resource)
            if _acquire(path, resource, run_id, content):
                held.append(path)
        yield
    finally:
        for path in reversed(held):
            holder = _read_holder(path)
            if holder and holder.get("run_id") == run_id:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


class LockManager(Protocol):
    """Per-resource run locks: lock files on one machine, DynamoDB for many workers
    (``netmend.aws.lock_table``)."""

    def hold(
        self, resources: Iterable[str], run_id: str
    ) -> contextlib.AbstractContextManager[None]:
        """Hold every resource's lock for the ``with`` block; ResourceLockedError if a
        live holder has one."""
        ...


@runtime_checkable
class LeaseProbe(Protocol):
    """Locks with leases (DynamoDB) can say whether a run on another host still holds
    one: if none of its resources' leases is alive, its worker is gone."""

    def lease_alive(self, resource: str, run_id: str) -> bool: ...


class FileLocks:
    """Lock files under one folder (``state_dir/locks``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def hold(
        self, resources: Iterable[str], run_id: str
    ) -> contextlib.AbstractContextManager[None]:
        return hold_locks(self.folder, resources, run_id)
