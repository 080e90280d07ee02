"""The content of netmend's chat messages: diagnosis, plan, decision stamps, results.

Adapter-neutral (see ``messages``). Ids are always written in full: an approver must see
exactly which group, ACL or interface a change touches.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from netmend.app.diagnosis import Diagnosis
from netmend.app.runs import RunRow
from netmend.approval import Policy
from netmend.chatops.commands import USAGE
from netmend.chatops.messages import (
    APPROVE,
    REJECT,
    Action,
    ChatMessage,
    Context,
    Fields,
    Part,
    Preformatted,
    Section,
)
from netmend.chatops.requests import ChatRequest, RequestKind, RequestState
from netmend.render.diff import plan_to_text
from netmend.run.plan import Change, ChangeKind, Plan
from netmend.run.result import RunResult

__all__ = [
    "DIFF_LIMIT",
    "approval_message",
    "diagnosis_parts",
    "help_message",
    "plan_parts",
    "result_message",
    "runs_message",
    "stamp_part",
    "text_message",
]

# Chat platforms cap a block's text (Slack: 3000 characters); longer diffs are cut with a
# pointer to the full one.
DIFF_LIMIT = 2800
_RISKY = (
    ChangeKind.REVOCATION,
    ChangeKind.WIDENING,
    ChangeKind.ENI_GROUPS,
    ChangeKind.DENY_OVERRIDE,
)


def _who(user_id: str) -> str:
    """A chat user as a mention; anything else (``netmend-watch``, a login) as code."""
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id) else f"`{user_id}`"


def text_message(text: str) -> ChatMessage:
    return ChatMessage(summary=text, parts=(Section(text),))


def help_message() -> ChatMessage:
    lines = "\n".join(f"`/netmend {usage}`" for usage in USAGE.values())
    return ChatMessage(
        summary="netmend commands",
        parts=(
            Section("*netmend*: why is traffic dropped inside AWS, and a safe fix.\n" + lines),
            Context("PROTO/PORT: tcp/443, udp/53, icmp, icmp/TYPE[/CODE], all"),
        ),
    )


def diagnosis_parts(found: Diagnosis) -> list[Part]:
    flow = found.evaluation.flow
    head = f"{flow.service} from `{flow.source.label}` to `{flow.destination.label}`"
    if found.reachable:
        return [Section(f":white_check_mark: {head} is *reachable*")]
    parts: list[Part] = [Section(f":no_entry: {head} is *blocked*")]
    where = [
        f"• `{e.code}` at `{e.component}`" + (f" ({e.direction.value})" if e.direction else "")
        for e in found.evaluation.explanations
    ]
    if where:
        parts.append(Section("*Where*\n" + "\n".join(where)))
    causes = [f"• `{c.playbook}` on `{c.resource}`: {c.summary}" for c in found.causes]
    if causes:
        parts.append(Section("*Root causes*\n" + "\n".join(causes)))
    return parts


def _risky(change: Change) -> bool:
    """Changes that take access away or widen it: the ones an approver must read."""
    return bool(set(change.kinds) & set(_RISKY)) or bool(change.warnings)


def plan_parts(plan: Plan, policy: Policy) -> list[Part]:
    count = len(plan.changes)
    kinds = Counter(k.value for c in plan.changes for k in c.kinds)
    by_kind = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "unclassified"
    parts: list[Part] = [
        Section(
            f"*Plan* `{plan.run_id}`: {count} change{'s' * (count != 1)} ({by_kind})"
            + (f", change `{plan.change_id}`" if plan.change_id else "")
        )
    ]
    lines = []
    for number, change in enumerate(plan.changes, 1):
        mark = ":warning: " if _risky(change) else ""
        kind = "/".join(k.value for k in change.kinds) or "unclassified"
        lines.append(
            f"{number}. {mark}`{change.api}` on `{change.resource}` [{kind}]: {change.summary}"
        )
        lines.extend(f"    :warning: {warning}" for warning in change.warnings)
    if lines:
        parts.append(Section("\n".join(lines)))
    needs_person = sum(1 for c in plan.changes if policy.needs_person(c))
    if needs_person:
        parts.append(Context(f"policy: {needs_person} of {count} change(s) need a person"))
    diff = plan_to_text(plan, "table", width=96)
    if len(diff) > DIFF_LIMIT:
        diff = diff[:DIFF_LIMIT] + f"\n… cut; the whole diff: netmend runs show {plan.run_id}"
        # The notes (e.g. "would still be blocked") must survive the cut.
        parts.extend(Context(note) for note in plan.notes)
    parts.append(Preformatted(diff))
    return parts


def approval_message(
    request: ChatRequest, plan_or_parts: Sequence[Part], *, head: str
) -> ChatMessage:
    """A message asking for approval: the content, who asked, until when, two buttons."""
    verb = "Apply" if request.kind is RequestKind.FIX else "Roll back"
    return ChatMessage(
        summary=f"{head}: approval needed for {request.kind.value} of run {request.run_id}",
        parts=(
            Section(head),
            *plan_or_parts,
            Context(
                f"Requested by {_who(request.requester.user_id)}; "
                + (
                    f"expires {request.expires_at:%Y-%m-%d %H:%M} UTC; "
                    if request.expires_at
                    else ""
                )
                + f"request `{request.request_id}`"
            ),
        ),
        actions=(
            Action(APPROVE, f"{verb} (approve)", request.request_id),
            Action(REJECT, "Reject", request.request_id),
        ),
    )


_ICON = {
    RequestState.APPROVED: ":white_check_mark:",
    RequestState.REJECTED: ":x:",
    RequestState.EXPIRED: ":hourglass:",
    RequestState.REFUSED: ":no_entry:",
}


def stamp_part(request: ChatRequest, at: datetime | None = None) -> Part:
    """The decision stamped on the request's message: what, who, when."""
    when = request.decided_at or at
    who = f" by <@{request.decided_by.user_id}>" if request.decided_by else ""
    shown = f" at {when:%Y-%m-%d %H:%M:%S} UTC" if when else ""
    reason = f": {request.reason}" if request.reason else ""
    return Section(
        f"{_ICON.get(request.state, '')} *{request.state.value.capitalize()}*{who}{shown}{reason}"
    )


