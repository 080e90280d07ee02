"""Reachability Analyzer (Network Insights) through netmend.aws.reachability.

moto 5.2.5 implements no Network Insights operation, so these tests use botocore's
``Stubber`` on a real boto3 EC2 client (us-east-1, dummy credentials, no network): every
request is checked against the parameters expected, and every stubbed response is
validated by botocore against EC2's own service model. Time is a fake clock whose
``sleep`` advances it, so polling and timeouts take no real time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from structlog.testing import capture_logs
from tenacity import wait_none

from netmend.aws.reachability import (
    CREATED_BY_TAG,
    RUN_ID_TAG,
    AnalysisFailedError,
    CannotAnalyseError,
    VerificationTimeoutError,
    analyze_path,
    find_leftovers,
    path_request,
)
from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.errors import AwsCallError
from netmend.reach import Direction, Endpoint, EndpointKind, Flow, Leg

PATH_ID = "nip-0123456789abcdef0"
ANALYSIS_ID = "nia-0fedcba9876543210"
SOURCE_ENI = "eni-0aaaaaaaaaaaaaaa1"
DEST_ENI = "eni-0bbbbbbbbbbbbbbb2"
SERVER_SG = "sg-0ccccccccccccccc3"
DEFAULT_SG = "sg-0ddddddddddddddd4"
SERVER_ACL = "acl-0eeeeeeeeeeeeeee5"
SERVER_SUBNET = "subnet-0fffffffffffffff6"
STARTED = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clients() -> AwsClients:
    policy = RetryPolicy(max_attempts=1, wait=wait_none(), sleep=lambda _: None)
    return make_clients(AwsOptions(region="us-east-1"), retry=policy)


@pytest.fixture
def stub(clients: AwsClients) -> Iterator[Stubber]:
    with Stubber(clients.ec2) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def _endpoint(eni: str, instance: str, address: str, given: str | None = None) -> Endpoint:
    return Endpoint(
        kind=EndpointKind.ENI,
        address=address,
        eni_id=eni,
        instance_id=instance,
        given=given or instance,
    )


def _flow(protocol: str = "tcp", port: int | None = 8443, **kwargs: Any) -> Flow:
    return Flow(
        source=_endpoint(SOURCE_ENI, "i-0aaaaaaaaaaaaaaa1", "10.1.1.10"),
        destination=_endpoint(DEST_ENI, "i-0bbbbbbbbbbbbbbb2", "10.1.2.20"),
        protocol=protocol,
        port=port,
        **kwargs,
    )


def _tags(run_id: str | None = None) -> list[dict[str, str]]:
    tags = [{"Key": CREATED_BY_TAG, "Value": "netmend"}]
    return tags + ([{"Key": RUN_ID_TAG, "Value": run_id}] if run_id else [])


def _expect_create(stub: Stubber, *, run_id: str | None = None, **expected: Any) -> None:
    params = {
        "Source": SOURCE_ENI,
        "Destination": DEST_ENI,
        "Protocol": "tcp",
        "DestinationPort": 8443,
        "TagSpecifications": [{"ResourceType": "network-insights-path", "Tags": _tags(run_id)}],
        "ClientToken": ANY,
    } | expected
    stub.add_response(
        "create_network_insights_path",
        {
            "NetworkInsightsPath": {
                "NetworkInsightsPathId": PATH_ID,
                "NetworkInsightsPathArn": f"arn:aws:ec2:us-east-1:123456789012:"
                f"network-insights-path/{PATH_ID}",
                "CreatedDate": STARTED,
                "Source": SOURCE_ENI,
                "Destination": DEST_ENI,
                "Protocol": "tcp",
                "DestinationPort": 8443,
                "Tags": _tags(run_id),
            }
        },
        expected_params=params,
    )


def _analysis(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "NetworkInsightsAnalysisId": ANALYSIS_ID,
        "NetworkInsightsAnalysisArn": f"arn:aws:ec2:us-east-1:123456789012:"
        f"network-insights-analysis/{ANALYSIS_ID}",
        "NetworkInsightsPathId": PATH_ID,
        "StartDate": STARTED,
        "Status": status,
        **fields,
    }


def _expect_start(stub: Stubber, *, run_id: str | None = None) -> None:
    stub.add_response(
        "start_network_insights_analysis",
        {"NetworkInsightsAnalysis": _analysis("running")},
        expected_params={
            "NetworkInsightsPathId": PATH_ID,
            "TagSpecifications": [
                {"ResourceType": "network-insights-analysis", "Tags": _tags(run_id)}
            ],
            "ClientToken": ANY,
        },
    )


def _expect_describe(stub: Stubber, analysis: dict[str, Any]) -> None:
    stub.add_response(
        "describe_network_insights_analyses",
        {"NetworkInsightsAnalyses": [analysis]},
        expected_params={"NetworkInsightsAnalysisIds": [ANALYSIS_ID]},
    )


def _expect_cleanup(stub: Stubber, *, analysis: bool = True) -> None:
    if analysis:
        stub.add_response(
            "delete_network_insights_analysis",
            {"NetworkInsightsAnalysisId": ANALYSIS_ID},
            expected_params={"NetworkInsightsAnalysisId": ANALYSIS_ID},
        )
    stub.add_response(
        "delete_network_insights_path",
        {"NetworkInsightsPathId": PATH_ID},
        expected_params={"NetworkInsightsPathId": PATH_ID},
    )


def _component(sequence: int, kind: str, component_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "SequenceNumber": sequence,
        "Component": {
            "Id": component_id,
            "Arn": f"arn:aws:ec2:us-east-1:123456789012:{kind}/{component_id}",
        },
        **fields,
    }


FOUND = _analysis(
    "succeeded",
    NetworkPathFound=True,
    ForwardPathComponents=[
        _component(
            1,
            "network-interface",
            SOURCE_ENI,
            OutboundHeader={
                "DestinationAddresses": ["10.1.2.20/32"],
                "DestinationPortRanges": [{"From": 8443, "To": 8443}],
                "Protocol": "6",
                "SourceAddresses": ["10.1.1.10/32"],
            },
        ),
        _component(
            2,
            "security-group",
            SERVER_SG,
            SecurityGroupRule={
                "Cidr": "10.1.0.0/16",
                "Direction": "ingress",
                "SecurityGroupId": SERVER_SG,
                "PortRange": {"From": 8443, "To": 8443},
                "Protocol": "tcp",
            },
        ),
        _component(3, "network-interface", DEST_ENI),
    ],
    ReturnPathComponents=[
        _component(1, "network-interface", DEST_ENI),
        _component(
            2,
            "network-interface",
            SOURCE_ENI,
            AdditionalDetails=[{"AdditionalDetailType": "AVAILABILITY_ZONE_CROSSED"}],
        ),
    ],
    Explanations=[],
)


def test_a_path_found_is_reachable_and_everything_is_deleted(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """Create (tagged, with the run id), start, poll past one running answer, read
    NetworkPathFound and the path; then delete the analysis and then the path."""
    _expect_create(stub, run_id="run-1")
    _expect_start(stub, run_id="run-1")
    _expect_describe(stub, _analysis("running"))
    _expect_describe(stub, FOUND)
    _expect_cleanup(stub)

    result = analyze_path(
        clients, _flow(), tag_run_id="run-1", sleep=fake_time.sleep, clock=fake_time.clock
    )

    assert result.reachable is True
    assert result.explanations == ()
    assert (result.path_id, result.analysis_id) == (PATH_ID, ANALYSIS_ID)
    assert result.forward_components == (SOURCE_ENI, SERVER_SG, DEST_ENI)
    assert result.return_components == (DEST_ENI, SOURCE_ENI)
    assert "AVAILABILITY_ZONE_CROSSED" in result.notes
    assert fake_time.sleeps == [10, 5]  # the initial wait, then one poll interval


def test_waiting_is_told_how_long_the_analysis_has_run(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """Before each wait (the initial 10 s, then each poll interval) ``on_wait`` hears how
    long the analysis has been running, so a face can show it against the usual minute."""
    _expect_create(stub)
    _expect_start(stub)
    _expect_describe(stub, _analysis("running"))
    _expect_describe(stub, _analysis("running"))
    _expect_describe(stub, FOUND)
    _expect_cleanup(stub)
    heard: list[float] = []

    analyze_path(
        clients, _flow(), sleep=fake_time.sleep, clock=fake_time.clock, on_wait=heard.append
    )

    assert heard == [0, 10, 15]
    assert fake_time.sleeps == [10, 5, 5]


BLOCKED = _analysis(
    "succeeded",
    NetworkPathFound=False,
    ForwardPathComponents=[_component(1, "network-interface", SOURCE_ENI)],
    Explanations=[
        {
            "ExplanationCode": "ENI_SG_RULES_MISMATCH",
            "Direction": "ingress",
            "NetworkInterface": {"Id": DEST_ENI},
            "SecurityGroups": [
                {"Id": SERVER_SG, "Name": "payments-api-sg"},
                {"Id": DEFAULT_SG, "Name": "default"},
            ],
            "Protocols": ["tcp"],
            "Port": 8443,
            "Vpc": {"Id": "vpc-0123456789abcdef0"},
        },
        {
            "ExplanationCode": "SUBNET_ACL_RESTRICTION",
            "Direction": "ingress",
            "Acl": {"Id": SERVER_ACL, "Name": "ledger-api-restricted-acl"},
            "AclRule": {
                "Cidr": "0.0.0.0/0",
                "Egress": False,
                "Protocol": "all",
                "RuleAction": "deny",
                "RuleNumber": 32767,
            },
            "Subnet": {"Id": SERVER_SUBNET},
            "Vpc": {"Id": "vpc-0123456789abcdef0"},
        },
    ],
)


def test_a_blocked_path_is_explained_in_netmends_words(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """ENI_SG_RULES_MISMATCH names the (first) security group, not the ENI or VPC, with
    its direction; SUBNET_ACL_RESTRICTION names the ACL and shows the rule that matched."""
    _expect_create(stub)
    _expect_start(stub)
    _expect_describe(stub, BLOCKED)
    _expect_cleanup(stub)

    result = analyze_path(clients, _flow(), sleep=fake_time.sleep, clock=fake_time.clock)

    assert result.reachable is False
    sg, acl = result.explanations
    assert (sg.code, sg.component, sg.direction, sg.leg) == (
        "ENI_SG_RULES_MISMATCH",
        SERVER_SG,
        Direction.INGRESS,
        Leg.FORWARD,
    )
    assert f"security groups {SERVER_SG}, {DEFAULT_SG}" in sg.detail
    assert "port 8443" in sg.detail
    assert (acl.code, acl.component, acl.direction) == (
        "SUBNET_ACL_RESTRICTION",
        SERVER_ACL,
        Direction.INGRESS,
    )
    assert acl.rules == ("ACL rule * (ingress): deny all all ports from 0.0.0.0/0",)


def test_an_unknown_code_is_kept_as_aws_sent_it(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """A code netmend has never heard of does not crash: it is kept, with its component
    and the direction the rule it shows implies."""
    future = _analysis(
        "succeeded",
        NetworkPathFound=False,
        Explanations=[
            {
                "ExplanationCode": "SOME_CODE_FROM_2030",
                "Component": {"Id": "vpce-0123456789abcdef0"},
                "SecurityGroupRule": {
                    "Cidr": "10.1.0.0/16",
                    "Direction": "egress",
                    "SecurityGroupId": SERVER_SG,
                    "Protocol": "tcp",
                    "PortRange": {"From": 443, "To": 443},
                },
            }
        ],
    )
    _expect_create(stub)
    _expect_start(stub)
    _expect_describe(stub, future)
    _expect_cleanup(stub)

    result = analyze_path(clients, _flow(), sleep=fake_time.sleep, clock=fake_time.clock)

    (explanation,) = result.explanations
    assert explanation.code == "SOME_CODE_FROM_2030"
    assert explanation.component == "vpce-0123456789abcdef0"
    assert explanation.direction is Direction.EGRESS
    assert explanation.rules == ("security group rule (egress): tcp 443 to 10.1.0.0/16",)


def test_a_failed_analysis_raises_with_awss_message_and_cleans_up(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """Status failed becomes AnalysisFailedError carrying StatusMessage; the analysis and
    the path are still deleted."""
    message = "request failed due to modifications in network resources during the analysis"
    _expect_create(stub)
    _expect_start(stub)
    _expect_describe(stub, _analysis("failed", StatusMessage=message))
    _expect_cleanup(stub)

    with pytest.raises(AnalysisFailedError, match="modifications in network resources") as info:
        analyze_path(clients, _flow(), sleep=fake_time.sleep, clock=fake_time.clock)
    assert info.value.status_message == message


def test_an_analysis_running_past_the_timeout_raises_and_is_deleted(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """Still running at the deadline: VerificationTimeoutError after polling at 10, 15 and
    20 s of a 20 s timeout (no real waiting), and both resources deleted."""
    _expect_create(stub)
    _expect_start(stub)
    for _ in range(3):
        _expect_describe(stub, _analysis("running"))
    _expect_cleanup(stub)

    with pytest.raises(VerificationTimeoutError, match="still running after 20 s"):
        analyze_path(clients, _flow(), timeout_s=20, sleep=fake_time.sleep, clock=fake_time.clock)
    assert fake_time.now == 20
    assert fake_time.sleeps == [10, 5, 5]


def test_a_failed_start_still_deletes_the_path(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """When StartNetworkInsightsAnalysis is refused there is no analysis to delete, but
    the path created just before is deleted, and AWS's error reaches the caller."""
    _expect_create(stub)
    stub.add_client_error(
        "start_network_insights_analysis",
        "UnauthorizedOperation",
        "You are not authorized to perform this operation.",
        403,
    )
    _expect_cleanup(stub, analysis=False)

    with pytest.raises(AwsCallError, match="UnauthorizedOperation"):
        analyze_path(clients, _flow(), sleep=fake_time.sleep, clock=fake_time.clock)


