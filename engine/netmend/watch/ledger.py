"""The event ledger: which events were acted on, so a redelivered one is not acted on twice.

SQS delivers at least once: a message whose deletion was lost, or whose visibility ran
out while a worker was slow, comes back, possibly to another worker. Each event id gets
one record in the state store (``events/<id>.json``), created conditionally, so of two
workers only one claims it. A claim carries a lease: if its worker dies mid-event the
lease runs out and the next delivery claims it again (the repair is idempotent: the
intent is diagnosed afresh, and an already repaired one needs nothing). A finished
event's record says what came of it; the message is deleted only after that record is
written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from netmend.store.backend import RecordBackend

__all__ = ["Claim", "EventLedger", "EventOutcome", "EventRecord"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class Claim(StrEnum):
    NEW = "new"  # this worker acts on the event now
    DONE = "done"  # acted on before: acknowledge and skip
    BUSY = "busy"  # another live worker is on it: leave the message for later


class EventOutcome(BaseModel):
    """What came of one event: skipped, or the intents checked and the runs started."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["skipped", "checked", "repaired", "held", "failed"]
    reason: str = ""
    event_name: str = ""
    resources: tuple[str, ...] = ()
    intents_checked: tuple[str, ...] = ()
    runs: tuple[dict[str, str], ...] = ()  # {run_id, status, intent}
    started_at: datetime | None = None
    finished_at: datetime | None = None


class EventRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    status: Literal["processing", "done"]
    worker: str
    claimed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    lease_until: datetime
    outcome: EventOutcome | None = None


class EventLedger:
    def __init__(self, backend: RecordBackend, worker: str, *, lease: timedelta) -> None:
        self.backend = backend
        self.worker = worker
        self.lease = lease

    @staticmethod
    def _key(event_id: str) -> str:
        return f"events/{_UNSAFE.sub('_', event_id)[:200]}.json"

    def read(self, event_id: str) -> EventRecord | None:
        data = self.backend.read(self._key(event_id))
        if data is None:
            return None
        try:
            return EventRecord.model_validate_json(data)
        except ValidationError:
            return None  # torn by a crash mid-create (local folder): claimable again

    def _processing(self, event_id: str) -> bytes:
        now = datetime.now(UTC)
        record = EventRecord(
            event_id=event_id,
            status="processing",
            worker=self.worker,
            claimed_at=now,
            lease_until=now + self.lease,
        )
        return record.model_dump_json().encode("utf-8")

    def claim(self, event_id: str) -> Claim:
        """Claim the event for this worker, or say why not."""
        key = self._key(event_id)
        if self.backend.create(key, self._processing(event_id)):
            return Claim.NEW
        record = self.read(event_id)
        if record is not None and record.status == "done":
            return Claim.DONE
        if record is not None and record.lease_until > datetime.now(UTC):
            return Claim.BUSY
        # The claimer died (its lease ran out) or left a torn record: take it over.
        self.backend.write(key, self._processing(event_id))
        return Claim.NEW

    def renew(self, event_id: str) -> None:
        """Extend this worker's lease on an event it is still working on."""
        record = self.read(event_id)
        if record is not None and record.status == "processing" and record.worker == self.worker:
            updated = record.model_copy(update={"lease_until": datetime.now(UTC) + self.lease})
            self.backend.write(self._key(event_id), updated.model_dump_json().encode("utf-8"))

    def release(self, event_id: str) -> None:
        """Give the claim up early (the event could not be handled now: retry later)."""
        record = self.read(event_id)
        if record is not None and record.status == "processing" and record.worker == self.worker:
            expired = record.model_copy(update={"lease_until": datetime.now(UTC)})
            self.backend.write(self._key(event_id), expired.model_dump_json().encode("utf-8"))

    def complete(self, event_id: str, outcome: EventOutcome) -> EventRecord:
        """Record the outcome durably (before the message is deleted)."""
        now = datetime.now(UTC)
        record = EventRecord(
            event_id=event_id,
            status="done",
            worker=self.worker,
            lease_until=now,
            outcome=outcome,
        )
        self.backend.write(self._key(event_id), record.model_dump_json().encode("utf-8"))
        return record
