"""From root causes to one Plan: run each cause's playbook, collect its changes.

A flow blocked in two places (say a group and an ACL) gets one plan holding both fixes,
in path order, so it is approved, applied, verified and rolled back as one run. Each
step's ``with`` is rendered, then validated by the step's params model; an invalid
rendered value is a PlaybookError naming the playbook file and the step's line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from netmend.errors import BadInputError
from netmend.model import Inventory, NetworkInterface
from netmend.playbook.context import StepContext
from netmend.playbook.errors import PlaybookError, PlaybookIssue, ProposalRefusedError
from netmend.playbook.loader import PlaybookSet
from netmend.playbook.registry import get_action, get_detector
from netmend.playbook.schema import Playbook, Step
from netmend.playbook.templating import render_text, render_value, render_when
from netmend.reach.causes.model import RootCause
from netmend.reach.flow import Flow
from netmend.reach.result import Evaluation
from netmend.run.plan import Change, Plan, ResourceState

__all__ = [
    "PlaybookOutcome",
    "detect_evidence",
    "explain",
    "propose_changes",
    "propose_plan",
    "run_playbook",
]


@dataclass(frozen=True)
class PlaybookOutcome:
    """What one playbook concluded: whether it holds, its explanation and its changes."""

    playbook: str
    holds: bool
    explanation: str = ""
    changes: tuple[Change, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)


def _params(step: Step, model: type[BaseModel], ctx: StepContext) -> BaseModel:
    rendered = render_value(step.with_, ctx.template_context(), step.location)
    try:
        return model.model_validate(rendered)
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            key = str(loc[0]) if loc else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            shown = f" (rendered {rendered[key]!r})" if key in rendered else ""
            label = f"{key}: " if key else ""
            reason = f"{step.use}: {label}{message}{shown}"
            issues.append(PlaybookIssue(step.path, step.param_line(key), reason))
        raise PlaybookError(issues) from None


def _runs(step: Step, ctx: StepContext) -> bool:
    if step.when is None:
        return True
    return render_when(step.when, ctx.template_context(), step.param_location("when"))


def detect_evidence(playbook: Playbook, ctx: StepContext) -> dict[str, Any] | None:
    """Run the playbook's detectors; their merged evidence, or None if one does not hold.

    Every detector must hold; their evidence merges into ``ctx.evidence`` in order (a
    later detector's key wins).
    """
    for step in playbook.detect:
        found = get_detector(step.use)
        if found is None:
            raise PlaybookError.at(step.path, step.line, f"unknown detector {step.use!r}")
        if not _runs(step, ctx):
            continue
        evidence = found.detect(ctx, _params(step, found.params, ctx))
        if evidence is None:
            ctx.note(f"{playbook.id}: does not apply ({step.use} does not hold)")
            return None
        ctx.evidence.update(evidence)
    return ctx.evidence


def propose_changes(playbook: Playbook, ctx: StepContext) -> list[Change]:
    """The playbook's proposed changes from the evidence and state in ``ctx``.

    Each change is staged in ``ctx`` as it is proposed, so a later change to the same
    resource starts from the earlier one's ``after``. ``netmend scan --fix`` calls this
    with one finding's evidence (estate playbooks detect many findings at once).
    """
    changes: list[Change] = []
    for step in playbook.propose:
        act = get_action(step.use)
        if act is None:
            raise PlaybookError.at(step.path, step.line, f"unknown action {step.use!r}")
        if not _runs(step, ctx):
            continue
        for change in act.propose(ctx, _params(step, act.params, ctx)):
            ctx.stage(change)
            changes.append(change)
    return changes


def explain(playbook: Playbook, ctx: StepContext) -> str:
    """The playbook's ``explain`` rendered over ``ctx``."""
    return render_text(playbook.explain, ctx.template_context(), playbook.explain_location).strip()


def run_playbook(playbook: Playbook, ctx: StepContext) -> PlaybookOutcome:
    """Detect, then propose: the changes carry out the fix from the state in ``ctx``."""
    if detect_evidence(playbook, ctx) is None:
        return PlaybookOutcome(playbook=playbook.id, holds=False, evidence=ctx.evidence)
    changes = propose_changes(playbook, ctx)
    return PlaybookOutcome(
        playbook=playbook.id,
        holds=True,
        explanation=explain(playbook, ctx),
        changes=tuple(changes),
        evidence=ctx.evidence,
    )


def _group_choices(cause: RootCause) -> set[str]:
    found: set[str] = set()
    for key in ("current_groups", "candidate_groups"):
        value = cause.evidence.get(key)
        if isinstance(value, list | tuple):
            # sg-not-attached lists candidates as {group_id, group_name, ...}
            found.update(str(v["group_id"] if isinstance(v, dict) else v) for v in value)
    return found


def _jobs(
    causes: tuple[RootCause, ...], playbooks: PlaybookSet, only: str | None, notes: list[str]
) -> list[tuple[Playbook, RootCause | None]]:
    ordered = sorted(causes, key=lambda c: c.position)  # stable: path order
    if only is not None:
        playbook = playbooks.require(only)
        if playbook.scope != "flow":
            raise PlaybookError(
                f"playbook {only!r} is an estate check: run it with `netmend scan --fix`"
            )
        matching = [c for c in ordered if c.playbook == only]
        return [(playbook, c) for c in matching] or [(playbook, None)]
    jobs: list[tuple[Playbook, RootCause | None]] = []
    for cause in ordered:
        found = playbooks.get(cause.playbook)
        if found is None:
            notes.append(f"{cause.playbook}: no playbook loaded for this cause: {cause.summary}")
            continue
        jobs.append((found, cause))
    return jobs


def _identity(change: Change) -> str:
    return json.dumps(
        [change.action, change.api, change.service, change.resource, change.params],
        sort_keys=True,
        default=str,
    )


def propose_plan(
    inventory: Inventory,
    flow: Flow,
    evaluation: Evaluation,
    causes: tuple[RootCause, ...],
    playbooks: PlaybookSet,
    *,
    only: str | None = None,
    run_id: str,
    change_id: str | None = None,
    group: str | None = None,
) -> Plan:
    """One Plan fixing every root cause found (or only playbook ``only``).

    A reachable flow gives an empty plan (nothing to do). ``group`` (``--group``) is the
    security group the user wants a new rule on; templates see it as ``run.group`` for
    each cause whose interface carries it. A playbook refused by a limit (a full group, a
    taken ACL rule number) leaves a note; if nothing at all can be proposed, the first
    refusal is raised as ProposalRefusedError.
    """
    base: dict[str, Any] = {
        "run_id": run_id,
        "flow": flow,
        "change_id": change_id,
        "region": inventory.region,
    }
    if evaluation.reachable:
        note = (
            f"{flow.service} from {flow.source.label} to {flow.destination.label} "
            "is already allowed: nothing to do"
        )
        return Plan(**base, notes=(note,))
    if group is not None and inventory.security_group(group) is None:
        raise BadInputError(f"unknown security group {group!r} in {inventory.region}")

    notes: list[str] = []
    jobs = _jobs(causes, playbooks, only, notes)
    staged: dict[str, ResourceState] = {}
    changes: list[Change] = []
    seen: set[str] = set()
    used: list[str] = []
    required: list[str] = []
    steps: list[str] = []
    refusals: list[ProposalRefusedError] = []
    group_used = False
    for playbook, cause in jobs:
        run_group = group if cause is None or group in _group_choices(cause) else None
        group_used = group_used or run_group is not None
        ctx = StepContext(
            inventory=inventory,
            run_id=run_id,
            playbook_id=playbook.id,
            flow=flow,
            evaluation=evaluation,
            causes=causes,
            cause=cause,
            change_id=change_id,
            group=run_group,
            requested=only,
            staged=staged,
        )
        try:
            outcome = run_playbook(playbook, ctx)
        except ProposalRefusedError as exc:
            refusals.append(exc)
            notes.extend(ctx.notes)
            notes.append(f"{playbook.id}: refused: {exc}")
            continue
        notes.extend(ctx.notes)
        if not outcome.holds:
            continue
        for change in outcome.changes:
            if _identity(change) not in seen:
                seen.add(_identity(change))
                changes.append(change)
        if playbook.id not in used:
            used.append(playbook.id)
        if outcome.changes:
            steps.extend(step.use for step in playbook.verify)
        notes.append(f"{playbook.id}: {outcome.explanation}")
        if playbook.approval is not None and playbook.approval.required and outcome.changes:
            notes.append(f"{playbook.id}: approval required: {playbook.approval.reason}")
            required.append(f"{playbook.id}: {playbook.approval.reason}")
    if group is not None and not group_used:
        raise BadInputError(
            f"--group {group} is on no interface where this flow is blocked; "
            "pick one of the groups the diagnosis names"
        )
    if refusals and not changes:
        raise ProposalRefusedError(
            "; ".join(n for n in notes if ": refused: " in n) or str(refusals[0])
        )
    return Plan(
        **base,
        playbooks=tuple(used),
        changes=tuple(changes),
        notes=tuple(notes),
        approval_required=tuple(dict.fromkeys(required)),
        verify_steps=tuple(dict.fromkeys(steps)),
        group_names=_group_names(inventory, changes),
    )


def _group_names(inventory: Inventory, changes: list[Change]) -> dict[str, str]:
    """Names of the groups in the ENI group lists the changes touch (for the diff)."""
    names: dict[str, str] = {}
    for change in changes:
        for state in (change.before, change.after):
            if isinstance(state, NetworkInterface):
                for group_id in state.group_ids:
                    group = inventory.security_group(group_id)
                    if group is not None:
                        names[group_id] = group.group_name
    return names
