"""The runner's writes: each API call journalled (intent before, outcome after) and
audited; and restoring a snapshot with the same journalled calls.

Separate from the pipeline so the one place that sequences writes is small enough to
read in full: nothing reaches AWS except through ``RunWriter.call``.
"""

from __future__ import annotations

from collections.abc import Iterable

from netmend.audit import AuditLog
from netmend.aws.mutations import apply_change, read_resources
from netmend.aws.session import AwsClients
from netmend.errors import NetmendError
from netmend.plan import Change
from netmend.restore import differences, restore_changes
from netmend.runner_result import CallOutcome, ChangeRecord, RollbackReport
from netmend.store.records import JournalEntry, JournalPhase, RunStatus, Snapshot
from netmend.store.runs import RunStore

__all__ = ["RunWriter", "WriteFailed", "newer_runs_on"]

# Statuses of a run that may have written to its resources.
_MAY_HAVE_WRITTEN = frozenset(
    {
        RunStatus.APPLIED,
        RunStatus.APPLYING,
        RunStatus.VERIFY_FAILED,
        RunStatus.ROLLING_BACK,
        RunStatus.ROLLBACK_FAILED,
        RunStatus.INTERRUPTED,
    }
)


class WriteFailed(Exception):
    """A write failed for good; carries the error and the index of the change."""

    def __init__(self, step: int, error: NetmendError) -> None:
        super().__init__(str(error))
        self.step = step
        self.error = error

    @property
    def code(self) -> str | None:
        return getattr(self.error, "code", None)


class RunWriter:
    def __init__(self, clients: AwsClients, store: RunStore, audit: AuditLog) -> None:
        self.clients = clients
        self.store = store
        self.audit = audit
        self._seq: dict[str, int] = {}

    def _next_seq(self, run_id: str) -> int:
        seq = self._seq.get(run_id)
        if seq is None:
            seq = self.store.next_journal_seq(run_id)
        self._seq[run_id] = seq + 1
        return seq

    def _outcome(self, run_id: str, intent: JournalEntry, outcome: CallOutcome,
                 code: str | None, message: str) -> None:
        self.store.append_journal(run_id, JournalEntry(
            seq=self._next_seq(run_id), phase=intent.phase, step=intent.step, event="outcome",
            api=intent.api, resource=intent.resource, outcome=outcome, code=code,
            message=message, intent_seq=intent.seq))

    def call(
        self, run_id: str, phase: JournalPhase, step: int, change: Change
    ) -> tuple[CallOutcome, str | None]:
        """One write: intent line, the call, outcome line, audit event.

        Raises WriteFailed when the call failed for good (its outcome is journalled).
        """
        intent = JournalEntry(seq=self._next_seq(run_id), phase=phase, step=step,
                              event="intent", api=change.api, resource=change.resource,
                              params=change.params)
        self.store.append_journal(run_id, intent)
        try:
            outcome = apply_change(self.clients, change)
        except NetmendError as error:
            code = getattr(error, "code", None)
            self._outcome(run_id, intent, "failed", code, str(error))
            self.audit.record("aws.write", run_id=run_id, phase=phase, api=change.api,
                              resource=change.resource, params=change.params,
                              outcome="failed", code=code, message=str(error))
            raise WriteFailed(step, error) from error
        self._outcome(run_id, intent, outcome.status, outcome.code, outcome.message)
        self.audit.record("aws.write", run_id=run_id, phase=phase, api=change.api,
                          resource=change.resource, params=change.params,
                          outcome=outcome.status, code=outcome.code)
        return outcome.status, outcome.code

    def restore_changes(self, snapshot: Snapshot) -> tuple[Change, ...]:
        """The calls a restore would make now (for showing before approving a rollback)."""
        live = read_resources(self.clients, snapshot.resources)
        return tuple(
            change
            for rid, saved in snapshot.resources.items()
            if (current := live.get(rid)) is not None
            for change in restore_changes(current, saved)
        )

    def restore(self, run_id: str, snapshot: Snapshot) -> RollbackReport:
        """Bring every snapshotted resource back, then check live equals the snapshot.

        Records rolling_back while it works, then rolled_back or rollback_failed.
        """
        self.store.set_status(run_id, RunStatus.ROLLING_BACK)
        calls: list[ChangeRecord] = []
        errors: list[str] = []
        try:
            live = read_resources(self.clients, snapshot.resources)
        except NetmendError as error:
            live, errors = {}, [f"cannot read the live state: {error}"]
        step = 0
        for rid, saved in snapshot.resources.items():
            current = live.get(rid)
            if current is None:
                if not errors:
                    errors.append(f"{rid}: no longer exists, cannot restore it")
                continue
            for change in restore_changes(current, saved):
                try:
                    outcome, code = self.call(run_id, "rollback", step, change)
                    calls.append(ChangeRecord.of(change, outcome, code))
                except WriteFailed as failed:
                    calls.append(ChangeRecord.of(change, "failed", failed.code))
                    errors.append(f"{change.api} on {rid} failed: {failed.error}")
                step += 1
        diffs = self._remaining_differences(snapshot)
        status = RunStatus.ROLLED_BACK if not diffs else RunStatus.ROLLBACK_FAILED
        if status is RunStatus.ROLLED_BACK:
            message = f"live state equals the snapshot ({len(calls)} restore call(s))"
        else:
            message = "live state differs from the snapshot: " + "; ".join(diffs)
            if errors:
                message += " (errors: " + "; ".join(errors) + ")"
        self.store.set_status(run_id, status, message=message)
        self.audit.record(f"run.{status.value}", run_id=run_id, calls=len(calls),
                          differences=diffs, errors=errors)
        return RollbackReport(status=status, calls=tuple(calls), differences=tuple(diffs),
                              errors=tuple(errors), message=message)

    def _remaining_differences(self, snapshot: Snapshot) -> list[str]:
        try:
            final = read_resources(self.clients, snapshot.resources)
        except NetmendError as error:
            return [f"cannot read the live state to compare: {error}"]
        return [
            line
            for rid, saved in snapshot.resources.items()
            for line in differences(final.get(rid), saved)
        ]


def newer_runs_on(store: RunStore, run_id: str, resources: Iterable[str]) -> list[str]:
    """Runs started after ``run_id`` that may have written to any of these resources."""
    wanted = set(resources)
    mine = store.read_meta(run_id)
    return [
        summary.run_id
        for summary in store.list_runs()
        if summary.run_id != run_id
        and (summary.started_at, summary.run_id) > (mine.started_at, mine.run_id)
        and summary.status in _MAY_HAVE_WRITTEN
        and wanted & set(store.read_meta(summary.run_id).resources)
    ]
