"""AWS Lambda entry point for an SQS event source mapping: ``netmend.aws_lambda.handler``.

The same worker as ``netmend watch`` (``netmend.watch``), fed a batch by Lambda instead
of polling: each record is handled in turn and the handler reports the records whose
outcome is not recorded as ``batchItemFailures`` (the mapping must enable
``ReportBatchItemFailures``), so Lambda deletes the others and only those come back
(and go to the dead-letter queue after maxReceiveCount: a malformed message, say).
Records not started before the function's time runs low are reported too.

Configured by environment variables:
``NETMEND_INTENTS`` (path of the intents file, required), ``NETMEND_CONFIG`` (the config
file: ``state_dir: s3://...``, ``lock_table``, ``policy``), ``NETMEND_QUEUE_URL``
(optional: lets long runs extend their messages' visibility), ``NETMEND_OWN_ROLE_ARNS``
(the function's own role, whose writes start no repair), ``NETMEND_VERIFY``
(auto, local or reachability-analyzer).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from netmend.errors import BadInputError

__all__ = ["handler", "reset"]

# Leave this much of the invocation's time for reporting: records not started by then
# are reported as failures and come back, rather than being cut off half-way.
_RESERVE_MILLIS = 30_000

_cached: dict[tuple[str, ...], Any] = {}


def _settings_key() -> tuple[str, ...]:
    names = (
        "NETMEND_INTENTS",
        "NETMEND_CONFIG",
        "NETMEND_QUEUE_URL",
        "NETMEND_OWN_ROLE_ARNS",
        "NETMEND_VERIFY",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
    )
    return tuple(os.environ.get(name, "") for name in names)


def _worker() -> Any:
    """One worker per container (reused across invocations while the settings hold)."""
    key = _settings_key()
    if key in _cached:
        return _cached[key]
    from netmend.aws.queue import SqsQueue
    from netmend.aws.session import make_clients
    from netmend.config import load_config
    from netmend.log import configure_logging
    from netmend.watch.setup import build_worker, own_principals
    from netmend.watch.worker import WorkerSettings

    configure_logging(verbose=True, json_lines=True)
    intents = os.environ.get("NETMEND_INTENTS")
    if not intents:
        raise BadInputError("NETMEND_INTENTS is not set: the path of the intents file")
    clients = make_clients()
    queue_url = os.environ.get("NETMEND_QUEUE_URL")
    worker = build_worker(
        clients,
        load_config(),
        Path(intents),
        queue=SqsQueue(clients, queue_url) if queue_url else None,
        settings=WorkerSettings(own_principals=own_principals(None)),
        verify_method=os.environ.get("NETMEND_VERIFY", "auto"),
    )
    _cached.clear()
    _cached[key] = worker
    return worker


def reset() -> None:
    """Forget the cached worker (tests; a changed configuration)."""
    _cached.clear()


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Handle an SQS batch; return the records to retry as ``batchItemFailures``."""
    from netmend.watch.queue import QueueMessage

    worker = _worker()
    records = event.get("Records") or []
    failures: list[dict[str, str]] = []
    for index, record in enumerate(records):
        message_id = str(record.get("messageId", ""))
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining) and remaining() < _RESERVE_MILLIS:
            failures += [{"itemIdentifier": str(r.get("messageId", ""))} for r in records[index:]]
            break
        message = QueueMessage(
            message_id=message_id,
            receipt_handle=str(record.get("receiptHandle", "")),
            body=str(record.get("body", "")),
            receive_count=int((record.get("attributes") or {}).get("ApproximateReceiveCount", 1)),
        )
        if not worker.handle(message).ack:
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
