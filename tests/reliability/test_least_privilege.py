"""Least privilege, proven on the wire: every AWS call a playbook's fix, verification
and rollback make is allowed by `netmend iam-policy --playbook ID`, and the policy grants
no write the declared steps do not make.

Each estate (the demo builders, tests/reliability/matrix.py) is fixed with ``fix --apply
--yes`` and rolled back with ``rollback --yes`` through the loopback proxy, which records
every request (service and operation, from the request itself). The permissions a call
needs are derived from what was sent: ``service:Operation``, plus ``ec2:CreateTags`` for
a create that tags its resource (TagSpecifications: IAM checks CreateTags for it).
Verification on moto is local (re-reading the estate); Reachability Analyzer's
permissions (NetmendVerify) are not exercised here. The suite runs four representative
estates; ``NETMEND_RELIABILITY_FULL=1`` runs all ten (every playbook's).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from netmend.playbook.registry import actions
from netmend.store import RunStore
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.reliability.matrix import OVERFLOW, PLAYBOOKS, build_playbook_estate
from tests.reliability.wire import AwsCall, FaultProxy

pytestmark = pytest.mark.integration

# Writes a playbook's policy grants that its estate here does not make, and why. Anything
# else granted but unused fails the test: the policy would be wider than the steps.
NOT_REACHED: dict[str, dict[str, str]] = {
    "stateful-misunderstanding": {
        "ec2:AuthorizeSecurityGroupIngress": "the return-path rule may be inbound (server side)",
        "ec2:RevokeSecurityGroupIngress": "its rollback",
    },
    "wrong-protocol": {
        "ec2:AuthorizeSecurityGroupEgress": "the protocol rule may be outbound",
        "ec2:RevokeSecurityGroupEgress": "its rollback",
    },
    "rule-quota-exceeded": {
        "ec2:CreateSecurityGroup": "overflow strategy (the overflow estate makes it)",
        "ec2:CreateTags": "overflow strategy: the new group is tagged on creation",
        "ec2:DeleteSecurityGroup": "overflow strategy's rollback",
        "ec2:ModifyNetworkInterfaceAttribute": "overflow strategy: attach the new group",
        "ec2:RevokeSecurityGroupEgress": "overflow: the new group's default egress",
        "ec2:AuthorizeSecurityGroupEgress": "egress quota, and the overflow's rollback",
        "ec2:ModifySecurityGroupRules": "consolidate strategy (fold /32s into a prefix)",
    },
    OVERFLOW: {
        "ec2:AuthorizeSecurityGroupEgress": "egress quota (this flow is inbound)",
        "ec2:ModifySecurityGroupRules": "consolidate strategy (fold /32s into a prefix)",
        "ec2:RevokeSecurityGroupIngress": "free-redundant strategy (nothing redundant here)",
    },
}

_SERVICE_PREFIX = {"ec2": "ec2", "service-quotas": "servicequotas"}


def needed(call: AwsCall) -> set[str]:
    """The IAM permissions one recorded request needs."""
    found = {call.permission}
    if any(key.startswith("TagSpecification") for key in call.params):
        found.add("ec2:CreateTags")
    return found


def _policy(playbooks: list[str]) -> dict[str, set[str]]:
    args = [a for p in playbooks for a in ("--playbook", p)]
    result = run_cli("iam-policy", *args)
    assert result.exit_code == 0, result.stderr
    return {s["Sid"]: set(s["Action"]) for s in json.loads(result.stdout)["Statement"]}


# One estate per kind of write (group rules, ACL entries, interface groups, a created
# group) runs in the suite; NETMEND_RELIABILITY_FULL=1 runs every playbook's estate.
REPRESENTATIVE = ("wrong-port", "nacl-override", "sg-not-attached", OVERFLOW)
FULL = os.environ.get("NETMEND_RELIABILITY_FULL") == "1"


@pytest.mark.parametrize(
    "estate_name",
    [
        p
        if FULL or p in REPRESENTATIVE
        else pytest.param(p, marks=pytest.mark.skip(reason="NETMEND_RELIABILITY_FULL=1 runs it"))
        for p in PLAYBOOKS
    ],
)
def test_policy_allows_every_call_and_no_more(
    aws: MotoAws,
    fault_proxy: FaultProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    estate_name: str,
) -> None:
    """Recorded calls of fix + verify + rollback ⊆ the policy; each change's API is one
    its action declares, each restore call one the plan's actions declare for rollback;
    the policy's writes beyond what was called are only the documented NOT_REACHED."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    monkeypatch.setenv("AWS_REGION", aws.region)
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    estate = build_playbook_estate(aws.ec2, estate_name)
    fault_proxy.reset()
    applied = run_cli("fix", *estate.flow_args(), "--apply", "--yes", "--output", "json")
    assert applied.json()["status"] == "applied", applied.stdout
    run_id = applied.json()["run_id"]
    rolled = run_cli("rollback", run_id, "--yes", "--output", "json")
    assert rolled.json()["status"] == "rolled_back", rolled.stdout
    calls = list(fault_proxy.calls)
    required = set().union(*(needed(c) for c in calls))

    record = RunStore(tmp_path / "state").load_run(run_id)
    playbooks = list(record.plan.playbooks)
    policy = _policy(playbooks)
    allowed = set().union(*policy.values())
    assert required - allowed == set(), f"calls the policy does not allow: {required - allowed}"

    registry = actions()
    used_actions = {c.action for c in record.plan.changes}
    for change in record.plan.changes:
        declared = registry[change.action].permissions
        assert f"{_SERVICE_PREFIX[change.service]}:{change.api}" in declared, change.action
    undo: set[str] = set().union(*(registry[a].rollback_permissions for a in used_actions))
    restored = {f"ec2:{e.api}" for e in record.journal if e.phase == "rollback"}
    assert restored - undo == set(), f"rollback calls no action declares: {restored - undo}"

    granted_writes = policy.get("NetmendFix", set())
    unused = granted_writes - required
    expected: dict[str, Any] = {}
    for name in {estate_name, *playbooks}:
        expected |= NOT_REACHED.get(name, {})
    assert unused - expected.keys() == set(), f"granted, never called: {unused - set(expected)}"
