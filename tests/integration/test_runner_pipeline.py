"""The run pipeline on a real moto server: dry run, apply, failures, kill -9, drift, locks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from runner_estate import Estate, WriteCounter, build_estate, three_change_plan

from netmend.approval import Decision, DecisionOutcome, TerminalApprover, YesApprover
from netmend.audit import AuditLog
from netmend.aws.mutations import read_resources
from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, BadInputError, NetmendError
from netmend.run.plan import Plan
from netmend.run.restore import differences
from netmend.run.result import Verification
from netmend.run.runner import Runner
from netmend.store import RunStatus, RunStore

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("runner_child.py")


class Setup:
    def __init__(self, aws: Any, tmp_path: Path) -> None:
        self.aws = aws
        self.clients: AwsClients = aws.clients()
        self.estate: Estate = build_estate(aws.ec2)
        self.state_dir = tmp_path / "state"
        self.store = RunStore(self.state_dir)
        self.audit = AuditLog(self.state_dir / "audit.jsonl")
        self.writes = WriteCounter(self.clients.ec2)

    def runner(self, approver: Any = None) -> Runner:
        return Runner(
            self.clients,
            self.store,
            approver or YesApprover("alice"),
            self.audit,
            requester="alice",
        )

    def plan(self, **kwargs: Any) -> Plan:
        return three_change_plan(self.clients, self.estate, **kwargs)

    def live(self, plan: Plan) -> dict[str, Any]:
        return read_resources(self.clients, plan.resources)


@pytest.fixture
def setup(aws: Any, tmp_path: Path) -> Setup:
    return Setup(aws, tmp_path)


def _equal_to_snapshot(setup: Setup, run_id: str) -> None:
    snapshot = setup.store.read_snapshot(run_id)
    assert snapshot is not None
    live = read_resources(setup.clients, snapshot.resources)
    for rid, saved in snapshot.resources.items():
        assert differences(live.get(rid), saved) == [], rid


def test_dry_run_makes_no_write_call(setup: Setup) -> None:
    """Without apply the plan is stored as planned and not one write call is sent."""
    plan = setup.plan()
    result = setup.runner().execute(plan, apply=False)
    assert result.status is RunStatus.PLANNED
    assert setup.writes.calls == []
    record = setup.store.load_run(plan.run_id)
    assert record.status is RunStatus.PLANNED
    assert record.snapshot is None
    assert record.journal == ()
    assert [c.api for c in result.changes] == [c.api for c in plan.changes]
    assert all(c.outcome is None for c in result.changes)


def test_apply_succeeds_is_journalled_and_verified(setup: Setup) -> None:
    """Apply writes the three calls in order, journals each, verifies and reports applied."""
    plan = setup.plan()
    result = setup.runner().execute(plan, apply=True)
    assert result.status is RunStatus.APPLIED, result.message
    assert setup.writes.calls == [
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
    ]
    assert result.verification is not None
    assert result.verification.method == "local"
    assert result.verification.reachable is True
    assert result.verification.passed
    record = setup.store.load_run(plan.run_id)
    assert record.status is RunStatus.APPLIED
    assert [(e.event, e.step, e.outcome) for e in record.journal] == [
        ("intent", 0, None),
        ("outcome", 0, "ok"),
        ("intent", 1, None),
        ("outcome", 1, "ok"),
        ("intent", 2, None),
        ("outcome", 2, "ok"),
    ]
    assert record.journal[0].params == plan.changes[0].params
    # The snapshot is the estate before the first write.
    assert record.snapshot is not None
    for rid, saved in record.snapshot.resources.items():
        planned_before = plan.before(rid)
        assert planned_before is not None
        assert differences(saved, planned_before) == []
    live = setup.live(plan)
    for rid in plan.resources:
        after = plan.after(rid)
        assert after is not None
        assert differences(live[rid], after) == []
    events = [e["event"] for e in setup.audit.entries()]
    assert events.count("aws.write") == 3
    assert "approval" in events
    assert events[-1] == "run.applied"
    approval = next(e for e in setup.audit.entries() if e["event"] == "approval")
    assert approval["approver"] == "alice"
    assert approval["change_id"] == "CHG-1001"
    assert not list((setup.state_dir / "locks").iterdir())
    assert (
        json.loads((setup.state_dir / "runs" / plan.run_id / "result.json").read_text())["status"]
        == "applied"
    )


def test_failure_on_second_write_restores_the_snapshot(setup: Setup) -> None:
    """An AWS error on the 2nd of 3 writes rolls back the 1st; live equals the snapshot."""
    plan = setup.plan()
    seen: list[str] = []

    def fail_second(model: Any, **_: Any) -> Any:
        seen.append(model.name)
        if len(seen) == 2:
            return (
                types.SimpleNamespace(status_code=400, headers={}),
                {
                    "Error": {"Code": "InvalidPermission.Malformed", "Message": "injected"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
            )
        return None

    setup.clients.ec2.meta.events.register(
        "before-call.ec2.AuthorizeSecurityGroupIngress", fail_second
    )
    result = setup.runner().execute(plan, apply=True)
    assert result.status is RunStatus.ROLLED_BACK
    assert "InvalidPermission.Malformed" in result.message
    assert [c.outcome for c in result.changes] == ["ok", "failed", "not-run"]
    assert result.rollback is not None
    assert [c.api for c in result.rollback.calls] == ["RevokeSecurityGroupIngress"]
    assert result.rollback.differences == ()
    _equal_to_snapshot(setup, plan.run_id)
    assert "AuthorizeSecurityGroupEgress" not in setup.writes.calls
    phases = [(e.phase, e.event, e.outcome) for e in setup.store.read_journal(plan.run_id)]
    assert phases[:4] == [
        ("apply", "intent", None),
        ("apply", "outcome", "ok"),
        ("apply", "intent", None),
        ("apply", "outcome", "failed"),
    ]
    assert phases[4:] == [("rollback", "intent", None), ("rollback", "outcome", "ok")]
    assert setup.store.load_run(plan.run_id).status is RunStatus.ROLLED_BACK


def test_failed_verification_rolls_back(setup: Setup) -> None:
    """A plan that opens the wrong ports leaves the flow blocked: verify fails, rollback."""
    plan = setup.plan(ports=(8080, 8081, 8443))
    result = setup.runner().execute(plan, apply=True)
    assert result.status is RunStatus.ROLLED_BACK
    assert result.verification is not None
    assert result.verification.reachable is False
    assert not result.verification.passed
    assert "still blocked" in result.message
    assert len(setup.writes.calls) == 3 + 3  # three applied, three revoked
    _equal_to_snapshot(setup, plan.run_id)
    events = [e["event"] for e in setup.audit.entries() if e["event"].startswith("run.")]
    assert events == ["run.recorded", "run.applying", "run.verify_failed", "run.rolled_back"]
    # One event for the end of the run, written once: its message and its restore calls.
    (ended,) = [e for e in setup.audit.entries() if e["event"] == "run.rolled_back"]
    assert ended["calls"] == 3
    assert ended["message"] == result.message
    assert setup.store.read_meta(plan.run_id).message == result.message


def test_killed_between_two_writes_then_rollback(setup: Setup, tmp_path: Path) -> None:
    """kill -9 between writes: listed as interrupted; rollback restores the snapshot."""
    plan = setup.plan()
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    ready = tmp_path / "ready"
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and test script
        [
            sys.executable,
            str(CHILD),
            setup.aws.endpoint_url,
            setup.aws.region,
            str(setup.state_dir),
            str(plan_file),
            str(ready),
        ],
        env=dict(os.environ),
    )
    try:
        for _ in range(600):  # a guard against a child that never gets there, not a timing test
            if ready.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists(), f"child exited with {child.returncode} before its second write"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    (summary,) = setup.store.list_runs()
    assert summary.status is RunStatus.INTERRUPTED
    assert summary.recorded_status is RunStatus.APPLYING
    journal = setup.store.read_journal(plan.run_id)
    assert [(e.step, e.event) for e in journal] == [(0, "intent"), (0, "outcome"), (1, "intent")]
    live = setup.live(plan)
    assert differences(live[setup.estate.inventory_sg], plan.before(setup.estate.inventory_sg))

    result = setup.runner().rollback(plan.run_id)
    assert result.status is RunStatus.ROLLED_BACK
    assert [c.api for c in result.changes] == ["RevokeSecurityGroupIngress"]
    _equal_to_snapshot(setup, plan.run_id)
    assert setup.store.list_runs()[0].status is RunStatus.ROLLED_BACK
    # Idempotent: a second rollback finds nothing left to restore.
    again = setup.runner().rollback(plan.run_id)
    assert again.status is RunStatus.ROLLED_BACK
    assert again.changes == ()


def test_drift_stops_the_run_without_writing(setup: Setup) -> None:
    """A group changed after planning: refused with a drift message, nothing written."""
    plan = setup.plan()
    setup.aws.ec2.authorize_security_group_ingress(
        GroupId=setup.estate.inventory_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
        ],
    )
    result = setup.runner().execute(plan, apply=True)
    assert result.status is RunStatus.REFUSED
    assert result.message.startswith("drift:")
    assert "inbound tcp 22 from 10.0.0.0/8 is extra" in result.message
    assert setup.writes.calls == []
    record = setup.store.load_run(plan.run_id)
    assert record.snapshot is None
    assert record.journal == ()


def test_locked_resource_refuses_a_second_run(setup: Setup) -> None:
    """While another live run holds a touched resource, the run is refused unwritten."""
    plan = setup.plan()
    with setup.store.lock([setup.estate.shop_sg], "20260101T000000Z-otherrun"):
        result = setup.runner().execute(plan, apply=True)
    assert result.status is RunStatus.REFUSED
    assert result.message.startswith("locked:")
    assert "20260101T000000Z-otherrun" in result.message
    assert setup.writes.calls == []


def test_no_terminal_refuses_and_writes_nothing(setup: Setup) -> None:
    """Apply without a terminal and without --yes is refused; the audit records it."""
    plan = setup.plan()
    with open(os.devnull) as devnull:
        approver = TerminalApprover(stdin=devnull, user="bob")
        result = setup.runner(approver).execute(plan, apply=True)
    assert result.status is RunStatus.REFUSED
    assert "no terminal" in result.message
    assert setup.writes.calls == []
    approval = next(e for e in setup.audit.entries() if e["event"] == "approval")
    assert approval["outcome"] == "refused"


def test_empty_plan_is_nothing_to_do(setup: Setup) -> None:
    """An empty plan (the estate already holds the fix) ends as nothing_to_do, unwritten."""
    plan = Plan(playbooks=("missing-ingress",))
    result = setup.runner().execute(plan, apply=True)
    assert result.status is RunStatus.NOTHING_TO_DO
    assert setup.writes.calls == []


def test_unknown_run_id_is_bad_input(setup: Setup) -> None:
    """rollback of an id the store does not know raises BadInputError (exit 2)."""
    with pytest.raises(BadInputError, match="unknown run"):
        setup.runner().rollback("20990101T000000Z-nothere")


def test_rollback_of_a_run_that_never_wrote_keeps_its_status(setup: Setup) -> None:
    """A dry run stays `planned` and a refused run `refused` (issue 11, item 3): rollback
    says there is nothing to undo and makes no AWS write."""
    plan = setup.plan()
    setup.runner().execute(plan, apply=False)
    result = setup.runner().rollback(plan.run_id)
    assert result.status is RunStatus.PLANNED
    assert result.nothing_to_undo
    assert "nothing to undo" in result.message
    assert setup.store.load_run(plan.run_id).status is RunStatus.PLANNED

    refused = setup.plan()
    with setup.store.lock([setup.estate.shop_sg], "20260101T000000Z-otherrun"):
        assert setup.runner().execute(refused, apply=True).status is RunStatus.REFUSED
    again = setup.runner().rollback(refused.run_id)
    assert (again.status, again.nothing_to_undo) == (RunStatus.REFUSED, True)
    assert setup.store.load_run(refused.run_id).status is RunStatus.REFUSED
    assert setup.writes.calls == []


def test_rollback_refused_when_a_newer_run_changed_the_same_group(setup: Setup) -> None:
    """Rolling back an older run would undo a newer one too: refused unless forced."""
    older = setup.plan()
    first = setup.runner().execute(older, apply=True)
    assert first.status is RunStatus.APPLIED, first.message
    newer = setup.plan(ports=(7000, 7001, 7002))
    second = setup.runner().execute(newer, apply=True)
    assert second.status is RunStatus.APPLIED, second.message
    with pytest.raises(NetmendError, match=newer.run_id):
        setup.runner().rollback(older.run_id)
    result = setup.runner().rollback(older.run_id, force=True)
    assert result.status is RunStatus.ROLLED_BACK
    _equal_to_snapshot(setup, older.run_id)


def test_rollback_asks_the_approver_and_respects_a_no(setup: Setup) -> None:
    """With an approver, rollback shows the restore calls; a rejection writes nothing."""
    plan = setup.plan()
    applied = setup.runner().execute(plan, apply=True)
    assert applied.status is RunStatus.APPLIED, applied.message
    writes_before = len(setup.writes.calls)
    asked: list[Plan] = []

    class No:
        def decide(self, restore_plan: Plan, rendered_diff: str) -> Decision:
            asked.append(restore_plan)
            return Decision(outcome=DecisionOutcome.REJECTED, approver="bob", reason="keep it")

    result = setup.runner().rollback(plan.run_id, approver=No())
    assert result.status is RunStatus.APPLIED
    assert "rollback rejected" in result.message
    assert len(setup.writes.calls) == writes_before
    assert [c.api for c in asked[0].changes] == ["RevokeSecurityGroupIngress"] * 2 + [
        "RevokeSecurityGroupEgress"
    ]
    assert setup.store.load_run(plan.run_id).status is RunStatus.APPLIED


def test_reachability_analyzer_method_decides_the_flow(setup: Setup) -> None:
    """verify_method picks the registered analyzer for the flow; its "blocked" rolls back."""

    class FakeAnalyzer:
        method = "reachability-analyzer"

        def __init__(self) -> None:
            self.flows: list[Any] = []

        def prepare(self, plan: Plan) -> None:
            return None

        def verify(self, plan: Plan, flow: Any, intents: Any, baseline: Any) -> Verification:
            self.flows.append(flow)
            return Verification(
                method=self.method,
                reachable=False,
                passed=False,
                detail="NetworkPathFound false",
                problems=("analysis found no path",),
            )

    analyzer = FakeAnalyzer()
    plan = setup.plan()
    runner = Runner(
        setup.clients,
        setup.store,
        YesApprover("alice"),
        setup.audit,
        verifiers={"reachability-analyzer": analyzer},
    )
    result = runner.execute(plan, apply=True, verify_method="auto")
    assert analyzer.flows == [plan.flow]
    assert result.status is RunStatus.ROLLED_BACK
    assert result.verification is not None
    assert result.verification.method == "reachability-analyzer"
    assert result.verification.problems == ("analysis found no path",)
    _equal_to_snapshot(setup, plan.run_id)


def test_unreadable_estate_stops_before_any_write(setup: Setup) -> None:
    """If the touched groups cannot be read again, the run stops unwritten and says why."""
    plan = setup.plan()

    def denied(**_: Any) -> Any:
        return (
            types.SimpleNamespace(status_code=403, headers={}),
            {
                "Error": {"Code": "UnauthorizedOperation", "Message": "not allowed"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
        )

    setup.clients.ec2.meta.events.register("before-call.ec2.DescribeSecurityGroups", denied)
    with pytest.raises(AwsCallError, match="UnauthorizedOperation"):
        setup.runner().execute(plan, apply=True)
    record = setup.store.load_run(plan.run_id)
    assert record.status is RunStatus.REFUSED
    assert "nothing was written" in record.meta.message
    assert record.snapshot is None
    assert setup.writes.calls == []
    assert not list((setup.state_dir / "locks").iterdir())


def test_progress_tells_each_change_and_the_verification(setup: Setup) -> None:
    """Issue 11, item 8: a long apply says where it is (the CLI shows it on a tty)."""
    plan = setup.plan()
    runner = setup.runner()
    told: list[str] = []
    runner.progress = told.append
    result = runner.execute(plan, apply=True)
    assert result.status is RunStatus.APPLIED, result.message
    n = len(plan.changes)
    assert [t for t in told if t.startswith("applying")] == [
        f"applying {i}/{n}: {c.api} {c.resource}" for i, c in enumerate(plan.changes, start=1)
    ]
    assert told[-1].startswith("verifying")
