"""Runner paths that must not touch AWS at all, and the pure helpers of verification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netmend.approval import Decision, DecisionOutcome
from netmend.audit import AuditLog
from netmend.aws.reachability import PathAnalysis
from netmend.errors import BadInputError
from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.reach.result import Explanation
from netmend.run.plan import Change, ChangeKind, Plan
from netmend.run.runner import Runner
from netmend.store import RunStatus, RunStore
from netmend.verify.analyzer import AnalyzerRunVerifier
from netmend.verify.run import kept_differences, with_states


class NoAws:
    """Clients that fail the test on any use: these paths must not reach AWS."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"AWS was touched: {name}")


class Answer:
    def __init__(self, outcome: DecisionOutcome) -> None:
        self.outcome = outcome
        self.asked = 0

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        self.asked += 1
        return Decision(outcome=self.outcome, approver="carol", reason="because")


GROUP = SecurityGroup(group_id="sg-1", group_name="web", vpc_id="vpc-1")
RULE = SgRule(
    group_id="sg-1",
    egress=False,
    protocol="tcp",
    from_port=443,
    to_port=443,
    cidr_ipv4="10.0.0.0/16",
)


def _plan() -> Plan:
    return Plan(
        playbooks=("wrong-port",),
        change_id="CHG-7",
        changes=(
            Change(
                action="sg.authorize-ingress",
                api="AuthorizeSecurityGroupIngress",
                resource="sg-1",
                params={"GroupId": "sg-1"},
                kinds=(ChangeKind.ADDITION,),
                summary="allow 443",
                before=GROUP,
                after=GROUP.model_copy(update={"rules": (RULE,)}),
            ),
        ),
    )


