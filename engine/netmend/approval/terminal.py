"""Ask the person at the terminal: show the diff, then a y/N question.

The diff is shown once: when the caller has printed it already (``fix`` does),
``show_diff=False`` prints only the compact summary beside the question, so the
warnings do not scroll away. Enter takes the shown default (no).
Without a terminal (CI, a pipe, cron) there is no one to ask, so it refuses at once;
waiting on a stdin nobody will ever write to would hang the run forever.
"""

from __future__ import annotations

import sys
from typing import TextIO, cast

from rich.console import Console
from rich.prompt import Confirm

from netmend.approval.decision import Decision, DecisionOutcome
from netmend.approval.request import ApprovalRoute, request_for
from netmend.approval.summary import prompt_summary
from netmend.approval.yes import invoking_user
from netmend.run.plan import Plan

__all__ = ["NO_TERMINAL_MESSAGE", "TerminalApprover"]

NO_TERMINAL_MESSAGE = "no terminal to ask for approval: re-run with --yes, or use a policy"


class _Lines:
    """stdin for rich's prompt: a line without its newline, so that Enter alone is the
    empty answer (the default) rather than "\\n", which rich rejects as not y or n."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def readline(self) -> str:
        line = self._stream.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")


class TerminalApprover:
    def __init__(
        self,
        *,
        console: Console | None = None,
        stdin: TextIO | None = None,
        user: str | None = None,
        show_diff: bool = True,
    ) -> None:
        self._console = console
        self._stdin = stdin
        self.user = user
        self.show_diff = show_diff

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        stdin = self._stdin if self._stdin is not None else sys.stdin
        user = self.user or invoking_user()
        if stdin is None or stdin.closed or not stdin.isatty():
            return Decision(
                outcome=DecisionOutcome.REFUSED, approver=user, reason=NO_TERMINAL_MESSAGE
            )
        console = self._console or Console(file=sys.stderr)
        if self.show_diff:
            console.print(rendered_diff, markup=False, highlight=False)
        console.print(prompt_summary(plan))
        count = len(plan.changes)
        question = f"Apply {count} change{'s' * (count != 1)} (run {plan.run_id})?"
        try:
            yes = Confirm.ask(
                question, default=False, console=console, stream=cast(TextIO, _Lines(stdin))
            )
        except (EOFError, KeyboardInterrupt):
            yes = False
        # The person at the terminal answers the same kind of request a chat button does.
        request = request_for(plan, requester=user, route=ApprovalRoute.TERMINAL)
        return request.decide(
            user,
            approve=yes,
            reason="approved at the terminal" if yes else "rejected at the terminal",
        )
