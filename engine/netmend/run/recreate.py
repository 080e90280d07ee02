"""A group a run deleted comes back on rollback: re-created from the snapshot, new id.

AWS never gives a deleted group its id back. What the snapshot kept (name, description,
VPC, tags, every rule) is enough to make the same group again: CreateSecurityGroup with
its name, description, VPC and tags (plus ``netmend:recreated-from=<old id>``, how a
create whose answer was lost is found again, and how a person finds where the old id
went), then the ordinary snapshot restore on the new group (AWS's default allow-all
outbound rule revoked unless the snapshot had it, every rule authorized again, a
self-reference naming the new id). The new id is journalled with the create's outcome,
so a second rollback finds the group it made and makes no second one; the report says
the id changed, since whatever named the old id outside this account must be told.

Tags AWS reserves (``aws:*``, set by CloudFormation and others) cannot be set by anyone
and are left out; the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from netmend.aws.mutations import read_resource
from netmend.errors import NetmendError
from netmend.model import SecurityGroup
from netmend.model.change import Change, ChangeKind
from netmend.model.created import (
    CREATE_GROUP_API,
    DELETE_GROUP_API,
    RECREATED_FROM_TAG,
    group_create_params,
)
from netmend.run.new_resources import group_ids_created_for
from netmend.run.restore import restore_changes

if TYPE_CHECKING:
    from netmend.run.result import ChangeRecord
    from netmend.run.writes import RunWriter
    from netmend.store.records import JournalEntry

__all__ = [
    "RECREATE_ACTION",
    "as_recreated",
    "deleted_by_run",
    "recreate_change",
    "recreate_group",
    "recreated_ids",
]

RECREATE_ACTION = "restore.recreate-group"


def deleted_by_run(journal: Iterable[JournalEntry]) -> set[str]:
    """Groups the run set out to delete while applying (an intent was journalled)."""
    return {
        e.resource
        for e in journal
        if e.event == "intent" and e.phase == "apply" and e.api == DELETE_GROUP_API
    }


def recreated_ids(journal: Iterable[JournalEntry]) -> dict[str, str]:
    """Old group id -> the id of the group a rollback re-created in its place."""
    return group_ids_created_for(
        journal, lambda intent: intent.phase == "rollback" and intent.resource.startswith("sg-")
    )


def as_recreated(saved: SecurityGroup, new_id: str) -> SecurityGroup:
    """The snapshot's group as it should be under its new id (self-references included)."""
    rules = tuple(
        rule.model_copy(
            update={
                "group_id": new_id,
                "rule_id": None,
                "referenced_group_id": (
                    new_id if rule.is_self_reference else rule.referenced_group_id
                ),
            }
        )
        for rule in saved.rules
    )
    return saved.model_copy(update={"group_id": new_id, "rules": rules})


def recreate_change(saved: SecurityGroup) -> Change:
    """The CreateSecurityGroup call that brings the deleted group back (under a new id)."""
    tags = {**saved.tags, RECREATED_FROM_TAG: saved.group_id}
    params = group_create_params(saved.group_name, saved.description, saved.vpc_id, tags)
    return Change(
        action=RECREATE_ACTION,
        api=CREATE_GROUP_API,
        resource=saved.group_id,
        params=params,
        kinds=(ChangeKind.ADDITION,),
        summary=(
            f"re-create {saved.group_id} ({saved.group_name}) in {saved.vpc_id} from the "
            f"snapshot, with its {len(saved.rules)} rule(s) and tags: AWS gives it a new id"
        ),
    )


def recreate_group(
    writer: RunWriter,
    run_id: str,
    saved: SecurityGroup,
    step: int,
    calls: list[ChangeRecord],
    errors: list[str],
) -> tuple[int, str | None]:
    """Re-create ``saved`` (unless this run already did) and restore its rules on it.

    Returns the next step number and the new id (None when it could not be made).
    """
    from netmend.run.result import ChangeRecord
    from netmend.run.writes import WriteFailed

    old = saved.group_id
    new_id = recreated_ids(writer.store.read_journal(run_id)).get(old)
    try:
        live = read_resource(writer.clients, new_id) if new_id else None
    except NetmendError as error:
        errors.append(f"cannot read {new_id}, re-created for {old}: {error}")
        return step, new_id
    if live is None:
        change = recreate_change(saved)
        try:
            outcome, code = writer.call(run_id, "rollback", step, change)
            calls.append(ChangeRecord.of(change, outcome, code))
        except WriteFailed as failed:
            calls.append(ChangeRecord.of(change, "failed", failed.code))
            errors.append(f"{change.api} re-creating {old} failed: {failed.error}")
            return step + 1, None
        step += 1
        new_id = recreated_ids(writer.store.read_journal(run_id)).get(old)
        live = read_resource(writer.clients, new_id) if new_id else None
        if live is None:
            errors.append(f"{old}: re-created, but the new group cannot be read back")
            return step, new_id
    assert new_id is not None
    for change in restore_changes(live, as_recreated(saved, new_id)):
        try:
            outcome, code = writer.call(run_id, "rollback", step, change)
            calls.append(ChangeRecord.of(change, outcome, code))
        except WriteFailed as failed:
            calls.append(ChangeRecord.of(change, "failed", failed.code))
            errors.append(f"{change.api} on {new_id} (re-created {old}) failed: {failed.error}")
        step += 1
    return step, new_id
