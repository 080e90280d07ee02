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
record's hash.

Cutting records off the end would leave a shorter chain that is valid on its own, so
every append also rewrites an *anchor* beside the trail (``audit.jsonl.head``: the last
record's ``seq`` and ``hash``, replaced atomically). ``verify_chain`` given the anchor
reports a trail that ends before it, or whose record at the anchor's ``seq`` differs.
The anchor may lag behind (a crash between the two writes, or writers on other hosts),
never lead.
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
    "anchor_line",
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
    anchored: bool = False  # an anchor was there to check the trail's end against

    @property
    def intact(self) -> bool:
        return self.broken_line is None


def anchor_line(record: Mapping[str, Any]) -> str:
    """The anchor for a trail whose last record is ``record``: its ``seq`` and ``hash``."""
    return json.dumps({"seq": int(record["seq"]), "hash": str(record["hash"])})


def _parse_anchor(text: str | None) -> tuple[int, str] | None:
    if not text:
        return None
    try:
        found = json.loads(text)
        return int(found["seq"]), str(found["hash"])
    except (ValueError, TypeError, KeyError):
        return (0, "")  # present but unreadable: checked (and reported) as broken


def verify_chain(lines: Iterable[str], anchor: str | None = None) -> ChainReport:
    """Check every record's hash and its link to the one before; stop at the first break.

    ``anchor`` (the text of the trail's anchor, see the module docstring) also checks the
    end: a trail that stops short of the anchored record was cut off.
    """
    expected = _parse_anchor(anchor)
    hashes: dict[int, str] = {}
    report = _verify_links(lines, hashes)
    if expected is None or not report.intact:
        return report
    seq, digest = expected
    if seq <= 0 or not digest:
        return ChainReport(report.records, report.records + 1, "the anchor is unreadable", True)
    if seq > report.records:
        return ChainReport(
            report.records,
            report.records + 1,
            f"the trail ends at record {report.records} but its anchor names record {seq}: "
            "records were cut off the end",
            True,
        )
    if hashes.get(seq) != digest:
        return ChainReport(
            report.records, seq, "it is not the record the anchor names (replaced)", True
        )
    return ChainReport(report.records, anchored=True)


def _verify_links(lines: Iterable[str], hashes: dict[int, str]) -> ChainReport:
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
        hashes[number] = str(record["hash"])
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

    @property
    def anchor_path(self) -> Path:
        return self.path.with_name(self.path.name + ".head")

    def _write_anchor(self, record: Mapping[str, Any]) -> None:
        # Atomic replace: a reader sees the old anchor or the new one, never half of one.
        temporary = self.anchor_path.with_name(self.anchor_path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, anchor_line(record).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.anchor_path)

    def read_anchor(self) -> str | None:
        """The anchor's text, or None when the trail has none (older than anchors)."""
        try:
            return self.anchor_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

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
                self._write_anchor(linked)  # still under the flock: anchors never go back
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
        """Check the whole chain and its end against the anchor (``netmend audit verify``)."""
        return verify_chain(self.lines(), self.read_anchor())
