"""RunStore: one folder per run under ``state_dir/runs``, written so a crash loses nothing.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from netmend.errors import BadInputError, NetmendError
from netmend.run.plan import Plan
from netmend.store.atomic import append_line, atomic_write_text
from netmend.store.locks import hold_locks
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


def _dump(model: BaseModel) -> str:
    return model.model_dump_json(indent=2) + "\n"


class RunStore:
    """The run records of one state folder (``NetmendConfig.state_dir``)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir).expanduser()
        self.runs_dir = self.state_dir / "runs"
        self.locks_dir = self.state_dir / "locks"

    # -- paths -----------------------------------------------------------------------

    def run_dir(self, run_id: str) -> Path:
        if not _RUN_ID.fullmatch(run_id):
            raise BadInputError(f"malformed run id {run_id!r}")
        return self.runs_dir / run_id

    def _existing_dir(self, run_id: str) -> Path:
        folder = self.run_dir(run_id)
        if not (folder / "meta.json").is_file():
            raise BadInputError(f"unknown run {run_id!r}: `netmend runs list` shows the runs")
        return folder

    # -- writing ---------------------------------------------------------------------

    def create_run(self, plan: Plan, *, requester: str | None) -> RunMeta:
        """Record a new run as ``planned``: plan.json, then meta.json."""
        folder = self.run_dir(plan.run_id)
        if (folder / "meta.json").exists():
            raise NetmendError(f"run {plan.run_id} already exists")
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "plan.json", _dump(plan))
        meta = RunMeta(
            run_id=plan.run_id,
            status=RunStatus.PLANNED,
            playbooks=plan.playbooks,
            started_at=plan.created_at,
            change_id=plan.change_id,
            requester=requester,
            region=plan.region,
            resources=plan.resources,
        )
        self.write_meta(meta)
        return meta

    def write_meta(self, meta: RunMeta) -> None:
        atomic_write_text(self.run_dir(meta.run_id) / "meta.json", _dump(meta))

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
        atomic_write_text(self.run_dir(snapshot.run_id) / "snapshot.json", _dump(snapshot))

    def append_journal(self, run_id: str, entry: JournalEntry) -> None:
        append_line(self.run_dir(run_id) / "journal.jsonl", entry.model_dump_json())

    def next_journal_seq(self, run_id: str) -> int:
        journal = self.read_journal(run_id)
        return journal[-1].seq + 1 if journal else 1

    def write_result(self, run_id: str, result: BaseModel | dict[str, Any]) -> None:
        text = (
            _dump(result)
            if isinstance(result, BaseModel)
            else json.dumps(result, indent=2, sort_keys=True, default=str) + "\n"
        )
        atomic_write_text(self.run_dir(run_id) / "result.json", text)

    def write_approval_request(self, run_id: str, request: BaseModel) -> None:
        """Store the approval request a held run waits on (one per run, rewritten whole)."""
        atomic_write_text(self._existing_dir(run_id) / "approval_request.json", _dump(request))

    # -- reading ---------------------------------------------------------------------

    def read_approval_request(self, run_id: str) -> dict[str, Any] | None:
        """The stored approval request as JSON data (None: the run never waited for one)."""
        path = self._existing_dir(run_id) / "approval_request.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None

    def read_meta(self, run_id: str) -> RunMeta:
        folder = self._existing_dir(run_id)
        return self._parse(RunMeta, folder / "meta.json")

    def read_plan(self, run_id: str) -> Plan:
        return self._parse(Plan, self._existing_dir(run_id) / "plan.json")

    def read_snapshot(self, run_id: str) -> Snapshot | None:
        path = self._existing_dir(run_id) / "snapshot.json"
        return self._parse(Snapshot, path) if path.exists() else None

    def read_journal(self, run_id: str) -> list[JournalEntry]:
        path = self.run_dir(run_id) / "journal.jsonl"
        if not path.exists():
            return []
        entries: list[JournalEntry] = []
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    entries.append(JournalEntry.model_validate_json(line))
                except ValidationError:
                    # Only the last line can be torn (a crash mid-append): ignore it.
                    break
        return entries

    def read_result(self, run_id: str) -> dict[str, Any] | None:
        path = self._existing_dir(run_id) / "result.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None

    def effective_status(self, meta: RunMeta) -> RunStatus:
        """The recorded status, or ``interrupted`` when its owning process is gone."""
        if meta.status not in ACTIVE_STATUSES:
            return meta.status
        if meta.owner is None:
            return RunStatus.INTERRUPTED
        alive = process_alive(meta.owner)
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
                )
            )
        summaries.sort(key=lambda s: (s.started_at, s.run_id), reverse=True)
        return summaries

    def _iter_meta(self) -> Iterator[RunMeta]:
        if not self.runs_dir.is_dir():
            return
        for folder in self.runs_dir.iterdir():
            path = folder / "meta.json"
            if folder.is_dir() and path.is_file():
                with contextlib.suppress(NetmendError):
                    yield self._parse(RunMeta, path)

    @staticmethod
    def _parse(model: type[_M], path: Path) -> _M:
        try:
            return model.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as error:
            first = str(error).splitlines()[0]
            raise NetmendError(f"damaged run record {path}: {first}") from error

    # -- locks -----------------------------------------------------------------------

    def lock(
        self, resources: Iterable[str], run_id: str
    ) -> contextlib.AbstractContextManager[None]:
        """Hold every resource's lock for a run; ResourceLockedError if a live run has one."""
        return hold_locks(self.locks_dir, resources, run_id)
