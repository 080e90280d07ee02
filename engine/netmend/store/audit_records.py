"""The audit trail kept as objects (S3), for workers on many hosts.

``AuditLog`` appends lines to one local file; S3 cannot append, and many workers would
fight over one object. So here each event is its own object, named by its place in the
hash chain (``seq``) and created conditionally (``AuditSink.create_record``: If-None-Match),
never overwritten: the trail stays append-only, and the chain (``netmend.audit``:
``seq``, ``prev``, ``hash``) stays one line even with many writers. Two workers that link
to the same last record race for the same ``seq``; the one that loses reads the winner's
record and links after it. ``ObjectAuditLog`` is an ``AuditLog`` (same ``record``,
``entries``, ``verify``), so the runner and the approvers need not know where the trail
lives.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from netmend.audit import AuditLog, anchor_line, chain_record
from netmend.errors import NetmendError

__all__ = ["AuditSink", "ObjectAuditLog"]

# Lost races in a row before giving up: each loss means another writer appended, so this
# bounds a burst, not a steady state.
_MAX_RACES = 50


class AuditSink(Protocol):
    """Where audit records go when they are not lines of a local file."""

    @property
    def location(self) -> str: ...

    def create_record(self, seq: int, line: str) -> bool:
        """Store record ``seq`` (one JSON line) unless it exists; False when it does."""
        ...

    def read_record(self, seq: int) -> str | None:
        """Record ``seq``, or None when there is none."""
        ...

    def last_seq(self) -> int:
        """The highest ``seq`` stored (0: none)."""
        ...

    def event_lines(self) -> list[str]:
        """Every stored record, in ``seq`` order."""
        ...

    def write_anchor(self, text: str) -> None:
        """Replace the trail's anchor (the last record's seq and hash)."""
        ...

    def read_anchor(self) -> str | None:
        """The anchor's text, or None when there is none."""
        ...


class ObjectAuditLog(AuditLog):
    """The chained audit trail in an ``AuditSink`` (``netmend.aws.objects.S3Backend``)."""

    def __init__(self, sink: AuditSink) -> None:
        super().__init__(Path(sink.location))
        self.sink = sink
        # The last record this process knows: one LIST at the first record, then a read
        # only when another writer got there first.
        self._last: dict[str, Any] | None = None
        self._known = False

    def _record_at(self, seq: int) -> dict[str, Any] | None:
        line = self.sink.read_record(seq) if seq > 0 else None
        found = json.loads(line) if line else None
        return found if isinstance(found, dict) else None

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"ts": datetime.now(UTC).isoformat(), "event": event, **fields}
        if not self._known:
            self._last, self._known = self._record_at(self.sink.last_seq()), True
        for _ in range(_MAX_RACES):
            linked = chain_record(entry, self._last)
            line = json.dumps(linked, sort_keys=True, separators=(",", ":"), default=str)
            if self.sink.create_record(int(linked["seq"]), line):
                self._last = linked
                self._anchor(linked)
                return linked
            # Another writer took this seq: link after its record instead.
            self._last = self._record_at(int(linked["seq"]))
        raise NetmendError(f"audit trail in {self.sink.location}: too many concurrent writers")

    def _anchor(self, linked: dict[str, Any]) -> None:
        # Writers on other hosts may overwrite it with an older record; only move it on.
        current = self.sink.read_anchor()
        try:
            if current and int(json.loads(current)["seq"]) >= int(linked["seq"]):
                return
        except (ValueError, TypeError, KeyError):
            pass  # unreadable: replace it
        self.sink.write_anchor(anchor_line(linked))

    def read_anchor(self) -> str | None:
        return self.sink.read_anchor()

    def lines(self) -> list[str]:
        return [line for line in self.sink.event_lines() if line.strip()]
