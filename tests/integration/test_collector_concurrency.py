"""Concurrent collection against the moto server over HTTP: the same inventory (order
included) and the same calls as a sequential one, each operation called once, rules
read once (DescribeSecurityGroups parsed without IpPermissions), and one operation
failing for good fails the whole collection with the error a sequential one raises."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from tenacity import wait_none

from netmend.aws.collector import collect_inventory
from netmend.aws.retry import RetryPolicy
from netmend.errors import AwsCallError
from netmend.model import Inventory
from tests.conftest import MotoAws
from tests.integration.test_collector import Estate, build_estate

pytestmark = pytest.mark.integration


class Calls:
    """Every EC2/ELBv2 request made (operation and parameters), from any thread."""

    def __init__(self, *clients: Any) -> None:
        self._lock = threading.Lock()
        self.made: list[tuple[str, str]] = []
        self.parsed_groups: list[dict[str, Any]] = []
        for client in clients:
            client.meta.events.register("before-parameter-build", self._before)
            client.meta.events.register("after-call.ec2.DescribeSecurityGroups", self._after)

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.made.append((model.name, json.dumps(params, sort_keys=True, default=str)))

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.parsed_groups.extend(parsed.get("SecurityGroups") or ())

    def per_operation(self) -> Counter[str]:
        return Counter(name for name, _ in self.made)


def _with_load_balancer(aws: MotoAws, estate: Estate) -> None:
    """An ALB with a listener and a target group holding the web instance."""
    elbv2: Any = aws.clients().elbv2
    balancer = elbv2.create_load_balancer(
        Name="shop", Subnets=[estate.subnet_a, estate.subnet_b], SecurityGroups=[estate.web_sg]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(
        Name="web", Protocol="HTTP", Port=80, VpcId=estate.vpc_id, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": estate.web_instance}])
    elbv2.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )


def _collect(aws: MotoAws, concurrency: int, **kw: Any) -> tuple[Inventory, Calls, list[Any]]:
    clients = aws.clients()
    calls = Calls(clients.ec2, clients.elbv2)
    told: list[tuple[str, int]] = []
    inventory = collect_inventory(
        clients, concurrency=concurrency, progress=lambda k, n: told.append((k, n)), **kw
    )
    return inventory, calls, told


def _content(inventory: Inventory) -> dict[str, Any]:
    return inventory.model_dump(mode="json", exclude={"collected_at"})


def test_concurrent_collection_equals_sequential(aws: MotoAws) -> None:
    """Collected with six readers at once and one after another, for the region and for
    one VPC, the inventory is the same field by field and in the same order, the same
    requests are made (each operation with the same parameters, as often), and progress
    hears the same kinds with the same counts in the same order."""
    estate = build_estate(aws.ec2)
    _with_load_balancer(aws, estate)
    for kw in ({}, {"vpc_ids": [estate.vpc_id], "quotas": False}):
        _same_both_ways(aws, kw)


def _same_both_ways(aws: MotoAws, kw: dict[str, Any]) -> None:
    sequential, calls_one, told_one = _collect(aws, 1, **kw)
    concurrent, calls_six, told_six = _collect(aws, 6, **kw)

    assert _content(concurrent) == _content(sequential)
    assert concurrent.load_balancers
    assert concurrent.target_groups
    assert concurrent.security_groups
    assert concurrent.network_interfaces
    assert Counter(calls_six.made) == Counter(calls_one.made)
    assert told_six == told_one
    assert [k for k, _ in told_six] == [
        "VPCs",
        "subnets",
        "route tables",
        "network ACLs",
        "security groups",
        "network interfaces",
        "instances",
    ]


def test_each_operation_is_called_once_and_rules_are_read_once(aws: MotoAws) -> None:
    """On a small estate (every answer one page) a collection calls each describe
    operation once, GetManagedPrefixListEntries once per list and the per-balancer
    ELBv2 calls once per balancer or target group; DescribeSecurityGroups answers
    reach botocore's result without IpPermissions (the rules come from
    DescribeSecurityGroupRules, and still arrive: the web group has its six ingress
    rules), while the same client's other DescribeSecurityGroups calls keep them."""
    estate = build_estate(aws.ec2)
    _with_load_balancer(aws, estate)

    clients = aws.clients()
    calls = Calls(clients.ec2, clients.elbv2)
    inventory = collect_inventory(clients, concurrency=6, quotas=False)

    per_operation = calls.per_operation()
    assert per_operation["GetManagedPrefixListEntries"] == len(inventory.prefix_lists)
    assert per_operation["DescribeListeners"] == len(inventory.load_balancers) == 1
    assert per_operation["DescribeTargetHealth"] == len(inventory.target_groups) == 1
    once = {name: n for name, n in per_operation.items() if n != 1}
    assert once == {}, once
    assert {
        "DescribeVpcs",
        "DescribeSecurityGroups",
        "DescribeSecurityGroupRules",
        "DescribeNetworkInterfaces",
        "DescribeInstances",
        "DescribeLoadBalancers",
        "DescribeTargetGroups",
    } <= set(per_operation)
    assert len(calls.made) == len(set(calls.made))  # no request made twice
    assert calls.parsed_groups
    assert all("IpPermissions" not in g for g in calls.parsed_groups)
    assert all("IpPermissionsEgress" not in g for g in calls.parsed_groups)
    assert all("GroupName" in g and "VpcId" in g for g in calls.parsed_groups)
    web = inventory.security_group(estate.web_sg)
    assert web is not None
    assert len(web.ingress) == 6
    # Outside the collector's reads the same client parses answers whole.
    again = clients.ec2.describe_security_groups(GroupIds=[estate.web_sg])["SecurityGroups"]
    assert len(again[0]["IpPermissions"]) == 3


