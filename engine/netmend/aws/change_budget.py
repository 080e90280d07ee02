"""``max_changes_per_hour`` across all workers, counted atomically in the lock table.

Implements ``netmend.store.budget.ChangeBudget``: one item per UTC clock hour (hash key
``resource`` = ``budget#2026120114``) whose ``spent`` is raised with a conditional
``ADD`` only while it stays within the limit, so two workers cannot both take the last
room. ``expires_at`` lets the table's TTL clean old hours away.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError

__all__ = ["DynamoBudget"]

_KEEP_SECONDS = 2 * 24 * 3600


def hour_bucket(moment: datetime) -> str:
    """The UTC clock hour (as ``netmend.store.budget.hour_bucket``: aws/ stays below store/)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H")


class DynamoBudget:
    def __init__(self, clients: AwsClients, table: str) -> None:
        self.table = table
        self._clients = clients
        self._db: Any = clients.client("dynamodb")

    def _call(self, operation: str, method: Any, **params: Any) -> Any:
        return self._clients.call.run(operation, lambda: method(**params), service="DynamoDB")

    @staticmethod
    def _key(moment: datetime) -> dict[str, Any]:
        return {"resource": {"S": f"budget#{hour_bucket(moment)}"}}

    def spent(self, moment: datetime) -> int:
        answer = self._call(
            "GetItem",
            self._db.get_item,
            TableName=self.table,
            Key=self._key(moment),
            ConsistentRead=True,
        )
        return int(answer.get("Item", {}).get("spent", {}).get("N", "0"))

    def spend(self, run_id: str, changes: int, limit: int, moment: datetime) -> bool:
        if changes > limit:
            return False
        try:
            self._call(
                "UpdateItem",
                self._db.update_item,
                TableName=self.table,
                Key=self._key(moment),
                UpdateExpression="ADD spent :n SET expires_at = :expires, last_run = :run",
                ConditionExpression="attribute_not_exists(spent) OR spent <= :room",
                ExpressionAttributeValues={
                    ":n": {"N": str(changes)},
                    ":room": {"N": str(limit - changes)},
                    ":expires": {"N": str(int(moment.timestamp()) + _KEEP_SECONDS)},
                    ":run": {"S": run_id},
                },
            )
        except AwsCallError as error:
            if error.code == "ConditionalCheckFailedException":
                return False
            raise
        return True
