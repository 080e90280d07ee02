"""Quotas from Service Quotas (Stubber: AWS's answers and errors), else the defaults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber
from structlog.testing import capture_logs
from tenacity import wait_none

from netmend.aws.quotas import QUOTA_CODES, read_quotas
from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.model import Quotas


@pytest.fixture
def clients() -> AwsClients:
    policy = RetryPolicy(max_attempts=2, wait=wait_none(), sleep=lambda _: None)
    return make_clients(AwsOptions(region="eu-west-1"), retry=policy)


@pytest.fixture
def stub(clients: AwsClients) -> Iterator[Stubber]:
    with Stubber(clients.service_quotas) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _answer(code: str, value: float) -> dict[str, object]:
    return {"Quota": {"ServiceCode": "vpc", "QuotaCode": code, "Value": value}}


def test_applied_values_are_used(clients: AwsClients, stub: Stubber) -> None:
    """Raised quotas are read under service code vpc and recorded with their source."""
    values = {"L-0EA8095F": 120.0, "L-2AFB9258": 8.0, "L-2AEEBF1A": 30.0}
    for code in QUOTA_CODES.values():
        stub.add_response(
            "get_service_quota",
            _answer(code, values[code]),
            expected_params={"ServiceCode": "vpc", "QuotaCode": code},
        )

    assert read_quotas(clients) == Quotas(
        rules_per_security_group=120,
        security_groups_per_interface=8,
        rules_per_network_acl=30,
        source="service-quotas",
    )


def test_no_applied_value_falls_back_to_the_aws_default(clients: AwsClients, stub: Stubber) -> None:
    """NoSuchResourceException (nothing applied) asks for AWS's default value instead."""
    stub.add_client_error("get_service_quota", "NoSuchResourceException", "none", 400)
    stub.add_response(
        "get_aws_default_service_quota",
        _answer("L-0EA8095F", 60.0),
        expected_params={"ServiceCode": "vpc", "QuotaCode": "L-0EA8095F"},
    )
    stub.add_response("get_service_quota", _answer("L-2AFB9258", 16.0))
    stub.add_response("get_service_quota", _answer("L-2AEEBF1A", 40.0))

    quotas = read_quotas(clients)

    assert (
        quotas.rules_per_security_group,
        quotas.security_groups_per_interface,
        quotas.rules_per_network_acl,
        quotas.source,
    ) == (60, 16, 40, "service-quotas")


def test_denied_keeps_the_defaults_and_says_why(clients: AwsClients, stub: Stubber) -> None:
    """Without permission every quota keeps its default, source stays "default", and
    each failure is logged at info level with its reason."""
    for _ in QUOTA_CODES:
        stub.add_client_error(
            "get_service_quota",
            "AccessDeniedException",
            "not authorized to perform servicequotas:GetServiceQuota",
            400,
        )

    with capture_logs() as logs:
        quotas = read_quotas(clients)

    assert quotas == Quotas()
    assert quotas.source == "default"
    notes = [e for e in logs if e["event"] == "quota not read; using the default"]
    assert [e["quota_code"] for e in notes] == list(QUOTA_CODES.values())
    assert all(e["log_level"] == "info" for e in notes)
    assert all("AccessDeniedException" in e["reason"] for e in notes)


def test_one_failure_keeps_only_that_default(clients: AwsClients, stub: Stubber) -> None:
    """A quota that cannot be read keeps its default; the others are still read."""
    stub.add_response("get_service_quota", _answer("L-0EA8095F", 100.0))
    stub.add_client_error("get_service_quota", "ServiceException", "boom", 400)
    stub.add_response("get_service_quota", _answer("L-2AEEBF1A", 25.0))

    quotas = read_quotas(clients)

    assert (
        quotas.rules_per_security_group,
        quotas.security_groups_per_interface,
        quotas.rules_per_network_acl,
    ) == (100, Quotas().security_groups_per_interface, 25)
