"""The event worker's SQS queue (it has the shape of ``netmend.watch.queue.MessageQueue``).

Receives with long polling and an explicit visibility timeout; deletes one message at a
time, after its outcome is recorded; ``extend`` raises the visibility timeout of a
message whose run is still going (Reachability Analyzer takes about a minute). A
receipt that expired meanwhile cannot be deleted or extended: SQS answers
ReceiptHandleIsInvalid, which is logged and left to redelivery (the event ledger then
recognises the event as done).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError

__all__ = ["QueueMessage", "SqsQueue"]

log = structlog.get_logger()

_STALE_RECEIPT = frozenset(
    {"ReceiptHandleIsInvalid", "InvalidParameterValue", "AWS.SimpleQueueService.NonExistentQueue"}
)


@dataclass(frozen=True)
class QueueMessage:
    """One received message (``netmend.watch.queue`` re-exports it for the worker)."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int = 1


class SqsQueue:
    def __init__(self, clients: AwsClients, url: str) -> None:
        self._url = url
        self._clients = clients
        self._sqs: Any = clients.client("sqs")

    @property
    def url(self) -> str:
        return self._url

    def _call(self, operation: str, method: Any, **params: Any) -> Any:
        return self._clients.call.run(operation, lambda: method(**params), service="SQS")

    def receive(
        self, *, max_messages: int, wait_seconds: int, visibility_seconds: int
    ) -> list[QueueMessage]:
        answer = self._call(
            "ReceiveMessage",
            self._sqs.receive_message,
            QueueUrl=self._url,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=max(0, min(20, wait_seconds)),
            VisibilityTimeout=visibility_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [
            QueueMessage(
                message_id=item["MessageId"],
                receipt_handle=item["ReceiptHandle"],
                body=item.get("Body", ""),
                receive_count=int(item.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for item in answer.get("Messages", ())
        ]

    def delete(self, message: QueueMessage) -> None:
        try:
            self._call(
                "DeleteMessage",
                self._sqs.delete_message,
                QueueUrl=self._url,
                ReceiptHandle=message.receipt_handle,
            )
        except AwsCallError as error:
            if error.code not in _STALE_RECEIPT:
                raise
            log.warning("message receipt expired before delete", message_id=message.message_id)

    def extend(self, message: QueueMessage, seconds: int) -> None:
        try:
            self._call(
                "ChangeMessageVisibility",
                self._sqs.change_message_visibility,
                QueueUrl=self._url,
                ReceiptHandle=message.receipt_handle,
                VisibilityTimeout=seconds,
            )
        except AwsCallError as error:
            if error.code not in _STALE_RECEIPT:
                raise
            log.warning("message receipt expired before extend", message_id=message.message_id)
