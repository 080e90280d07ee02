"""Shared fixtures: an AWS-free environment for every test, and a real moto server.

Every test runs with fake credentials, a fixed region and empty AWS config files, so
nothing can reach a real account or read the developer's profiles. Integration tests
use ``aws`` (a moto server on 127.0.0.1, reset before each test, reached over HTTP
through boto3's normal path).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
import structlog
from moto.server import ThreadedMotoServer

from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_service_quotas import ServiceQuotasClient

TEST_REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """Each test starts from structlog's defaults: an in-process CLI run configures
    logging for the whole process, which would hide log lines from later tests."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session", autouse=True)
def aws_test_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fake credentials and region for the whole session; no real AWS config or IMDS."""
    folder = tmp_path_factory.mktemp("aws-config")
    config = folder / "config"
    credentials = folder / "credentials"
    config.write_text("")
    credentials.write_text("")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWS_"):  # profiles, endpoints, roles, regions: none leak in
                patch.delenv(name)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_SESSION_TOKEN", "testing")
        patch.setenv("AWS_SECURITY_TOKEN", "testing")
        patch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
        patch.setenv("AWS_CONFIG_FILE", str(config))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="session")
def moto_server(aws_test_environment: None) -> Iterator[str]:
    """A moto server on a free loopback port for the session; yields its endpoint URL."""
    # The server's access log (werkzeug, one line per request) drowns failure reports.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclass(frozen=True)
class MotoAws:
    """What an integration test needs: the endpoint, options and raw boto3 clients."""

    endpoint_url: str
    region: str
    options: AwsOptions
    ec2: EC2Client
    service_quotas: ServiceQuotasClient

    def clients(self, retry: RetryPolicy | None = None) -> AwsClients:
        """netmend's own clients for the server (as the CLI would make them)."""
        return make_clients(self.options, retry=retry)


def reset_moto(endpoint_url: str) -> None:
    """Forget every resource the server holds (moto's reset API)."""
    requests.post(f"{endpoint_url}/moto-api/reset", timeout=10).raise_for_status()


@pytest.fixture
def aws(moto_server: str) -> MotoAws:
    """A freshly reset moto server with boto3 clients and AwsOptions pointing at it."""
    reset_moto(moto_server)
    session: Any = boto3.Session(region_name=TEST_REGION)
    return MotoAws(
        endpoint_url=moto_server,
        region=TEST_REGION,
        options=AwsOptions(region=TEST_REGION, endpoint_url=moto_server),
        ec2=session.client("ec2", endpoint_url=moto_server),
        service_quotas=session.client("service-quotas", endpoint_url=moto_server),
    )


@pytest.fixture
def moto_endpoint(aws: MotoAws) -> str:
    """The endpoint URL of a freshly reset moto server (for tests that make their own clients)."""
    return aws.endpoint_url
