"""Delivery: a malformed message never crashes the worker and ends in the dead-letter
queue by the queue's own redrive policy; the Lambda handler reports partial failures."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from netmend import aws_lambda
from netmend.aws.lock_table import DynamoLocks
from netmend.demo.estates import build_estate
from tests.conftest import MotoAws
from tests.integration.test_watch_repair import _revoke_https
from tests.integration.watch_support import (
    WatchAws,
    cloudtrail_event,
    intents_file,
    lambda_record,
    make_watch_aws,
    revoke_ingress_event,
)

pytestmark = pytest.mark.integration


def test_malformed_message_is_survived_and_left_to_the_redrive_policy(
    aws: MotoAws, tmp_path: Path, cli_env: Path
) -> None:
    """Not JSON, JSON without an event, and a good (irrelevant) event in one batch: the
    good one is acknowledged, the two bad ones are left; after maxReceiveCount (1) the
    queue moves them to the DLQ, and the worker goes on receiving."""
    estate = build_estate(aws.ec2, "healthy")
    watch = make_watch_aws(aws, tmp_path, policy="  auto_approve: [addition]\n", max_receive=1)
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    watch.send("this is not json {")
    watch.send(json.dumps({"detail": "no"}))
    watch.send(cloudtrail_event("DescribeVpcs", {}))
    worker = watch.worker(intents, visibility_seconds=1)

    first = worker.run(once=True)

    assert sorted(r.action for r in first.results) == ["malformed", "malformed", "skipped"]
    assert all(r.ack == (r.action == "skipped") for r in first.results)
    time.sleep(1.5)  # the two left messages become visible again
    second = worker.run(once=True)  # SQS moves them to the DLQ instead of delivering them
    assert second.received == 0
    assert watch.waiting() == 0
    moved = watch.sqs.receive_message(QueueUrl=watch.dlq_url, MaxNumberOfMessages=10)
    assert sorted(m["Body"] for m in moved["Messages"]) == sorted(
        ["this is not json {", json.dumps({"detail": "no"})]
    )


def test_lambda_handler_reports_partial_batch_failures(
    aws: MotoAws, tmp_path: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of a record that is not JSON, an irrelevant event and an event without
    detail: the two malformed records, and only they, are reported in
    batchItemFailures (Lambda deletes the rest); records the function has no time left
    for are reported, never half-handled."""
    estate = build_estate(aws.ec2, "healthy")
    watch = make_watch_aws(aws, tmp_path, policy="  auto_approve: [addition]\n")
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    monkeypatch.setenv("NETMEND_INTENTS", str(intents))
    monkeypatch.setenv("NETMEND_CONFIG", str(watch.config))
    aws_lambda.reset()
    arn = f"arn:aws:sqs:{aws.region}:123456789012:netmend-events"
    skipped = json.dumps(cloudtrail_event("DescribeSecurityGroups", {}))
    batch = {
        "Records": [
            lambda_record("m-1", "{broken", arn),
            lambda_record("m-2", skipped, arn),
            lambda_record("m-3", json.dumps({"version": "0", "id": "x"}), arn),
        ]
    }
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 600_000)

    answer = aws_lambda.handler(batch, context)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]}
    late = SimpleNamespace(get_remaining_time_in_millis=lambda: 1_000)
    assert aws_lambda.handler({"Records": [lambda_record("m-4", skipped, arn)]}, late) == {
        "batchItemFailures": [{"itemIdentifier": "m-4"}]
    }
    aws_lambda.reset()


def _in_flight(watch: WatchAws) -> bool:
    attributes = watch.sqs.get_queue_attributes(
        QueueUrl=watch.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 1


def test_visibility_is_extended_while_a_run_is_in_progress(
    aws: MotoAws, tmp_path: Path, cli_env: Path
) -> None:
    """Another worker holds the group's lock for more than twice the message's 6-second
    visibility, so this worker's handling lasts that long; meanwhile nobody else
    receives the message (the heartbeat extends it), and it is deleted at the end."""
    estate = build_estate(aws.ec2, "healthy")
    server_sg, client_sg = estate.ids["server_sg"], estate.ids["client_sg"]
    watch = make_watch_aws(aws, tmp_path, policy="  auto_approve: [addition]\n")
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    _revoke_https(aws, server_sg, client_sg)
    watch.send(revoke_ingress_event(server_sg, client_sg, 443))
    worker = watch.worker(intents, visibility_seconds=6)
    other = DynamoLocks(aws.clients(), watch.table, lease_seconds=60)
    summaries = []
    thread = threading.Thread(target=lambda: summaries.append(worker.run(max_messages=1)))
    stolen = 0
    with other.hold([f"watch:{server_sg}"], "event-held-by-another-worker"):
        thread.start()
        while not _in_flight(watch):  # the worker has it (and waits for the lock)
            time.sleep(0.1)
        until = time.monotonic() + 14  # > 2 x the visibility
        while time.monotonic() < until:
            answer = watch.sqs.receive_message(
                QueueUrl=watch.queue_url, WaitTimeSeconds=1, VisibilityTimeout=0
            )
            stolen += len(answer.get("Messages", []))
    thread.join()

    [result] = summaries[0].results
    assert result.action == "repaired"
    assert stolen == 0
    assert watch.waiting() == 0
