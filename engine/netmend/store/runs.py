"""RunStore: one folder per run under ``state_dir/runs``, written so a crash loses nothing.

The folder is a ``RecordBackend``: a local directory (the default) or S3
(``state_dir: s3://BUCKET/PREFIX``, ``netmend.aws.objects``); the locks are a
``LockManager``: lock files, or DynamoDB (``lock_table``, ``netmend.aws.lock_table``).

runs/<run_id>/plan.json      the Plan as proposed (written once)
runs/<run_id>/meta.json      RunMeta: status, playbooks, who, when (rewritten atomically)
runs/<run_id>/snapshot.json  every touched resource before the first write
runs/<run_id>/journal.jsonl  one fsynced line per API call: intent, then outcome
runs/<run_id>/result.json    the RunResult as returned to the caller
runs/<run_id>/approval_request.json  the ApprovalRequest a held run waits on (if any)
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from netmend.errors import BadInputError, NetmendError
from netmend.run.plan import Plan
from netmend.store.backend import LocalBackend, RecordBackend
from netmend.store.locks import FileLocks, LeaseProbe, LockManager
from netmend.store.process import current_process, process_alive
from netmend.store.records import (
    ACTIVE_STATUSES,
    JournalEntry,
    RunMeta,
    RunRecord,
    RunStatus,
    RunSummary,
    Snapshot,
)

__all__ = ["RunStore"]

_M = TypeVar("_M", bound=BaseModel)

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _flow_text(plan: Plan) -> str | None:
    flow = plan.flow
    if flow is None:
        return None
    return f"{flow.service} {flow.source.given} -> {flow.destination.given}"


def _dump(model: BaseModel) -> str:
    return model.model_dump_json(indent=2) + "\n"


class RunStore:
    """The run records of one state folder (``NetmendConfig.state_dir``) or S3 prefix."""

    def __init__(
        self,
        state_dir: Path | RecordBackend,
        *,
        locks: LockManager | None = None,
    ) -> None:
        if isinstance(state_dir, str | Path):
            self.backend: RecordBackend = LocalBackend(Path(state_dir))
        else:
            self.backend = state_dir
        local = self.backend if isinstance(self.backend, LocalBackend) else None
        self.state_dir = local.root if local is not None else None
        if locks is None:
            if local is None:
                raise NetmendError(
                    "run records in S3 need shared locks: set lock_table in the config"
                )
            locks = FileLocks(local.root / "locks")
        self.locks = locks

    @property
    def location(self) -> str:
        return self.backend.location

    # -- paths -----------------------------------------------------------------------

    @staticmethod
    def _checked(run_id: str) -> str:
        if not _RUN_ID.fullmatch(run_id):
            raise BadInputError(f"malformed run id {run_id!r}")
        return run_id

    def _key(self, run_id: str, name: str) -> str:
        return f"runs/{self._checked(run_id)}/{name}"

    def run_dir(self, run_id: str) -> Path:
        """The run's folder (local state only: tests and operators read it directly)."""
        if self.state_dir is None:
            raise NetmendError(f"run records are in {self.location}, not in a local folder")
        return self.state_dir / "runs" / self._checked(run_id)

    def exists(self, run_id: str) -> bool:
        return self.backend.read(self._key(run_id, "meta.json")) is not None

    # -- writing ---------------------------------------------------------------------

    def create_run(self, plan: Plan, *, requester: str | None) -> RunMeta:
        """Record a new run as ``planned``: plan.json (created only if absent), meta.json."""
        if self.exists(plan.run_id) or not self.backend.create(
            self._key(plan.run_id, "plan.json"), _dump(plan).encode("utf-8")
        ):
            raise NetmendError(f"run {plan.run_id} already exists")
        meta = RunMeta(
            run_id=plan.run_id,
            status=RunStatus.PLANNED,
            playbooks=plan.playbooks,
            started_at=plan.created_at,
            change_id=plan.change_id,
            requester=requester,
            region=plan.region,
            resources=plan.resources,
            flow=_flow_text(plan),
        )
        self.write_meta(meta)
        return meta

    def write_meta(self, meta: RunMeta) -> None:
        self.backend.write(self._key(meta.run_id, "meta.json"), _dump(meta).encode("utf-8"))

    def set_status(self, run_id: str, status: RunStatus, **changes: Any) -> RunMeta:
        """Rewrite meta.json with a new status; an active status records this process."""
        meta = self.read_meta(run_id)
        owner = current_process() if status in ACTIVE_STATUSES else meta.owner
        updated = meta.model_copy(
            update={
                "status": status,
                "owner": owner,
                "updated_at": datetime.now(UTC),
                **changes,
            }
        )
        # model_copy does not validate: re-validate so a bad field fails here, not on read.
        updated = RunMeta.model_validate(updated.model_dump())
        self.write_meta(updated)
        return updated

    def write_snapshot(self, snapshot: Snapshot) -> None:
        self.backend.write(
            self._key(snapshot.run_id, "snapshot.json"), _dump(snapshot).encode("utf-8")
        )

    def append_journal(self, run_id: str, entry: JournalEntry) -> None:
        self.backend.append(self._key(run_id, "journal.jsonl"), entry.model_dump_json())

    def next_journal_seq(self, run_id: str) -> int:
        journal = self.read_journal(run_id)
        return journal[-1].seq + 1 if journal else 1

    def write_result(self, run_id: str, result: BaseModel | dict[str, Any]) -> None:
        text = (
            _dump(result)
            if isinstance(result, BaseModel)
            else json.dumps(result, indent=2, sort_keys=True, default=str) + "\n"
        )
        self.backend.write(self._key(run_id, "result.json"), text.encode("utf-8"))

    def write_approval_request(self, run_id: str, request: BaseModel) -> None:
        """Store the approval request a held run waits on (one per run, rewritten whole)."""
        self.read_meta(run_id)  # unknown run: BadInputError
        self.backend.write(self._key(run_id, "approval_request.json"), _dump(request).encode())

    # -- reading ---------------------------------------------------------------------

    def read_approval_request(self, run_id: str) -> dict[str, Any] | None:
        """The stored approval request as JSON data (None: the run never waited for one)."""
        data = self.backend.read(self._key(run_id, "approval_request.json"))
        if data is None:
            return None
        document = json.loads(data)
        return document if isinstance(document, dict) else None

    def read_meta(self, run_id: str) -> RunMeta:
        return self._parse(RunMeta, self._key(run_id, "meta.json"), run_id)

    def read_plan(self, run_id: str) -> Plan:
        return self._parse(Plan, self._key(run_id, "plan.json"), run_id)

    def read_snapshot(self, run_id: str) -> Snapshot | None:
        key = self._key(run_id, "snapshot.json")
        data = self.backend.read(key)
        return None if data is None else self._validate(Snapshot, data, key)

    def read_journal(self, run_id: str) -> list[JournalEntry]:
        entries: list[JournalEntry] = []
        for line in self.backend.lines(self._key(run_id, "journal.jsonl")):
            try:
                entries.append(JournalEntry.model_validate_json(line))
            except ValidationError:
                # Only the last line can be torn (a crash mid-append): ignore it.
                break
        return entries

    def read_result(self, run_id: str) -> dict[str, Any] | None:
        data = self.backend.read(self._key(run_id, "result.json"))
        if data is None:
            return None
        document = json.loads(data)
        return document if isinstance(document, dict) else None

    def effective_status(self, meta: RunMeta) -> RunStatus:
        """The recorded status, or ``interrupted`` when its owning process is gone."""
        if meta.status not in ACTIVE_STATUSES:
            return meta.status
        if meta.owner is None:
            return RunStatus.INTERRUPTED
        alive = process_alive(meta.owner)
        if alive is None and isinstance(self.locks, LeaseProbe) and meta.resources:
            # Another host's run: its locks' leases say whether its worker still lives.
            held = any(self.locks.lease_alive(r, meta.run_id) for r in meta.resources)
            return meta.status if held else RunStatus.INTERRUPTED
        return RunStatus.INTERRUPTED if alive is False else meta.status

    def load_run(self, run_id: str) -> RunRecord:
        """Everything stored for a run; BadInputError (exit 2) for an unknown id."""
        meta = self.read_meta(run_id)
        return RunRecord(
            meta=meta,
            status=self.effective_status(meta),
            plan=self.read_plan(run_id),
            snapshot=self.read_snapshot(run_id),
            journal=tuple(self.read_journal(run_id)),
            result=self.read_result(run_id),
        )

    def list_runs(self) -> list[RunSummary]:
        """Every run, newest first (run ids sort by their UTC start time)."""
        summaries: list[RunSummary] = []
        for meta in self._iter_meta():
            summaries.append(
                RunSummary(
                    run_id=meta.run_id,
                    status=self.effective_status(meta),
                    recorded_status=meta.status,
                    playbooks=meta.playbooks,
                    started_at=meta.started_at,
                    change_id=meta.change_id,
                    requester=meta.requester,
                    message=meta.message,
                    flow=meta.flow,
                )
            )
        summaries.sort(key=lambda s: (s.started_at, s.run_id), reverse=True)
        return summaries

    def prune_plans(self, older_than: timedelta, *, now: datetime | None = None) -> list[str]:
        """Delete saved plans (runs that never tried to write) started before ``now -
        older_than``; returns their ids. Runs that wrote are kept: their snapshots and
        journals are what a rollback and an audit need."""
        cutoff = (now or datetime.now(UTC)) - older_than
        removed: list[str] = []
        for summary in self.list_runs():
            if summary.wrote or summary.started_at >= cutoff:
                continue
            self.backend.remove_tree(f"runs/{self._checked(summary.run_id)}")
            removed.append(summary.run_id)
        return removed

    def _iter_meta(self) -> Iterator[RunMeta]:
        for run_id in self.backend.children("runs"):
            if not _RUN_ID.fullmatch(run_id):
                continue
            key = self._key(run_id, "meta.json")
            data = self.backend.read(key)
            if data is not None:
                with contextlib.suppress(NetmendError):
                    yield self._validate(RunMeta, data, key)

    def _parse(self, model: type[_M], key: str, run_id: str | None = None) -> _M:
        data = self.backend.read(key)
        if data is None:
            if run_id is not None and not self.exists(run_id):
                raise BadInputError(f"unknown run {run_id!r}: `netmend runs list` shows the runs")
            raise NetmendError(f"damaged run record {self._where(key)}: missing")
        return self._validate(model, data, key)

    def _where(self, key: str) -> str:
        return f"{self.location.rstrip('/')}/{key}"

    def _validate(self, model: type[_M], data: bytes, key: str) -> _M:
        try:
            return model.model_validate_json(data)
        except ValidationError as error:
            first = str(error).splitlines()[0]
            raise NetmendError(f"damaged run record {self._where(key)}: {first}") from error

    # -- locks -----------------------------------------------------------------------

    def lock(
        self, resources: Iterable[str], run_id: str
    ) -> contextlib.AbstractContextManager[None]:
        """Hold every resource's lock for a run; ResourceLockedError if a live run has one."""
        return self.locks.hold(resources, run_id)
