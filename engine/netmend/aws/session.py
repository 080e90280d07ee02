"""Where to talk to AWS: options from the command line and environment, and the clients.

Precedence, as the AWS CLI has it: an explicit option (``--region``, ``--profile``,
``--endpoint-url``) wins; then ``AWS_REGION``, ``AWS_DEFAULT_REGION`` and the profile's
``region``; ``AWS_PROFILE`` and ``AWS_ENDPOINT_URL`` (also ``AWS_ENDPOINT_URL_EC2``)
are read by botocore itself. Every way this can fail becomes ``AwsConnectionError``
with one line that says what to fix.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ProfileNotFound
from botocore.loaders import Loader

from netmend.aws.retry import AwsCaller, RetryPolicy
from netmend.errors import AwsConnectionError

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_service_quotas import ServiceQuotasClient

__all__ = ["AwsClients", "AwsOptions", "make_clients", "resolve_region", "valid_region_name"]

# Commercial (eu-west-1), China (cn-north-1), GovCloud (us-gov-west-1) and the ISO
# partitions (us-iso-east-1, us-isob-east-1, eu-isoe-west-1) all fit this shape.
_REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

# Retries happen once, in tenacity (netmend.aws.retry); botocore makes one attempt.
_BOTOCORE_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="netmend",
)


@dataclass(frozen=True)
class AwsOptions:
    """The user's choices; None means "what the environment and config files say"."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


def valid_region_name(name: str) -> bool:
    """True for a well-formed region name such as ``eu-west-1`` or ``us-gov-west-1``."""
    return bool(_REGION_NAME.fullmatch(name))


def resolve_region(options: AwsOptions, session: boto3.Session) -> str:
    """The region to use: option, AWS_REGION, then botocore's (AWS_DEFAULT_REGION, profile)."""
    region = options.region or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        raise AwsConnectionError(
            "no AWS region: pass --region or set AWS_REGION (or a region in the profile)"
        )
    if not valid_region_name(region):
        raise AwsConnectionError(
            f"malformed AWS region {region!r}: expected a name like eu-west-1; "
            "check --region / AWS_REGION"
        )
    return region


def _check_endpoint_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AwsConnectionError(
            f"malformed endpoint URL {url!r}: expected http(s)://host[:port]; "
            "check --endpoint-url / AWS_ENDPOINT_URL"
        )


_LOADER_LOCK = threading.Lock()
_shared_loader: Loader | None = None


def _botocore_session() -> botocore.session.Session:
    # One model loader per process: parsing EC2's service model takes a few tenths of
    # a second, and every new session would otherwise do it again.
    global _shared_loader  # noqa: PLW0603 (a process-wide cache, set once)
    with _LOADER_LOCK:
        core = botocore.session.Session()
        if _shared_loader is None:
            _shared_loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _shared_loader)
    return core


def _dedupe_search_paths() -> None:
    # boto3.Session appends its data folder to the (shared) loader's paths each time.
    with _LOADER_LOCK:
        if _shared_loader is not None:
            paths = _shared_loader.search_paths
            paths[:] = list(dict.fromkeys(paths))


class AwsClients:
    """The clients for one account and region, and the caller that retries their calls.

    ``ec2`` is made at once; ``service_quotas`` and ``elbv2`` only when first used.
    """

    def __init__(
        self,
        session: boto3.Session,
        *,
        region: str,
        endpoint_url: str | None,
        call: AwsCaller,
    ) -> None:
        self.session = session
        self.region = region
        self._endpoint_url = endpoint_url
        self.call = call
        self._others: dict[str, Any] = {}
        self.ec2: EC2Client = self._client_or_raise("ec2")

    @cached_property
    def service_quotas(self) -> ServiceQuotasClient:
        client: ServiceQuotasClient = self._client_or_raise("service-quotas")
        return client

    @cached_property
    def elbv2(self) -> ElasticLoadBalancingv2Client:
        client: ElasticLoadBalancingv2Client = self._client_or_raise("elbv2")
        return client

    @cached_property
    def cloudwatch(self) -> Any:
        """CloudWatch, for the ENA metrics ``netmend scan`` reads (made on first use)."""
        return self._client_or_raise("cloudwatch")

    def client(self, service: str) -> Any:
        """A client for another service (sqs, s3, dynamodb) on the same session and
        endpoint, made on first use (the event worker's queue, state and locks)."""
        made = self._others.get(service)
        if made is None:
            made = self._others[service] = self._client_or_raise(service)
        return made

    @property
    def endpoint_url(self) -> str:
        """The EC2 endpoint in use (the one given, or AWS's regional one)."""
        return str(self.ec2.meta.endpoint_url)

    def _client_or_raise(self, service: str) -> Any:
        # Any on purpose: boto3-stubs types session.client() by literal service name.
        session: Any = self.session
        try:
            return session.client(
                service,
                region_name=self.region,
                endpoint_url=self._endpoint_url,
                config=_BOTOCORE_CONFIG,
            )
        except ValueError as error:  # botocore's "Invalid endpoint: ..."
            raise AwsConnectionError(
                f"cannot use the endpoint URL for {service}: {error}; "
                "check --endpoint-url / AWS_ENDPOINT_URL"
            ) from error
        except BotoCoreError as error:
            raise AwsConnectionError(f"cannot create the {service} client: {error}") from error


def make_clients(
    options: AwsOptions | None = None, *, retry: RetryPolicy | None = None
) -> AwsClients:
    """Clients for the options' account and region; raises AwsConnectionError if unusable.

    Checks the profile, region and credentials at once (credentials are resolved here,
    as the first call would); an unreachable endpoint shows on the first call instead,
    as ``AwsConnectionError`` from the retry wrapper.
    """
    options = options or AwsOptions()
    if options.endpoint_url is not None:
        _check_endpoint_url(options.endpoint_url)
    try:
        session = boto3.Session(profile_name=options.profile, botocore_session=_botocore_session())
        _dedupe_search_paths()
        region = resolve_region(options, session)
        credentials = session.get_credentials()
    except ProfileNotFound as error:
        name = options.profile or os.environ.get("AWS_PROFILE", "")
        raise AwsConnectionError(
            f"unknown AWS profile {name!r}: check --profile / AWS_PROFILE and ~/.aws/config"
        ) from error
    except BotoCoreError as error:
        raise AwsConnectionError(f"cannot load the AWS configuration: {error}") from error
    if credentials is None:
        raise AwsConnectionError(
            "no AWS credentials: pass --profile, set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    return AwsClients(
        session, region=region, endpoint_url=options.endpoint_url, call=AwsCaller(retry)
    )
