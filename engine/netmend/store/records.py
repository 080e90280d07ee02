"""What a run folder holds: status, meta, snapshot and journal lines, as models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from netmend.run.plan import Plan, ResourceState
from netmend.store.process import ProcessIdentity

__all__ = [
    "ACTIVE_STATUSES",
    "APPLICABLE_STATUSES",
    "FINAL_STATUSES",
    "JournalEntry",
    "JournalEvent",
    "JournalOutcome",
    "JournalPhase",
    "RunMeta",
    "RunRecord",
    "RunStatus",
    "RunSummary",
    "Snapshot",
]


class RunStatus(StrEnum):
    PLANNED = "planned"
    NEEDS_APPROVAL = "needs_approval"  # a recorded plan held for a person's decision
    REFUSED = "refused"
    APPLYING = "applying"
    APPLIED = "applied"
    VERIFY_FAILED = "verify_failed"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    NOTHING_TO_DO = "nothing_to_do"
    INTERRUPTED = "interrupted"


# Statuses only a live process may hold: if its owner is gone the run was interrupted.
ACTIVE_STATUSES = frozenset({RunStatus.APPLYING, RunStatus.VERIFY_FAILED, RunStatus.ROLLING_BACK})
# Statuses of a run whose recorded plan may still be applied (``fix --apply --plan``).
APPLICABLE_STATUSES = frozenset({RunStatus.PLANNED, RunStatus.NEEDS_APPROVAL})
FINAL_STATUSES = frozenset(
    {
        RunStatus.REFUSED,
        RunStatus.APPLIED,
        RunStatus.ROLLED_BACK,
        RunStatus.ROLLBACK_FAILED,
        RunStatus.NOTHING_TO_DO,
    }
)


def _now() -> datetime:
    return datetime.now(UTC)


class RunMeta(BaseModel):
    """meta.json: the run's status and who/what/when; rewritten atomically on each change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    status: RunStatus
    playbooks: tuple[str, ...] = ()
    started_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    change_id: str | None = None
    requester: str | None = None
    region: str | None = None
    resources: tuple[str, ...] = ()
    owner: ProcessIdentity | None = None  # the process driving an active status
    message: str = ""
    approval: dict[str, Any] | None = None


class RunSummary(BaseModel):
    """One line of ``runs list``; ``status`` is the effective one (``interrupted`` if the
    process that held an active status is gone)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    status: RunStatus
    recorded_status: RunStatus
    playbooks: tuple[str, ...]
    started_at: datetime
    change_id: str | None = None
    requester: str | None = None
    message: str = ""

    @property
    def playbook(self) -> str:
        return ",".join(self.playbooks)


class Snapshot(BaseModel):
    """snapshot.json: every touched resource as it was before the first write."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    taken_at: datetime = Field(default_factory=_now)
    resources: dict[str, ResourceState] = Field(default_factory=dict)


JournalPhase = Literal["apply", "rollback"]
JournalEvent = Literal["intent", "outcome"]
JournalOutcome = Literal["ok", "already-done", "failed"]


class JournalEntry(BaseModel):
    """One journal.jsonl line: the intent before an API call, or its outcome after."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    ts: datetime = Field(default_factory=_now)
    phase: JournalPhase
    step: int  # index of the change within its phase
    event: JournalEvent
    api: str
    resource: str
    params: dict[str, Any] | None = None  # on intents: exactly what is sent
    outcome: JournalOutcome | None = None  # on outcomes
    intent_seq: int | None = None  # on outcomes: the intent line they answer
    code: str | None = None  # AWS error code of a failure or already-done
    message: str = ""
    created_id: str | None = None  # on a create's outcome: the id AWS gave


class RunRecord(BaseModel):
    """Everything stored for one run (``runs show``, ``rollback``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meta: RunMeta
    status: RunStatus  # effective status (see RunSummary)
    plan: Plan
    snapshot: Snapshot | None = None
    journal: tuple[JournalEntry, ...] = ()
    result: dict[str, Any] | None = None

    @property
    def written(self) -> tuple[JournalEntry, ...]:
        """Intents of calls that may have reached AWS (outcome ok, or unknown: killed)."""
        failed = {e.intent_seq for e in self.journal if e.outcome == "failed"}
        return tuple(e for e in self.journal if e.event == "intent" and e.seq not in failed)
