"""A repair the policy does not allow unattended is held, never applied, and applied
later by a person with `fix --apply --plan RUN_ID` (then rolled back), all from S3 state.

Someone puts an explicit deny (rule 90, tcp/443 from the web subnet) in front of the
API subnet's allow: the only repair is an allow before that deny, a ``deny-override``,
which the policy gives to a person.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netmend.aws.collector import collect_inventory
from netmend.chatops.slack.fake import FakeSlackApi
from netmend.config import load_config
from netmend.demo.estates import build_estate
from netmend.reach import evaluate, make_flow
from netmend.store.state import open_state
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.watch_support import cloudtrail_event, intents_file, make_watch_aws

pytestmark = pytest.mark.integration

POLICY = (
    "  auto_approve: [addition]\n"
    "  require_person: [revocation, widening, eni-groups, deny-override]\n"
)


def _state(aws: MotoAws, vpc: str, source: str, destination: str) -> tuple[bool, list[int]]:
    inventory = collect_inventory(aws.clients(), vpc_ids=[vpc], quotas=False)
    flow = make_flow(inventory, source, destination, protocol="tcp", port=443)
    acl = next(a for a in inventory.network_acls if a.vpc_id == vpc and not a.is_default)
    inbound = sorted(e.rule_number for e in acl.entries if not e.egress and not e.is_default_deny)
    return evaluate(inventory, flow).reachable, inbound


def test_deny_override_is_held_as_needs_approval_then_applied_by_plan_id(
    aws: MotoAws, tmp_path: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The held run writes nothing and is recorded needs_approval with its plan; the
    message is still acknowledged (its outcome is recorded); with ChatOps configured it
    is posted for approval (a fake Slack Web API on loopback); `fix --apply --plan`
    applies exactly that plan; `rollback` undoes it; all against the S3 state."""
    slack = FakeSlackApi("xoxb-watch-test").start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-watch-test")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("NETMEND_APPROVAL_CHANNEL", "C0NETOPS")
    estate = build_estate(aws.ec2, "healthy")
    acl = estate.ids["network_acl"]
    web_subnet = estate.ids["client_cidr"]
    watch = make_watch_aws(aws, tmp_path, policy=POLICY)
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    aws.ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=90,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock=web_subnet,
        PortRange={"From": 443, "To": 443},
    )
    broken = _state(aws, estate.vpc_id, estate.source, estate.destination)
    assert broken == (False, [90, 100])
    watch.send(
        cloudtrail_event(
            "CreateNetworkAclEntry",
            {
                "networkAclId": acl,
                "ruleNumber": 90,
                "egress": False,
                "ruleAction": "deny",
                "icmpTypeCode": {},
                "portRange": {"from": 443, "to": 443},
                "aclProtocol": "6",
                "cidrBlock": web_subnet,
            },
        )
    )

    try:
        summary = watch.worker(intents).run(once=True)
        posted = slack.calls("chat.postMessage")
    finally:
        slack.stop()

    [result] = summary.results
    assert result.action == "held", result
    assert result.ack
    assert watch.waiting() == 0
    [run] = result.runs
    assert run["status"] == "needs_approval"
    assert _state(aws, estate.vpc_id, estate.source, estate.destination) == broken  # unwritten
    runs = open_state(load_config(watch.config), aws.clients()).runs
    record = runs.load_run(run["run_id"])
    assert record.status.value == "needs_approval"
    assert record.snapshot is None
    assert record.journal == ()
    assert "deny-override" in {k.value for k in record.plan.kinds}
    assert record.meta.approval is not None
    assert record.meta.approval["outcome"] == "pending"
    assert "deny-override" in record.meta.approval["reason"]
    request = runs.read_approval_request(run["run_id"])  # issue 10's typed request, in S3
    assert request is not None
    assert request["requester"] == "netmend-watch"
    assert request["route"] == "chat"  # re-held for the chat approvers when posted
    audit = open_state(load_config(watch.config), aws.clients()).audit.entries()
    routes = [e["route"] for e in audit if e["event"] == "approval.requested"]
    assert routes == ["worker", "chat"]
    [message] = posted
    assert message.params["channel"] == "C0NETOPS"
    assert run["run_id"] in json.dumps(message.params)
    assert "netmend.approve" in json.dumps(message.params)
    listed = run_cli("runs", "list", "--config", str(watch.config), "--output", "json")
    assert [(r["run_id"], r["status"]) for r in listed.json()["runs"]] == [
        (run["run_id"], "needs_approval")
    ]

    applied = run_cli(
        "fix", "--apply", "--plan", run["run_id"], "--yes", "--verify", "local",
        "--config", str(watch.config), "--output", "json",
    )  # fmt: skip
    assert applied.exit_code == 0, applied.stderr
    document = applied.json()
    assert document["run_id"] == run["run_id"]
    assert document["status"] == "applied"
    planned = [(c.api, c.resource, c.params) for c in record.plan.changes]
    assert [(c["api"], c["resource"], c["params"]) for c in document["changes"]] == planned
    reachable, inbound = _state(aws, estate.vpc_id, estate.source, estate.destination)
    assert reachable
    assert 90 in inbound
    assert len(inbound) == 3

    again = run_cli(
        "fix", "--apply", "--plan", run["run_id"], "--yes", "--config", str(watch.config),
    )  # fmt: skip
    assert again.exit_code == 2  # a stored plan is applied once
    assert "applied" in again.stderr

    undone = run_cli(
        "rollback", run["run_id"], "--yes", "--config", str(watch.config), "-o", "json"
    )
    assert undone.exit_code == 0, undone.stderr
    assert undone.json()["status"] == "rolled_back"
    assert _state(aws, estate.vpc_id, estate.source, estate.destination) == broken
