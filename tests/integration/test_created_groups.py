"""Deleting a group netmend created, on a moto server: only its own, only when detached.

moto lets an attached group be deleted where AWS refuses (DependencyViolation); netmend
must not rely on that, so it checks the interfaces itself before the call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runner_estate import Estate, build_estate

from netmend.approval import YesApprover
from netmend.audit import AuditLog
from netmend.aws.collector import collect_inventory
from netmend.aws.mutations import apply_change
from netmend.errors import NetmendError
from netmend.playbook import load_playbooks, propose_plan
from netmend.reach import evaluate, make_flow
from netmend.reach.causes.classify import classify
from netmend.run.plan import Change, new_run_id
from netmend.run.runner import Runner
from netmend.store import RunStatus, RunStore

pytestmark = pytest.mark.integration

TAGS = [
    {"ResourceType": "security-group", "Tags": [{"Key": "netmend:created-by", "Value": "netmend"}]}
]


def _delete(group_id: str) -> Change:
    return Change(
        action="restore.delete-created-group",
        api="DeleteSecurityGroup",
        resource=group_id,
        params={"GroupId": group_id},
    )


def _exists(aws: Any, group_id: str) -> bool:
    groups = aws.ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroups"
    ]
    return bool(groups)


def _created(aws: Any, estate: Estate, name: str) -> str:
    return aws.ec2.create_security_group(
        GroupName=name, Description="made by netmend", VpcId=estate.vpc_id, TagSpecifications=TAGS
    )["GroupId"]


def test_delete_refuses_an_attached_group(aws: Any) -> None:
    """Attached to an interface: refused before the call, the group stays; once
    detached it is deleted; deleting it again counts as done."""
    estate = build_estate(aws.ec2)
    group = _created(aws, estate, "overflow")
    aws.ec2.modify_network_interface_attribute(
        NetworkInterfaceId=estate.inventory_eni, Groups=[estate.inventory_sg, group]
    )
    with pytest.raises(NetmendError, match=f"still attached to {estate.inventory_eni}"):
        apply_change(aws.clients(), _delete(group))
    assert _exists(aws, group)
    aws.ec2.modify_network_interface_attribute(
        NetworkInterfaceId=estate.inventory_eni, Groups=[estate.inventory_sg]
    )
    assert apply_change(aws.clients(), _delete(group)).status == "ok"
    assert not _exists(aws, group)
    again = apply_change(aws.clients(), _delete(group))
    assert (again.status, again.code) == ("already-done", "InvalidGroup.NotFound")


def test_delete_refuses_a_group_netmend_did_not_create(aws: Any) -> None:
    """An untagged group (someone else's, even unattached) is never deleted."""
    estate = build_estate(aws.ec2)
    theirs = aws.ec2.create_security_group(
        GroupName="theirs", Description="not ours", VpcId=estate.vpc_id
    )["GroupId"]
    with pytest.raises(NetmendError, match="only a group it created"):
        apply_change(aws.clients(), _delete(theirs))
    assert _exists(aws, theirs)


def test_rollback_keeps_a_created_group_someone_attached_elsewhere(
    aws: Any, tmp_path: Path
) -> None:
    """The run's overflow group was attached by hand to another interface after the run:
    rollback restores the run's interface, refuses to delete the group (still carried)
    and reports rollback_failed naming that interface."""
    estate = build_estate(aws.ec2)
    clients = aws.clients()
    # Fill inventory-sg's inbound quota with unrelated /16s so the rule must overflow.
    for start in range(0, 60, 20):
        aws.ec2.authorize_security_group_ingress(
            GroupId=estate.inventory_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8443,
                    "ToPort": 8443,
                    "IpRanges": [{"CidrIp": f"100.{64 + n}.0.0/16"}],
                }
                for n in range(start, start + 20)
            ],
        )
    inventory = collect_inventory(clients, quotas=False)
    flow = make_flow(
        inventory, estate.shop_instance, estate.inventory_instance, protocol="tcp", port=8443
    )
    evaluation = evaluate(inventory, flow)
    plan = propose_plan(
        inventory,
        flow,
        evaluation,
        classify(inventory, flow, evaluation),
        load_playbooks(),
        run_id=new_run_id(),
    )
    assert plan.changes[0].api == "CreateSecurityGroup"
    store = RunStore(tmp_path / "state")
    runner = Runner(clients, store, YesApprover("ci"), AuditLog(tmp_path / "audit.jsonl"))
    result = runner.execute(plan, apply=True, flow=flow)
    assert result.status is RunStatus.APPLIED, result.message
    created = result.changes[0].resource
    assert created.startswith("sg-")
    aws.ec2.modify_network_interface_attribute(
        NetworkInterfaceId=estate.shop_eni, Groups=[estate.shop_sg, created]
    )

    back = runner.rollback(plan.run_id)
    assert back.status is RunStatus.ROLLBACK_FAILED
    assert f"still attached to {estate.shop_eni}" in back.message
    assert f"{created}: created by run {plan.run_id}, still exists" in back.message
    assert _exists(aws, created)
    (eni,) = aws.ec2.describe_network_interfaces(NetworkInterfaceIds=[estate.inventory_eni])[
        "NetworkInterfaces"
    ]
    assert [g["GroupId"] for g in eni["Groups"]] == [estate.inventory_sg]
