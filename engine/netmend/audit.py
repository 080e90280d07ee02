"""The audit trail: an append-only JSON-lines file of every decision and write.

Separate from the logs on purpose: logs are for operators and may be dropped or
reformatted; the audit trail is evidence (who approved what, which API call changed what)
and is only ever appended to, one fsynced line per event.

Tamper-evident: every record carries ``seq`` (1, 2, ...), ``prev`` (the previous record's
``hash``; 64 zeros for the first) and ``hash``, the SHA-256 of the record's canonical
JSON without ``hash`` itself. Editing a record breaks its own hash, deleting, inserting
or reordering one breaks the next record's ``prev``: ``verify_chain`` (``netmend audit
verify``) names the first broken record. The chain lives in the record format, not the
file, so any backend that stores the records (a file here, an object store elsewhere)
keeps and checks it the same way; a backend only has to hand ``chain_record`` the last
record's hash. (Cutting records off the end leaves a shorter valid chain: anchor the
last hash elsewhere, e.g. in the run record, to detect that.)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "GENESIS_HASH",
    "AuditLog",
    "ChainReport",
    "chain_record",
    "record_hash",
    "verify_chain",
]

_LOCK = threading.Lock()
GENESIS_HASH = "0" * 64
# Enough of the file's end to hold its last record (records are a few kB at most).
_TAIL_BYTES = 1 << 20


def _canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record's canonical JSON, its own ``hash`` field left out."""
    return hashlib.sha256(_canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def chain_record(entry: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """``entry`` linked after ``previous`` (None: the first record): seq, prev, hash."""
    linked: dict[str, Any] = json.loads(_canonical(entry))  # what a reader will see
    linked["seq"] = int(previous["seq"]) + 1 if previous else 1
    linked["prev"] = str(previous["hash"]) if previous else GENESIS_HASH
    linked["hash"] = record_hash(linked)
    return linked


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found: the record count and the first broken one, if any."""

    records: int
    broken_line: int | None = None  # 1-based line (record) number
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_line is None


def verify_chain(lines: Iterable[str]) -> ChainReport:
    """Check every record's hash and its link to the one before; stop at the first break."""
    previous: dict[str, Any] | None = None
    count = 0
    for number, line in enumerate(lines, start=1):
        count = number
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            return ChainReport(count, number, f"not a JSON record ({error.msg})")
        if not isinstance(record, dict) or "hash" not in record:
            return ChainReport(count, number, "not a chained record (no hash)")
        if record_hash(record) != record.get("hash"):
            return ChainReport(count, number, "its content does not match its hash (edited)")
        want_prev = previous["hash"] if previous else GENESIS_HASH
        want_seq = int(previous["seq"]) + 1 if previous else 1
        if record.get("prev") != want_prev or record.get("seq") != want_seq:
            return ChainReport(
                count,
                number,
                f"it does not follow record {number - 1} (seq {record.get('seq')!r}, "
                f"expected {want_seq}): a record was removed, inserted or reordered",
            )
        previous = record
    return ChainReport(count)


def _last_record(fd: int) -> dict[str, Any] | None:
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    start = max(0, size - _TAIL_BYTES)
    tail = os.pread(fd, size - start, start).decode("utf-8", "replace")
    for line in reversed(tail.splitlines()):
        if line.strip():
            try:
                found = json.loads(line)
            except json.JSONDecodeError:
                return None  # a torn last line: the chain restarts visibly broken
            return found if isinstance(found, dict) and "hash" in found else None
    return None


class AuditLog:
    """Appends chained events to ``path`` (created with its folder on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append one event and return it as written (UTC timestamp, seq, prev, hash)."""
        entry: dict[str, Any] = {"ts": datetime.now(UTC).isoformat(), "event": event, **fields}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _LOCK:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # flock: writers in other processes (CLI, Slack server, workers) read the
                # last hash and append as one step, so the chain never forks.
                fcntl.flock(fd, fcntl.LOCK_EX)
                linked = chain_record(entry, _last_record(fd))
                os.write(fd, _canonical(linked) + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)  # releases the flock
        return linked

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [line for line in handle if line.strip()]

    def entries(self) -> list[dict[str, Any]]:
        """Every event so far, oldest first (an absent file is an empty trail)."""
        return [json.loads(line) for line in self.lines()]

    def verify(self) -> ChainReport:
        """Check the whole chain (``netmend audit verify``)."""
        return verify_chain(self.lines())
