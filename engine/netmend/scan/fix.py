"""``netmend scan --fix PLAYBOOK --resource ID``: one finding's fix through the engine.

The same pipeline as ``fix``: the playbook's ``propose`` steps run with the finding's
evidence and give one Plan (no flow: a hygiene fix); the runner records it, and with
``apply`` asks for approval, snapshots, applies, verifies (the local verifier: what was
allowed before still is, except what the plan meant to remove) and rolls back on
failure. Before any of that, the plan's after-state is scanned again offline: a plan
that would leave the finding in place says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netmend.errors import BadInputError, NetmendError
from netmend.model import Inventory
from netmend.playbook.context import StepContext
from netmend.playbook.loader import PlaybookSet
from netmend.playbook.propose import explain, propose_changes
from netmend.run.plan import Plan, new_run_id
from netmend.run.result import RunResult
from netmend.scan.run import estate_playbooks, playbook_entries

if TYPE_CHECKING:  # the runner reads and writes AWS; the scan core only calls it
    from netmend.run.runner import Runner

__all__ = ["FindingFix", "NoFindingError", "fix_finding", "propose_finding_fix"]


class NoFindingError(BadInputError):
    """The playbook finds nothing on that resource (exit 2: nothing to fix)."""


@dataclass(frozen=True)
class FindingFix:
    playbook: str
    resource: str
    summary: str
    plan: Plan
    result: RunResult | None = None

    def to_json(self) -> dict[str, Any]:
        """``scan --fix --output json``: the run's document (``fix``'s contract) plus the
        finding it fixes."""
        document: dict[str, Any] = self.result.to_json() if self.result is not None else {}
        document.update(
            playbook=self.playbook,
            resource=self.resource,
            summary=self.summary,
            notes=list(self.plan.notes),
        )
        return document


def _entry(
    inventory: Inventory,
    playbooks: PlaybookSet,
    playbook_id: str,
    resource: str,
    signals: Mapping[str, Any],
) -> dict[str, Any]:
    playbook = estate_playbooks(playbooks, [playbook_id])[0]
    for entry in playbook_entries(inventory, playbook, signals):
        if entry.get("resource") == resource:
            return entry
    raise NoFindingError(
        f"{playbook_id} finds nothing on {resource} in {inventory.region}: nothing to fix "
        "(run `netmend scan` to list the findings)"
    )


def _still_found(
    inventory: Inventory,
    playbooks: PlaybookSet,
    playbook_id: str,
    resource: str,
    plan: Plan,
    signals: Mapping[str, Any],
) -> bool:
    """Whether the playbook still finds ``resource`` in the estate as the plan leaves it."""
    from netmend.verify.run import with_states  # pure, but its module reads AWS

    after = [state for rid in plan.resources if (state := plan.after(rid)) is not None]
    projected = with_states(inventory, after, removed=plan.deleted)
    playbook = estate_playbooks(playbooks, [playbook_id])[0]
    entries = playbook_entries(projected, playbook, signals)
    return any(e.get("resource") == resource for e in entries)


def propose_finding_fix(
    inventory: Inventory,
    playbooks: PlaybookSet,
    playbook_id: str,
    resource: str,
    *,
    signals: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    change_id: str | None = None,
) -> FindingFix:
    """The Plan fixing the finding of ``playbook_id`` on ``resource`` (not yet run)."""
    signals = signals or {}
    entry = _entry(inventory, playbooks, playbook_id, resource, signals)
    playbook = playbooks.require(playbook_id)
    run_id = run_id or new_run_id()
    ctx = StepContext(
        inventory=inventory,
        run_id=run_id,
        playbook_id=playbook_id,
        evidence=dict(entry),
        change_id=change_id,
        requested=playbook_id,
    )
    changes = propose_changes(playbook, ctx)
    summary = " ".join(explain(playbook, ctx).split())
    notes = [f"{resource} {playbook_id}: {summary}", *ctx.notes]
    required: tuple[str, ...] = ()
    if playbook.approval is not None and playbook.approval.required and changes:
        reason = " ".join(playbook.approval.reason.split())
        notes.append(f"{playbook_id}: approval required: {reason}")
        required = (f"{playbook_id}: {reason}",)
    plan = Plan(
        run_id=run_id,
        playbooks=(playbook_id,),
        changes=tuple(changes),
        notes=tuple(notes),
        change_id=change_id,
        region=inventory.region,
        approval_required=required,
    )
    if not plan.empty and _still_found(inventory, playbooks, playbook_id, resource, plan, signals):
        plan = plan.model_copy(
            update={"notes": (*plan.notes, f"{playbook_id} still finds {resource} after this plan")}
        )
    return FindingFix(playbook=playbook_id, resource=resource, summary=summary, plan=plan)


def fix_finding(
    runner: Runner,
    inventory: Inventory,
    playbooks: PlaybookSet,
    playbook_id: str,
    resource: str,
    *,
    apply: bool,
    signals: Mapping[str, Any] | None = None,
    change_id: str | None = None,
    on_plan: Callable[[Plan], str | None] | None = None,
) -> FindingFix:
    """Propose the finding's fix and run it (a dry run unless ``apply``)."""
    proposed = propose_finding_fix(
        inventory, playbooks, playbook_id, resource, signals=signals, change_id=change_id
    )
    if proposed.plan.empty and apply:
        raise NetmendError(f"{playbook_id} proposes no change for {resource}: {proposed.summary}")
    rendered = on_plan(proposed.plan) if on_plan is not None else None
    result = runner.execute(
        proposed.plan, apply=apply, verify_method="local", rendered_diff=rendered
    )
    return FindingFix(
        playbook=playbook_id,
        resource=resource,
        summary=proposed.summary,
        plan=proposed.plan,
        result=result,
    )