def test_a_failed_delete_is_logged_not_raised_over_the_original_error(
    clients: AwsClients, stub: Stubber, fake_time: FakeTime
) -> None:
    """If deleting the analysis fails, the path is still deleted, the failure is logged,
    and the caller sees the analysis's own error."""
    _expect_create(stub)
    _expect_start(stub)
    _expect_describe(stub, _analysis("failed", StatusMessage="internal error"))
    stub.add_client_error(
        "delete_network_insights_analysis", "InvalidParameterValue", "analysis is in use", 400
    )
    _expect_cleanup(stub, analysis=False)

    with capture_logs() as logs, pytest.raises(AnalysisFailedError, match="internal error"):
        analyze_path(clients, _flow(), sleep=fake_time.sleep, clock=fake_time.clock)
    warnings = [e for e in logs if e["event"] == "reachability analyzer cleanup failed"]
    assert [w["NetworkInsightsAnalysisId"] for w in warnings] == [ANALYSIS_ID]


@pytest.mark.parametrize(
    ("flow", "reason"),
    [
        (_flow("icmp", None, icmp_type=8), "Reachability Analyzer cannot analyse ICMP"),
        (_flow("-1", None), "cannot analyse all-traffic (-1) flows"),
        (
            Flow(
                source=_endpoint(SOURCE_ENI, "i-1", "2001:db8::10"),
                destination=_endpoint(DEST_ENI, "i-2", "2001:db8::20"),
                protocol="tcp",
                port=443,
            ),
            "IPv4 only",
        ),
        (
            Flow(
                source=Endpoint(
                    kind=EndpointKind.EXTERNAL, address="203.0.113.9", given="203.0.113.9"
                ),
                destination=_endpoint(DEST_ENI, "i-2", "10.1.2.20"),
                protocol="tcp",
                port=443,
            ),
            "needs an AWS resource as the source",
        ),
    ],
)
def test_flows_it_cannot_analyse_make_no_call(
    clients: AwsClients, stub: Stubber, flow: Flow, reason: str
) -> None:
    """ICMP, all-traffic, IPv6 and outside sources raise CannotAnalyseError with the
    reason, before any AWS call (the stubber has nothing queued: a call would fail)."""
    with pytest.raises(CannotAnalyseError, match=re.escape(reason)):
        analyze_path(clients, flow, sleep=lambda _: None)


