"""`netmend demo`: every sandbox estate is diagnosed, fixed, verified and rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.balanced import LB_TARGET_BLOCKED
from netmend.demo.estates import HEALTHY, ROOT_CAUSES
from tests.cli_runner import run_cli

pytestmark = pytest.mark.integration


def test_demo_runs_every_estate_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten estates (the runbook's eight, unhealthy load-balancer targets, a healthy one);
    each broken one detected, fixed, verified and restored exactly."""
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path / "state"))
    result = run_cli("demo", "--output", "json")
    assert result.exit_code == 0, result.stdout[-2000:]
    document = result.json()
    assert document["failures"] == 0
    by_cause = {e["root_cause"]: e for e in document["estates"]}
    assert set(by_cause) == {*ROOT_CAUSES, LB_TARGET_BLOCKED, HEALTHY}
    for cause in (*ROOT_CAUSES, LB_TARGET_BLOCKED):
        estate = by_cause[cause]
        assert estate["detected"], estate
        assert cause in estate["root_causes"]
        assert estate["blocked_at"] == estate["expected_component"]
        assert estate["fix"]["status"] == "applied"
        assert estate["fix"]["verified"] is True
        assert estate["rollback"] == {"status": "rolled_back", "restored": True}
        assert estate["inventory"]["instances"] == 2
    healthy = by_cause[HEALTHY]
    assert healthy["reachable"] is True
    assert healthy["fix"]["status"] == "nothing_to_do"
    # It ends with the hygiene scan of its estates (each finding once), which sees the
    # quota estate's full group and its redundant rules.
    scanned = {(f["playbook"], f["resource"]) for f in document["scan"]["findings"]}
    assert len(scanned) == len(document["scan"]["findings"])
    assert {"rule-quota-near-limit", "redundant-rule", "default-sg-in-use"} <= {
        playbook for playbook, _ in scanned
    }
    # The ALB's group is in use (DescribeLoadBalancers names it), ENIs or not.
    assert not [
        f
        for f in document["scan"]["findings"]
        if f["playbook"] == "unused-security-group" and "shop-alb-sg" in f["summary"]
    ]
    # The demo keeps its runs in a temporary folder, never the user's state dir.
    assert not (tmp_path / "state").exists()
