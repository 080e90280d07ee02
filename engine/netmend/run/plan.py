"""Plan: what a fix would do, decided before anything is written.

A ``Plan`` is frozen. Dry run renders it and stops; ``apply`` takes only an approved plan.
Each ``Change`` is one AWS API call with its exact parameters, the resource it touches and
that resource's state before and after the call, so the diff, the approval, the drift
check and the rollback all read the same object. No mutating code asks "is this a dry
run?": the dry run is simply a Plan nobody applied.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from netmend.model.change import Change, ChangeKind, ResourceState
from netmend.model.created import DELETE_GROUP_API
from netmend.reach.flow import Flow

__all__ = ["Change", "ChangeKind", "Plan", "ResourceState", "new_run_id"]

# Change, ChangeKind and ResourceState live in netmend.model.change (re-exported here).


def new_run_id() -> str:
    """Sortable and unique: UTC timestamp plus a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(default_factory=new_run_id)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    flow: Flow | None = None
    playbooks: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()
    change_id: str | None = None
    region: str | None = None
    # A playbook's `approval: required` ("<id>: <reason>" each): a person must approve
    # this plan whatever the policy would auto-approve.
    approval_required: tuple[str, ...] = ()
    # The `verify:` steps of the playbooks that contributed changes, run after applying.
    verify_steps: tuple[str, ...] = ()
    # Names of the groups the plan mentions by id only (an ENI's group list), for the diff.
    group_names: dict[str, str] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def resources(self) -> tuple[str, ...]:
        """Every touched resource id, in the order the plan first touches it."""
        seen: dict[str, None] = {}
        for change in self.changes:
            seen.setdefault(change.resource, None)
        return tuple(seen)

    def before(self, resource: str) -> ResourceState | None:
        """The resource as the plan found it (the first change's ``before``)."""
        for change in self.changes:
            if change.resource == resource:
                return change.before
        return None

    def after(self, resource: str) -> ResourceState | None:
        """The resource as the plan leaves it (the last change's ``after``)."""
        found: ResourceState | None = None
        for change in self.changes:
            if change.resource == resource:
                found = change.after
        return found

    @property
    def deleted(self) -> tuple[str, ...]:
        """The resources the plan deletes (a group whose last change is its deletion):
        their "after" is nothing at all, not "unchanged"."""
        last: dict[str, Change] = {change.resource: change for change in self.changes}
        return tuple(rid for rid, change in last.items() if change.api == DELETE_GROUP_API)

    @property
    def kinds(self) -> frozenset[ChangeKind]:
        return frozenset(k for change in self.changes for k in change.kinds)
