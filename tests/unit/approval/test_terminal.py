"""TerminalApprover and YesApprover: who approves, and never hanging without a terminal."""

from __future__ import annotations

import getpass
import io

import pytest
from rich.console import Console

from netmend.approval import NO_TERMINAL_MESSAGE, DecisionOutcome, TerminalApprover, YesApprover
from netmend.approval.yes import invoking_user

from .plans import authorize, plan_of, revoke


class FakeTty(io.StringIO):
    """A stdin that claims to be a terminal and holds the person's answer."""

    def isatty(self) -> bool:
        return True


def test_refuses_at_once_without_a_terminal() -> None:
    """stdin that is not a terminal: refused immediately, with the --yes/policy hint."""
    out = io.StringIO()
    approver = TerminalApprover(console=Console(file=out), stdin=io.StringIO("y\n"), user="bob")
    decision = approver.decide(plan_of(authorize()), "THE DIFF")
    assert decision.outcome is DecisionOutcome.REFUSED
    assert decision.reason == NO_TERMINAL_MESSAGE
    assert "--yes" in decision.reason
    assert "THE DIFF" not in out.getvalue()  # nobody to show it to


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("y\n", DecisionOutcome.APPROVED),
        ("\n", DecisionOutcome.REJECTED),
        ("n\n", DecisionOutcome.REJECTED),
        ("", DecisionOutcome.REJECTED),
    ],
)
def test_asks_y_n_with_no_as_default(answer: str, outcome: DecisionOutcome) -> None:
    """On a terminal the diff is shown and only an explicit y approves (default No, EOF no)."""
    out = io.StringIO()
    approver = TerminalApprover(
        console=Console(file=out, width=120), stdin=FakeTty(answer), user="bob"
    )
    decision = approver.decide(plan_of(authorize()), "THE DIFF")
    assert decision.outcome is outcome
    assert decision.approver == "bob"
    assert "THE DIFF" in out.getvalue()
    assert "Apply 1 change" in out.getvalue()


def test_yes_approver_names_the_invoking_user() -> None:
    """--yes approves on behalf of the user running netmend."""
    decision = YesApprover().decide(plan_of(authorize()), "")
    assert decision.approved
    assert decision.approver == invoking_user()


def test_invoking_user_falls_back_to_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a passwd entry getpass fails; $USER names the user instead."""

    def no_user() -> str:
        raise OSError("no passwd entry")

    monkeypatch.setattr(getpass, "getuser", no_user)
    monkeypatch.setenv("USER", "dana")
    assert invoking_user() == "dana"


def test_enter_alone_takes_the_default_without_complaint() -> None:
    """Enter at `[y/n] (n):` is the shown default (no), not "Please enter Y or N"."""
    out = io.StringIO()
    approver = TerminalApprover(console=Console(file=out), stdin=FakeTty("\n"), user="bob")
    decision = approver.decide(plan_of(authorize()), "THE DIFF")
    assert decision.outcome is DecisionOutcome.REJECTED
    assert "Please enter" not in out.getvalue()


def test_the_diff_is_shown_once_and_the_summary_beside_the_question() -> None:
    """With the diff already printed (show_diff=False) only the summary precedes the
    question: every revocation with its full ids, at 80 columns, no "…"."""
    out = io.StringIO()
    approver = TerminalApprover(
        console=Console(file=out, width=80), stdin=FakeTty("y\n"), user="bob", show_diff=False
    )
    plan = plan_of(authorize(), revoke())
    decision = approver.decide(plan, "THE DIFF")
    text = out.getvalue()
    assert decision.approved
    assert "THE DIFF" not in text
    assert "2 changes on 1 resource" in text
    revocation = plan.changes[1]
    assert f"[revocation] {revocation.api} {revocation.resource}" in text
    assert "…" not in text
    assert text.index("Summary") < text.index("Apply 2 changes")
