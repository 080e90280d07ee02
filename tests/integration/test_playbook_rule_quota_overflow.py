"""rule-quota-exceeded on a moto server, when only an overflow group avoids widening access.

partner-gateway-sg's 60 inbound rules are 60 unrelated /16s: none is redundant and no
small prefix folds them, but the gateway's interface carries one group of five. So the
batch tier's rule goes in a new group, partner-gateway-sg-overflow-1, attached beside it:
created (tagged with the run), its default allow-all egress revoked, the rule added,
attached; rollback detaches it and deletes it. A run killed right after
CreateSecurityGroup is cleaned up by ``netmend rollback``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from netmend.app.diagnosis import diagnose
from netmend.aws.collector import collect_inventory
from netmend.demo.estates import BuiltEstate, build_estate
from netmend.demo.scaffold import permission
from netmend.model import Inventory
from netmend.model.rules import sg_rule_key
from netmend.playbook import load_playbooks, propose_plan
from netmend.reach import make_flow
from netmend.run.plan import Plan, new_run_id
from netmend.store import RunStatus, RunStore
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import live_vpc_states

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("runner_child.py")
OVERFLOW_NAME = "partner-gateway-sg-overflow-1"


def _spread_rules(aws: MotoAws, estate: BuiltEstate) -> None:
    """Replace the gateway group's 60 inbound rules by 60 unrelated /16s on 443."""
    group = estate.ids["server_sg"]
    rules = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    aws.ec2.revoke_security_group_ingress(
        GroupId=group,
        SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"]],
    )
    for start in range(0, 60, 20):
        aws.ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                permission("tcp", 443, cidr=f"100.{64 + n}.0.0/16")
                for n in range(start, start + 20)
            ],
        )


def _overflow_estate(aws: MotoAws) -> BuiltEstate:
    estate = build_estate(aws.ec2, "rule-quota-exceeded")
    _spread_rules(aws, estate)
    return estate


def _tagged_groups(aws: MotoAws, key: str = "netmend:created-by") -> list[dict[str, Any]]:
    return aws.ec2.describe_security_groups(Filters=[{"Name": "tag-key", "Values": [key]}])[
        "SecurityGroups"
    ]


def _eni_groups(aws: MotoAws, eni: str) -> list[str]:
    (found,) = aws.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"]
    return [g["GroupId"] for g in found["Groups"]]


def _egress_keys(inventory: Inventory, eni_id: str) -> set[tuple]:
    """Every outbound rule the interface's groups hold, by content."""
    eni = inventory.network_interface(eni_id)
    assert eni is not None
    return {
        sg_rule_key(r)
        for g in eni.group_ids
        if (group := inventory.security_group(g)) is not None
        for r in group.rules
        if r.egress
    }


def _inventory(aws: MotoAws, estate: BuiltEstate) -> Inventory:
    return collect_inventory(aws.clients(), vpc_ids=[estate.vpc_id], quotas=False)


