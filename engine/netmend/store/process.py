"""Which process owns a run or a lock, and whether that process still exists.

A pid alone is not enough: pids are reused, and a state folder may outlive a reboot or
be shared between hosts. So an owner is recorded as pid + host + boot id + the process's
start time (clock ticks since boot, from /proc), and is alive only if all still match.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["ProcessIdentity", "current_process", "process_alive"]

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class ProcessIdentity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pid: int
    host: str
    boot_id: str | None = None
    start_ticks: int | None = None


def _boot_id() -> str | None:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may contain spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    # Field 22 of stat (starttime); fields[0] here is field 3 (state).
    if fields is None or len(fields) < 20:
        return None
    try:
        return int(fields[19])
    except ValueError:
        return None


def current_process() -> ProcessIdentity:
    pid = os.getpid()
    return ProcessIdentity(
        pid=pid, host=socket.gethostname(), boot_id=_boot_id(), start_ticks=_start_ticks(pid)
    )


def process_alive(owner: ProcessIdentity) -> bool | None:
    """True if the owner still runs, False if it is gone, None if this host cannot tell.

    None means the owner ran on another host: only that host can say.
    """
    if owner.host != socket.gethostname():
        return None
    here = _boot_id()
    if owner.boot_id and here and owner.boot_id != here:
        return False  # the machine rebooted since
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    fields = _stat_fields(owner.pid)
    if fields is not None and fields[0] in ("Z", "X"):
        return False  # killed, waiting for its parent to reap it
    if owner.start_ticks is not None:
        ticks = _start_ticks(owner.pid)
        if ticks is not None and ticks != owner.start_ticks:
            return False  # the pid now belongs to another process
    return True
