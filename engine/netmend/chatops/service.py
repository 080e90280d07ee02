"""The chat service: runs a parsed command or a button click and says what to post.

Adapter-neutral: it takes the command text and who typed it, or a request id and who
clicked, turns it into the core's typed requests (``netmend.app.requests``, the same the
CLI's options make) and calls the same core entry points (``diagnose_request``, ``fix``,
``rollback_run``, ``list_runs``, the approvals), with the config, clients and playbooks
it keeps open in a ``Workspace``; it returns neutral messages. A Slack, Teams or
Mattermost adapter only moves them over the wire.

A ``fix`` is a dry run first (nothing is written), held for chat approvers with the
core's ``hold_for_approval`` (status ``needs_approval``); a click is judged by the core's
``ApprovalRequest`` and handed to ``answer_approval``, which applies exactly that saved
plan (after the drift check, under the policy) and verifies it. ``rollback`` asks for the
same approval, by the same rules.
Every decision, refusals included, is written to the audit trail with the chat user,
team and channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import structlog

from netmend.app.approvals import (
    ApprovalAnswer,
    HoldRequest,
    answer_approval,
    hold_for_approval,
    load_request,
)
from netmend.app.requests import DiagnoseRequest, FixRequest, RollbackRequest
from netmend.app.runs import list_runs, preview_rollback, rollback_run
from netmend.app.workspace import Workspace
from netmend.approval import (
    ApprovalRequest,
    ApprovalRoute,
    DecisionApprover,
    DecisionOutcome,
    never_violations,
    record_decision,
    request_for,
)
from netmend.aws.session import AwsClients
from netmend.chatops import content
from netmend.chatops.approvals import GroupMembers, Verdict, judge_click
from netmend.chatops.commands import (
    Command,
    CommandError,
    DiagnoseCommand,
    FixCommand,
    FlowSpec,
    HelpCommand,
    RollbackCommand,
    RunsCommand,
    parse_command,
)
from netmend.chatops.messages import ChatMessage, Context, Part, Section
from netmend.chatops.requests import (
    AlreadyDecidedError,
    ChatActor,
    ChatRequest,
    RequestKind,
    RequestState,
    RequestStore,
)
from netmend.config import NetmendConfig
from netmend.errors import NetmendError
from netmend.playbook import PlaybookSet, load_playbooks
from netmend.run.runner import Runner
from netmend.store import RunStatus
from netmend.store.records import APPLICABLE_STATUSES
from netmend.store.state import needs_aws, open_state

__all__ = ["ChatOps", "ChatReply", "ClickReply"]

log = structlog.get_logger()


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ChatReply:
    """What to post for a command; ``request`` is set when the message carries buttons."""

    message: ChatMessage
    request: ChatRequest | None = None


@dataclass(frozen=True)
class ClickReply:
    """What a click leads to.

    ``notice`` goes to the clicker alone (a refusal); ``stamp`` replaces the buttons of
    the request's message, at once; ``work`` (after an approval) applies or rolls back and
    returns the result to post in the thread. It is separate so that the adapter stamps
    the decision before a verification that may take a minute.
    """

    outcome: DecisionOutcome
    reason: str
    request: ChatRequest | None = None
    notice: str | None = None
    stamp: Part | None = None
    work: Callable[[], ChatMessage] | None = None


class ChatOps:
    def __init__(
        self,
        config: NetmendConfig,
        clients: AwsClients,
        *,
        members: GroupMembers,
        playbooks: PlaybookSet | None = None,
        verify_method: str = "auto",
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.config = config
        self.clients = clients
        self.members = members
        self.playbooks = playbooks or load_playbooks(config.playbook_dirs)
        self.workspace = Workspace(config=config, clients=clients, playbooks=self.playbooks)
        self.verify_method = verify_method
        self.clock = clock
        # The configured state: a local folder, or S3 + DynamoDB shared with the event
        # worker, whose held runs are posted here for approval.
        state = open_state(config, clients if needs_aws(config) else None)
        self.requests = RequestStore(state.backend)
        self.runs = state.runs
        self.audit = state.audit

    # -- commands ------------------------------------------------------------------------

    def command(self, text: str, actor: ChatActor) -> ChatReply:
        """Run one slash command; every failure becomes a one-line answer, never a crash."""
        try:
            parsed = parse_command(text)
        except CommandError as error:
            return ChatReply(content.text_message(str(error)))
        self._audit_actor("chatops.command", actor, command=text.strip()[:500])
        try:
            return self._run(parsed, actor)
        except NetmendError as error:
            return ChatReply(content.text_message(f"netmend: error: {error}"))

    def _run(self, parsed: Command, actor: ChatActor) -> ChatReply:
        if isinstance(parsed, HelpCommand):
            return ChatReply(content.help_message())
        if isinstance(parsed, RunsCommand):
            listed = list_runs(workspace=self.workspace, show_all=True)
            return ChatReply(content.runs_message(listed.runs))
        if isinstance(parsed, DiagnoseCommand):
            return ChatReply(self._diagnose(parsed.flow))
        if isinstance(parsed, FixCommand):
            return self._fix(parsed, actor)
        return self._ask_rollback(parsed, actor)

    def _diagnose(self, spec: FlowSpec) -> ChatMessage:
        from netmend.app.diagnosis import diagnose_request

        found = diagnose_request(DiagnoseRequest(flow=spec.request()), workspace=self.workspace)
        parts = content.diagnosis_parts(found)
        verdict = "reachable" if found.reachable else "blocked"
        return ChatMessage(summary=f"{spec.label}: {verdict}", parts=tuple(parts))

    def _runner(self, requester: str) -> Runner:
        from netmend.app.fixing import make_runner

        return make_runner(
            self.clients,
            self.config,
            requester=requester,
            verify_method=self.verify_method,
        )

    def _fix(self, command: FixCommand, actor: ChatActor) -> ChatReply:
        from netmend.app.fixing import fix

        # A dry run: the plan is recorded and held for the chat approvers below.
        request = FixRequest(
            flow=command.flow.request(),
            playbook=command.playbook,
            change_id=command.change_id,
            verify=self.verify_method,
        )
        outcome = fix(request, workspace=self.workspace, requester=actor.label)
        # fix always diagnoses a flow it is given (None only for a saved plan).
        parts = content.diagnosis_parts(outcome.diagnosis) if outcome.diagnosis else []
        if outcome.status is not RunStatus.PLANNED:
            message = f"nothing to do: {outcome.message}"
            return ChatReply(ChatMessage(summary=message, parts=(*parts, Section(message))))
        head = f"*Fix* {command.flow.label}"
        approval = self._hold(outcome.plan.run_id, actor.user_id, head)
        return self._ask(
            RequestKind.FIX,
            approval,
            actor,
            head=head,
            parts=[*parts, *content.plan_parts(outcome.plan, self.config.policy)],
        )

    def _hold(self, run_id: str, requester: str, summary: str) -> ApprovalRequest:
        """Hold a recorded run for chat approvers (the core's request, stored with the run)."""
        settings = self.config.chatops
        return hold_for_approval(
            self._runner(requester),
            HoldRequest(
                run_id=run_id,
                requester=requester,
                route=ApprovalRoute.CHAT,
                approvers=settings.approvers,
                four_eyes=settings.four_eyes,
                ttl_seconds=settings.approval_ttl.total_seconds(),
                summary=summary,
            ),
            now=self.clock(),
        )

    def _ask(
        self,
        kind: RequestKind,
        approval: ApprovalRequest,
        requester: ChatActor,
        *,
        head: str,
        parts: list[Part],
        channel_id: str | None = None,
    ) -> ChatReply:
        channel = channel_id or requester.channel_id or ""
        request = self.requests.create(kind, approval, requester, channel, summary=head)
        self._audit_request("chatops.requested", request, requester)
        return ChatReply(content.approval_message(request, parts, head=head), request)

    def request_for_run(
        self, run_id: str, channel_id: str, *, requester: ChatActor | None = None
    ) -> ChatReply:
        """Ask chat to approve a run already planned or held (e.g. by the watch worker).

        The run is (re-)held for the chat approvers of the config: chat never lets
        "anyone" approve, whatever route held it before.
        """
        record = self.runs.load_run(run_id)
        if record.status not in APPLICABLE_STATUSES:
            raise NetmendError(f"run {run_id} is {record.status.value}, not a plan to approve")
        held = load_request(self.runs, run_id)
        asker = held.requester if held is not None else (record.meta.requester or "netmend")
        who = requester or ChatActor(user_id=asker, channel_id=channel_id)
        flow = record.plan.flow
        head = f"*Held run* `{run_id}`" + (f": {flow.service}" if flow else "")
        approval = self._hold(run_id, who.user_id, head)
        return self._ask(
            RequestKind.FIX,
            approval,
            who,
            head=head,
            parts=content.plan_parts(record.plan, self.config.policy),
            channel_id=channel_id,
        )

    def _ask_rollback(self, command: RollbackCommand, actor: ChatActor) -> ChatReply:
        # Unknown id: BadInputError; a run still active: NetmendError.
        previewed = preview_rollback(
            RollbackRequest(run_id=command.run_id), workspace=self.workspace
        )
        preview, status = previewed.plan, previewed.status.value
        parts: list[Part] = (
            content.plan_parts(preview, self.config.policy)
            if preview.changes
            else [Context(f"nothing to restore (the run is {status})")]
        )
        settings = self.config.chatops
        head = f"*Rollback* of run `{command.run_id}` ({status})"
        # The same rules as a fix; the request lives with the chat request only, since the
        # run's own stored request is the one its apply was decided on.
        approval = request_for(
            preview,
            requester=actor.user_id,
            route=ApprovalRoute.CHAT,
            approvers=settings.approvers,
            four_eyes=settings.four_eyes,
            ttl=settings.approval_ttl,
            summary=head,
            now=self.clock(),
        )
        return self._ask(RequestKind.ROLLBACK, approval, actor, head=head, parts=parts)

    # -- clicks --------------------------------------------------------------------------

    def click(self, request_id: str, actor: ChatActor, *, approve: bool) -> ClickReply:
        """Decide a pending request from a button; refusals are audited like decisions."""
        try:
            request = self.requests.load(request_id)
        except NetmendError as error:
            return self._refuse(None, actor, Verdict(DecisionOutcome.REFUSED, str(error)))
        verdict = judge_click(
            request,
            actor,
            approve=approve,
            settings=self.config.chatops,
            members=self.members,
            now=self.clock(),
        )
        if not verdict.final:
            return self._refuse(request, actor, verdict)
        state = {
            DecisionOutcome.APPROVED: RequestState.APPROVED,
            DecisionOutcome.REJECTED: RequestState.REJECTED,
        }.get(verdict.outcome, RequestState.EXPIRED)
        reason = "" if state is RequestState.APPROVED else verdict.reason
        if state is RequestState.APPROVED and request.kind is RequestKind.FIX:
            # The core refuses these too when applying; say so on the message at once.
            violations = never_violations(self.config.policy, self.runs.read_plan(request.run_id))
            if violations:
                state, reason = (
                    RequestState.REFUSED,
                    "never allowed by policy: " + "; ".join(violations),
                )
        try:
            decided = self.requests.decide(
                request.request_id, state, actor, reason, now=self.clock()
            )
        except AlreadyDecidedError as raced:  # another click won the race
            done = raced.request.state.value
            return self._refuse(
                raced.request, actor, Verdict(DecisionOutcome.REFUSED, f"already {done}")
            )
        outcome = DecisionOutcome.REFUSED if state is RequestState.REFUSED else verdict.outcome
        self._audit_decision(decided, actor, outcome, reason or verdict.reason)
        reply = ClickReply(
            outcome, reason or verdict.reason, decided, stamp=content.stamp_part(decided)
        )
        if state is RequestState.APPROVED:
            return replace(reply, work=lambda: self._carry_out(decided, actor, verdict))
        # Rejected, expired or refused: the core ends the held run (nothing is written).
        self._carry_out(decided, actor, verdict)
        return reply

    def _carry_out(self, request: ChatRequest, actor: ChatActor, verdict: Verdict) -> ChatMessage:
        """Hand the decision to the core: apply (or roll back), or end the held run."""
        context = {
            "slack_user": actor.user_id,
            "slack_team": actor.team_id or "",
            "slack_channel": actor.channel_id or "",
            "chat_request": request.request_id,
        }
        try:
            if request.kind is RequestKind.FIX:
                answered = answer_approval(
                    self._runner(request.requester.label),
                    self.config.policy,
                    ApprovalAnswer(
                        run_id=request.run_id,
                        who=actor.user_id,
                        approve=verdict.outcome is DecisionOutcome.APPROVED,
                        member_of=verdict.member_of,
                        reason=verdict.reason,
                        context=context,
                    ),
                    verify_method=self.verify_method,
                    now=self.clock(),
                )
                if answered.result is None:
                    return content.text_message(f"not applied: {answered.decision.reason}")
                return content.result_message(answered.result, what="Fix")
            assert verdict.decision is not None  # final verdicts carry the core's decision
            if not verdict.decision.approved:
                plan = self.runs.read_plan(request.run_id)
                record_decision(
                    self.audit,
                    plan,
                    verdict.decision,
                    requester=request.approval.requester,
                    context=context,
                )
                return content.text_message(f"rollback {verdict.outcome.value}")
            result = rollback_run(
                RollbackRequest(run_id=request.run_id),
                workspace=self.workspace,
                approver=DecisionApprover(verdict.decision),
                requester=request.requester.label,
            )
            return content.result_message(result, what="Rollback")
        except NetmendError as error:
            return content.text_message(f"netmend: error: {error}")

    def _refuse(
        self, request: ChatRequest | None, actor: ChatActor, verdict: Verdict
    ) -> ClickReply:
        """A click that decides nothing: told to the clicker, recorded, request unchanged."""
        self._audit_decision(request, actor, verdict.outcome, verdict.reason, refused=True)
        if request is not None and request.kind is RequestKind.FIX and verdict.decision:
            # The core's trail gets the unauthorised answer too (it changes nothing).
            self._carry_out(request, actor, verdict)
        return ClickReply(
            verdict.outcome,
            verdict.reason,
            request,
            notice=f"Not done ({verdict.outcome.value}): {verdict.reason}",
        )

    # -- audit ---------------------------------------------------------------------------

    def _audit_actor(self, event: str, actor: ChatActor, **fields: object) -> None:
        self.audit.record(
            event,
            slack_user=actor.user_id,
            slack_team=actor.team_id,
            slack_channel=actor.channel_id,
            **fields,
        )

    def _audit_request(self, event: str, request: ChatRequest, actor: ChatActor) -> None:
        self._audit_actor(
            event,
            actor,
            request_id=request.request_id,
            kind=request.kind.value,
            run_id=request.run_id,
            expires_at=request.expires_at.isoformat() if request.expires_at else None,
        )

    def _audit_decision(
        self,
        request: ChatRequest | None,
        actor: ChatActor,
        outcome: DecisionOutcome,
        reason: str,
        *,
        refused: bool = False,
    ) -> None:
        log.info(
            "chat decision",
            outcome=outcome.value,
            user=actor.user_id,
            request=request.request_id if request else None,
        )
        self._audit_actor(
            "chatops.decision",
            actor,
            request_id=request.request_id if request else None,
            kind=request.kind.value if request else None,
            run_id=request.run_id if request else None,
            requester=request.requester.user_id if request else None,
            outcome=outcome.value,
            refused=refused,
            reason=reason,
        )
