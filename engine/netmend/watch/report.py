"""What ``netmend watch --output json`` prints: the queue, the counts, each message's fate.

``WatchReport`` is a typed result (its ``model_dump(mode="json")`` is the document), so
the CLI only hands it to ``emit_json``, as it does the core's results.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from netmend.watch.worker import MessageResult, WatchSummary

__all__ = ["MessageReport", "WatchReport"]


class MessageReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str
    event_id: str | None
    action: str
    acknowledged: bool
    detail: str
    runs: tuple[dict[str, str], ...]

    @classmethod
    def of(cls, result: MessageResult) -> MessageReport:
        return cls(
            message_id=result.message_id,
            event_id=result.event_id,
            action=result.action,
            acknowledged=result.ack,
            detail=result.detail,
            runs=result.runs,
        )


class WatchReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    queue_url: str
    received: int
    acknowledged: int
    left: int
    stopped_by_signal: bool
    messages: tuple[MessageReport, ...]

    @classmethod
    def of(cls, queue_url: str, summary: WatchSummary, *, stopped: bool) -> WatchReport:
        return cls(
            queue_url=queue_url,
            received=summary.received,
            acknowledged=summary.acknowledged,
            left=summary.left,
            stopped_by_signal=stopped,
            messages=tuple(MessageReport.of(r) for r in summary.results),
        )
