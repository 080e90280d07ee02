"""Fixing one flow: diagnose, propose one plan from every root cause, run it.

The CLI, the demo and ChatOps all fix a flow through ``fix`` (a FixRequest: loads the
config, playbooks, intents and estate) or ``fix_flow`` (an estate already in hand), so
that they share one pipeline: detect → propose → approve → snapshot → apply → verify
(→ roll back). ``fix`` also applies a recorded plan by run id (``fix --apply --plan``).

Both return a ``FixResult``: the run's result (a ``RunResult``) plus the root causes the
diagnosis found and the plan's notes; its ``model_dump(mode="json")`` is DESIGN.md's
``fix --output json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    computed_field,
    field_serializer,
)

from netmend.app.diagnosis import Diagnosis, diagnose
from netmend.app.requests import FixRequest
from netmend.approval import Approver, PolicyApprover, TerminalApprover, YesApprover
from netmend.aws.session import AwsClients
from netmend.config import NetmendConfig
from netmend.errors import BadInputError, NetmendError
from netmend.model import Inventory
from netmend.playbook import PlaybookSet, propose_plan
from netmend.reach import Flow, evaluate
from netmend.run.plan import Plan, new_run_id
from netmend.run.result import RunResult, Verification
from netmend.run.runner import Runner
from netmend.verify.run import IntentCheck, with_states

if TYPE_CHECKING:
    from netmend.app.workspace import Workspace

__all__ = [
    "CauseSummary",
    "FixResult",
    "NoFixError",
    "NotVerified",
    "check_fix_request",
    "fix",
    "fix_estate",
    "fix_flow",
    "make_runner",
]


class NoFixError(NetmendError):
    """The flow is blocked but no playbook (of those asked for) proposes a change."""


class CauseSummary(BaseModel):
    """A root cause as ``fix --output json`` names it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    playbook: str
    resource: str
    summary: str


