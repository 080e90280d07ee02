"""The EventBridge pattern that routes the relevant CloudTrail events to the queue.

``netmend watch --print-event-pattern`` prints it; the deployment templates in
examples/deploy/ embed the same list. CloudTrail must record management events (a
trail, or the default event history is not enough: EventBridge receives "AWS API Call
via CloudTrail" events only from a trail's management events, read-write or write-only).
"""

from __future__ import annotations

from typing import Any

from netmend.watch.events import CLOUDTRAIL_DETAIL_TYPE, RELEVANT_EVENT_NAMES

__all__ = ["event_pattern"]


def event_pattern() -> dict[str, Any]:
    """The rule's pattern: successful EC2 calls of the relevant names.

    A failed call changed nothing: ``errorCode`` must be absent (the worker skips such
    an event too, should a hand-made rule let one through).
    """
    return {
        "source": ["aws.ec2"],
        "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        "detail": {
            "eventSource": ["ec2.amazonaws.com"],
            "eventName": list(RELEVANT_EVENT_NAMES),
            "errorCode": [{"exists": False}],
        },
    }
