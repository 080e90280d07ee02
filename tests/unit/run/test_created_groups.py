"""A run that creates a group: placeholders resolved as the writes go, nothing read or
snapshotted for a group that does not exist yet, verification on the real id.

AWS is replaced by fakes of the two functions the runner writes and reads through
(``apply_change`` and ``read_resources``), so every call can be checked exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from netmend.approval import Decision, DecisionOutcome
from netmend.audit import AuditLog
from netmend.aws.mutations import ChangeOutcome, apply_change
from netmend.errors import AwsCallError, NetmendError
from netmend.model import NetworkInterface, SecurityGroup, SgRule
from netmend.run.new_resources import new_group_ref
from netmend.run.plan import Change, ChangeKind, Plan, ResourceState
from netmend.run.result import Verification
from netmend.run.runner import Runner
from netmend.store import RunStatus, RunStore

RUN = "20250101T000000Z-abcdef12"
REF = new_group_ref(RUN, 1)
ENI = NetworkInterface(
    network_interface_id="eni-1",
    subnet_id="subnet-1",
    vpc_id="vpc-1",
    private_ips=("10.0.1.5",),
    group_ids=("sg-web",),
)
RULE = SgRule(
    group_id=REF, egress=False, protocol="tcp", from_port=443, to_port=443, cidr_ipv4="10.0.2.7/32"
)
NEW = SecurityGroup(group_id=REF, group_name="web-overflow-1", vpc_id="vpc-1")


class NoAws:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"AWS was touched: {name}")


class Yes:
    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        return Decision(outcome=DecisionOutcome.APPROVED, approver="carol", reason="ok")


class RecordingVerifier:
    method = "local"

    def __init__(self) -> None:
        self.plans: list[Plan] = []

    def prepare(self, plan: Plan) -> None:
        return None

    def verify(self, plan: Plan, flow: Any, intents: Any, baseline: Any) -> Verification:
        self.plans.append(plan)
        return Verification(method="local", reachable=True, passed=True, detail="ok")


def _plan() -> Plan:
    with_rule = NEW.model_copy(update={"rules": (RULE,)})
    attached = ENI.model_copy(update={"group_ids": ("sg-web", REF)})
    return Plan(
        run_id=RUN,
        playbooks=("rule-quota-exceeded",),
        changes=(
            Change(
                action="sg.create-group",
                api="CreateSecurityGroup",
                resource=REF,
                params={"GroupName": "web-overflow-1", "Description": "d", "VpcId": "vpc-1"},
                kinds=(ChangeKind.ADDITION,),
                after=NEW,
            ),
            Change(
                action="sg.authorize-ingress",
                api="AuthorizeSecurityGroupIngress",
                resource=REF,
                params={"GroupId": REF, "IpPermissions": [{"IpProtocol": "tcp"}]},
                kinds=(ChangeKind.ADDITION,),
                before=NEW,
                after=with_rule,
                summary=f"allow 443 on {REF}",
            ),
            Change(
                action="eni.attach-group",
                api="ModifyNetworkInterfaceAttribute",
                resource="eni-1",
                params={"NetworkInterfaceId": "eni-1", "Groups": ["sg-web", REF]},
                kinds=(ChangeKind.ENI_GROUPS,),
                before=ENI,
                after=attached,
            ),
        ),
    )


class FakeAws:
    """What the runner's two AWS doorways saw; the created group gets sg-new1."""

    def __init__(self, fail_create: bool = False) -> None:
        self.sent: list[Change] = []
        self.read: list[list[str]] = []
        self.fail_create = fail_create

    def apply_change(self, clients: Any, change: Change) -> ChangeOutcome:
        self.sent.append(change)
        if change.api == "CreateSecurityGroup":
            if self.fail_create:
                raise AwsCallError("CreateSecurityGroup", "InvalidGroup.Duplicate", "taken")
            return ChangeOutcome(
                api=change.api, resource=change.resource, status="ok", created_id="sg-new1"
            )
        return ChangeOutcome(api=change.api, resource=change.resource, status="ok")

    def read_resources(self, clients: Any, ids: Iterable[str]) -> dict[str, ResourceState]:
        asked = sorted(set(ids))
        self.read.append(asked)
        return {ENI.network_interface_id: ENI} if "eni-1" in asked else {}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> FakeAws:
    aws = FakeAws(fail_create=getattr(request, "param", False))
    monkeypatch.setattr("netmend.run.runner.read_resources", aws.read_resources)
    monkeypatch.setattr("netmend.run.writes.read_resources", aws.read_resources)
    monkeypatch.setattr("netmend.run.writes.apply_change", aws.apply_change)
    monkeypatch.setattr("netmend.run.new_resources.read_resources", aws.read_resources)
    monkeypatch.setattr("netmend.run.new_resources.groups_tagged_for_run", lambda c, r: ())
    return aws


