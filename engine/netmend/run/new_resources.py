"""Security groups a plan creates: placeholder ids until AWS names them, and their cleanup.

The whole life of a created group, in order: its placeholder (``new_group_ref``, names in
``netmend.model.created``), the real id swapped in once created (``resolve_*``), the id
kept in the journal (``created_group_ids``), and on rollback the group found and deleted
(``created_groups``, ``delete_created_groups``, ``created_left_behind``); the AWS calls
themselves are aws/ (guarded: only a group netmend created and nothing carries).

A plan is made before anything exists, so the group it creates (an overflow group for a
full one) is named by a placeholder, ``new-sg:<run id>:<n>``, in the change that creates
it and in every later change that names it (the rule authorized on it, the interface's
group list). The run's writer swaps in the real id once CreateSecurityGroup answers and
journals the pair, so a rollback, even of a run killed right after the create, knows
which group to delete; the group also carries the ``netmend:run-id`` tag, for the case
where the run died before the answer was journalled.

Placeholders never start with ``sg-``: the snapshot, the drift check and the readers of
live state pass them by (there is nothing to read before the group exists). The
placeholder format and the tags are facts aws/ needs too: they live in
``netmend.model.created`` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from netmend.aws.created import groups_tagged_for_run
from netmend.aws.mutations import read_resources
from netmend.errors import NetmendError
from netmend.model.change import Change, ChangeKind
from netmend.model.created import (
    CREATE_GROUP_API,
    CREATED_BY_TAG,
    CREATED_BY_VALUE,
    DELETE_GROUP_API,
    RUN_ID_TAG,
    has_placeholder,
    is_placeholder,
    new_group_ref,
    placeholder_variable,
    resolve_value,
)
from netmend.run.plan import Plan

if TYPE_CHECKING:
    from netmend.aws.session import AwsClients
    from netmend.run.result import ChangeRecord
    from netmend.run.writes import RunWriter
    from netmend.store.records import JournalEntry

__all__ = [
    "CREATED_BY_TAG",
    "CREATED_BY_VALUE",
    "CREATE_GROUP_API",
    "DELETE_GROUP_API",
    "RUN_ID_TAG",
    "created_group_ids",
    "created_groups",
    "created_left_behind",
    "creation_attempted",
    "delete_created_group_change",
    "delete_created_groups",
    "group_ids_created_for",
    "has_placeholder",
    "is_placeholder",
    "new_group_ref",
    "placeholder_variable",
    "resolve_change",
    "resolve_plan",
    "resolve_value",
]


def resolve_change(change: Change, ids: Mapping[str, str]) -> Change:
    """The change with known placeholders replaced everywhere (params, states, words)."""
    if not ids or not has_placeholder(change.model_dump(mode="json")):
        return change
    return Change.model_validate(resolve_value(change.model_dump(mode="json"), ids))


def resolve_plan(plan: Plan, ids: Mapping[str, str]) -> Plan:
    """The plan with known placeholders replaced: what verification reads after applying."""
    if not ids:
        return plan
    changes = tuple(resolve_change(c, ids) for c in plan.changes)
    return plan.model_copy(update={"changes": changes})


def group_ids_created_for(
    journal: Iterable[JournalEntry], wanted: Callable[[JournalEntry], bool]
) -> dict[str, str]:
    """The resource of each CreateSecurityGroup intent ``wanted`` picks -> the id AWS
    answered (journalled with the call's outcome)."""
    entries = list(journal)
    intents = {e.seq: e for e in entries if e.event == "intent"}
    found: dict[str, str] = {}
    for entry in entries:
        if entry.event != "outcome" or entry.api != CREATE_GROUP_API or not entry.created_id:
            continue
        intent = intents.get(entry.intent_seq) if entry.intent_seq is not None else None
        if intent is not None and wanted(intent):
            found[intent.resource] = entry.created_id
    return found


def created_group_ids(journal: Iterable[JournalEntry]) -> dict[str, str]:
    """Placeholder → real group id, from the journalled answers of CreateSecurityGroup."""
    return group_ids_created_for(journal, lambda intent: is_placeholder(intent.resource))


def creation_attempted(journal: Iterable[JournalEntry]) -> bool:
    """Whether the run may have created a group (a CreateSecurityGroup intent was written)."""
    return any(e.event == "intent" and e.api == CREATE_GROUP_API for e in journal)


def delete_created_group_change(group_id: str, run_id: str) -> Change:
    """The rollback call that deletes a group run ``run_id`` created."""
    return Change(
        action="restore.delete-created-group",
        api=DELETE_GROUP_API,
        resource=group_id,
        params={"GroupId": group_id},
        kinds=(ChangeKind.REVOCATION,),
        summary=f"{group_id}: delete the group run {run_id} created (no interface carries it)",
    )


# -- the end of a created group's life: found and deleted on rollback ------------------


def created_groups(clients: AwsClients, journal: Iterable[JournalEntry], run_id: str) -> list[str]:
    """Groups this run created that still exist: by journalled id, else by its tag."""
    entries = list(journal)
    if not creation_attempted(entries):
        return []
    ids = set(created_group_ids(entries).values())
    ids |= set(groups_tagged_for_run(clients, run_id))
    return sorted(read_resources(clients, ids))


def delete_created_groups(
    writer: RunWriter, run_id: str, step: int, calls: list[ChangeRecord], errors: list[str]
) -> None:
    """Delete the groups the run created (after the snapshot took them off interfaces).

    Each delete is one journalled call through ``writer``; aws/ refuses to delete a
    group netmend did not create or that an interface still carries.
    """
    from netmend.run.result import ChangeRecord
    from netmend.run.writes import WriteFailed

    try:
        created = writer.created_groups(run_id)
    except NetmendError as error:
        errors.append(f"cannot look for the groups this run created: {error}")
        return
    for group_id in created:
        change = delete_created_group_change(group_id, run_id)
        try:
            outcome, code = writer.call(run_id, "rollback", step, change)
            calls.append(ChangeRecord.of(change, outcome, code))
        except WriteFailed as failed:
            calls.append(ChangeRecord.of(change, "failed", failed.code))
            errors.append(f"{change.api} on {group_id} failed: {failed.error}")
        step += 1


def created_left_behind(writer: RunWriter, run_id: str) -> list[str]:
    """One line per group the run created that still exists after its rollback."""
    try:
        left = writer.created_groups(run_id)
    except NetmendError as error:
        return [f"cannot look for the groups this run created: {error}"]
    return [f"{group_id}: created by run {run_id}, still exists" for group_id in left]
