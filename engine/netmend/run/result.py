"""What a run returns (and stores as result.json): status, changes, verification, rollback."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from netmend.approval.decision import Decision
from netmend.model.change import Change
from netmend.store.records import RunStatus

__all__ = [
    "CallOutcome",
    "CallRecord",
    "ChangeRecord",
    "RollbackReport",
    "RunResult",
    "Verification",
]

CallOutcome = Literal["ok", "already-done", "failed", "not-run"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChangeRecord(_Frozen):
    """One planned change and, once applied, how its call ended (None on a dry run)."""

    api: str
    service: str = "ec2"
    resource: str
    params: dict[str, Any]
    summary: str = ""
    kinds: tuple[str, ...] = ()
    outcome: CallOutcome | None = None
    code: str | None = None

    @classmethod
    def of(
        cls, change: Change, outcome: CallOutcome | None = None, code: str | None = None
    ) -> ChangeRecord:
        return cls(
            api=change.api,
            service=change.service,
            resource=change.resource,
            params=change.params,
            summary=change.summary,
            kinds=tuple(k.value for k in change.kinds),
            outcome=outcome,
            code=code,
        )


CallRecord = ChangeRecord  # a restore call is recorded the same way


class Verification(_Frozen):
    """After applying: did the flow get through, and did nothing else break?

    ``reachable`` is the failing flow's verdict (None when the run had no flow);
    ``problems`` lists every failed check (flow, rules kept, flows kept, intents).
    """

    method: str
    reachable: bool | None = None
    passed: bool
    detail: str = ""
    problems: tuple[str, ...] = ()
    flows_checked: int = 0
    # The playbooks' `verify:` steps as run: "reach.flow-allowed: passed", ...
    steps: tuple[str, ...] = ()


class RollbackReport(_Frozen):
    status: RunStatus  # rolled_back or rollback_failed
    calls: tuple[ChangeRecord, ...] = ()
    differences: tuple[str, ...] = ()  # live vs snapshot after restoring (empty: equal)
    errors: tuple[str, ...] = ()
    message: str = ""
    # A group the run deleted, re-created by the rollback: old id -> its new id.
    recreated: dict[str, str] = Field(default_factory=dict)


class RunResult(_Frozen):
    run_id: str
    status: RunStatus
    playbooks: tuple[str, ...] = ()
    change_id: str | None = None
    changes: tuple[ChangeRecord, ...] = ()
    verification: Verification | None = None
    rollback: RollbackReport | None = None
    approval: Decision | None = None
    message: str = ""
    nothing_to_undo: bool = False  # a rollback of a run that never wrote: status unchanged

    @computed_field  # type: ignore[prop-decorator]
    @property
    def playbook(self) -> str:
        """The playbook ids as one string (``fix --output json`` has ``playbook``)."""
        return ",".join(self.playbooks)

    def to_json(self) -> dict[str, Any]:
        """The JSON document ``fix``/``rollback --output json`` print."""
        return self.model_dump(mode="json")