def test_overflow_cycle_adds_a_group_and_rolls_it_back(aws: MotoAws, cli_env: Path) -> None:
    """Nothing redundant, the interface has room: the plan creates the overflow group,
    revokes its default egress, adds the batch tier's rule to it and attaches it beside
    partner-gateway-sg; the dry run writes nothing; applied, verified reachable, nothing
    lost; rollback leaves no difference and no group netmend created."""
    estate = _overflow_estate(aws)
    server_sg, client_sg = estate.ids["server_sg"], estate.ids["client_sg"]
    vpc_before = live_vpc_states(aws, estate.vpc_id)
    cycle = run_fix_cycle(aws.clients(), estate)

    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == [
        "wrong-cidr",
        "rule-quota-exceeded",
    ]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    changes = cycle.dry_run["changes"]
    assert [c["api"] for c in changes] == [
        "CreateSecurityGroup",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "ModifyNetworkInterfaceAttribute",
    ]
    assert [c["kinds"] for c in changes] == [
        ["addition"],
        ["revocation"],
        ["addition"],
        ["eni-groups"],
    ]
    create, revoke, add, attach = changes
    ref = create["resource"]
    assert ref == f"new-sg:{cycle.dry_run['run_id']}:1"
    assert not ref.startswith("sg-")
    assert create["params"]["GroupName"] == OVERFLOW_NAME
    assert create["params"]["VpcId"] == estate.vpc_id
    assert f"overflow of {server_sg}" in create["params"]["Description"]
    assert f"netmend run {cycle.dry_run['run_id']}" in create["params"]["Description"]
    (spec,) = create["params"]["TagSpecifications"]
    tags = {t["Key"]: t["Value"] for t in spec["Tags"]}
    assert tags["netmend:created-by"] == "netmend"
    assert tags["netmend:run-id"] == cycle.dry_run["run_id"]
    assert revoke["params"] == {
        "GroupId": ref,
        "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }
    assert add["params"]["GroupId"] == ref
    (perm,) = add["params"]["IpPermissions"]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("tcp", 443, 443)
    assert [p["GroupId"] for p in perm["UserIdGroupPairs"]] == [client_sg]
    assert attach["params"] == {
        "NetworkInterfaceId": estate.ids["server_eni"],
        "Groups": [server_sg, ref],
    }
    assert _tagged_groups(aws) == []

    text = " ".join(cycle.dry_run_text.split()).replace(" \\ ", " ")
    assert "NEW_SG_1=$(aws ec2 create-security-group" in text
    assert f'--groups {server_sg} "$NEW_SG_1"' in text
    assert 'aws ec2 authorize-security-group-ingress --group-id "$NEW_SG_1"' in text
    assert "creates a new security group, partner-gateway-sg-overflow-1" in text
    assert "widening:" not in text
    assert "--quota-code L-0EA8095F --desired-value 120" in text

    assert cycle.applied["status"] == "applied", cycle.applied
    assert cycle.applied["verification"]["reachable"] is True
    sent = cycle.applied["changes"]  # recorded as sent: with the id AWS gave the group
    real = sent[0]["resource"]
    assert real.startswith("sg-")
    assert [c["outcome"] for c in sent] == ["ok"] * 4
    assert sent[1]["params"]["GroupId"] == sent[2]["params"]["GroupId"] == real
    assert sent[3]["params"]["Groups"] == [server_sg, real]
    assert cycle.after_apply_reachable
    assert cycle.lost_flows == set()
    assert cycle.rolled_back["status"] == "rolled_back", cycle.rolled_back
    assert [c["api"] for c in cycle.rolled_back["changes"]] == [
        "ModifyNetworkInterfaceAttribute",
        "DeleteSecurityGroup",
    ]
    assert cycle.differences_after_rollback == []
    assert _tagged_groups(aws) == []
    assert live_vpc_states(aws, estate.vpc_id) == vpc_before


def test_overflow_group_admits_only_the_rule_and_no_outbound(aws: MotoAws, cli_env: Path) -> None:
    """Applied (then rolled back by hand): the group is tagged with the run, holds the one
    inbound rule and no outbound rule, so the interface's outbound access is exactly what
    it was; ``netmend rollback`` detaches it and deletes it."""
    estate = _overflow_estate(aws)
    eni = estate.ids["server_eni"]
    before = _inventory(aws, estate)
    applied = run_cli("fix", *estate.flow_args(), "--apply", "--yes", "--output", "json")
    assert applied.exit_code == 0, applied.stderr
    document = applied.json()
    assert document["status"] == "applied"
    run_id = document["run_id"]

    (group,) = _tagged_groups(aws)
    assert group["GroupName"] == OVERFLOW_NAME
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    assert tags["netmend:run-id"] == run_id
    assert tags["netmend:overflow-of"] == estate.ids["server_sg"]
    assert group["IpPermissionsEgress"] == []
    (rule,) = group["IpPermissions"]
    assert (rule["FromPort"], rule["ToPort"]) == (443, 443)
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [estate.ids["client_sg"]]
    assert sorted(_eni_groups(aws, eni)) == sorted([estate.ids["server_sg"], group["GroupId"]])
    after = _inventory(aws, estate)
    assert _egress_keys(after, eni) == _egress_keys(before, eni)
    flow = make_flow(after, estate.source, estate.destination, protocol="tcp", port=443)
    assert diagnose(after, flow).reachable
    journal = RunStore(cli_env).read_journal(run_id)
    assert [e.created_id for e in journal if e.api == "CreateSecurityGroup"] == [
        None,
        group["GroupId"],
    ]

    rolled = run_cli("rollback", run_id, "--yes", "--output", "json")
    assert rolled.exit_code == 0, rolled.stderr
    assert rolled.json()["status"] == "rolled_back"
    assert _tagged_groups(aws) == []
    assert _eni_groups(aws, eni) == [estate.ids["server_sg"]]
    again = run_cli("rollback", run_id, "--yes", "--output", "json")
    assert again.json()["status"] == "rolled_back"
    assert again.json()["changes"] == []


def _plan(aws: MotoAws, estate: BuiltEstate) -> Plan:
    inventory = collect_inventory(aws.clients(), quotas=False)
    flow = make_flow(inventory, estate.source, estate.destination, protocol="tcp", port=443)
    found = diagnose(inventory, flow)
    return propose_plan(
        inventory, flow, found.evaluation, found.causes, load_playbooks(), run_id=new_run_id()
    )


def _run_until_second_write(aws: MotoAws, plan: Plan, state: Path, tmp_path: Path) -> None:
    """Apply ``plan`` in a child process and SIGKILL it as its second write starts."""
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    ready = tmp_path / "ready"
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and test script
        [
            sys.executable,
            str(CHILD),
            aws.endpoint_url,
            aws.region,
            str(state),
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


@pytest.mark.parametrize("journal_has_id", [True, False], ids=["journalled", "tag-only"])
def test_killed_after_create_is_cleaned_up_by_rollback(
    aws: MotoAws, cli_env: Path, tmp_path: Path, journal_has_id: bool
) -> None:
    """kill -9 right after CreateSecurityGroup: the run is interrupted with the group
    created (default egress still in it, attached to nothing). ``netmend rollback``
    deletes it, found by the journalled id, or by the run's tag when the kill came
    before the answer was journalled (its outcome line removed here)."""
    estate = _overflow_estate(aws)
    before = live_vpc_states(aws, estate.vpc_id)
    plan = _plan(aws, estate)
    assert plan.changes[0].api == "CreateSecurityGroup"
    _run_until_second_write(aws, plan, cli_env, tmp_path)

    store = RunStore(cli_env)
    assert store.list_runs()[0].status is RunStatus.INTERRUPTED
    (group,) = _tagged_groups(aws)
    journal_file = store.run_dir(plan.run_id) / "journal.jsonl"
    lines = journal_file.read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["intent", "outcome", "intent"]
    assert json.loads(lines[1])["created_id"] == group["GroupId"]
    if not journal_has_id:
        journal_file.write_text(lines[0] + "\n")

    shown = run_cli("rollback", plan.run_id, "--yes", "--output", "json")
    assert shown.exit_code == 0, shown.stderr
    result = shown.json()
    assert result["status"] == "rolled_back", result
    assert [c["api"] for c in result["changes"]] == ["DeleteSecurityGroup"]
    assert result["changes"][0]["resource"] == group["GroupId"]
    assert _tagged_groups(aws) == []
    assert live_vpc_states(aws, estate.vpc_id) == before