def _failing(operation: str, code: str, status: int, attempts: list[str]) -> Any:
    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != operation:
            return None
        attempts.append(threading.current_thread().name)
        parsed = {
            "Error": {"Code": code, "Message": f"{operation} is not available"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("http://127.0.0.1/", status, {}, None), parsed

    return answer


@pytest.mark.parametrize(
    ("code", "status", "tries"),
    [("InternalError", 500, 3), ("UnauthorizedOperation", 403, 1)],
    ids=["retried-then-fails", "denied"],
)
def test_an_operation_failing_for_good_fails_the_collection(
    aws: MotoAws, code: str, status: int, tries: int
) -> None:
    """DescribeNetworkInterfaces failing on a worker thread fails the collection with
    the AwsCallError a sequential collection raises (same operation, code, message),
    after the retry policy's attempts (3 for a server error, 1 for a denial); no
    inventory comes back and no request is still in flight when the error arrives.
    (The default VPC moto starts with is estate enough.)"""
    errors: dict[int, AwsCallError] = {}
    for concurrency in (1, 6):
        clients = aws.clients(RetryPolicy(max_attempts=3, wait=wait_none(), sleep=lambda _: None))
        attempts: list[str] = []
        calls = Calls(clients.ec2)
        clients.ec2.meta.events.register(
            "before-call.ec2.DescribeNetworkInterfaces",
            _failing("DescribeNetworkInterfaces", code, status, attempts),
        )
        with pytest.raises(AwsCallError) as caught:
            collect_inventory(clients, concurrency=concurrency, quotas=False)
        errors[concurrency] = caught.value
        assert len(attempts) == tries
        if concurrency > 1:
            assert all(name.startswith("netmend-read") for name in attempts)
        assert "DescribeNetworkInterfaces" in calls.per_operation()
        # Every reader thread has ended: nothing is still calling AWS after the error.
        assert not [t for t in threading.enumerate() if t.name.startswith("netmend-read")]
    one, six = errors[1], errors[6]
    assert (six.operation, six.code, str(six)) == (one.operation, one.code, str(one))
    assert six.operation == "DescribeNetworkInterfaces"
    assert six.code == code
