"""`netmend fix` through the CLI on a moto server: the generic missing-ingress playbook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle

pytestmark = pytest.mark.integration


def _strip_ingress_to_nothing(aws: MotoAws, group_id: str) -> None:
    rules = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )["SecurityGroupRules"]
    ingress = [r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"]]
    if ingress:
        aws.ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=ingress)


def test_missing_ingress_cycle(aws: MotoAws, cli_env: Path) -> None:
    """A group with no inbound rule: fix adds one narrow rule, verifies, rolls back exactly."""
    estate = build_estate(aws.ec2, "wrong-port")
    _strip_ingress_to_nothing(aws, estate.ids["server_sg"])
    cycle = run_fix_cycle(aws.clients(), estate)
    assert cycle.diagnosis["exit_code"] == 3
    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == ["missing-ingress"]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    assert [c["api"] for c in cycle.dry_run["changes"]] == ["AuthorizeSecurityGroupIngress"]
    permission = cycle.dry_run["changes"][0]["params"]["IpPermissions"][0]
    assert permission["UserIdGroupPairs"][0]["GroupId"] == estate.ids["client_sg"]
    assert (permission["FromPort"], permission["ToPort"]) == (8443, 8443)
    assert "authorize-security-group-ingress" in cycle.dry_run_text
    cycle.assert_fixed_and_restored()


def test_change_id_is_stored_audited_and_written_into_the_rule(aws: MotoAws, cli_env: Path) -> None:
    """--change-id goes into the run record, the audit trail and the new rule's description."""
    estate = build_estate(aws.ec2, "wrong-port")
    _strip_ingress_to_nothing(aws, estate.ids["server_sg"])
    result = run_cli(
        "fix",
        *estate.flow_args(),
        "--apply",
        "--yes",
        "--change-id",
        "CHG-4711",
        "--output",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    document = result.json()
    run_id = document["run_id"]
    assert document["change_id"] == "CHG-4711"
    # moto drops group-pair descriptions from DescribeSecurityGroupRules (AWS keeps
    # them), so read them where moto has them: the group's IpPermissions.
    group = aws.ec2.describe_security_groups(GroupIds=[estate.ids["server_sg"]])
    described = [
        pair.get("Description", "")
        for permission in group["SecurityGroups"][0]["IpPermissions"]
        for pair in permission["UserIdGroupPairs"]
    ]
    assert any(run_id in d and "CHG-4711" in d for d in described), described
    audit = [json.loads(line) for line in (cli_env / "audit.jsonl").read_text().splitlines()]
    assert any(e.get("run_id") == run_id and e.get("change_id") == "CHG-4711" for e in audit)
    listed = run_cli("runs", "list", "--output", "json").json()["runs"]
    assert listed[0]["run_id"] == run_id
    assert listed[0]["status"] == "applied"
    assert listed[0]["change_id"] == "CHG-4711"
    shown = run_cli("runs", "show", run_id, "--output", "json")
    assert shown.exit_code == 0
    journal = shown.json()["journal"]
    assert [(e["event"], e["api"]) for e in journal] == [
        ("intent", "AuthorizeSecurityGroupIngress"),
        ("outcome", "AuthorizeSecurityGroupIngress"),
    ]
    assert journal[1]["outcome"] == "ok"
    text = run_cli("runs", "show", run_id)
    assert "journal: 2 entries" in text.stdout


def test_a_plan_that_cannot_make_the_flow_reachable_is_not_applied(
    aws: MotoAws, cli_env: Path
) -> None:
    """An outside source with no internet route: the group fix alone would not help, so
    the dry run says so and --apply refuses before writing anything (exit 1)."""
    estate = build_estate(aws.ec2, "wrong-cidr")
    group = estate.ids["server_sg"]
    args = ["--source", "203.0.113.5", "--destination", estate.destination, "--port", "443"]
    rules_before = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    dry = run_cli("fix", *args, "--output", "json")
    assert dry.exit_code == 0
    assert any(
        "does not make tcp/443 reachable" in n and "NO_ROUTE_TO_DESTINATION" in n
        for n in dry.json()["notes"]
    )
    applied = run_cli("fix", *args, "--apply", "--yes", "--output", "json")
    assert applied.exit_code == 1
    # Under --output json the error is the JSON document on stdout (same exit code).
    assert "not applied" in applied.json()["error"]["message"]
    assert "NO_ROUTE_TO_DESTINATION" in applied.json()["error"]["message"]
    rules_after = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    assert len(rules_after) == len(rules_before)


def test_a_dry_run_is_applied_later_by_its_run_id(aws: MotoAws, cli_env: Path) -> None:
    """`fix` records a plan; `fix --apply --plan RUN_ID --yes` applies exactly that plan
    (same run, same calls), verified; the same run cannot be applied twice (exit 2)."""
    estate = build_estate(aws.ec2, "wrong-port")
    _strip_ingress_to_nothing(aws, estate.ids["server_sg"])
    planned = run_cli("fix", *estate.flow_args(), "--output", "json")
    assert planned.exit_code == 0, planned.stderr
    dry = planned.json()
    assert dry["status"] == "planned"
    applied = run_cli(
        "fix", "--apply", "--plan", dry["run_id"], "--yes", "--verify", "local", "--output", "json"
    )
    assert applied.exit_code == 0, applied.stderr
    document = applied.json()
    assert document["run_id"] == dry["run_id"]
    assert document["status"] == "applied", document
    assert [c["params"] for c in document["changes"]] == [c["params"] for c in dry["changes"]]
    assert document["verification"]["reachable"] is True
    # The playbook's `verify:` step ran after the writes.
    assert document["verification"]["steps"] == ["reach.flow-allowed: passed"]
    again = run_cli("fix", "--apply", "--plan", dry["run_id"], "--yes", "--output", "json")
    assert again.exit_code == 2
    assert "only a planned run" in again.json()["error"]["message"]
    no_apply = run_cli("fix", "--plan", dry["run_id"])
    assert no_apply.exit_code == 2
    assert "add --apply" in no_apply.stderr


def test_fix_flow_reuses_the_diagnosis_it_is_given(aws: MotoAws, tmp_path: Path) -> None:
    """A caller that diagnosed first (the demo) hands its diagnosis to fix_flow: the
    outcome carries that very diagnosis (the flow is not evaluated a second time) and
    the plan is the one a fresh diagnosis gives; a diagnosis of another flow is refused."""
    from netmend.app.diagnosis import diagnose
    from netmend.app.fixing import fix_flow, make_runner
    from netmend.aws.collector import collect_inventory
    from netmend.config import NetmendConfig
    from netmend.playbook import load_playbooks
    from netmend.reach import make_flow

    estate = build_estate(aws.ec2, "wrong-port")
    inventory = collect_inventory(aws.clients(), vpc_ids=[estate.vpc_id], quotas=False)
    flow = make_flow(inventory, estate.source, estate.destination, port=estate.port)
    runner = make_runner(aws.clients(), NetmendConfig(state_dir=tmp_path / "state"))
    playbooks = load_playbooks()
    found = diagnose(inventory, flow)

    given = fix_flow(runner, inventory, flow, playbooks, apply=False, diagnosis=found)
    fresh = fix_flow(runner, inventory, flow, playbooks, apply=False)

    assert given.diagnosis is found
    assert fresh.diagnosis is not found
    assert fresh.diagnosis == found
    # The same plan, up to the run id written into each rule's description.
    assert [c.summary for c in given.plan.changes] == [c.summary for c in fresh.plan.changes]
    assert given.plan.changes
    other = make_flow(inventory, estate.source, estate.destination, port=22)
    with pytest.raises(ValueError, match="another flow"):
        fix_flow(runner, inventory, other, playbooks, apply=False, diagnosis=found)
