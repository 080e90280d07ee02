"""The run pipeline: record → approve → lock → drift check → snapshot → apply → verify,
and rollback from a snapshot, automatic after a failure or asked for later.

Every step leaves a trace before it acts: the plan and meta are stored first; the
snapshot is on disk before the first write; each API call writes its intent to the
journal before the call and its outcome after. So a run killed at any instant can be
rolled back from what is on disk (``Runner.rollback``), and ``runs list`` shows it as
``interrupted``, never as applied.

Decisions, documented:
- a dry run (``apply=False``) stores the plan and returns ``planned``: no AWS call at
  all, not even a read;
- an empty plan is ``nothing_to_do``, with or without ``apply``;
- drift (a touched resource no longer matches the plan's "before") and a resource
  locked by another live run both end the run as ``refused`` with nothing written; the
  message starts with ``drift:`` or ``locked:`` to say which;
- a failed verification or a failed write restores the snapshot: ``rolled_back`` if the
  live state equals the snapshot afterwards, else ``rollback_failed`` with the
  differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from netmend.approval.decision import Approver, Decision, DecisionOutcome
from netmend.approval.request import ApprovalRequest, ApprovalRoute, request_for
from netmend.approval.trail import record_decision
from netmend.approval.yes import invoking_user
from netmend.audit import AuditLog
from netmend.aws.mutations import read_resources, snapshot_kind
from netmend.aws.session import AwsClients
from netmend.errors import BadInputError, NetmendError
from netmend.reach.flow import Flow
from netmend.run.new_resources import resolve_plan
from netmend.run.plan import Plan
from netmend.run.restore import differences
from netmend.run.result import ChangeRecord, RollbackReport, RunResult, Verification
from netmend.run.writes import RunWriter, WriteFailed, newer_runs_on
from netmend.store.locks import ResourceLockedError
from netmend.store.records import (
    ACTIVE_STATUSES,
    APPLICABLE_STATUSES,
    RunStatus,
    Snapshot,
)
from netmend.store.runs import RunStore
from netmend.verify.flow import METHODS, REACHABILITY_ANALYZER, resolve_method
from netmend.verify.run import IntentCheck, LocalRunVerifier, RunVerifier
from netmend.verify.steps import run_verify_steps

__all__ = ["VERIFY_METHODS", "Runner", "plan_summary"]

log = structlog.get_logger()

# The one method table lives in verify/flow.py; the name stays for the faces.
VERIFY_METHODS = METHODS


def plan_summary(plan: Plan) -> str:
    """A plan as plain lines (api, resource, summary): what an approver sees by default."""
    lines = [f"run {plan.run_id}: {len(plan.changes)} change(s)"]
    lines += [f"  {c.api} {c.resource}: {c.summary}" for c in plan.changes]
    return "\n".join(lines)


class Runner:
    """Runs plans against one account and region, recording everything in ``store``.

    ``verifier`` checks a run after its writes (default: ``LocalRunVerifier(clients)``);
    ``verifiers`` adds other methods by name (``"reachability-analyzer"``), used for the
    flow itself while the local verifier still checks that nothing else broke.
    """

    def __init__(
        self,
        clients: AwsClients,
        store: RunStore,
        approver: Approver,
        audit: AuditLog,
        verifier: RunVerifier | None = None,
        *,
        verifiers: Mapping[str, RunVerifier] | None = None,
        requester: str | None = None,
        render_diff: Callable[[Plan], str] | None = None,
    ) -> None:
        self.clients = clients
        self.store = store
        self.approver = approver
        self.audit = audit
        self.verifier: RunVerifier = verifier or LocalRunVerifier(clients)
        self.verifiers: dict[str, RunVerifier] = dict(verifiers or {})
        self.requester = requester or invoking_user()
        # How a person is shown a plan before approving it: the face passes its renderer
        # (the CLI's table diff); without one, one plain line per change.
        self.render_diff = render_diff or plan_summary
        self.writer = RunWriter(clients, store, audit)
        # Told each step of a long apply ("applying 2/5: ...", "verifying ..."); a face
        # shows it to a person (the CLI on a terminal), the core prints nothing.
        self.progress: Callable[[str], None] = lambda step: None

    # -- execute -------------------------------------------------------------------------

    def execute(
        self,
        plan: Plan,
        *,
        apply: bool,
        flow: Flow | None = None,
        verify_method: str = "local",
        intents: Sequence[IntentCheck] | None = None,
        rendered_diff: str | None = None,
    ) -> RunResult:
        """Record the plan and, with ``apply``, run it through approval to verification."""
        flow = flow if flow is not None else plan.flow
        flow_verifier = self._flow_verifier(verify_method, flow)  # bad method: before anything
        self.store.create_run(plan, requester=self.requester)
        self._audit("run.recorded", plan, changes=len(plan.changes), apply=apply)
        if plan.empty:
            return self._finish(
                plan, RunStatus.NOTHING_TO_DO, "the estate already holds what the playbooks want"
            )
        if not apply:
            return self._finish(plan, RunStatus.PLANNED, "dry run: nothing was written")
        return self._approve_and_apply(
            plan, flow, flow_verifier, intents, self.approver, rendered_diff, verify_method
        )

    def apply_saved(
        self,
        run_id: str,
        *,
        approver: Approver | None = None,
        verify_method: str = "local",
        intents: Sequence[IntentCheck] | None = None,
        rendered_diff: str | None = None,
        audit_context: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Apply exactly the plan a dry run (or a held run) recorded, after the drift check.

        ``fix --apply --plan RUN_ID`` and a chat approval both end here. ``approver``
        decides (default: the runner's own); a run that is not ``planned`` or
        ``needs_approval`` (already applied, refused, rolled back...) is refused with a
        BadInputError before anything happens.
        """
        record = self.store.load_run(run_id)
        if record.status not in APPLICABLE_STATUSES:
            raise BadInputError(
                f"run {run_id} is {record.status.value}: only a planned run (a dry run, or one "
                "held for approval) can be applied"
            )
        plan = record.plan
        flow_verifier = self._flow_verifier(verify_method, plan.flow)
        self._audit("run.resumed", plan, changes=len(plan.changes), was=record.status.value)
        if plan.empty:
            return self._finish(
                plan, RunStatus.NOTHING_TO_DO, "the estate already holds what the playbooks want"
            )
        return self._approve_and_apply(
            plan,
            plan.flow,
            flow_verifier,
            intents,
            approver or self.approver,
            rendered_diff,
            verify_method,
            audit_context,
        )

    def hold_for_approval(self, request: ApprovalRequest) -> RunResult:
        """Keep a recorded plan for a person: status ``needs_approval``, the request stored.

        The run stays appliable (``apply_saved``) until someone decides; nothing is written
        to AWS.
        """
        record = self.store.load_run(request.run_id)
        if record.status not in APPLICABLE_STATUSES:
            raise BadInputError(
                f"run {request.run_id} is {record.status.value}: only a planned run can wait "
                "for approval"
            )
        self.store.write_approval_request(request.run_id, request)
        self._audit(
            "approval.requested",
            record.plan,
            route=request.route.value,
            approvers=list(request.approvers),
            expires_at=request.expires_at.isoformat() if request.expires_at else None,
        )
        return self._finish(
            record.plan,
            RunStatus.NEEDS_APPROVAL,
            f"waiting for approval via {request.route.value}"
            + (f" until {request.expires_at.isoformat()}" if request.expires_at else ""),
        )

    def _approve_and_apply(
        self,
        plan: Plan,
        flow: Flow | None,
        flow_verifier: RunVerifier | None,
        intents: Sequence[IntentCheck] | None,
        approver: Approver,
        rendered_diff: str | None,
        verify_method: str,
        audit_context: Mapping[str, Any] | None = None,
    ) -> RunResult:
        run_id = plan.run_id
        unavailable = getattr(flow_verifier, "unavailable", None)
        reason = unavailable(flow) if callable(unavailable) else None
        if reason is not None:
            # Writing a change that cannot be verified means writing it and rolling back.
            return self._finish(
                plan,
                RunStatus.REFUSED,
                f"cannot verify with {verify_method}: {reason}; nothing was written "
                "(use --verify local or auto)",
            )
        decision = approver.decide(plan, rendered_diff or self.render_diff(plan))
        record_decision(self.audit, plan, decision, requester=self.requester, context=audit_context)
        approval = decision.model_dump(mode="json")
        self.store.set_status(run_id, RunStatus.PLANNED, approval=approval)
        if decision.outcome is DecisionOutcome.PENDING:
            # Held for a person (the event worker's unattended approver): nothing is
            # written; the typed request is stored with the run, and `fix --apply --plan
            # RUN_ID` or a ChatOps click applies it later (apply_saved).
            return self.hold_for_approval(
                request_for(
                    plan,
                    requester=self.requester,
                    route=ApprovalRoute.WORKER,
                    summary=decision.reason,
                )
            )
        if not decision.approved:
            return self._finish(
                plan,
                RunStatus.REFUSED,
                f"{decision.outcome.value}: {decision.reason}",
                decision=decision,
            )
        try:
            with self.store.lock(plan.resources, run_id):
                return self._apply_locked(plan, flow, flow_verifier, list(intents or ()), decision)
        except ResourceLockedError as error:
            return self._finish(plan, RunStatus.REFUSED, f"locked: {error}", decision=decision)

    def _flow_verifier(self, method: str, flow: Flow | None) -> RunVerifier | None:
        """The verifier for the flow when it is not the local one (None: local).

        ``auto`` is resolved by ``verify.flow.resolve_method``; a registered analyzer
        means Reachability Analyzer can answer here (``runner_verifiers``).
        """
        analyzer = self.verifiers.get(REACHABILITY_ANALYZER)
        choice = resolve_method(
            method,
            flow,
            unavailable=None if analyzer else "no Reachability Analyzer verifier registered",
        )  # bad method: BadInputError before anything
        if method == REACHABILITY_ANALYZER:
            if analyzer is None:
                raise BadInputError("verification by Reachability Analyzer is not available here")
            return analyzer  # it checks a flow it cannot analyse locally, saying why
        if flow is not None and choice.method == REACHABILITY_ANALYZER:
            return analyzer
        return None

    def _apply_locked(
        self,
        plan: Plan,
        flow: Flow | None,
        flow_verifier: RunVerifier | None,
        intents: list[IntentCheck],
        decision: Decision,
    ) -> RunResult:
        run_id = plan.run_id
        # Every touched group / ACL / ENI is snapshotted; those the plan describes are
        # also checked for drift against the plan's "before".
        restorable = [rid for rid in plan.resources if snapshot_kind(rid)]
        planned_before = {
            rid: state for rid in restorable if (state := plan.before(rid)) is not None
        }
        try:
            live = read_resources(self.clients, restorable)
            drift = [
                line
                for rid, state in planned_before.items()
                for line in differences(live.get(rid), state, strict=True)
            ]
            if drift:
                self._audit("run.drift", plan, differences=drift)
                return self._finish(
                    plan,
                    RunStatus.REFUSED,
                    "drift: the estate changed since the plan was made, nothing was written: "
                    + "; ".join(drift),
                    decision=decision,
                )
            baselines = {
                "local": self.verifier.prepare(plan),
                **({"flow": flow_verifier.prepare(plan)} if flow_verifier else {}),
            }
        except NetmendError as error:
            # Nothing written yet: record why the run stopped, then let the error report.
            self._finish(
                plan,
                RunStatus.REFUSED,
                f"cannot read the estate before applying, nothing was written: {error}",
                decision=decision,
            )
            raise
        snapshot = Snapshot(run_id=run_id, resources={r: live[r] for r in restorable if r in live})
        self.store.write_snapshot(snapshot)  # durable before the first write
        self.store.set_status(run_id, RunStatus.APPLYING)
        self._audit("run.applying", plan, approver=decision.approver)
        records: list[ChangeRecord] = []
        try:
            for step, change in enumerate(plan.changes):
                self.progress(
                    f"applying {step + 1}/{len(plan.changes)}: {change.api} {change.resource}"
                )
                outcome, code = self.writer.call(run_id, "apply", step, change)
                # Recorded as sent: with the real id of a group the run created.
                records.append(ChangeRecord.of(self.writer.resolved(run_id, change), outcome, code))
        except WriteFailed as failed:
            records.append(ChangeRecord.of(plan.changes[failed.step], "failed", failed.code))
            records += [ChangeRecord.of(c, "not-run") for c in plan.changes[failed.step + 1 :]]
            return self._roll_back_after(
                plan,
                snapshot,
                records=records,
                decision=decision,
                verification=None,
                why=f"{plan.changes[failed.step].api} failed: {failed.error}",
            )
        except BaseException:
            # A bug or Ctrl-C half-way: put the estate back before letting it propagate.
            report = self._restore(plan, snapshot)
            self._record(plan, report.status, report.message, rollback=report)
            raise
        # Verification reads the groups the run created by their real ids.
        applied = resolve_plan(plan, self.writer.created_ids(run_id))
        analyzer = flow_verifier is not None and flow_verifier.method == REACHABILITY_ANALYZER
        self.progress(
            "verifying with Reachability Analyzer (an analysis takes about a minute)"
            if analyzer
            else "verifying: reading the touched resources again and evaluating the flows"
        )
        verification = self._verify(applied, flow, flow_verifier, intents, baselines)
        # The playbooks' own `verify:` steps, on top of the flow and "nothing broke" checks.
        verification = run_verify_steps(applied, flow, verification)
        if not verification.passed:
            self.store.set_status(run_id, RunStatus.VERIFY_FAILED)
            self._audit("run.verify_failed", plan, problems=list(verification.problems))
            return self._roll_back_after(
                plan,
                snapshot,
                records=records,
                decision=decision,
                verification=verification,
                why=f"verification failed: {verification.detail}",
            )
        return self._finish(
            plan,
            RunStatus.APPLIED,
            "applied and verified",
            decision=decision,
            changes=records,
            verification=verification,
        )

    def _verify(
        self,
        plan: Plan,
        flow: Flow | None,
        flow_verifier: RunVerifier | None,
        intents: list[IntentCheck],
        baselines: dict[str, Any],
    ) -> Verification:
        method = flow_verifier.method if flow_verifier else self.verifier.method
        try:
            local = self.verifier.verify(
                plan, None if flow_verifier else flow, intents, baselines["local"]
            )
            if flow_verifier is None:
                return local
            if hasattr(flow_verifier, "progress"):
                flow_verifier.progress = self.progress  # e.g. the analysis's minute
            remote = flow_verifier.verify(plan, flow, (), baselines["flow"])
        except NetmendError as error:
            # Cannot tell whether the fix works: treat as failed, so the snapshot returns.
            return Verification(
                method=method,
                passed=False,
                detail=f"verification could not run: {error}",
                problems=(str(error),),
            )
        problems = remote.problems + local.problems
        return Verification(
            method=remote.method,
            reachable=remote.reachable,
            passed=remote.passed and local.passed,
            detail="; ".join(problems) or f"{remote.detail}; {local.detail}",
            problems=problems,
            flows_checked=local.flows_checked,
        )

    def _roll_back_after(
        self,
        plan: Plan,
        snapshot: Snapshot,
        *,
        records: list[ChangeRecord],
        decision: Decision,
        verification: Verification | None,
        why: str,
    ) -> RunResult:
        report = self._restore(plan, snapshot)
        if report.status is RunStatus.ROLLED_BACK:
            message = f"{why}; the snapshot was restored"
        else:
            message = f"{why}; ROLLBACK FAILED: {report.message}"
        return self._finish(
            plan,
            report.status,
            message,
            decision=decision,
            changes=records,
            verification=verification,
            rollback=report,
        )

    # -- rollback ----------------------------------------------------------------------

    def rollback(
        self,
        run_id: str,
        *,
        approver: Approver | None = None,
        rendered_diff: str | None = None,
        force: bool = False,
    ) -> RunResult:
        """Restore a finished or interrupted run's resources to its snapshot.

        Idempotent: a second rollback finds nothing to restore. A run that never wrote
        (no snapshot: dry run, refused, nothing to do) keeps its status: the result says
        ``nothing_to_undo``. With
        ``approver`` the restore calls are shown and must be approved first (the
        ``netmend rollback`` prompt; policies do not apply to going back).
        Restoring a snapshot also undoes whatever later runs changed on the same
        resources, so a newer run that may have written there refuses the rollback
        unless ``force``.
        Raises BadInputError for an unknown run, NetmendError for a run still active or
        overtaken by a newer one.
        """
        record = self.store.load_run(run_id)
        plan = record.plan
        if record.status in ACTIVE_STATUSES:
            owner = record.meta.owner
            who = f" (pid {owner.pid} on {owner.host})" if owner else ""
            raise NetmendError(f"run {run_id} is still {record.status.value}{who}: wait for it")
        snapshot = record.snapshot
        if snapshot is None:
            # Never wrote (dry run, refused, nothing to do): nothing to undo, and its status
            # (a saved plan stays `planned`) is the truth about it, so it is kept.
            message = f"nothing to undo: the run never wrote (it is {record.status.value})"
            self.audit.record(
                "run.rollback_nothing_to_undo",
                run_id=run_id,
                change_id=plan.change_id,
                requester=self.requester,
                status=record.status.value,
            )
            return RunResult(
                run_id=run_id,
                status=record.status,
                playbooks=plan.playbooks,
                change_id=plan.change_id,
                message=message,
                nothing_to_undo=True,
            )
        newer = newer_runs_on(self.store, run_id, snapshot.resources)
        if newer and not force:
            raise NetmendError(
                f"cannot roll back {run_id}: newer run(s) {', '.join(newer)} changed the same "
                "resources and would be undone too; roll those back first (or force)"
            )
        decision: Decision | None = None
        try:
            with self.store.lock(plan.resources, run_id):
                if approver is not None:
                    decision = self._approve_rollback(plan, snapshot, approver, rendered_diff)
                    if not decision.approved:
                        return RunResult(
                            run_id=run_id,
                            status=record.status,
                            playbooks=plan.playbooks,
                            change_id=plan.change_id,
                            approval=decision,
                            message=f"rollback {decision.outcome.value}: {decision.reason}",
                        )
                self._audit("run.rollback", plan, was=record.status.value)
                report = self._restore(plan, snapshot)
                self._record(plan, report.status, report.message, rollback=report)
        except ResourceLockedError as error:
            raise NetmendError(f"cannot roll back {run_id}: {error}") from error
        return self._store_result(
            RunResult(
                run_id=run_id,
                status=report.status,
                playbooks=plan.playbooks,
                change_id=plan.change_id,
                changes=report.calls,
                rollback=report,
                approval=decision,
                message=report.message,
            )
        )

    def _approve_rollback(
        self, plan: Plan, snapshot: Snapshot, approver: Approver, rendered_diff: str | None
    ) -> Decision:
        changes = self.writer.restore_changes(snapshot)
        if not changes:
            return Decision(
                outcome=DecisionOutcome.APPROVED,
                approver="netmend",
                reason="nothing to restore: live state equals the snapshot",
            )
        restore_plan = Plan(
            run_id=plan.run_id,
            playbooks=plan.playbooks,
            changes=changes,
            change_id=plan.change_id,
            region=plan.region,
            notes=("rollback to the snapshot",),
        )
        decision = approver.decide(restore_plan, rendered_diff or self.render_diff(restore_plan))
        record_decision(self.audit, restore_plan, decision, requester=self.requester)
        return decision

    # -- recording -----------------------------------------------------------------------

    def _audit(self, event: str, plan: Plan, **fields: Any) -> None:
        self.audit.record(
            event,
            run_id=plan.run_id,
            change_id=plan.change_id,
            playbooks=list(plan.playbooks),
            requester=self.requester,
            **fields,
        )

    def _restore(self, plan: Plan, snapshot: Snapshot) -> RollbackReport:
        """Restore the snapshot, recorded as ``rolling_back`` while the calls go out."""
        self.store.set_status(plan.run_id, RunStatus.ROLLING_BACK)
        return self.writer.restore(plan.run_id, snapshot)

    def _record(
        self,
        plan: Plan,
        status: RunStatus,
        message: str,
        *,
        rollback: RollbackReport | None = None,
        **fields: Any,
    ) -> None:
        """The one place a run's status and its lifecycle audit event are written."""
        self.store.set_status(plan.run_id, status, message=message)
        if rollback is not None:
            fields |= {
                "calls": len(rollback.calls),
                "differences": list(rollback.differences),
                "errors": list(rollback.errors),
            }
        self._audit(f"run.{status.value}", plan, message=message, **fields)

    def _finish(
        self,
        plan: Plan,
        status: RunStatus,
        message: str,
        *,
        decision: Decision | None = None,
        changes: Sequence[ChangeRecord] | None = None,
        verification: Verification | None = None,
        rollback: RollbackReport | None = None,
    ) -> RunResult:
        extra = {"verification": verification.detail} if verification else {}
        self._record(plan, status, message, rollback=rollback, **extra)
        result = RunResult(
            run_id=plan.run_id,
            status=status,
            playbooks=plan.playbooks,
            change_id=plan.change_id,
            changes=tuple(
                changes if changes is not None else [ChangeRecord.of(c) for c in plan.changes]
            ),
            verification=verification,
            rollback=rollback,
            approval=decision,
            message=message,
        )
        return self._store_result(result)

    def _store_result(self, result: RunResult) -> RunResult:
        self.store.write_result(result.run_id, result)
        log.info("run finished", run_id=result.run_id, status=result.status.value)
        return result
