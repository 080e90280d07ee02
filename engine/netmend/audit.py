"""The audit trail: an append-only JSON-lines file of every decision and write.

Separate from the logs on purpose: logs are for operators and may be dropped or
reformatted; the audit trail is evidence (who approved what, which API call changed what)
and is only ever appended to, one fsynced line per event.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["AuditLog"]

_LOCK = threading.Lock()


class AuditLog:
    """Appends events to ``path`` (created with its folder on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append one event and return it as written (with its UTC timestamp)."""
        entry: dict[str, Any] = {"ts": datetime.now(UTC).isoformat(), "event": event, **fields}
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _LOCK:
            # O_APPEND: concurrent writers (CLI and Slack server) never overwrite each other.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """Every event so far, oldest first (an absent file is an empty trail)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
