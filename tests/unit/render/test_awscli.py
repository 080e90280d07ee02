"""The AWS CLI commands equivalent to each kind of change, compared as whole strings."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from netmend.render.awscli import cli_command
from netmend.render.diff import aws_cli_commands
from netmend.run.plan import Change, Plan


def _command(api: str, params: dict[str, Any], *, region: str | None = None, **extra: Any) -> str:
    change = Change(action="test", api=api, resource="r-1", params=params, **extra)
    (command,) = aws_cli_commands(Plan(changes=(change,), region=region))
    return command


def _perm(**fields: Any) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, **fields}


@pytest.mark.parametrize(
    ("api", "params", "expected"),
    [
        pytest.param(
            "AuthorizeSecurityGroupIngress",
            {"GroupId": "sg-0abc", "IpPermissions": [_perm(IpRanges=[{"CidrIp": "10.0.0.0/16"}])]},
            "aws ec2 authorize-security-group-ingress --group-id sg-0abc --protocol tcp "
            "--port 8443 --cidr 10.0.0.0/16",
            id="ingress-cidr",
        ),
        pytest.param(
            "AuthorizeSecurityGroupIngress",
            {
                "GroupId": "sg-0abc",
                "IpPermissions": [_perm(UserIdGroupPairs=[{"GroupId": "sg-2"}])],
            },
            "aws ec2 authorize-security-group-ingress --group-id sg-0abc --protocol tcp "
            "--port 8443 --source-group sg-2",
            id="ingress-group",
        ),
        pytest.param(
            "AuthorizeSecurityGroupEgress",
            {
                "GroupId": "sg-0abc",
                "IpPermissions": [
                    {
                        "IpProtocol": "udp",
                        "FromPort": 1024,
                        "ToPort": 65535,
                        "IpRanges": [{"CidrIp": "10.0.4.0/24"}],
                    }
                ],
            },
            "aws ec2 authorize-security-group-egress --group-id sg-0abc --protocol udp "
            "--port 1024-65535 --cidr 10.0.4.0/24",
            id="egress-range",
        ),
        pytest.param(
            "RevokeSecurityGroupIngress",
            {
                "GroupId": "sg-0abc",
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 8080,
                        "ToPort": 8080,
                        "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
                    }
                ],
            },
            "aws ec2 revoke-security-group-ingress --group-id sg-0abc --protocol tcp "
            "--port 8080 --cidr 10.0.0.0/16",
            id="revoke-by-permission",
        ),
        pytest.param(
            "RevokeSecurityGroupEgress",
            {"GroupId": "sg-0abc", "SecurityGroupRuleIds": ["sgr-1", "sgr-2"]},
            "aws ec2 revoke-security-group-egress --group-id sg-0abc "
            "--security-group-rule-ids sgr-1 sgr-2",
            id="revoke-by-ids",
        ),
        pytest.param(
            "ModifyNetworkInterfaceAttribute",
            {"NetworkInterfaceId": "eni-0abc", "Groups": ["sg-0abc", "sg-0old"]},
            "aws ec2 modify-network-interface-attribute --network-interface-id eni-0abc "
            "--groups sg-0abc sg-0old",
            id="eni-groups",
        ),
        pytest.param(
            "CreateNetworkAclEntry",
            {
                "NetworkAclId": "acl-0abc",
                "RuleNumber": 90,
                "Protocol": "6",
                "RuleAction": "allow",
                "Egress": False,
                "CidrBlock": "10.0.1.0/24",
                "PortRange": {"From": 8443, "To": 8443},
            },
            "aws ec2 create-network-acl-entry --network-acl-id acl-0abc --ingress "
            "--rule-number 90 --protocol tcp --port-range From=8443,To=8443 "
            "--cidr-block 10.0.1.0/24 --rule-action allow",
            id="acl-create-ingress",
        ),
        pytest.param(
            "ReplaceNetworkAclEntry",
            {
                "NetworkAclId": "acl-0abc",
                "RuleNumber": 100,
                "Protocol": "17",
                "RuleAction": "allow",
                "Egress": True,
                "CidrBlock": "10.0.0.0/16",
                "PortRange": {"To": 65535, "From": 1024},
            },
            "aws ec2 replace-network-acl-entry --network-acl-id acl-0abc --egress "
            "--rule-number 100 --protocol udp --port-range From=1024,To=65535 "
            "--cidr-block 10.0.0.0/16 --rule-action allow",
            id="acl-replace-egress",
        ),
        pytest.param(
            "CreateNetworkAclEntry",
            {
                "NetworkAclId": "acl-0abc",
                "RuleNumber": 120,
                "Protocol": "1",
                "RuleAction": "allow",
                "Egress": False,
                "CidrBlock": "10.0.0.0/16",
                "IcmpTypeCode": {"Type": 8, "Code": -1},
            },
            "aws ec2 create-network-acl-entry --network-acl-id acl-0abc --ingress "
            "--rule-number 120 --protocol icmp --icmp-type-code Type=8,Code=-1 "
            "--cidr-block 10.0.0.0/16 --rule-action allow",
            id="acl-icmp",
        ),
        pytest.param(
            "CreateNetworkAclEntry",
            {
                "NetworkAclId": "acl-0abc",
                "RuleNumber": 130,
                "Protocol": "-1",
                "RuleAction": "deny",
                "Egress": False,
                "Ipv6CidrBlock": "2001:db8::/32",
            },
            "aws ec2 create-network-acl-entry --network-acl-id acl-0abc --ingress "
            "--rule-number 130 --protocol -1 --ipv6-cidr-block 2001:db8::/32 --rule-action deny",
            id="acl-all-ipv6",
        ),
        pytest.param(
            "DeleteNetworkAclEntry",
            {"NetworkAclId": "acl-0abc", "RuleNumber": 90, "Egress": False},
            "aws ec2 delete-network-acl-entry --network-acl-id acl-0abc --ingress --rule-number 90",
            id="acl-delete",
        ),
    ],
)
def test_command_for_each_api(api: str, params: dict[str, Any], expected: str) -> None:
    """Each API becomes the runbook-style command, with the short flags where they suffice."""
    assert _command(api, params) == expected


def test_quota_request_uses_service_quotas_and_a_whole_number() -> None:
    """A quota request goes to service-quotas; 120.0 prints as 120."""
    command = _command(
        "RequestServiceQuotaIncrease",
        {"ServiceCode": "vpc", "QuotaCode": "L-0EA8095F", "DesiredValue": 120.0},
        service="service-quotas",
    )
    assert command == (
        "aws service-quotas request-service-quota-increase --service-code vpc "
        "--quota-code L-0EA8095F --desired-value 120"
    )


def test_region_is_added_when_the_plan_has_one() -> None:
    """plan.region becomes a trailing --region."""
    command = _command(
        "DeleteNetworkAclEntry",
        {"NetworkAclId": "acl-0abc", "RuleNumber": 90, "Egress": True},
        region="eu-west-1",
    )
    assert command == (
        "aws ec2 delete-network-acl-entry --network-acl-id acl-0abc --egress "
        "--rule-number 90 --region eu-west-1"
    )


@pytest.mark.parametrize(
    "permission",
    [
        pytest.param(
            _perm(UserIdGroupPairs=[{"GroupId": "sg-2", "Description": "shop"}]), id="description"
        ),
        pytest.param(_perm(Ipv6Ranges=[{"CidrIpv6": "2001:db8::/64"}]), id="ipv6"),
        pytest.param(_perm(PrefixListIds=[{"PrefixListId": "pl-1"}]), id="prefix-list"),
        pytest.param(
            {
                "IpProtocol": "icmp",
                "FromPort": 8,
                "ToPort": -1,
                "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            },
            id="icmp",
        ),
        pytest.param({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, id="all"),
        pytest.param(
            _perm(IpRanges=[{"CidrIp": "10.0.0.0/16"}, {"CidrIp": "10.1.0.0/16"}]), id="two-cidrs"
        ),
        pytest.param(
            _perm(UserIdGroupPairs=[{"GroupId": "sg-2", "UserId": "111122223333"}]),
            id="other-account",
        ),
    ],
)
def test_permissions_the_short_flags_cannot_express_go_as_json(permission: dict[str, Any]) -> None:
    """IPv6, prefix lists, descriptions, ICMP, -1 and several peers use --ip-permissions JSON."""
    params = {"GroupId": "sg-1", "IpPermissions": [permission]}
    command = _command("AuthorizeSecurityGroupIngress", params)
    prefix = "aws ec2 authorize-security-group-ingress --group-id sg-1 --ip-permissions "
    assert command == prefix + shlex.quote(json.dumps([permission]))
    assert json.loads(shlex.split(command)[-1]) == [permission]


def test_runbook_restore_all_egress_matches_the_runbook_exactly() -> None:
    """The runbook's own allow-all egress command comes out character for character."""
    command = _command(
        "AuthorizeSecurityGroupEgress",
        {
            "GroupId": "sg-0abc123def456789",
            "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        },
    )
    assert command == (
        "aws ec2 authorize-security-group-egress --group-id sg-0abc123def456789 "
        """--ip-permissions '[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]'"""
    )


def test_quotes_in_values_are_shell_quoted() -> None:
    """A description with a single quote survives a round trip through the shell's parser."""
    permission = _perm(IpRanges=[{"CidrIp": "10.0.0.0/16", "Description": "bob's $HOME `x`"}])
    params = {"GroupId": "sg-1", "IpPermissions": [permission]}
    command = _command("AuthorizeSecurityGroupIngress", params)
    tokens = shlex.split(command)
    assert json.loads(tokens[-1]) == [permission]
    assert tokens[:5] == ["aws", "ec2", "authorize-security-group-ingress", "--group-id", "sg-1"]


def test_unknown_api_or_parameter_falls_back_to_cli_input_json() -> None:
    """A call the shorthand does not cover is still exact, through --cli-input-json."""
    params = {"NetworkInterfaceId": "eni-1", "SourceDestCheck": {"Value": False}}
    command = _command("ModifyNetworkInterfaceAttribute", params)
    assert command == (
        "aws ec2 modify-network-interface-attribute --cli-input-json "
        + shlex.quote(json.dumps(params))
    )
    tagged = {
        "GroupId": "sg-1",
        "IpPermissions": [_perm(IpRanges=[{"CidrIp": "10.0.0.0/16"}])],
        "TagSpecifications": [{"ResourceType": "security-group-rule", "Tags": []}],
    }
    tokens = shlex.split(_command("AuthorizeSecurityGroupIngress", tagged))
    assert tokens[3] == "--cli-input-json"
    assert json.loads(tokens[4]) == tagged


def test_multi_line_layout_uses_backslash_continuations() -> None:
    """The runbook layout puts each option on its own indented line."""
    change = Change(
        action="test",
        api="AuthorizeSecurityGroupIngress",
        resource="sg-1",
        params={"GroupId": "sg-1", "IpPermissions": [_perm(IpRanges=[{"CidrIp": "10.0.0.0/16"}])]},
    )
    assert cli_command(change).multi_line() == (
        "aws ec2 authorize-security-group-ingress \\\n"
        "    --group-id sg-1 \\\n"
        "    --protocol tcp \\\n"
        "    --port 8443 \\\n"
        "    --cidr 10.0.0.0/16"
    )


def test_commands_keep_plan_order() -> None:
    """One command per change, in the order the plan applies them."""
    changes = tuple(
        Change(
            action="t",
            api="DeleteNetworkAclEntry",
            resource="acl-1",
            params={"NetworkAclId": "acl-1", "RuleNumber": n, "Egress": False},
        )
        for n in (300, 100, 200)
    )
    numbers = [shlex.split(c)[-1] for c in aws_cli_commands(Plan(changes=changes))]
    assert numbers == ["300", "100", "200"]