def _runner(tmp_path: Path, verifier: RecordingVerifier) -> tuple[Runner, RunStore]:
    store = RunStore(tmp_path)
    runner = Runner(
        NoAws(),
        store,
        Yes(),
        AuditLog(tmp_path / "audit.jsonl"),  # type: ignore[arg-type]
        verifier,
        requester="alice",
    )
    return runner, store


def test_later_calls_name_the_group_aws_created(tmp_path: Path, fake: FakeAws) -> None:
    """Only the ENI is read and snapshotted; the create goes out as planned, the rule and
    the attachment name sg-new1; the journal keeps the id; verification and the result
    see sg-new1, never the placeholder."""
    verifier = RecordingVerifier()
    runner, store = _runner(tmp_path, verifier)
    result = runner.execute(_plan(), apply=True)
    assert result.status is RunStatus.APPLIED, result.message
    assert fake.read == [["eni-1"]]
    snapshot = store.read_snapshot(RUN)
    assert snapshot is not None
    assert list(snapshot.resources) == ["eni-1"]
    assert [c.resource for c in fake.sent] == [REF, "sg-new1", "eni-1"]
    assert fake.sent[1].params["GroupId"] == "sg-new1"
    assert fake.sent[2].params["Groups"] == ["sg-web", "sg-new1"]
    journal = store.read_journal(RUN)
    assert [(e.event, e.resource, e.created_id) for e in journal if e.step == 0] == [
        ("intent", REF, None),
        ("outcome", REF, "sg-new1"),
    ]
    assert journal[2].params == {"GroupId": "sg-new1", "IpPermissions": [{"IpProtocol": "tcp"}]}
    (checked,) = verifier.plans
    assert checked.resources == ("sg-new1", "eni-1")
    eni = checked.after("eni-1")
    assert isinstance(eni, NetworkInterface)
    assert eni.group_ids == ("sg-web", "sg-new1")
    assert [c.resource for c in result.changes] == ["sg-new1", "sg-new1", "eni-1"]
    assert result.changes[1].summary == "allow 443 on sg-new1"


@pytest.mark.parametrize("fake", [True], indirect=True)
def test_failed_create_stops_before_naming_the_group(tmp_path: Path, fake: FakeAws) -> None:
    """CreateSecurityGroup fails: nothing after it is sent, the run rolls back with
    nothing to restore and no group to delete."""
    runner, _ = _runner(tmp_path, RecordingVerifier())
    result = runner.execute(_plan(), apply=True)
    assert result.status is RunStatus.ROLLED_BACK, result.message
    assert [c.api for c in fake.sent] == ["CreateSecurityGroup"]
    assert [c.outcome for c in result.changes] == ["failed", "not-run", "not-run"]
    assert result.rollback is not None
    assert result.rollback.calls == ()


def test_a_placeholder_left_in_a_call_is_never_sent() -> None:
    """A change still naming a placeholder (its group was not created) is refused
    before any AWS access."""
    change = _plan().changes[1]
    with pytest.raises(NetmendError, match="names a group that was not created"):
        apply_change(NoAws(), change)  # type: ignore[arg-type]
