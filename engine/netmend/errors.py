"""The errors netmend raises on purpose: each says what failed and why, in one line.

The CLI turns ``NetmendError`` into a one-line message and its ``exit_code``; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "AwsCallError",
    "AwsConnectionError",
    "AwsOutcomeUnknownError",
    "BadInputError",
    "InventoryFileError",
    "NetmendError",
    "ResourceLockedError",
]


class NetmendError(Exception):
    """Base of the errors netmend reports to the user rather than crashing on.

    ``kind`` is the stable ``error.code`` of ``--output json`` (scripts branch on it).
    """

    exit_code: int = 1
    kind: str = "error"


class BadInputError(NetmendError):
    """The user asked for something malformed or unknown (exit 2, nothing written)."""

    exit_code = 2
    kind = "bad_input"


class InventoryFileError(BadInputError):
    """A saved inventory could not be read or does not match the model."""

    kind = "bad_inventory_file"


class AwsConnectionError(NetmendError):
    """AWS (or the endpoint given) could not be reached or configured at all."""

    exit_code = 2
    kind = "aws_unreachable"


class AwsOutcomeUnknownError(AwsConnectionError):
    """The request may have reached AWS but no answer came back (connection reset, read
    timeout): whether it took effect is unknown until the state is read back."""


class AwsCallError(NetmendError):
    """An AWS API call failed for good; carries the operation and AWS's error code."""

    kind = "aws_call_failed"

    def __init__(self, operation: str, code: str, message: str, *, retryable: bool = False):
        self.operation = operation
        self.code = code
        self.aws_message = message
        self.retryable = retryable
        super().__init__(f"{operation} failed: {code}: {message}")


class ResourceLockedError(NetmendError):
    """Another live run holds the lock of a resource this run needs (lock files, or the
    DynamoDB lock table: both raise it, so it lives here, below store/ and aws/)."""

    def __init__(self, resource: str, run_id: str, pid: int | None = None) -> None:
        self.resource = resource
        self.holder_run_id = run_id
        where = f" (pid {pid})" if pid else ""
        super().__init__(f"{resource} is locked by run {run_id}{where}: wait for it to finish")
