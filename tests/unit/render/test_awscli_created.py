"""AWS CLI commands for a plan that creates a group: the id goes through a shell variable."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from netmend.render.awscli import cli_command
from netmend.render.diff import aws_cli_commands
from netmend.run.new_resources import new_group_ref
from netmend.run.plan import Change, Plan

REF = new_group_ref("20250101T000000Z-abcdef12", 1)


def _plan() -> Plan:
    tags = [
        {
            "ResourceType": "security-group",
            "Tags": [{"Key": "netmend:run-id", "Value": "20250101T000000Z-abcdef12"}],
        }
    ]
    return Plan(
        region="eu-west-1",
        changes=(
            Change(
                action="sg.create-group",
                api="CreateSecurityGroup",
                resource=REF,
                params={
                    "GroupName": "web-overflow-1",
                    "Description": "overflow of sg-web",
                    "VpcId": "vpc-1",
                    "TagSpecifications": tags,
                },
            ),
            Change(
                action="sg.authorize-ingress",
                api="AuthorizeSecurityGroupIngress",
                resource=REF,
                params={
                    "GroupId": REF,
                    "IpPermissions": [
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 443,
                            "ToPort": 443,
                            "IpRanges": [{"CidrIp": "10.0.2.7/32"}],
                        }
                    ],
                },
            ),
            Change(
                action="eni.attach-group",
                api="ModifyNetworkInterfaceAttribute",
                resource="eni-1",
                params={"NetworkInterfaceId": "eni-1", "Groups": ["sg-web", REF]},
            ),
        ),
    )


def test_create_keeps_the_id_and_later_commands_use_it() -> None:
    """create-security-group saves GroupId in NEW_SG_1; the rule and the interface's
    group list name "$NEW_SG_1" where the plan has the placeholder."""
    create, authorize, attach = aws_cli_commands(_plan())
    assert create == (
        "NEW_SG_1=$(aws ec2 create-security-group --group-name web-overflow-1 "
        "--description 'overflow of sg-web' --vpc-id vpc-1 --tag-specifications "
        '\'[{"ResourceType": "security-group", "Tags": [{"Key": "netmend:run-id", '
        '"Value": "20250101T000000Z-abcdef12"}]}]\' --region eu-west-1 '
        "--query GroupId --output text)"
    )
    assert authorize == (
        'aws ec2 authorize-security-group-ingress --group-id "$NEW_SG_1" --protocol tcp '
        "--port 443 --cidr 10.0.2.7/32 --region eu-west-1"
    )
    assert attach == (
        "aws ec2 modify-network-interface-attribute --network-interface-id eni-1 "
        '--groups sg-web "$NEW_SG_1" --region eu-west-1'
    )
    assert "new-sg:" not in " ".join((create, authorize, attach))


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash to parse the script")
def test_the_commands_are_one_valid_shell_script() -> None:
    """Single and multi-line forms parse as shell (bash -n: parsed, never run)."""
    plan = _plan()
    for script in (
        "\n".join(aws_cli_commands(plan)),
        "\n".join(cli_command(c, plan.region).multi_line() for c in plan.changes),
    ):
        checked = subprocess.run(
            ["bash", "-n"],  # noqa: S607
            input=script,
            text=True,
            capture_output=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr


def test_delete_security_group_uses_its_flag() -> None:
    """The rollback's delete reads as the runbook would write it."""
    change = Change(
        action="restore.delete-created-group",
        api="DeleteSecurityGroup",
        resource="sg-new1",
        params={"GroupId": "sg-new1"},
    )
    assert cli_command(change).one_line() == "aws ec2 delete-security-group --group-id sg-new1"
