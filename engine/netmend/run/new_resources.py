"""Security groups a plan creates: placeholder ids until AWS names them, and their cleanup.

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

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

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
    from netmend.store.records import JournalEntry

__all__ = [
    "CREATED_BY_TAG",
    "CREATED_BY_VALUE",
    "CREATE_GROUP_API",
    "DELETE_GROUP_API",
    "RUN_ID_TAG",
    "created_group_ids",
    "creation_attempted",
    "delete_created_group_change",
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


def created_group_ids(journal: Iterable[JournalEntry]) -> dict[str, str]:
    """Placeholder → real group id, from the journalled answers of CreateSecurityGroup."""
    entries = list(journal)
    intents = {e.seq: e for e in entries if e.event == "intent"}
    found: dict[str, str] = {}
    for entry in entries:
        if entry.event != "outcome" or entry.api != CREATE_GROUP_API or not entry.created_id:
            continue
        intent = intents.get(entry.intent_seq) if entry.intent_seq is not None else None
        if intent is not None and is_placeholder(intent.resource):
            found[intent.resource] = entry.created_id
    return found


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
