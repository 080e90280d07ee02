"""The event worker: CloudTrail events from SQS re-check intents and repair them."""

from __future__ import annotations

__all__: list[str] = []