def result_message(result: RunResult, *, what: str) -> ChatMessage:
    status = result.status.value
    fields: list[tuple[str, str]] = [("Run", f"`{result.run_id}`"), ("Status", f"*{status}*")]
    if result.verification is not None:
        reach = result.verification.reachable
        shown = {True: "yes", False: "no"}.get(reach, "?") if reach is not None else "?"
        fields.append(("Verified", f"{result.verification.method}: reachable={shown}"))
    calls = [f"• `{c.api}` on `{c.resource}`: {c.outcome or 'not run'}" for c in result.changes]
    parts: list[Part] = [Section(f"*{what}*: {result.message}"), Fields(tuple(fields))]
    if calls:
        parts.append(Section("\n".join(calls)))
    return ChatMessage(summary=f"{what}: run {result.run_id} {status}", parts=tuple(parts))


def _started(row: RunRow) -> str:
    if row.started_at is None:
        return "?"
    return f"{datetime.fromisoformat(row.started_at).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def runs_message(runs: Sequence[RunRow], limit: int = 15) -> ChatMessage:
    if not runs:
        return text_message("no runs recorded yet")
    lines = [
        f"• `{r.run_id}` *{r.status}* {r.playbook or '-'} {_started(r)}"
        + (f" by {r.requester}" if r.requester else "")
        for r in runs[:limit]
    ]
    more = len(runs) - limit
    parts: list[Part] = [Section("*Runs*, newest first\n" + "\n".join(lines))]
    if more > 0:
        parts.append(Context(f"{more} older run(s): netmend runs list"))
    return ChatMessage(summary=f"{len(runs)} runs", parts=tuple(parts))
