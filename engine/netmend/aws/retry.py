"""The one wrapper around every AWS call: tenacity retries, then error translation.

botocore's own retries are switched off (see ``netmend.aws.session``) so that a call
is retried once, here: throttling codes, HTTP 5xx/429 and connection or read timeouts
retry with exponential backoff and full jitter; everything else fails at once.
Failures leave as netmend errors: ``AwsCallError`` (operation, code, message) for an
error AWS answered with, ``AwsConnectionError`` when AWS could not be reached or the
credentials are missing or refused.

Usage::

    caller = AwsCaller()                       # or clients.call
    groups = caller(ec2.describe_security_groups, GroupIds=["sg-1"])
    page = caller.run("DescribeVpcs", lambda: ..., service="EC2")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import structlog
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    StubResponseError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.wait import wait_base

from netmend.errors import AwsCallError, AwsConnectionError, AwsOutcomeUnknownError, NetmendError

__all__ = [
    "CREDENTIAL_ERROR_CODES",
    "DEFAULT_MAX_ATTEMPTS",
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "AwsCaller",
    "RetryPolicy",
    "aws_call",
    "error_code",
    "is_retryable",
    "is_retryable_write",
    "translate_error",
]

P = ParamSpec("P")
T = TypeVar("T")

log = structlog.get_logger()

DEFAULT_MAX_ATTEMPTS = 6

# Throttling codes botocore's standard mode knows (retries/standard.py), EC2's among them.
# LimitExceededException is left out on purpose: in the APIs netmend calls it means a
# quota is full, which waiting does not fix.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
    }
)

# Server-side transient errors; most also arrive as HTTP 5xx, which retries anyway.
TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "Unavailable",
    }
)

# Answers that mean "these credentials are not accepted": a setup problem, not a failed
# call, so they become AwsConnectionError (exit 2) with a hint.
CREDENTIAL_ERROR_CODES = frozenset(
    {
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
    }
)


def _default_wait() -> wait_base:
    # Full jitter over 1, 2, 4, ... s capped at 20 s: EC2's advice for throttling.
    return wait_random_exponential(multiplier=1, max=20)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; tests inject ``wait_none()`` and a fake sleep."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    wait: wait_base = field(default_factory=_default_wait)
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


def error_code(error: BaseException) -> str | None:
    """AWS's error code of a ClientError (``RequestLimitExceeded``), else None."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _http_status(error: ClientError) -> int:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return int(status or 0)


def is_retryable(error: BaseException) -> bool:
    """Throttling, transient codes, HTTP 5xx/429 and connect/read timeouts retry."""
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in THROTTLING_CODES or code in TRANSIENT_CODES:
            return True
        status = _http_status(error)
        return status >= 500 or status == 429
    return isinstance(error, ConnectTimeoutError | ReadTimeoutError)


def is_retryable_write(error: BaseException) -> bool:
    """For a write, only what says it was not carried out retries: throttling and 5xx
    answers, connect failures. A read timeout does not: the write may have been made, and
    sending it again would be a guess (the caller reads the state back instead)."""
    return is_retryable(error) and not isinstance(error, ReadTimeoutError)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _connection_reason(error: BaseException) -> str:
    """Why a connection failed, in a few words ("connection refused")."""
    if isinstance(error, ConnectTimeoutError):
        return "connection timed out"
    if isinstance(error, ReadTimeoutError):
        return "no answer (read timed out)"
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        inner = getattr(current, "kwargs", {}).get("error")
        pending.extend([inner, current.__cause__, current.__context__])
    text = " ".join(_one_line(s) for s in seen).lower()
    if "connection refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "host name not found"
    if "getaddrinfo failed" in text or "name resolution" in text:
        return "host name not found"
    return _one_line(error)


