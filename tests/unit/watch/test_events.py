"""Parsing EventBridge CloudTrail events: ids, touched resources, netmend's own writes,
and the rule's event pattern."""

from __future__ import annotations

import json

import pytest

from netmend.watch.events import RELEVANT_EVENT_NAMES, MalformedEventError, parse_event
from netmend.watch.pattern import event_pattern
from tests.integration.watch_support import NETMEND_ROLE, cloudtrail_event, revoke_ingress_event


def test_resources_are_found_wherever_the_api_puts_them() -> None:
    """ModifySecurityGroupRules nests a capitalised GroupId; a referenced group and the
    group itself both count; the CloudTrail event id is the dedupe key."""
    event = cloudtrail_event(
        "ModifySecurityGroupRules",
        {
            "ModifySecurityGroupRulesRequest": {
                "GroupId": "sg-0123456789abcdef0",
                "SecurityGroupRule": {
                    "SecurityGroupRuleId": "sgr-0123456789abcdef0",
                    "SecurityGroupRule": {"ReferencedGroupId": "sg-0fedcba9876543210"},
                },
            }
        },
        event_id="8a1b2c3d-0000-4000-8000-000000000001",
    )
    parsed = parse_event(json.dumps(event))
    assert parsed.event_id == "8a1b2c3d-0000-4000-8000-000000000001"
    assert parsed.resources == ("sg-0123456789abcdef0", "sg-0fedcba9876543210")
    assert parsed.relevant
    assert parsed.caused_by_netmend() is None


def test_own_writes_are_recognised_three_ways() -> None:
    by_role = parse_event(
        json.dumps(revoke_ingress_event("sg-12345678", "sg-87654321", 443, role=NETMEND_ROLE))
    )
    assert by_role.caused_by_netmend([NETMEND_ROLE]) is not None
    assert by_role.caused_by_netmend([]) is None
    agent = parse_event(
        json.dumps(
            revoke_ingress_event(
                "sg-12345678", "sg-87654321", 443, user_agent="Boto3/1.35 Botocore/1.35 netmend"
            )
        )
    )
    assert "user agent" in (agent.caused_by_netmend() or "")
    described = cloudtrail_event(
        "AuthorizeSecurityGroupIngress",
        {
            "groupId": "sg-12345678",
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "ipRanges": {
                            "items": [
                                {
                                    "cidrIp": "10.0.0.5/32",
                                    "description": "netmend run 20261201T030000Z-0a1b2c3d",
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    assert parse_event(json.dumps(described)).own_run == "20261201T030000Z-0a1b2c3d"


def test_failed_and_other_calls_are_not_relevant() -> None:
    failed = revoke_ingress_event("sg-12345678", "sg-87654321", 443, error_code="Client.Fail")
    assert not parse_event(json.dumps(failed)).relevant
    assert not parse_event(json.dumps(cloudtrail_event("RunInstances", {}))).relevant


@pytest.mark.parametrize(
    "body", ["", "[1, 2]", "{not json", '{"detail": {}}', '{"detail": {"eventName": "X"}}']
)
def test_malformed_bodies_are_refused(body: str) -> None:
    with pytest.raises(MalformedEventError):
        parse_event(body)


def test_the_event_pattern_names_the_relevant_calls_only_when_they_succeed() -> None:
    pattern = event_pattern()
    assert pattern["source"] == ["aws.ec2"]
    assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    assert pattern["detail"]["eventName"] == list(RELEVANT_EVENT_NAMES)
    assert pattern["detail"]["errorCode"] == [{"exists": False}]
    assert "RevokeSecurityGroupIngress" in RELEVANT_EVENT_NAMES
