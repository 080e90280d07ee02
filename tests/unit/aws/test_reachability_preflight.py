"""Can Reachability Analyzer answer? Asked before the first write (issue 11, item 2).

AWS's answers are replayed with botocore's Stubber (validated against the EC2 model):
DryRun calls answer ``DryRunOperation`` (HTTP 412) when permitted and
``UnauthorizedOperation`` (HTTP 403) when not, as EC2's API reference documents.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import ANY, Stubber
from tenacity import wait_none

from netmend.aws.reachability import analyzer_cannot_answer
from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.reach.flow import Endpoint, EndpointKind, Flow


def _flow() -> Flow:
    def end(eni: str, ip: str) -> Endpoint:
        return Endpoint(kind=EndpointKind.ENI, address=ip, eni_id=eni, given=eni)

    return Flow(
        source=end("eni-0a1b2c3d4e5f60718", "10.0.1.5"),
        destination=end("eni-0f1e2d3c4b5a69788", "10.0.2.6"),
        protocol="tcp",
        port=8443,
    )


@pytest.fixture
def clients() -> AwsClients:
    policy = RetryPolicy(max_attempts=1, wait=wait_none(), sleep=lambda _: None)
    return make_clients(AwsOptions(region="eu-west-1"), retry=policy)


@pytest.fixture
def stub(clients: AwsClients) -> Iterator[Stubber]:
    with Stubber(clients.ec2) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _described(stub: Stubber) -> None:
    stub.add_response(
        "describe_network_insights_paths", {"NetworkInsightsPaths": []}, {"MaxResults": 5}
    )


def test_permitted_on_aws_when_both_dry_runs_say_so(clients: AwsClients, stub: Stubber) -> None:
    _described(stub)
    path = {
        "Source": "eni-0a1b2c3d4e5f60718",
        "Destination": "eni-0f1e2d3c4b5a69788",
        "Protocol": "tcp",
        "DestinationPort": 8443,
        "TagSpecifications": ANY,
    }
    start = {"NetworkInsightsPathId": ANY}
    for method, params in (
        ("create_network_insights_path", path),
        ("start_network_insights_analysis", start),
    ):
        stub.add_client_error(
            method,
            service_error_code="DryRunOperation",
            service_message="Request would have succeeded, but DryRun flag is set.",
            http_status_code=412,
            expected_params={"DryRun": True, **params},
        )
    assert analyzer_cannot_answer(clients, _flow(), on_aws=True) is None


def test_a_missing_permission_is_the_reason(clients: AwsClients, stub: Stubber) -> None:
    _described(stub)
    stub.add_client_error(
        "create_network_insights_path",
        service_error_code="UnauthorizedOperation",
        service_message="You are not authorized to perform this operation.",
        http_status_code=403,
    )
    reason = analyzer_cannot_answer(clients, _flow(), on_aws=True)
    assert reason is not None
    assert reason.startswith(
        "not permitted to call CreateNetworkInsightsPath (UnauthorizedOperation)"
    )


def test_a_service_that_does_not_answer_is_the_reason(clients: AwsClients, stub: Stubber) -> None:
    stub.add_client_error(
        "describe_network_insights_paths",
        service_error_code="UnauthorizedOperation",
        service_message="You are not authorized to perform this operation.",
        http_status_code=403,
    )
    reason = analyzer_cannot_answer(clients, _flow(), on_aws=False)
    assert reason is not None
    assert "DescribeNetworkInsightsPaths" in reason
