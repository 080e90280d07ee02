"""What the worker needs from a queue: receive, delete, extend visibility, let go.

SQS implements it (``netmend.aws.queue.SqsQueue``); the Lambda entry point has no
queue to call (the event source mapping deletes what the handler reports as done).
"""

from __future__ import annotations

from typing import Protocol

from netmend.aws.queue import QueueMessage

__all__ = ["MessageQueue", "QueueMessage"]


class MessageQueue(Protocol):
    @property
    def url(self) -> str: ...

    def receive(
        self, *, max_messages: int, wait_seconds: int, visibility_seconds: int
    ) -> list[QueueMessage]:
        """Up to ``max_messages`` (1-10) messages, long-polling up to ``wait_seconds``."""
        ...

    def delete(self, message: QueueMessage) -> None:
        """Acknowledge: the outcome is recorded, the message is not delivered again."""
        ...

    def extend(self, message: QueueMessage, seconds: int) -> None:
        """Keep the message invisible ``seconds`` more (a long run is in progress)."""
        ...
