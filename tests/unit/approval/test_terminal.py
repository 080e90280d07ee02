"""TerminalApprover and YesApprover: who approves, and never hanging without a terminal."""

from __future__ import annotations

import getpass
import io

import pytest
from rich.console import Console

from netmend.approval import NO_TERMINAL_MESSAGE, DecisionOutcome, TerminalApprover, YesApprover
from netmend.approval.yes import invoking_user

from .plans import authorize, plan_of


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
