"""A write whose answer never came (connection reset, read timeout) is resolved by
reading the resource back, never by guessing.

The AWS layer does not re-send a write after its request went out (that would be a
guess): it raises AwsOutcomeUnknownError. The runner then compares the live resource with
the change's before and after: the effect is there, so the write is done (journalled as
``ok`` with code ``OutcomeUnknown``; a created group is found by its run tag and name);
the resource is as before, so the write never took effect and is sent once more (a
second silence is read back again); anything else raises, and the run rolls back.
"""

from __future__ import annotations

from collections.abc import Callable

from netmend.aws.mutations import (
    ChangeOutcome,
    apply_change,
    created_group_of,
    read_resource,
    snapshot_kind,
)
from netmend.aws.session import AwsClients
from netmend.errors import AwsOutcomeUnknownError
from netmend.model.change import Change
from netmend.model.created import CREATE_GROUP_API
from netmend.run.restore import differences

__all__ = ["OUTCOME_UNKNOWN", "apply_resolving"]

OUTCOME_UNKNOWN = "OutcomeUnknown"


def _read_back(clients: AwsClients, change: Change) -> tuple[str | None, str | None]:
    """``("after", created id)`` if the change's effect is in place, ``("before", None)``
    if the resource is as the change found it, ``(None, None)`` if neither or unreadable."""
    if change.api == CREATE_GROUP_API:
        created = created_group_of(clients, change)
        return ("after", created) if created else ("before", None)
    if change.before is None or change.after is None or snapshot_kind(change.resource) is None:
        return None, None
    live = read_resource(clients, change.resource)
    if not differences(live, change.after):
        return "after", None
    if not differences(live, change.before):
        return "before", None
    return None, None


def apply_resolving(
    clients: AwsClients,
    change: Change,
    send: Callable[[AwsClients, Change], ChangeOutcome] = apply_change,
) -> ChangeOutcome:
    """``send`` (``apply_change``), resolving an unknown outcome by reading back."""
    try:
        return send(clients, change)
    except AwsOutcomeUnknownError as lost:
        error = lost
    for attempt in (1, 2):
        found, created_id = _read_back(clients, change)
        if found == "after":
            return ChangeOutcome(
                api=change.api,
                resource=change.resource,
                status="ok",
                code=OUTCOME_UNKNOWN,
                message=f"no answer ({error}); read back: the change is in place",
                created_id=created_id,
            )
        if found != "before" or attempt == 2:
            break
        try:
            return send(clients, change)
        except AwsOutcomeUnknownError as again:
            error = again
    raise AwsOutcomeUnknownError(
        f"{error}; read back, {change.resource} shows neither the state before nor after "
        f"{change.api}: outcome unknown"
    )
