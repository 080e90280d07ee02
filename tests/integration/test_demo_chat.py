"""`netmend demo --chat`: the Slack story against the fake Slack, every step as expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import run_cli

pytestmark = pytest.mark.integration


def test_chat_demo_tells_the_whole_approval_story(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refusals (unlisted, four eyes), a group member's approval, a 401 replay, a rollback."""
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path / "state"))
    result = run_cli("demo", "--chat", "--output", "json")
    assert result.exit_code == 0, result.stdout[-2000:]
    document = result.json()
    assert document["ok"] is True
    assert [s["ok"] for s in document["steps"]] == [True] * 7
    assert [(d["slack_user"], d["outcome"]) for d in document["decisions"]] == [
        ("U0MALLORY", "unauthorised"),
        ("U0ALICE", "unauthorised"),
        ("U0CAROL", "approved"),
        ("U0BOB", "approved"),
    ]
    assert "HTTP 401" in document["steps"][4]["slack_saw"]
    assert not (tmp_path / "state").exists()  # the demo keeps its runs to itself
