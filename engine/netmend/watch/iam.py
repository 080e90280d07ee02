"""The event worker's extra IAM permissions: its queue, its state bucket, its lock table.

``netmend iam-policy --watch`` adds these statements to the playbooks' policy; given the
queue ARN, the ``s3://BUCKET/PREFIX`` state and the table ARN, each statement names
exactly those resources (least privilege), else ``*`` for the operator to narrow.
"""

from __future__ import annotations

from typing import Any

from netmend.aws.objects import parse_s3_url

__all__ = [
    "LOCK_PERMISSIONS",
    "QUEUE_PERMISSIONS",
    "STATE_OBJECT_PERMISSIONS",
    "watch_statements",
]

QUEUE_PERMISSIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
)
STATE_OBJECT_PERMISSIONS = ("s3:GetObject", "s3:PutObject")
LOCK_PERMISSIONS = (
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)


def watch_statements(
    *,
    queue_arn: str | None = None,
    state_url: str | None = None,
    lock_table_arn: str | None = None,
) -> list[dict[str, Any]]:
    """IAM statements for `netmend watch` / the Lambda function (no delete of records:
    runs, journals and the audit trail are only ever created or rewritten)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "NetmendWatchQueue",
            "Effect": "Allow",
            "Action": list(QUEUE_PERMISSIONS),
            "Resource": queue_arn or "*",
        }
    ]
    if state_url is not None:
        bucket, prefix = parse_s3_url(state_url)
        statements += [
            {
                "Sid": "NetmendWatchStateObjects",
                "Effect": "Allow",
                "Action": list(STATE_OBJECT_PERMISSIONS),
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
            },
            {
                "Sid": "NetmendWatchStateList",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            },
        ]
    else:
        statements.append(
            {
                "Sid": "NetmendWatchState",
                "Effect": "Allow",
                "Action": [*STATE_OBJECT_PERMISSIONS, "s3:ListBucket"],
                "Resource": "*",
            }
        )
    statements.append(
        {
            "Sid": "NetmendWatchLocks",
            "Effect": "Allow",
            "Action": list(LOCK_PERMISSIONS),
            "Resource": lock_table_arn or "*",
        }
    )
    return statements