def test_addresses_are_passed_when_the_user_gave_addresses() -> None:
    """An endpoint given as an IP keeps that IP (SourceIp / DestinationIp beside the
    ENI); an outside destination is a DestinationIp alone."""
    by_ip = Flow(
        source=_endpoint(SOURCE_ENI, "i-1", "10.1.1.11", given="10.1.1.11"),
        destination=_endpoint(DEST_ENI, "i-2", "10.1.2.21", given="10.1.2.21"),
        protocol="udp",
        port=53,
    )
    params = path_request(by_ip)
    assert (params["Source"], params["SourceIp"]) == (SOURCE_ENI, "10.1.1.11")
    assert (params["Destination"], params["DestinationIp"]) == (DEST_ENI, "10.1.2.21")
    assert params["Protocol"] == "udp"

    outside = Flow(
        source=_endpoint(SOURCE_ENI, "i-1", "10.1.1.10"),
        destination=Endpoint(
            kind=EndpointKind.EXTERNAL, address="198.51.100.7", given="198.51.100.7"
        ),
        protocol="tcp",
        port=443,
    )
    params = path_request(outside)
    assert "Destination" not in params
    assert params["DestinationIp"] == "198.51.100.7"
    assert "SourceIp" not in params


def test_leftovers_are_the_paths_netmend_tagged(clients: AwsClients, stub: Stubber) -> None:
    """find_leftovers lists the paths tagged netmend:created-by=netmend, with their run
    id, and ignores paths made by anyone else."""

    def path(path_id: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "NetworkInsightsPathId": path_id,
            "CreatedDate": STARTED,
            "Source": SOURCE_ENI,
            "Destination": DEST_ENI,
            "Protocol": "tcp",
            "DestinationPort": 443,
            "Tags": tags,
        }

    stub.add_response(
        "describe_network_insights_paths",
        {
            "NetworkInsightsPaths": [
                path("nip-0000000000000000a", _tags("run-7")),
                path("nip-0000000000000000b", [{"Key": "team", "Value": "net"}]),
            ],
            "NextToken": "page-2",
        },
        expected_params={"MaxResults": 100},
    )
    stub.add_response(
        "describe_network_insights_paths",
        {"NetworkInsightsPaths": [path("nip-0000000000000000c", _tags())]},
        expected_params={"MaxResults": 100, "NextToken": "page-2"},
    )

    leftovers = find_leftovers(clients)

    assert [(p.path_id, p.run_id) for p in leftovers] == [
        ("nip-0000000000000000a", "run-7"),
        ("nip-0000000000000000c", None),
    ]
    assert leftovers[0].created == STARTED.isoformat()
