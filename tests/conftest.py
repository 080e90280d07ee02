"""Shared fixtures: an AWS-free environment for every test, and a real moto server.

Every test runs with fake credentials, a fixed region and empty AWS config files, so
nothing can reach a real account or read the developer's profiles. Integration tests
use ``aws`` (a moto server on 127.0.0.1, reset before each test, reached over HTTP
through boto3's normal path).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import botocore.loaders
import botocore.session
import pytest
import requests
import structlog
from moto.server import ThreadedMotoServer
from moto.utilities.utils import load_resource

from netmend.aws.retry import RetryPolicy
from netmend.aws.session import AwsClients, AwsOptions, make_clients

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_service_quotas import ServiceQuotasClient

TEST_REGION = "eu-west-1"


def _moto_images() -> list[dict[str, Any]]:
    """The images moto's EC2 starts each region with, less its ~1,200 ECS-optimised ones.

    moto builds an image, a volume and a snapshot for every image it ships whenever it
    creates a region's EC2 backend, i.e. after every reset: ~2 s of each integration
    test, for images no test launches. Its own ``MOTO_AMIS_PATH`` setting replaces that
    catalogue; this one is moto's generic images (``ami-03cf127a`` among them) and the
    test region's latest ones (the Amazon Linux 2 images the demo's ``find_image``
    picks), so every id a test or the demo uses is still there.
    """
    images: list[dict[str, Any]] = load_resource("ec2/resources/amis.json")
    latest: list[dict[str, Any]] = load_resource(f"ec2/resources/latest_amis/{TEST_REGION}.json")
    return images + latest


@cache
def _model_loader() -> botocore.loaders.Loader:
    """One botocore model loader for the tests' own clients (netmend keeps its own).

    A plain ``boto3.Session()`` parses EC2's service model again (about a second of each
    integration test); sharing the loader keeps its parsed models. Clients stay per test,
    so hooks a test registers on one never reach another.
    """
    return botocore.loaders.create_loader()


def boto3_session(region: str = TEST_REGION) -> Any:
    """A boto3 session for a test's raw clients, sharing the parsed service models."""
    core = botocore.session.Session()
    loader = _model_loader()
    core.register_component("data_loader", loader)
    session = boto3.Session(region_name=region, botocore_session=core)
    # boto3 appends its data folder to the (shared) loader's search path every time.
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


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
    images = folder / "moto-amis.json"
    images.write_text(json.dumps(_moto_images()))
    # moto reads MOTO_AMIS_PATH when its EC2 models are first imported (by the first EC2
    # backend, after collection): nothing may have imported them yet.
    assert "moto.ec2.models.amis" not in sys.modules, (
        "moto's EC2 models were imported during collection, so MOTO_AMIS_PATH would be "
        "ignored: import moto's services inside tests or fixtures, not at module level"
    )
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
        patch.setenv("MOTO_AMIS_PATH", str(images))
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
    session = boto3_session()
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
