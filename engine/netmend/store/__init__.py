"""Run records (plan, snapshot, journal, result, meta) and per-resource locks."""

from __future__ import annotations

from netmend.store.atomic import append_line, atomic_write_bytes, atomic_write_text
from netmend.store.locks import ResourceLockedError
from netmend.store.process import ProcessIdentity, current_process, process_alive
from netmend.store.records import (
    ACTIVE_STATUSES,
    APPLICABLE_STATUSES,
    FINAL_STATUSES,
    JournalEntry,
    RunMeta,
    RunRecord,
    RunStatus,
    RunSummary,
    Snapshot,
)
from netmend.store.runs import RunStore

__all__ = [
    "ACTIVE_STATUSES",
    "APPLICABLE_STATUSES",
    "FINAL_STATUSES",
    "JournalEntry",
    "ProcessIdentity",
    "ResourceLockedError",
    "RunMeta",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "RunSummary",
    "Snapshot",
    "append_line",
    "atomic_write_bytes",
    "atomic_write_text",
    "current_process",
    "process_alive",
]
