"""Helpers for the event worker's tests: queue + dead-letter queue, bucket, lock table and
CloudTrail events, all on the session's moto server.

The events are shaped as EventBridge delivers CloudTrail records to an SQS target (the
body is the event): the envelope fields of AWS's "AWS API Call via CloudTrail" events
(version, id, detail-type, source, account, time, region, resources, detail) and, in
``detail``, CloudTrail's record fields (eventVersion 1.08, userIdentity with an
assumed-role session, eventSource, eventName, awsRegion, userAgent, requestParameters
with the ``items`` lists CloudTrail writes for EC2, eventID), as AWS documents them
("CloudTrail record contents", "Events from AWS services") and as the public
recordings in cloud-custodian's tests and panther-labs' rules show them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netmend.aws.session import AwsClients
from netmend.config import load_config
from netmend.watch.queue import QueueMessage
from netmend.watch.setup import build_worker
from netmend.watch.worker import Worker, WorkerSettings
from tests.conftest import MotoAws, boto3_session

ACCOUNT = "123456789012"
PERSON = f"arn:aws:sts::{ACCOUNT}:assumed-role/NetworkAdmin/alice"
PERSON_ROLE = f"arn:aws:iam::{ACCOUNT}:role/NetworkAdmin"
NETMEND_ROLE = f"arn:aws:iam::{ACCOUNT}:role/netmend-watch"


@dataclass(frozen=True)
class WatchAws:
    aws: MotoAws
    sqs: Any
    s3: Any
    dynamodb: Any
    queue_url: str
    dlq_url: str
    bucket: str
    table: str
    config: Path

    def send(self, body: str | dict[str, Any]) -> str:
        text = body if isinstance(body, str) else json.dumps(body)
        return str(self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=text)["MessageId"])

    def waiting(self, url: str | None = None) -> int:
        """Messages on the queue, visible or in flight."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def worker(self, intents: Path, *, worker_id: str | None = None, **settings: Any) -> Worker:
        from netmend.aws.queue import SqsQueue

        clients: AwsClients = self.aws.clients()
        return build_worker(
            clients,
            load_config(self.config),
            intents,
            queue=SqsQueue(clients, self.queue_url),
            settings=WorkerSettings(wait_seconds=0, **settings),
            verify_method="local",
            worker_id=worker_id,
        )


def make_watch_aws(
    aws: MotoAws, tmp_path: Path, *, policy: str, max_receive: int = 3, state: str = "s3"
) -> WatchAws:
    """Queue with a DLQ, a state bucket and a lock table; a config file naming them."""
    session = boto3_session(aws.region)
    sqs = session.client("sqs", endpoint_url=aws.endpoint_url)
    s3 = session.client("s3", endpoint_url=aws.endpoint_url)
    dynamodb = session.client("dynamodb", endpoint_url=aws.endpoint_url)
    suffix = uuid.uuid4().hex[:8]
    dlq_url = sqs.create_queue(QueueName=f"netmend-events-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"netmend-events-{suffix}",
        Attributes={
            "VisibilityTimeout": "300",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive)}
            ),
        },
    )["QueueUrl"]
    bucket = f"netmend-state-{suffix}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.region})
    table = f"netmend-locks-{suffix}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "resource", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "resource", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    config = tmp_path / "netmend.yaml"
    where = f"s3://{bucket}/netmend" if state == "s3" else str(tmp_path / "state")
    config.write_text(f"state_dir: {where}\nlock_table: {table}\npolicy:\n{policy}")
    return WatchAws(aws, sqs, s3, dynamodb, queue_url, dlq_url, bucket, table, config)


def intents_file(tmp_path: Path, source: str, destination: str, port: int) -> Path:
    path = tmp_path / "intents.yaml"
    path.write_text(
        "intents:\n"
        "  - name: web reaches the api\n"
        f"    source: {source}\n"
        f"    destination: {destination}\n"
        "    protocol: tcp\n"
        f"    port: {port}\n"
        "    expect: allowed\n"
    )
    return path


def cloudtrail_event(
    name: str,
    request: dict[str, Any],
    *,
    event_id: str | None = None,
    principal: str = PERSON,
    role: str = PERSON_ROLE,
    user_agent: str = "console.ec2.amazonaws.com",
    response: dict[str, Any] | None = None,
    region: str = "eu-west-1",
    error_code: str | None = None,
) -> dict[str, Any]:
    """An EventBridge event carrying one CloudTrail record of an EC2 call."""
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice",
            "arn": principal,
            "accountId": ACCOUNT,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "arn": role, "accountId": ACCOUNT},
                "attributes": {"mfaAuthenticated": "false"},
            },
        },
        "eventTime": "2026-12-01T03:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": user_agent,
        "requestParameters": request,
        "responseElements": response or {"requestId": str(uuid.uuid4()), "_return": True},
        "requestID": str(uuid.uuid4()),
        "eventID": event_id or str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
    }
    if error_code:
        detail["errorCode"] = error_code
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": "2026-12-01T03:00:00Z",
        "region": region,
        "resources": [],
        "detail": detail,
    }


def revoke_ingress_event(group_id: str, peer_group: str, port: int, **kw: Any) -> dict[str, Any]:
    """RevokeSecurityGroupIngress of a group-referencing rule, as CloudTrail records it."""
    return cloudtrail_event(
        "RevokeSecurityGroupIngress",
        {
            "groupId": group_id,
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": port,
                        "toPort": port,
                        "groups": {"items": [{"groupId": peer_group}]},
                        "ipRanges": {},
                        "ipv6Ranges": {},
                        "prefixListIds": {},
                    }
                ]
            },
        },
        **kw,
    )


def lambda_record(message_id: str, body: str, queue_arn: str) -> dict[str, Any]:
    """One record of an SQS event source mapping's event (AWS's documented shape)."""
    return {
        "messageId": message_id,
        "receiptHandle": f"receipt-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1764558000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1764558000001",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "eu-west-1",
    }


def as_message(message_id: str, body: str) -> QueueMessage:
    return QueueMessage(message_id=message_id, receipt_handle=f"r-{message_id}", body=body)
