"""Recorded runs for any face: list them, show one, roll one back.

``list_runs`` and ``show_run`` read the store only (no AWS); ``rollback_run`` restores a
run's snapshot through the runner. The results are typed; each one's
``model_dump(mode="json")`` is DESIGN.md's JSON contract (``runs list``: ``{"runs":
[{run_id, status, playbook, started_at, ...}]}``); fields a text view needs besides are
left out of the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from netmend.app.requests import RollbackRequest, ShowRunRequest, Target
from netmend.approval.decision import Approver
from netmend.run.plan import Plan
from netmend.run.result import RunResult
from netmend.store.records import JournalEntry, RunStatus
from netmend.store.runs import RunStore

if TYPE_CHECKING:
    from netmend.app.workspace import Workspace
    from netmend.run.runner import Runner

__all__ = [
    "PruneResult",
    "RollbackPreview",
    "RunDetails",
    "RunList",
    "RunRow",
    "list_runs",
    "preview_rollback",
    "prune_plans",
    "rollback_run",
    "show_run",
]


class RunRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    status: str
    playbook: str
    started_at: str | None
    flow: str | None = None
    change_id: str | None
    requester: str | None


class RunList(BaseModel):
    model_config = ConfigDict(frozen=True)

    runs: tuple[RunRow, ...]
    # Saved plans (dry runs) were left out: the default list shows runs that wrote.
    hidden_plans: bool = Field(default=False, exclude=True)


class RunDetails(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    status: RunStatus
    plan: Plan
    journal: tuple[JournalEntry, ...]
    result: dict[str, Any] | None
    # For the text view (its header and approval line); the JSON has the record itself.
    started_at: datetime | None = Field(default=None, exclude=True)
    requester: str | None = Field(default=None, exclude=True)
    approval: dict[str, Any] | None = Field(default=None, exclude=True)


class PruneResult(BaseModel):
    """``runs prune``: the saved plans deleted, and the age asked for."""

    model_config = ConfigDict(frozen=True)

    removed: tuple[str, ...]
    older_than: str


def _run_store(
    config_file: Path | None, target: Target | None, workspace: Workspace | None = None
) -> RunStore:
    """The config's run records: a local folder, or S3 + DynamoDB (then via ``target``,
    or the clients of a long-lived face's ``workspace``)."""
    from netmend.config import load_config
    from netmend.store.state import needs_aws, open_state

    if workspace is not None:
        return open_state(workspace.config, workspace.clients).runs
    settings = load_config(config_file)
    clients = (target or Target(config_file=config_file)).clients() if needs_aws(settings) else None
    return open_state(settings, clients).runs


def list_runs(
    config_file: Path | None = None,
    target: Target | None = None,
    *,
    workspace: Workspace | None = None,
    statuses: Collection[RunStatus] = (),
    show_all: bool = False,
    limit: int | None = None,
) -> RunList:
    """Recorded runs, newest first (a run killed mid-apply shows as interrupted).

    By default the runs that wrote or tried to (and those held for approval); saved
    plans too with ``show_all``; only the given ``statuses`` when any are named.
    """
    runs = [
        r
        for r in _run_store(config_file, target, workspace).list_runs()
        if ((r.status in statuses) if statuses else (show_all or r.wrote))
    ][:limit]
    return RunList(
        runs=tuple(
            RunRow(
                run_id=r.run_id,
                status=str(r.status),
                playbook=r.playbook,
                started_at=r.started_at.isoformat() if r.started_at else None,
                flow=r.flow,
                change_id=r.change_id,
                requester=r.requester,
            )
            for r in runs
        ),
        hidden_plans=not show_all and not statuses,
    )


def prune_plans(
    older_than: str, config_file: Path | None = None, target: Target | None = None
) -> PruneResult:
    """Delete saved plans started more than ``older_than`` (``30d``, ``12h``, ...) ago;
    runs that wrote are kept (their snapshots and journals are what a rollback and an
    audit need). A malformed age is BadInputError (exit 2)."""
    from netmend.store.duration import parse_duration

    age = parse_duration(older_than)
    removed = _run_store(config_file, target).prune_plans(age)
    return PruneResult(removed=tuple(removed), older_than=older_than)


def show_run(request: ShowRunRequest, target: Target | None = None) -> RunDetails:
    """One run: its plan, its journal of API calls and its result (exit 2: unknown id)."""
    record = _run_store(request.config_file, target).load_run(request.run_id)
    return RunDetails(
        run_id=request.run_id,
        status=record.status,
        plan=record.plan,
        journal=record.journal,
        result=record.result,
        started_at=record.meta.started_at,
        requester=record.meta.requester,
        approval=record.meta.approval,
    )


def rollback_run(
    request: RollbackRequest,
    *,
    workspace: Workspace | None = None,
    approver: Approver | None = None,
    requester: str | None = None,
    render_diff: Callable[[Plan], str] | None = None,
) -> RunResult:
    """Restore every resource the run touched to its snapshot.

    Without ``yes`` the restore calls are shown first to ``approver`` (a chat decision,
    say), else to the runner's (the policy in front of the terminal). ``workspace`` is a
    long-lived face's config and clients (default: the request's target and config file).
    """
    runner = _runner(
        request, workspace, approver=approver, requester=requester, render_diff=render_diff
    )
    runner.store.load_run(request.run_id)  # unknown id: exit 2 before anything else
    return runner.rollback(
        request.run_id,
        approver=None if request.yes else (approver or runner.approver),
        force=request.force,
    )


class RollbackPreview(BaseModel):
    """What a rollback would do now: the run's status and the restore calls, as a plan
    (no changes: nothing to restore), for a person to approve before anything is written."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    status: RunStatus
    plan: Plan


def preview_rollback(
    request: RollbackRequest, *, workspace: Workspace | None = None
) -> RollbackPreview:
    """The calls ``rollback_run`` would make (live state read now against the snapshot);
    nothing is written. BadInputError for an unknown run, NetmendError for an active one."""
    from netmend.errors import NetmendError
    from netmend.store import ACTIVE_STATUSES

    runner = _runner(request, workspace)
    record = runner.store.load_run(request.run_id)
    if record.status in ACTIVE_STATUSES:
        raise NetmendError(f"run {request.run_id} is still {record.status.value}: wait for it")
    snapshot = record.snapshot
    changes = runner.writer.restore_changes(snapshot) if snapshot is not None else ()
    plan = Plan(
        run_id=record.plan.run_id,
        playbooks=record.plan.playbooks,
        changes=changes,
        change_id=record.plan.change_id,
        region=record.plan.region,
        notes=("rollback to the snapshot taken before the run wrote",),
    )
    return RollbackPreview(run_id=request.run_id, status=record.status, plan=plan)


def _runner(
    request: RollbackRequest,
    workspace: Workspace | None,
    *,
    approver: Approver | None = None,
    requester: str | None = None,
    render_diff: Callable[[Plan], str] | None = None,
) -> Runner:
    from netmend.app.fixing import make_runner
    from netmend.config import load_config

    settings = (
        workspace.config if workspace is not None else load_config(request.target.config_file)
    )
    return make_runner(
        workspace.clients if workspace is not None else request.target.clients(),
        settings,
        yes=request.yes,
        approver=approver,
        requester=requester,
        render_diff=render_diff,
    )