def translate_error(
    error: BaseException, *, operation: str, service: str = "AWS", endpoint: str | None = None
) -> NetmendError | None:
    """The netmend error for a botocore error, or None for anything else (a bug).

    ``ParamValidationError`` is also left alone: netmend built the parameters, so a
    malformed one is a bug to see with its traceback; so are Stubber's complaints.
    """
    if isinstance(error, ClientError):
        code = error_code(error) or "Unknown"
        message = _one_line(error.response.get("Error", {}).get("Message", "") or "")
        if code in CREDENTIAL_ERROR_CODES:
            return AwsConnectionError(
                f"{service} rejected the credentials ({code}: {message}); "
                "check --profile / AWS_PROFILE or the AWS_ACCESS_KEY_ID and secret"
            )
        return AwsCallError(
            error.operation_name or operation, code, message, retryable=is_retryable(error)
        )
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return AwsConnectionError(
            "no AWS credentials: pass --profile, set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, BotoConnectionError | ReadTimeoutError):
        where = endpoint or _one_line(getattr(error, "kwargs", {}).get("endpoint_url", "AWS"))
        # A read timeout came after the request was sent: its outcome is unknown.
        kind = AwsOutcomeUnknownError if isinstance(error, ReadTimeoutError) else AwsConnectionError
        return kind(
            f"cannot reach {service} at {where.rstrip('/')}: {_connection_reason(error)}; "
            "check --endpoint-url (or AWS_ENDPOINT_URL) and the network"
        )
    if isinstance(error, HTTPClientError):
        # Connection closed or reset once the request was on its way: outcome unknown.
        where = endpoint or "AWS"
        return AwsOutcomeUnknownError(
            f"connection to {service} at {where.rstrip('/')} failed: {_one_line(error)}"
        )
    if isinstance(error, BotoCoreError) and not isinstance(
        error, ParamValidationError | StubResponseError
    ):
        # The rest are setup problems: expired SSO token, bad config, unknown endpoint.
        return AwsConnectionError(f"{service} {operation}: {_one_line(error)}")
    return None


def _log_retry(operation: str, service: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "aws call retrying",
            service=service,
            operation=operation,
            attempt=state.attempt_number,
            error_code=error_code(error) if error else None,
            error=_one_line(error) if error else None,
            wait_seconds=round(state.upcoming_sleep, 3),
        )

    return before_sleep


class AwsCaller:
    """Calls boto3 methods with netmend's retry policy and error translation."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()

    def __call__(self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call a bound boto3 client method, e.g. ``caller(ec2.describe_vpcs, VpcIds=[..])``."""
        return self._bound(method, args, kwargs, is_retryable)

    def write(self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Like calling, for a write: retries only what surely was not carried out
        (``is_retryable_write``); an unknown outcome raises AwsOutcomeUnknownError."""
        return self._bound(method, args, kwargs, is_retryable_write)

    def _bound(
        self,
        method: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        retry_if: Callable[[BaseException], bool],
    ) -> T:
        client: Any = getattr(method, "__self__", None)
        name = getattr(method, "__name__", "call")
        operation, service, endpoint = name, "AWS", None
        meta = getattr(client, "meta", None)
        if meta is not None:
            operation = meta.method_to_api_mapping.get(name, name)
            service = meta.service_model.service_id
            endpoint = meta.endpoint_url
        return self.run(
            operation,
            lambda: method(*args, **kwargs),
            service=service,
            endpoint=endpoint,
            retry_if=retry_if,
        )

    def run(
        self,
        operation: str,
        thunk: Callable[[], T],
        *,
        service: str = "AWS",
        endpoint: str | None = None,
        retry_if: Callable[[BaseException], bool] = is_retryable,
    ) -> T:
        """Run ``thunk`` (one AWS request) under the retry policy; translate its failure."""
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self.policy.wait,
            sleep=self.policy.sleep,
            retry=retry_if_exception(retry_if),
            before_sleep=_log_retry(operation, service),
            reraise=True,
        )
        try:
            return retrying(thunk)
        except Exception as error:
            translated = translate_error(
                error, operation=operation, service=service, endpoint=endpoint
            )
            if translated is None:
                raise
            raise translated from error


# The process-wide default; AwsClients carries its own (see netmend.aws.session).
aws_call = AwsCaller()
