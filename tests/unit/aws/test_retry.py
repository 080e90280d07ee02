"""The retry wrapper: what retries, how often, and what a failure turns into.

Calls go through real boto3 clients (as make_clients builds them) with botocore's
Stubber in front, so requests and responses are checked against botocore's model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.stub import Stubber
from structlog.testing import capture_logs
from tenacity import wait_none

from netmend.aws.retry import AwsCaller, RetryPolicy, is_retryable, is_retryable_write
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.errors import AwsCallError, AwsConnectionError, AwsOutcomeUnknownError


class Sleeps(list[float]):
    """A fake sleep that records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _clients(sleeps: Sleeps, attempts: int = 4) -> AwsClients:
    policy = RetryPolicy(max_attempts=attempts, wait=wait_none(), sleep=sleeps)
    return make_clients(AwsOptions(region="eu-west-1"), retry=policy)


@pytest.fixture
def clients(sleeps: Sleeps) -> AwsClients:
    return _clients(sleeps)


@pytest.fixture
def stub(clients: AwsClients) -> Iterator[Stubber]:
    with Stubber(clients.ec2) as stubber:
        yield stubber


def _pending(stub: Stubber) -> bool:
    try:
        stub.assert_no_pending_responses()
    except AssertionError:
        return True
    return False


def test_retries_throttling_until_it_succeeds(
    clients: AwsClients, stub: Stubber, sleeps: Sleeps
) -> None:
    """RequestLimitExceeded (HTTP 503) is retried; the call then returns AWS's answer."""
    stub.add_client_error("describe_vpcs", "RequestLimitExceeded", "slow down", 503)
    stub.add_client_error("describe_vpcs", "RequestLimitExceeded", "slow down", 503)
    stub.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1"}]})

    answer = clients.call(clients.ec2.describe_vpcs)

    assert [v["VpcId"] for v in answer["Vpcs"]] == ["vpc-1"]
    assert sleeps == [0, 0]
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("Throttling", 400),
        ("EC2ThrottledException", 503),
        ("SomethingNew", 503),  # unknown code, but HTTP 503: the status decides
        ("InternalError", 500),
        ("TooManyRequestsException", 429),
    ],
)
def test_retries_throttling_codes_and_server_errors(
    clients: AwsClients, stub: Stubber, sleeps: Sleeps, code: str, status: int
) -> None:
    """Throttling codes, 5xx and 429 are transient: one retry and the call succeeds."""
    stub.add_client_error("describe_vpcs", code, "try again", status)
    stub.add_response("describe_vpcs", {"Vpcs": []})

    assert clients.call(clients.ec2.describe_vpcs)["Vpcs"] == []
    assert len(sleeps) == 1


def test_gives_up_after_max_attempts(clients: AwsClients, stub: Stubber, sleeps: Sleeps) -> None:
    """After max_attempts throttled tries the call fails for good with AwsCallError that
    keeps the operation and code and says it was retryable; no further attempt is made."""
    for _ in range(4):
        stub.add_client_error(
            "describe_vpcs", "RequestLimitExceeded", "Request limit exceeded.", 503
        )
    stub.add_response("describe_vpcs", {"Vpcs": []})  # must stay unused

    with pytest.raises(AwsCallError) as caught:
        clients.call(clients.ec2.describe_vpcs)

    assert caught.value.operation == "DescribeVpcs"
    assert caught.value.code == "RequestLimitExceeded"
    assert caught.value.aws_message == "Request limit exceeded."
    assert caught.value.retryable
    assert len(sleeps) == 3
    assert _pending(stub)


@pytest.mark.parametrize(
    "case",
    [
        (
            "authorize_security_group_ingress",
            {
                "GroupId": "sg-1",
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                    }
                ],
            },
            "InvalidPermission.Duplicate",
            400,
            "AuthorizeSecurityGroupIngress",
        ),
        ("describe_vpcs", {}, "UnauthorizedOperation", 403, "DescribeVpcs"),
        (
            "delete_security_group",
            {"GroupId": "sg-1"},
            "DependencyViolation",
            400,
            "DeleteSecurityGroup",
        ),
        (
            "describe_security_groups",
            {"GroupIds": ["sg-1"]},
            "InvalidGroup.NotFound",
            400,
            "DescribeSecurityGroups",
        ),
    ],
)
def test_does_not_retry_other_errors(
    clients: AwsClients, stub: Stubber, sleeps: Sleeps, case: tuple[Any, ...]
) -> None:
    """Duplicate, Unauthorized, DependencyViolation and NotFound fail at the first try,
    translated with operation, code and message, marked not retryable."""
    method, params, code, status, operation = case
    stub.add_client_error(method, code, f"{code} happened", status, expected_params=params)
    stub.add_client_error(method, "ShouldNotBeReached", "", 400)

    with pytest.raises(AwsCallError) as caught:
        clients.call(getattr(clients.ec2, method), **params)

    assert caught.value.operation == operation
    assert caught.value.code == code
    assert caught.value.aws_message == f"{code} happened"
    assert not caught.value.retryable
    assert f"{operation} failed: {code}" in str(caught.value)
    assert sleeps == []
    assert _pending(stub)


def test_logs_each_retry_at_warning(clients: AwsClients, stub: Stubber) -> None:
    """Every retry is logged at warning level with the operation, attempt and code."""
    stub.add_client_error("describe_vpcs", "RequestLimitExceeded", "slow", 503)
    stub.add_client_error("describe_vpcs", "Throttling", "slow", 400)
    stub.add_response("describe_vpcs", {"Vpcs": []})

    with capture_logs() as logs:
        clients.call(clients.ec2.describe_vpcs)

    retries = [e for e in logs if e["event"] == "aws call retrying"]
    assert [(e["log_level"], e["operation"], e["attempt"], e["error_code"]) for e in retries] == [
        ("warning", "DescribeVpcs", 1, "RequestLimitExceeded"),
        ("warning", "DescribeVpcs", 2, "Throttling"),
    ]