class NotVerified(BaseModel):
    """The verification of a run that did not verify (a dry run, a refusal): the method it
    would have used, and no verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str
    reachable: None = None


class FixResult(RunResult):
    """What ``fix`` did: the run's result, the plan it ran, and the diagnosis behind it.

    ``diagnosis`` is None when a recorded plan was applied by run id. The plan and the
    diagnosis are for the faces' views; the JSON carries the run's fields, the root
    causes (playbook, resource, summary) and the plan's notes.
    """

    plan: Plan = Field(exclude=True)
    diagnosis: Diagnosis | None = Field(default=None, exclude=True)
    # The method asked for (--verify): what the JSON names when the run did not verify.
    verify_method: str = Field(default="auto", exclude=True)

    @classmethod
    def of(
        cls, result: RunResult, plan: Plan, diagnosis: Diagnosis | None, verify_method: str
    ) -> FixResult:
        fields = {name: getattr(result, name) for name in RunResult.model_fields}
        return cls(**fields, plan=plan, diagnosis=diagnosis, verify_method=verify_method)

    @field_serializer("verification", mode="wrap")
    def _verification(
        self,
        value: Verification | None,
        handler: SerializerFunctionWrapHandler,
        info: SerializationInfo,
    ) -> object:
        # The contract always has verification {method, reachable}, verified or not.
        if value is None:
            return NotVerified(method=self.verify_method).model_dump(mode=info.mode)
        return handler(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def root_causes(self) -> tuple[CauseSummary, ...]:
        causes = self.diagnosis.causes if self.diagnosis is not None else ()
        return tuple(
            CauseSummary(playbook=c.playbook, resource=c.resource, summary=c.summary)
            for c in causes
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def notes(self) -> tuple[str, ...]:
        return self.plan.notes


def make_runner(
    clients: AwsClients,
    config: NetmendConfig,
    *,
    yes: bool = False,
    approver: Approver | None = None,
    requester: str | None = None,
    verify_method: str = "auto",
    render_diff: Callable[[Plan], str] | None = None,
) -> Runner:
    """A Runner on the config's state dir; the policy always decides first.

    Without ``approver``: ``--yes`` approves what the policy lets through, else the
    person at the terminal is asked (and without a terminal the run is refused).
    """
    from netmend.store.state import open_state
    from netmend.verify.analyzer import runner_verifiers

    fallback = approver or (YesApprover() if yes else TerminalApprover())
    state = open_state(config, clients)  # local folder, or S3 + DynamoDB (many workers)
    return Runner(
        clients,
        state.runs,
        PolicyApprover(config.policy, fallback),
        state.audit,
        # Reachability Analyzer exists only on AWS itself: `auto` elsewhere (moto, a
        # proxy) verifies locally.
        verifiers=runner_verifiers(clients, verify_method),
        requester=requester,
        render_diff=render_diff,
    )


def check_fix_request(request: FixRequest) -> None:
    """BadInputError (exit 2) for a request that cannot be run, before any AWS call."""
    from netmend.playbook.propose import PEER_CHOICES
    from netmend.run.runner import VERIFY_METHODS

    if request.verify not in VERIFY_METHODS:
        raise BadInputError(f"unknown --verify {request.verify!r}: use {', '.join(VERIFY_METHODS)}")
    if request.peer not in PEER_CHOICES:
        raise BadInputError(f"unknown --peer {request.peer!r}: use {', '.join(PEER_CHOICES)}")
    if request.plan_run_id is not None and not request.apply:
        raise BadInputError("--plan applies a recorded plan: add --apply")
    if request.plan_run_id is None and request.flow is None:
        raise BadInputError("fix needs --source and --destination (or --apply --plan RUN_ID)")
    if request.plan_run_id is not None and request.target.inventory_file is not None:
        raise BadInputError("--plan applies to the live estate: leave out --inventory")
    if request.target.inventory_file is not None and request.apply:
        raise BadInputError(
            "--inventory plans offline (a dry run): --apply needs a live endpoint, "
            "so leave --inventory out to apply"
        )


def fix_estate(
    request: FixRequest,
    *,
    workspace: Workspace | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Inventory:
    """The estate ``request`` plans against: its saved inventory (``--inventory``: a dry
    run only, never written to) or a live collection, through the workspace's clients
    when a long-lived face gives one (``progress(kind, count)`` hears each resource type
    as it is read). The request is checked first (exit 2)."""
    check_fix_request(request)
    if request.target.inventory_file is not None:
        return request.target.inventory()
    from netmend.aws.collector import collect_inventory

    clients = workspace.clients if workspace is not None else request.target.clients()
    return collect_inventory(clients, progress=progress)


def fix(
    request: FixRequest,
    *,
    workspace: Workspace | None = None,
    estate: Inventory | None = None,
    runner: Runner | None = None,
    intents: Sequence[IntentCheck] | None = None,
    approver: Approver | None = None,
    requester: str | None = None,
    render_diff: Callable[[Plan], str] | None = None,
    on_plan: Callable[[Plan], str | None] | None = None,
    step_progress: Callable[[str], None] | None = None,
) -> FixResult:
    """``netmend fix`` for any face: everything from the request, nothing printed.

    What a face already holds it passes instead of having the core open it again:
    ``workspace`` (a long-lived face's config, clients and playbooks; default: the
    request's target and config file), ``estate`` (``fix_estate(request)``, or the
    worker's refreshed view; default: read here), ``runner`` (the worker's unattended
    one; default: the policy in front of ``approver``, else the terminal/``--yes``),
    ``intents`` (already loaded; default: ``request.intents_file``). ``requester`` is
    who asked (recorded on the run); ``render_diff`` is how a face shows a plan to a
    person; ``on_plan`` (see ``fix_flow``) sees the plan before it runs;
    ``step_progress(step)`` hears each write and the verification. Bad input raises
    BadInputError (exit 2) before any AWS call.
    """
    from netmend.config import load_config
    from netmend.playbook import load_playbooks
    from netmend.verify.intents import load_intents

    check_fix_request(request)
    settings = (
        workspace.config if workspace is not None else load_config(request.target.config_file)
    )
    loaded = (
        workspace.playbooks
        if workspace is not None and not request.playbook_dirs
        else load_playbooks([*settings.playbook_dirs, *request.playbook_dirs])
    )
    if request.playbook is not None:
        loaded.require(request.playbook)
    if intents is None and request.intents_file is not None:
        intents = load_intents(request.intents_file).intents
    if estate is None and request.plan_run_id is None:
        estate = fix_estate(request, workspace=workspace)
    if runner is None:
        target = request.target
        if estate is not None and target.inventory_file is not None and target.region is None:
            # Offline: the runner records the plan under the estate's own region.
            target = target.model_copy(update={"region": estate.region})
        runner = make_runner(
            workspace.clients if workspace is not None else target.clients(),
            settings,
            yes=request.yes,
            approver=approver,
            requester=requester,
            verify_method=request.verify,
            render_diff=render_diff,
        )
    if step_progress is not None:
        runner.progress = step_progress
    if request.plan_run_id is not None:
        plan = runner.store.read_plan(request.plan_run_id)
        rendered = on_plan(plan) if on_plan is not None else None
        result = runner.apply_saved(
            request.plan_run_id,
            verify_method=request.verify,
            intents=intents,
            rendered_diff=rendered,
        )
        return FixResult.of(result, plan, None, request.verify)
    assert request.flow is not None  # checked above
    assert estate is not None
    return fix_flow(
        runner,
        estate,
        request.flow.flow(estate),
        loaded,
        apply=request.apply,
        only=request.playbook,
        group=request.group,
        peer=request.peer,
        change_id=request.change_id,
        verify_method=request.verify,
        intents=intents,
        on_plan=on_plan,
    )


def fix_flow(
    runner: Runner,
    inventory: Inventory,
    flow: Flow,
    playbooks: PlaybookSet,
    *,
    apply: bool,
    only: str | None = None,
    group: str | None = None,
    peer: str = "narrowest",
    change_id: str | None = None,
    verify_method: str = "local",
    intents: Sequence[IntentCheck] | None = None,
    on_plan: Callable[[Plan], str | None] | None = None,
    diagnosis: Diagnosis | None = None,
) -> FixResult:
    """Diagnose ``flow``, propose one plan for all its root causes, and run it.

    Without ``apply`` this is the dry run: the plan is recorded, nothing is written.
    ``on_plan`` sees the plan before it runs (to show the diff) and may return the
    diff text the approver shows. ``diagnosis`` is the caller's own diagnosis of
    ``flow`` on ``inventory`` (the demo shows it first): the flow is then not evaluated
    again; only the plan's projected after-state is. Raises ProposalRefusedError when
    no playbook can propose anything.
    """
    if diagnosis is not None and diagnosis.evaluation.flow != flow:
        raise ValueError("fix_flow: the diagnosis given is of another flow")
    found = diagnosis if diagnosis is not None else diagnose(inventory, flow)
    plan = propose_plan(
        inventory,
        flow,
        found.evaluation,
        found.causes,
        playbooks,
        only=only,
        run_id=new_run_id(),
        change_id=change_id,
        group=group,
        peer=peer,
    )
    if plan.empty and not found.reachable:
        # "nothing to do" would claim the flow works; say what was found instead.
        causes = ", ".join(f"{c.playbook} on {c.resource}" for c in found.causes) or "none"
        notes = "; ".join(plan.notes)
        raise NoFixError(
            f"{flow.service} from {flow.source.label} to {flow.destination.label} is blocked "
            f"(root causes: {causes}) but no playbook proposes a change"
            + (f": {notes}" if notes else "")
        )
    still = _still_blocked(inventory, flow, plan)
    if still is not None:
        plan = plan.model_copy(update={"notes": (*plan.notes, still)})
        if apply:
            # Applying would only be rolled back by verification: say so before writing.
            if on_plan is not None:
                on_plan(plan)
            raise NoFixError(f"not applied: {still}")
    rendered_diff = on_plan(plan) if on_plan is not None else None
    result = runner.execute(
        plan,
        apply=apply,
        flow=flow,
        verify_method=verify_method,
        intents=intents,
        rendered_diff=rendered_diff,
    )
    return FixResult.of(result, plan, found, verify_method)


def _still_blocked(inventory: Inventory, flow: Flow, plan: Plan) -> str | None:
    """Why the flow would stay blocked once the plan is applied, or None if it would pass.

    The plan's after-states are evaluated offline; a block no playbook fixes (a missing
    route, say) is reported here rather than discovered by a verification that fails.
    """
    if plan.empty:
        return None
    after = [state for rid in plan.resources if (state := plan.after(rid)) is not None]
    projected = evaluate(with_states(inventory, after), flow)
    if projected.reachable:
        return None
    where = "; ".join(f"{e.code} at {e.component}" for e in projected.explanations)
    return (
        f"this plan alone does not make {flow.service} reachable: it would still be "
        f"blocked ({where}), which no playbook here fixes"
    )
