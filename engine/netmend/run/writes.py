"""The runner's writes: each API call journalled (intent before, outcome after) and
audited; and restoring a snapshot with the same journalled calls.

Separate from the pipeline so the one place that sequences writes is small enough to
read in full: nothing reaches AWS except through ``RunWriter.call``.

The writer owns the journal and the ``aws.write`` audit events; a run's status and its
lifecycle events (recorded, applying, rolled_back...) are the Runner's alone.

A group the plan creates is named by a placeholder until CreateSecurityGroup answers:
``call`` swaps in the real id (from the journal, where each create's outcome keeps it)
before journalling and sending a later call. A restore puts the snapshot back first (the
interfaces lose the new group), then deletes every group the run created, found by the
journalled id or, if the run died before journalling it, by the run's tag. A group the
run deleted is re-created from the snapshot under a new id (``netmend.run.recreate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netmend.audit import AuditLog
from netmend.aws.mutations import apply_change, read_resources
from netmend.aws.session import AwsClients
from netmend.errors import NetmendError
from netmend.model import SecurityGroup
from netmend.model.change import Change
from netmend.run.new_resources import (
    CREATE_GROUP_API,
    DELETE_GROUP_API,
    created_group_ids,
    created_groups,
    created_left_behind,
    delete_created_group_change,
    delete_created_groups,
    has_placeholder,
    is_placeholder,
    resolve_change,
)
from netmend.run.recreate import (
    as_recreated,
    deleted_by_run,
    recreate_change,
    recreate_group,
    recreated_ids,
)
from netmend.run.restore import differences, restore_changes
from netmend.run.result import CallOutcome, ChangeRecord, RollbackReport
from netmend.run.unknown import apply_resolving
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
        # Placeholder -> real id per run: read from the journal once, then kept up to date
        # from the outcomes this writer journals itself.
        self._created: dict[str, dict[str, str]] = {}

    def _next_seq(self, run_id: str) -> int:
        seq = self._seq.get(run_id)
        if seq is None:
            seq = self.store.next_journal_seq(run_id)
        self._seq[run_id] = seq + 1
        return seq

    def _outcome(
        self,
        run_id: str,
        intent: JournalEntry,
        outcome: CallOutcome,
        code: str | None,
        message: str,
        created_id: str | None = None,
    ) -> None:
        if created_id and intent.api == CREATE_GROUP_API and is_placeholder(intent.resource):
            self._created_map(run_id)[intent.resource] = created_id
        self.store.append_journal(
            run_id,
            JournalEntry(
                seq=self._next_seq(run_id),
                phase=intent.phase,
                step=intent.step,
                event="outcome",
                api=intent.api,
                resource=intent.resource,
                outcome=outcome,
                code=code,
                message=message,
                intent_seq=intent.seq,
                created_id=created_id,
            ),
        )

    def created_ids(self, run_id: str) -> dict[str, str]:
        """Placeholder → real id of each group this run has created so far."""
        return dict(self._created_map(run_id))

    def _created_map(self, run_id: str) -> dict[str, str]:
        known = self._created.get(run_id)
        if known is None:
            known = self._created[run_id] = created_group_ids(self.store.read_journal(run_id))
        return known

    def resolved(self, run_id: str, change: Change) -> Change:
        """``change`` naming the real ids of the groups the run created (as it is sent)."""
        if not has_placeholder(change.resource) and not has_placeholder(change.params):
            return change
        return resolve_change(change, self._created_map(run_id))

    def call(
        self, run_id: str, phase: JournalPhase, step: int, change: Change
    ) -> tuple[CallOutcome, str | None]:
        """One write: intent line, the call, outcome line, audit event.

        Placeholders of groups the run created are replaced by their ids first.
        Raises WriteFailed when the call failed for good (its outcome is journalled).
        """
        change = self.resolved(run_id, change)
        intent = JournalEntry(
            seq=self._next_seq(run_id),
            phase=phase,
            step=step,
            event="intent",
            api=change.api,
            resource=change.resource,
            params=change.params,
        )
        self.store.append_journal(run_id, intent)
        try:
            outcome = apply_resolving(self.clients, change, apply_change)
        except NetmendError as error:
            code = getattr(error, "code", None)
            self._outcome(run_id, intent, "failed", code, str(error))
            self.audit.record(
                "aws.write",
                run_id=run_id,
                phase=phase,
                api=change.api,
                resource=change.resource,
                params=change.params,
                outcome="failed",
                code=code,
                message=str(error),
            )
            raise WriteFailed(step, error) from error
        self._outcome(
            run_id, intent, outcome.status, outcome.code, outcome.message, outcome.created_id
        )
        self.audit.record(
            "aws.write",
            run_id=run_id,
            phase=phase,
            api=change.api,
            resource=change.resource,
            params=change.params,
            outcome=outcome.status,
            code=outcome.code,
        )
        return outcome.status, outcome.code

    def restore_changes(self, snapshot: Snapshot) -> tuple[Change, ...]:
        """The calls a restore would make now (for showing before approving a rollback)."""
        live = read_resources(self.clients, snapshot.resources)
        journal = self.store.read_journal(snapshot.run_id)
        deleted = deleted_by_run(journal)
        recreated = recreated_ids(journal)
        now = read_resources(self.clients, recreated.values()) if recreated else {}
        restores: list[Change] = []
        for rid, saved in snapshot.resources.items():
            current = live.get(rid)
            if current is not None:
                restores += restore_changes(current, saved)
            elif isinstance(saved, SecurityGroup) and rid in deleted:
                new_id = recreated.get(rid, "")
                new_group = now.get(new_id)
                if new_group is None:
                    restores.append(recreate_change(saved))
                else:
                    restores += restore_changes(new_group, as_recreated(saved, new_id))
        deletes = tuple(
            delete_created_group_change(group_id, snapshot.run_id)
            for group_id in self.created_groups(snapshot.run_id)
        )
        return (*restores, *deletes)

    def created_groups(self, run_id: str) -> list[str]:
        """Groups this run created that still exist (see ``new_resources.created_groups``)."""
        return created_groups(self.clients, self.store.read_journal(run_id), run_id)

    def restore(self, run_id: str, snapshot: Snapshot) -> RollbackReport:
        """Bring every snapshotted resource back, then check live equals the snapshot.

        Only the calls are journalled and audited here; the run's status and its
        lifecycle audit events are the Runner's (``Runner._restore``), written in one place.
        """
        calls: list[ChangeRecord] = []
        errors: list[str] = []
        try:
            live = read_resources(self.clients, snapshot.resources)
        except NetmendError as error:
            live, errors = {}, [f"cannot read the live state: {error}"]
        step = 0
        deleted = deleted_by_run(self.store.read_journal(run_id))
        recreated: dict[str, str] = {}
        for rid, saved in snapshot.resources.items():
            current = live.get(rid)
            if current is None and isinstance(saved, SecurityGroup) and rid in deleted:
                # The run deleted it: it comes back under a new id (run.recreate).
                step, new_id = recreate_group(self, run_id, saved, step, calls, errors)
                if new_id:
                    recreated[rid] = new_id
                continue
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
        delete_created_groups(self, run_id, step, calls, errors)
        diffs = self._remaining_differences(snapshot, recreated)
        diffs += created_left_behind(self, run_id)
        status = RunStatus.ROLLED_BACK if not diffs else RunStatus.ROLLBACK_FAILED
        if status is RunStatus.ROLLED_BACK:
            message = f"live state equals the snapshot ({len(calls)} restore call(s))"
            removed = [c.resource for c in calls if c.api == DELETE_GROUP_API]
            if removed:
                message += f"; the group(s) the run created are deleted: {', '.join(removed)}"
        else:
            message = "live state differs from the snapshot: " + "; ".join(diffs)
            if errors:
                message += " (errors: " + "; ".join(errors) + ")"
        for old, new_id in recreated.items():
            message += (
                f"; {old} was deleted by the run and is re-created as {new_id} (AWS gives a "
                f"re-created group a new id: update whatever names {old})"
            )
            saved = snapshot.resources[old]
            reserved = sorted(k for k in saved.tags if k.lower().startswith("aws:"))
            if reserved:
                message += f"; tags AWS reserves are not set again: {', '.join(reserved)}"
        return RollbackReport(
            status=status,
            calls=tuple(calls),
            differences=tuple(diffs),
            errors=tuple(errors),
            message=message,
            recreated=recreated,
        )

    def _remaining_differences(
        self, snapshot: Snapshot, recreated: Mapping[str, str] | None = None
    ) -> list[str]:
        """How live differs from the snapshot; a re-created group is compared under its
        new id."""
        renamed = dict(recreated or {})
        try:
            final = read_resources(self.clients, [*snapshot.resources, *renamed.values()])
        except NetmendError as error:
            return [f"cannot read the live state to compare: {error}"]
        lines: list[str] = []
        for rid, saved in snapshot.resources.items():
            if rid in renamed and isinstance(saved, SecurityGroup) and rid not in final:
                new_id = renamed[rid]
                lines += differences(final.get(new_id), as_recreated(saved, new_id))
            else:
                lines += differences(final.get(rid), saved)
        return lines


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