def _runner(tmp_path: Path, approver: Any) -> tuple[Runner, RunStore, AuditLog]:
    store = RunStore(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")
    return Runner(NoAws(), store, approver, audit, requester="alice"), store, audit  # type: ignore[arg-type]


def test_dry_run_touches_nothing_but_the_store(tmp_path: Path) -> None:
    """apply=False: planned, approver not asked, no AWS access whatsoever."""
    approver = Answer(DecisionOutcome.APPROVED)
    runner, store, audit = _runner(tmp_path, approver)
    result = runner.execute(_plan(), apply=False)
    assert result.status is RunStatus.PLANNED
    assert approver.asked == 0
    assert store.list_runs()[0].status is RunStatus.PLANNED
    assert [e["event"] for e in audit.entries()] == ["run.recorded", "run.planned"]


def test_rejected_plan_is_refused_and_audited(tmp_path: Path) -> None:
    """A rejection ends the run as refused before any lock or AWS read."""
    runner, store, audit = _runner(tmp_path, Answer(DecisionOutcome.REJECTED))
    plan = _plan()
    result = runner.execute(plan, apply=True)
    assert result.status is RunStatus.REFUSED
    assert result.message == "rejected: because"
    assert result.approval is not None
    assert result.approval.approver == "carol"
    meta = store.read_meta(plan.run_id)
    assert meta.approval is not None
    assert meta.approval["outcome"] == "rejected"
    approval = [e for e in audit.entries() if e["event"] == "approval"]
    assert approval[0]["change_id"] == "CHG-7"
    assert not (tmp_path / "locks").exists()


def test_empty_plan_is_nothing_to_do_even_when_applying(tmp_path: Path) -> None:
    """No changes: nothing_to_do, nobody asked."""
    approver = Answer(DecisionOutcome.APPROVED)
    runner, _, _ = _runner(tmp_path, approver)
    assert runner.execute(Plan(), apply=True).status is RunStatus.NOTHING_TO_DO
    assert approver.asked == 0


def test_unknown_verify_method_is_bad_input_before_recording(tmp_path: Path) -> None:
    """A bad --verify value fails at once, before the run is even recorded."""
    runner, store, _ = _runner(tmp_path, Answer(DecisionOutcome.APPROVED))
    with pytest.raises(BadInputError, match="unknown verification method"):
        runner.execute(_plan(), apply=True, verify_method="magic")
    with pytest.raises(BadInputError, match="Reachability Analyzer is not available"):
        runner.execute(_plan(), apply=True, verify_method="reachability-analyzer")
    assert store.list_runs() == []


def test_result_json_has_the_documented_fields(tmp_path: Path) -> None:
    """fix --output json needs run_id, status, playbook, changes[api/resource/params],
    verification."""
    runner, _, _ = _runner(tmp_path, Answer(DecisionOutcome.APPROVED))
    document = runner.execute(_plan(), apply=False).to_json()
    assert document["status"] == "planned"
    assert document["playbook"] == "wrong-port"
    assert document["changes"][0]["api"] == "AuthorizeSecurityGroupIngress"
    assert document["changes"][0]["resource"] == "sg-1"
    assert document["changes"][0]["params"] == {"GroupId": "sg-1"}
    assert "verification" in document
    assert "run_id" in document


def test_kept_differences_ignores_what_the_plan_removed() -> None:
    """A rule the plan revoked may be gone; a rule the plan kept may not."""
    other = RULE.model_copy(update={"from_port": 22, "to_port": 22})
    before = GROUP.model_copy(update={"rules": (RULE, other)})
    planned = GROUP.model_copy(update={"rules": (RULE,)})  # the plan revokes port 22
    live_ok = planned
    live_bad = GROUP.model_copy(update={"rules": (other,)})
    assert kept_differences(before, planned, live_ok) == []
    assert kept_differences(before, planned, live_bad) == [
        "sg-1: inbound tcp 443 from 10.0.0.0/16 was lost"
    ]


def test_with_states_swaps_resources_and_rebuilds_lookups() -> None:
    """Planned states replace the inventory's own, and lookups see the new ones."""
    eni = NetworkInterface(
        network_interface_id="eni-1",
        subnet_id="subnet-1",
        vpc_id="vpc-1",
        private_ips=("10.0.1.5",),
        group_ids=("sg-1",),
    )
    inventory = Inventory(region="eu-west-1", security_groups=(GROUP,), network_interfaces=(eni,))
    changed = with_states(
        inventory,
        [GROUP.model_copy(update={"rules": (RULE,)}), eni.model_copy(update={"group_ids": ()})],
    )
    group = changed.security_group("sg-1")
    assert group is not None
    assert group.rules == (RULE,)
    assert changed.enis_of_group("sg-1") == ()
    assert inventory.enis_of_group("sg-1") == (eni,)


def _flow() -> Flow:
    def end(eni: str, ip: str) -> Endpoint:
        return Endpoint(kind=EndpointKind.ENI, address=ip, eni_id=eni, given=eni)

    return Flow(
        source=end("eni-1", "10.0.1.5"),
        destination=end("eni-2", "10.0.1.6"),
        protocol="tcp",
        port=8443,
    )


def test_reachability_verifier_reports_where_the_path_stops() -> None:
    """No path found: failed verification naming the blocking component and code."""
    seen: list[dict[str, Any]] = []

    def analyze(clients: Any, flow: Any, **kwargs: Any) -> PathAnalysis:
        seen.append(kwargs)
        return PathAnalysis(
            path_id="nip-1",
            analysis_id="nia-1",
            reachable=False,
            explanations=(Explanation(code="ENI_SG_RULES_MISMATCH", component="sg-9"),),
        )

    verifier = AnalyzerRunVerifier(NoAws(), analyze=analyze)  # type: ignore[arg-type]
    plan = _plan()
    verification = verifier.verify(plan, _flow(), (), None)
    assert not verification.passed
    assert verification.reachable is False
    assert verification.method == "reachability-analyzer"
    assert verification.problems == (
        "tcp/8443 from eni-1 (10.0.1.5) to eni-2 (10.0.1.6) is still blocked at sg-9 "
        "(ENI_SG_RULES_MISMATCH) (reachability-analyzer)",
    )
    assert [(k["timeout_s"], k["tag_run_id"]) for k in seen] == [(120, plan.run_id)]
    # The analysis's waits reach the runner's progress (a person sees the minute pass).
    told: list[str] = []
    verifier.progress = told.append
    seen[0]["on_wait"](25.0)
    assert told == [
        "Reachability Analyzer: running for 25 s (an analysis usually takes 40-55 s; "
        "gives up after 120 s)"
    ]


def test_the_runner_takes_its_flow_verifier_from_the_one_auto_resolution(
    tmp_path: Path,
) -> None:
    """With an analyzer registered (AWS's endpoint), auto hands it a TCP flow but checks
    ICMP, or a run without a flow, locally (None); asked by name, the analyzer gets even
    ICMP (it falls back itself, saying why); without one, auto is local."""
    analyzer = AnalyzerRunVerifier(NoAws())  # type: ignore[arg-type]
    store, audit = RunStore(tmp_path), AuditLog(tmp_path / "audit.jsonl")
    approver = Answer(DecisionOutcome.APPROVED)
    with_analyzer = Runner(
        NoAws(),  # type: ignore[arg-type]
        store,
        approver,
        audit,
        verifiers={"reachability-analyzer": analyzer},
    )
    tcp = _flow()
    icmp = tcp.model_copy(update={"protocol": "icmp", "port": None})
    assert with_analyzer._flow_verifier("auto", tcp) is analyzer
    assert with_analyzer._flow_verifier("auto", icmp) is None
    assert with_analyzer._flow_verifier("auto", None) is None
    assert with_analyzer._flow_verifier("local", tcp) is None
    assert with_analyzer._flow_verifier("reachability-analyzer", icmp) is analyzer
    without, _, _ = _runner(tmp_path, approver)
    assert without._flow_verifier("auto", tcp) is None
