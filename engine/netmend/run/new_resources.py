"""Security groups a plan creates: placeholder ids until AWS names them, and their cleanup.

A plan is made before anything exists, so the group it creates (an overflow group for a
full one) is named by a placeholder, ``new-sg:<run id>:<n>``, in the change that creates
it and in every later change that names it (the rule authorized on it, the interface's
group list). The run's writer swaps in the real id once CreateSecurityGroup answers and
journals the pair, so a rollback, even of a run killed right after the create, knows
which group to delete; the group also carries the ``netmend:run-id`` tag, for the case
where the run died before the answer was journalled.

Placeholders never start with ``sg-``: the snapshot, the drift check and the readers of
live state pass them by (there is nothing to read before the group exists).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from netmend.run.plan import Change, ChangeKind, Plan

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

CREATE_GROUP_API = "CreateSecurityGroup"
DELETE_GROUP_API = "DeleteSecurityGroup"
CREATED_BY_TAG = "netmend:created-by"
CREATED_BY_VALUE = "netmend"
RUN_ID_TAG = "netmend:run-id"

_PREFIX = "new-sg:"
# A run id (store/runs.py's pattern, without ":") and a sequence number.
_PLACEHOLDER = re.compile(r"new-sg:[A-Za-z0-9][A-Za-z0-9._-]*:[0-9]+")


def new_group_ref(run_id: str, number: int) -> str:
    """The placeholder of the ``number``-th group run ``run_id`` creates (from 1)."""
    ref = f"{_PREFIX}{run_id}:{number}"
    if not _PLACEHOLDER.fullmatch(ref):
        raise ValueError(f"cannot make a placeholder from run id {run_id!r}")
    return ref


def is_placeholder(value: str) -> bool:
    return _PLACEHOLDER.fullmatch(value) is not None


def placeholder_variable(ref: str) -> str:
    """A shell variable name for a placeholder: ``new-sg:RUN:1`` → ``NEW_SG_1``."""
    return f"NEW_SG_{ref.rsplit(':', 1)[-1]}"


def has_placeholder(value: Any) -> bool:
    """Whether a placeholder appears anywhere in ``value`` (strings, lists, dicts)."""
    if isinstance(value, str):
        return _PLACEHOLDER.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_placeholder(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_placeholder(v) for v in value)
    return False


def resolve_value(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with every placeholder that ``ids`` knows replaced by its real id."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: ids.get(m.group(0), m.group(0)), value)
    if isinstance(value, Mapping):
        return {k: resolve_value(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve_value(v, ids) for v in value]
    return value


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
