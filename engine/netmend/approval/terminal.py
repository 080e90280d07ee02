"""Ask the person at the terminal: show the diff, then a y/N question.

Without a terminal (CI, a pipe, cron) there is no one to ask, so it refuses at once;
waiting on a stdin nobody will ever write to would hang the run forever.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.prompt import Confirm

from netmend.approval.decision import Decision, DecisionOutcome
from netmend.approval.request import ApprovalRoute, request_for
from netmend.approval.yes import invoking_user
from netmend.run.plan import Plan

__all__ = ["NO_TERMINAL_MESSAGE", "TerminalApprover"]

NO_TERMINAL_MESSAGE = "no terminal to ask for approval: re-run with --yes, or use a policy"


class TerminalApprover:
    def __init__(
        self,
        *,
        console: Console | None = None,
        stdin: TextIO | None = None,
        user: str | None = None,
    ) -> None:
        self._console = console
        self._stdin = stdin
        self.user = user

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        stdin = self._stdin if self._stdin is not None else sys.stdin
        user = self.user or invoking_user()
        if stdin is None or stdin.closed or not stdin.isatty():
            return Decision(
                outcome=DecisionOutcome.REFUSED, approver=user, reason=NO_TERMINAL_MESSAGE
            )
        console = self._console or Console(file=sys.stderr)
        console.print(rendered_diff, markup=False, highlight=False)
        count = len(plan.changes)
        question = f"Apply {count} change{'s' * (count != 1)} (run {plan.run_id})?"
        try:
            yes = Confirm.ask(question, default=False, console=console, stream=stdin)
        except (EOFError, KeyboardInterrupt):
            yes = False
        # The person at the terminal answers the same kind of request a chat button does.
        request = request_for(plan, requester=user, route=ApprovalRoute.TERMINAL)
        return request.decide(
            user,
            approve=yes,
            reason="approved at the terminal" if yes else "rejected at the terminal",
        )
