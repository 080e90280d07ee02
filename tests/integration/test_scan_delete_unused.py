"""unused-security-group's fix deletes the group, on a moto server over HTTP.

moto lets a group be deleted while an interface carries it or a rule references it
(AWS would say DependencyViolation); these tests prove netmend refuses on its own check,
read live just before the call. moto has no DescribeSecurityGroupReferences: its answer
is replayed in the shape botocore's EC2 model gives (validated by botocore's Stubber),
through a before-call hook on the runner's own client, as AWS answers it for a group
with no reference (an empty SecurityGroupReferenceSet) or one referenced from a peered
VPC of another account (ReferencingVpcId, VpcPeeringConnectionId).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from netmend.approval import YesApprover
from netmend.audit import AuditLog
from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsClients
from netmend.playbook import load_playbooks
from netmend.render.diff import plan_to_text
from netmend.run.runner import Runner
from netmend.scan import propose_finding_fix, scan_estate
from netmend.store import RunStatus, RunStore
from tests.cli_runner import run_cli
from tests.integration import scan_estates as estates

pytestmark = pytest.mark.integration

PLAYBOOK = "unused-security-group"
PLAYBOOKS = load_playbooks()


def _references(clients: AwsClients, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer DescribeSecurityGroupReferences with ``answer`` (shape-checked); the
    requests seen are returned."""
    Stubber(clients.ec2).add_response("describe_security_group_references", answer)
    seen: list[dict[str, Any]] = []

    def reply(model: Any, params: dict[str, Any], **_: Any) -> Any:
        seen.append(params)
        parsed = dict(answer, ResponseMetadata={"HTTPStatusCode": 200, "RequestId": "replay"})
        return AWSResponse("https://replay.invalid", 200, {}, None), parsed

    clients.ec2.meta.events.register(
        "before-call.ec2.DescribeSecurityGroupReferences", reply, unique_id="h12-references"
    )
    return seen


def _plant(aws: Any) -> tuple[estates.Net, str, str]:
    """An unused group with an inbound rule, a self-reference, a custom egress rule and
    tags; and an instance (in another group) to attach it to later."""
    net = estates.new_net(aws.ec2, 31)
    unused = estates.group(net, "leftover", keep_egress=False)
    estates.allow_in(net, unused, 443, net.cidr)
    estates.allow_in(net, unused, (8000, 8100), unused)  # self-reference
    aws.ec2.authorize_security_group_egress(
        GroupId=unused,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": net.cidr}],
            }
        ],
    )
    aws.ec2.create_tags(
        Resources=[unused],
        Tags=[{"Key": "team", "Value": "payments"}, {"Key": "Name", "Value": "lo"}],
    )
    app = estates.group(net, "app")
    _, eni = estates.launch(net, app)
    estates.tidy_account(aws.ec2)
    return net, unused, eni


def _content(aws: Any, group_id: str) -> tuple[Any, ...]:
    """Name, description, VPC, tags and rules (by content; a self-reference as "self")."""
    (group,) = aws.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    rules = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )["SecurityGroupRules"]
    tags = {
        t["Key"]: t["Value"] for t in group.get("Tags", ()) if t["Key"] != "netmend:recreated-from"
    }
    return (
        group["GroupName"],
        group["Description"],
        group["VpcId"],
        tuple(sorted(tags.items())),
        frozenset(
            (
                r["IsEgress"],
                r["IpProtocol"],
                r.get("FromPort"),
                r.get("ToPort"),
                r.get("CidrIpv4"),
                "self"
                if r.get("ReferencedGroupInfo", {}).get("GroupId") == group_id
                else r.get("ReferencedGroupInfo", {}).get("GroupId"),
            )
            for r in rules
        ),
    )


def _runner(clients: AwsClients, tmp_path: Path) -> Runner:
    return Runner(
        clients, RunStore(tmp_path / "state"), YesApprover("ci"), AuditLog(tmp_path / "a.jsonl")
    )


def _plan(clients: AwsClients, unused: str) -> Any:
    inventory = collect_inventory(clients, quotas=False)
    report = scan_estate(inventory, PLAYBOOKS, only=[PLAYBOOK])
    assert [f.resource for f in report.findings] == [unused]
    return propose_finding_fix(inventory, PLAYBOOKS, PLAYBOOK, unused).plan


def _exists(aws: Any, group_id: str) -> bool:
    found = aws.ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return bool(found["SecurityGroups"])


