"""The audit trail kept as objects (S3), for workers on many hosts.

``AuditLog`` appends lines to one local file; S3 cannot append, and many workers would
fight over one object. So here each event is its own object, created conditionally
(``AuditSink.put_event``) under a time-sortable name, never overwritten: the trail
stays append-only. ``ObjectAuditLog`` is an ``AuditLog`` (same ``record``/``entries``),
so the runner and the approvers need not know where the trail lives; only the two
storage methods differ.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from netmend.audit import AuditLog

__all__ = ["AuditSink", "ObjectAuditLog"]


class AuditSink(Protocol):
    """Where audit events go when they are not lines of a local file."""

    @property
    def location(self) -> str: ...

    def put_event(self, line: str, at: datetime) -> None:
        """Store one event (one JSON line) as a new, never rewritten record."""
        ...

    def event_lines(self) -> list[str]:
        """Every stored event, oldest first."""
        ...


class ObjectAuditLog(AuditLog):
    """The audit trail in an ``AuditSink`` (``netmend.aws.objects.S3Backend``)."""

    def __init__(self, sink: AuditSink) -> None:
        super().__init__(Path(sink.location))
        self.sink = sink

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        entry: dict[str, Any] = {"ts": now.isoformat(), "event": event, **fields}
        self.sink.put_event(json.dumps(entry, sort_keys=True, default=str), now)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.sink.event_lines()]
