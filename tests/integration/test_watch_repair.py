"""`netmend watch` end to end on the moto server: SQS in, EC2 repaired, S3 + DynamoDB state.

A console user revokes the rule that lets catalog-web reach catalog-api on tcp/443; the
CloudTrail event arrives on the queue; the worker re-checks the intent on that group,
repairs it through the engine (auto-approved addition), records the run in S3 and
deletes the message only then. The same event delivered again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netmend.aws.collector import collect_inventory
from netmend.config import load_config
from netmend.demo.estates import build_estate
from netmend.reach import evaluate, make_flow
from netmend.store.state import open_state
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.watch_support import (
    NETMEND_ROLE,
    cloudtrail_event,
    intents_file,
    make_watch_aws,
    revoke_ingress_event,
)

pytestmark = pytest.mark.integration

AUTO_ADDITIONS = "  auto_approve: [addition]\n"


def _revoke_https(aws: MotoAws, group: str, peer: str) -> None:
    """What the console user did: revoke the group's inbound rule from ``peer``."""
    rules = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    ids = [
        r["SecurityGroupRuleId"]
        for r in rules
        if not r["IsEgress"] and r.get("ReferencedGroupInfo", {}).get("GroupId") == peer
    ]
    assert ids, rules
    aws.ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=ids)


def _reachable(aws: MotoAws, vpc: str, source: str, destination: str) -> bool:
    inventory = collect_inventory(aws.clients(), vpc_ids=[vpc], quotas=False)
    flow = make_flow(inventory, source, destination, protocol="tcp", port=443)
    return evaluate(inventory, flow).reachable


def test_revoked_rule_is_repaired_from_its_event_and_a_duplicate_is_ignored(
    aws: MotoAws, tmp_path: Path, cli_env: Path
) -> None:
    """The revocation's event repairs the intent (applied, verified, in S3); the same
    event id delivered again is acknowledged without a second run; `runs list` and
    `runs show` read the run back from S3."""
    estate = build_estate(aws.ec2, "healthy")
    server_sg, client_sg = estate.ids["server_sg"], estate.ids["client_sg"]
    watch = make_watch_aws(aws, tmp_path, policy=AUTO_ADDITIONS)
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    _revoke_https(aws, server_sg, client_sg)
    assert not _reachable(aws, estate.vpc_id, estate.source, estate.destination)
    event = revoke_ingress_event(server_sg, client_sg, 443)
    watch.send(event)
    watch.send(event)  # the same event delivered twice (at-least-once)

    worker = watch.worker(intents)
    summary = worker.run(once=True)

    actions = [r.action for r in summary.results]
    assert actions == ["repaired", "duplicate"], summary.results
    assert _reachable(aws, estate.vpc_id, estate.source, estate.destination)
    assert watch.waiting() == 0  # both deleted, each after its outcome was recorded
    [run] = summary.results[0].runs
    assert run["status"] == "applied"
    state = open_state(load_config(watch.config), aws.clients())
    record = state.runs.load_run(run["run_id"])
    assert record.status.value == "applied"
    assert record.meta.requester == "netmend-watch"
    assert record.snapshot is not None
    assert server_sg in record.snapshot.resources
    event_id = event["detail"]["eventID"]
    assert record.plan.change_id == f"event {event_id}"
    ledger = worker.ledger.read(event_id)
    assert ledger is not None
    assert ledger.status == "done"
    assert ledger.outcome is not None
    assert ledger.outcome.runs[0]["run_id"] == run["run_id"]
    # One run only: the duplicate started none.
    assert [s.run_id for s in state.runs.list_runs()] == [run["run_id"]]
    audit = [e["event"] for e in state.audit.entries()]
    assert "watch.event" in audit
    assert "run.applied" in audit

    listed = run_cli("runs", "list", "--config", str(watch.config), "--output", "json")
    assert listed.exit_code == 0, listed.stderr
    assert [r["run_id"] for r in listed.json()["runs"]] == [run["run_id"]]
    assert listed.json()["runs"][0]["status"] == "applied"
    shown = run_cli("runs", "show", run["run_id"], "--config", str(watch.config), "-o", "json")
    assert shown.exit_code == 0, shown.stderr
    assert any(e["api"] == "AuthorizeSecurityGroupIngress" for e in shown.json()["journal"])


def test_netmends_own_writes_and_irrelevant_events_start_no_run(
    aws: MotoAws, tmp_path: Path, cli_env: Path
) -> None:
    """Events from netmend's role, with netmend's user agent or its run id in a rule
    description, a failed call and a read-only API are acknowledged and skipped: the
    broken intent stays broken, no run is recorded."""
    estate = build_estate(aws.ec2, "healthy")
    server_sg, client_sg = estate.ids["server_sg"], estate.ids["client_sg"]
    watch = make_watch_aws(aws, tmp_path, policy=AUTO_ADDITIONS)
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    _revoke_https(aws, server_sg, client_sg)
    by_role = revoke_ingress_event(
        server_sg, client_sg, 443, principal=f"{NETMEND_ROLE}/session", role=NETMEND_ROLE
    )
    by_agent = revoke_ingress_event(
        server_sg, client_sg, 443, user_agent="Boto3/1.35.0 md/Botocore#1.35.0 netmend"
    )
    described = revoke_ingress_event(server_sg, client_sg, 443)
    described["detail"]["requestParameters"]["ipPermissions"]["items"][0]["groups"]["items"][0][
        "description"
    ] = "netmend run 20261201T030000Z-0123abcd"
    failed = revoke_ingress_event(server_sg, client_sg, 443, error_code="UnauthorizedOperation")
    read_only = cloudtrail_event("DescribeSecurityGroups", {"groupSet": {}})
    for body in (by_role, by_agent, described, failed, read_only):
        watch.send(json.dumps(body))

    summary = watch.worker(intents, own_principals=(NETMEND_ROLE,)).run(once=True)

    assert [r.action for r in summary.results] == ["skipped"] * 5
    details = [r.detail for r in summary.results]
    assert "own principal" in details[0]
    assert "user agent" in details[1]
    assert "20261201T030000Z-0123abcd" in details[2]
    assert "UnauthorizedOperation" in details[3]
    assert "DescribeSecurityGroups" in details[4]
    assert watch.waiting() == 0
    assert not _reachable(aws, estate.vpc_id, estate.source, estate.destination)
    state = open_state(load_config(watch.config), aws.clients())
    assert state.runs.list_runs() == []