def test_rejected_credentials_are_a_connection_error(clients: AwsClients, stub: Stubber) -> None:
    """AuthFailure means the setup is wrong, not the call: AwsConnectionError, exit 2."""
    stub.add_client_error("describe_vpcs", "AuthFailure", "AWS was not able to validate", 401)

    with pytest.raises(AwsConnectionError, match="rejected the credentials") as caught:
        clients.call(clients.ec2.describe_vpcs)
    assert caught.value.exit_code == 2


def test_timeouts_retry_then_become_connection_errors(sleeps: Sleeps) -> None:
    """Connect timeouts are retried up to max_attempts, then reported in one line with
    the service, endpoint and reason."""
    caller = AwsCaller(RetryPolicy(max_attempts=3, wait=wait_none(), sleep=sleeps))
    attempts: list[int] = []

    def times_out() -> None:
        attempts.append(1)
        raise ConnectTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/")

    with pytest.raises(AwsConnectionError) as caught:
        caller.run(
            "DescribeVpcs", times_out, service="EC2", endpoint="https://ec2.eu-west-1.amazonaws.com"
        )
    assert len(attempts) == 3
    assert str(caught.value) == (
        "cannot reach EC2 at https://ec2.eu-west-1.amazonaws.com: connection timed out; "
        "check --endpoint-url (or AWS_ENDPOINT_URL) and the network"
    )


def test_read_timeout_is_retried(sleeps: Sleeps) -> None:
    """A read timeout is transient: the next attempt's answer is returned."""
    caller = AwsCaller(RetryPolicy(max_attempts=3, wait=wait_none(), sleep=sleeps))
    outcomes: list[Any] = [ReadTimeoutError(endpoint_url="http://127.0.0.1:5000/"), "ok"]

    def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    assert caller.run("DescribeVpcs", flaky) == "ok"
    assert len(sleeps) == 1


def test_refused_connection_is_not_retried(sleeps: Sleeps) -> None:
    """A refused connection will not heal in seconds: one attempt, then a one-line
    AwsConnectionError saying "connection refused"."""
    caller = AwsCaller(RetryPolicy(max_attempts=5, wait=wait_none(), sleep=sleeps))
    attempts: list[int] = []

    def refused() -> None:
        attempts.append(1)
        raise EndpointConnectionError(
            endpoint_url="http://127.0.0.1:1/",
            error=ConnectionRefusedError(111, "Connection refused"),
        )

    with pytest.raises(
        AwsConnectionError,
        match=r"^cannot reach EC2 at http://127\.0\.0\.1:1: "
        r"connection refused; check --endpoint-url",
    ):
        caller.run("DescribeVpcs", refused, service="EC2", endpoint="http://127.0.0.1:1")
    assert attempts == [1]
    assert sleeps == []


def test_parameter_mistakes_are_not_translated(clients: AwsClients) -> None:
    """Parameters netmend built wrongly are a bug: botocore's error passes through."""
    with pytest.raises(ParamValidationError):
        clients.call(clients.ec2.describe_vpcs, MaxResults="many")  # type: ignore[arg-type]


def test_botocore_makes_a_single_attempt(clients: AwsClients) -> None:
    """botocore's own retries are off (one attempt), so only tenacity retries."""
    assert clients.ec2.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ClientError(
                {
                    "Error": {"Code": "RequestLimitExceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 503},
                },
                "X",
            ),
            True,
        ),
        (ClientError({"Error": {"Code": "RequestThrottled"}}, "X"), True),
        (
            ClientError(
                {
                    "Error": {"Code": "InvalidPermission.Duplicate"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "X",
            ),
            False,
        ),
        (
            ClientError(
                {
                    "Error": {"Code": "RulesPerSecurityGroupLimitExceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "X",
            ),
            False,
        ),
        (
            ClientError(
                {"Error": {"Code": "Boom"}, "ResponseMetadata": {"HTTPStatusCode": 502}}, "X"
            ),
            True,
        ),
        (EndpointConnectionError(endpoint_url="http://x"), False),
        (ValueError("not AWS"), False),
    ],
)
def test_is_retryable(error: BaseException, expected: bool) -> None:
    """Only throttling, transient codes, 5xx/429 and timeouts count as retryable."""
    assert is_retryable(error) is expected


def test_a_write_is_not_sent_again_after_its_answer_was_lost(sleeps: Sleeps) -> None:
    """A read timeout or a reset connection after a write went out: not retried (that would
    be a guess), but AwsOutcomeUnknownError for the caller to resolve by reading back;
    a connect failure (nothing sent) and throttling still retry for writes."""
    caller = AwsCaller(RetryPolicy(max_attempts=3, wait=wait_none(), sleep=sleeps))
    for lost in (
        ReadTimeoutError(endpoint_url="http://127.0.0.1:5000/"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:5000/"),
    ):
        attempts: list[int] = []

        def write(error: BaseException = lost, seen: list[int] = attempts) -> str:
            seen.append(1)
            raise error

        with pytest.raises(AwsOutcomeUnknownError):
            caller.run("AuthorizeSecurityGroupIngress", write, retry_if=is_retryable_write)
        assert len(attempts) == 1
    assert not is_retryable_write(ReadTimeoutError(endpoint_url="http://x/"))
    assert is_retryable_write(ConnectTimeoutError(endpoint_url="http://x/"))
    throttled = ClientError(
        {"Error": {"Code": "RequestLimitExceeded"}}, "AuthorizeSecurityGroupIngress"
    )
    assert is_retryable_write(throttled)