def test_delete_then_rollback_recreates_the_group(aws: Any, tmp_path: Path) -> None:
    """The fix is one DeleteSecurityGroup, needing a person, its diff listing every rule
    as removed; applied, the group is gone and the finding with it; rolled back, the
    group is back under a new id with the same name, description, VPC, tags and rules
    (the self-reference naming the new id), the report saying the id changed; a second
    rollback makes no second group."""
    net, unused, _ = _plant(aws)
    clients = aws.clients()
    seen = _references(clients, {"SecurityGroupReferenceSet": []})
    before = _content(aws, unused)
    plan = _plan(clients, unused)
    assert [c.api for c in plan.changes] == ["DeleteSecurityGroup"]
    assert plan.approval_required
    assert plan.deleted == (unused,)
    assert not any("still finds" in n for n in plan.notes)
    text = plan_to_text(plan, width=160)
    assert f"{unused} (leftover) in {net.vpc}: DELETED, with all 3 rule(s)" in text
    removed = [line.split() for line in text.splitlines() if line.lstrip().startswith("- ")]
    assert sorted((row[1], row[3]) for row in removed) == [
        ("egress", "5432"),
        ("ingress", "443"),
        ("ingress", "8000-8100"),
    ]
    named = plan.changes[0].warnings[0]  # every rule, in netmend's rule wording
    assert all(part in named for part in ("443", "5432", f"8000-8100 from {unused}"))

    runner = _runner(clients, tmp_path)
    result = runner.execute(plan, apply=True, verify_method="local")
    assert result.status is RunStatus.APPLIED, result.message
    assert not _exists(aws, unused)
    assert seen
    assert unused in str(seen[-1]["body"])

    back = runner.rollback(plan.run_id)
    assert back.status is RunStatus.ROLLED_BACK, back.message
    assert back.rollback is not None
    ((old, new_id),) = back.rollback.recreated.items()
    assert old == unused
    assert new_id != unused
    assert f"re-created as {new_id}" in back.message
    assert "new id" in back.message
    assert _content(aws, new_id) == before
    (group,) = aws.ec2.describe_security_groups(GroupIds=[new_id])["SecurityGroups"]
    assert {"Key": "netmend:recreated-from", "Value": unused} in group["Tags"]

    again = runner.rollback(plan.run_id)
    assert again.status is RunStatus.ROLLED_BACK, again.message
    assert again.changes == ()
    named = aws.ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["leftover"]}]
    )["SecurityGroups"]
    assert [g["GroupId"] for g in named] == [new_id]


@pytest.mark.parametrize("use", ["attached", "referenced", "peered"])
def test_delete_is_refused_when_the_group_is_used_by_the_time_of_the_call(
    aws: Any, tmp_path: Path, use: str
) -> None:
    """Planned while unused; then an interface gets the group, another group's rule
    references it, or a peered VPC of another account references it. moto would delete
    it anyway: netmend's own check refuses, the run rolls back, the group stays."""
    net, unused, eni = _plant(aws)
    clients = aws.clients()
    answer: dict[str, Any] = {"SecurityGroupReferenceSet": []}
    if use == "peered":
        answer = {
            "SecurityGroupReferenceSet": [
                {
                    "GroupId": unused,
                    "ReferencingVpcId": "vpc-0a1b2c3d4e5f60718",
                    "VpcPeeringConnectionId": "pcx-0a1b2c3d4e5f60718",
                }
            ]
        }
    _references(clients, answer)
    plan = _plan(clients, unused)
    if use == "attached":
        (app,) = [
            g["GroupId"]
            for g in aws.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])[
                "NetworkInterfaces"
            ][0]["Groups"]
        ]
        aws.ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=[app, unused])
        why = f"attached to {eni}"
    elif use == "referenced":
        other = estates.group(net, "client")
        estates.allow_in(net, other, 443, unused)
        why = f"referenced by the rules of {other}"
    else:
        why = "referenced from vpc-0a1b2c3d4e5f60718 across pcx-0a1b2c3d4e5f60718"

    result = _runner(clients, tmp_path).execute(plan, apply=True, verify_method="local")
    assert result.status is RunStatus.ROLLED_BACK, result.message
    assert "in use now" in result.message
    assert why in result.message
    assert _exists(aws, unused)


def test_cli_scan_says_the_references_were_not_read(aws: Any, cli_env: Path) -> None:
    """Live, on moto (no DescribeSecurityGroupReferences: it answers a 500): the scan
    still reports the unused group, says in the signals that the references were not
    read and in the finding what it could not see; exit 0, one JSON document."""
    _, unused, _ = _plant(aws)
    result = run_cli("scan", "--playbook", PLAYBOOK, "--output", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    document = result.json()
    assert [f["resource"] for f in document["findings"]] == [unused]
    assert document["signals"]["security_group_references"].startswith("not read")
    assert "were not read" in document["findings"][0]["summary"]
