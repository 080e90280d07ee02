"""Per-resource run locks in DynamoDB (``lock_table: NAME``), for workers on many hosts.

Implements ``netmend.store.locks.LockManager``. The table's hash key is ``resource``
(a string); each item names the run holding it, the holder (host, pid and a random
token per ``DynamoLocks``) and ``expires_at`` (epoch seconds, also usable as the
table's TTL attribute). A lock is taken with a conditional put that succeeds only when
no item exists, its lease has expired (its worker died), or this very holder already
has it for this run (re-entrant). While held, a background thread renews the lease;
on exit the item is deleted, again conditionally, so a lock taken over after an expiry
is never deleted by the worker that lost it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import structlog

from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, ResourceLockedError

__all__ = ["DEFAULT_LEASE_SECONDS", "DynamoLocks"]

log = structlog.get_logger()

DEFAULT_LEASE_SECONDS = 300.0
_CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoLocks:
    """Run locks in one DynamoDB table, with a lease renewed while they are held."""

    def __init__(
        self,
        clients: AwsClients,
        table: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table = table
        self.lease_seconds = lease_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._clients = clients
        self._db: Any = clients.client("dynamodb")
        self._clock = clock
        self._depth: dict[tuple[str, str], int] = {}
        self._mutex = threading.Lock()

    def _call(self, operation: str, method: Any, **params: Any) -> Any:
        return self._clients.call.run(operation, lambda: method(**params), service="DynamoDB")

    # -- one lock ------------------------------------------------------------------------

    def acquire(self, resource: str, run_id: str) -> None:
        """Take one lock, or raise ResourceLockedError naming the live holder."""
        now = self._clock()
        try:
            self._call(
                "PutItem",
                self._db.put_item,
                TableName=self.table,
                Item={
                    "resource": {"S": resource},
                    "run_id": {"S": run_id},
                    "holder": {"S": self.holder},
                    "expires_at": {"N": f"{now + self.lease_seconds:.3f}"},
                    "acquired_at": {"N": f"{now:.3f}"},
                },
                ConditionExpression=(
                    "attribute_not_exists(#resource) OR expires_at < :now"
                    " OR (run_id = :run AND holder = :holder)"
                ),
                ExpressionAttributeNames={"#resource": "resource"},
                ExpressionAttributeValues={
                    ":now": {"N": f"{now:.3f}"},
                    ":run": {"S": run_id},
                    ":holder": {"S": self.holder},
                },
            )
        except AwsCallError as error:
            if error.code != _CONDITION_FAILED:
                raise
            item = self.holder_of(resource) or {}
            raise ResourceLockedError(resource, str(item.get("run_id", "?"))) from None

    def holder_of(self, resource: str) -> dict[str, str] | None:
        """The lock item of ``resource`` as plain strings, or None when it is free."""
        answer = self._call(
            "GetItem",
            self._db.get_item,
            TableName=self.table,
            Key={"resource": {"S": resource}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if not item:
            return None
        return {name: next(iter(value.values())) for name, value in item.items()}

    def lease_alive(self, resource: str, run_id: str) -> bool:
        """Whether ``run_id`` holds the lock of ``resource`` with a lease not yet expired."""
        item = self.holder_of(resource)
        if item is None or item.get("run_id") != run_id:
            return False
        return float(item.get("expires_at", "0")) > self._clock()

    def renew(self, resource: str, run_id: str) -> bool:
        """Extend the lease; False if the lock is no longer this holder's."""
        try:
            self._call(
                "UpdateItem",
                self._db.update_item,
                TableName=self.table,
                Key={"resource": {"S": resource}},
                UpdateExpression="SET expires_at = :until",
                ConditionExpression="run_id = :run AND holder = :holder",
                ExpressionAttributeValues={
                    ":until": {"N": f"{self._clock() + self.lease_seconds:.3f}"},
                    ":run": {"S": run_id},
                    ":holder": {"S": self.holder},
                },
            )
        except AwsCallError as error:
            if error.code != _CONDITION_FAILED:
                raise
            return False
        return True

    def release(self, resource: str, run_id: str) -> None:
        """Delete the lock if it is still this holder's (a taken-over lock is left)."""
        try:
            self._call(
                "DeleteItem",
                self._db.delete_item,
                TableName=self.table,
                Key={"resource": {"S": resource}},
                ConditionExpression="run_id = :run AND holder = :holder",
                ExpressionAttributeValues={":run": {"S": run_id}, ":holder": {"S": self.holder}},
            )
        except AwsCallError as error:
            if error.code != _CONDITION_FAILED:
                raise
            log.warning("lock was taken over before release", resource=resource, run_id=run_id)

    # -- many locks, as the runner takes them ---------------------------------------------

    @contextlib.contextmanager
    def hold(self, resources: Iterable[str], run_id: str) -> Iterator[None]:
        """Hold every resource's lock (sorted order, all or none) for the ``with`` block."""
        taken: list[str] = []
        try:
            for resource in sorted(set(resources)):
                key = (resource, run_id)
                with self._mutex:
                    nested = self._depth.get(key, 0)
                if not nested:
                    self.acquire(resource, run_id)
                with self._mutex:
                    self._depth[key] = nested + 1
                taken.append(resource)
            with self._renewing(taken, run_id):
                yield
        finally:
            for resource in reversed(taken):
                key = (resource, run_id)
                with self._mutex:
                    left = self._depth.get(key, 1) - 1
                    if left:
                        self._depth[key] = left
                    else:
                        self._depth.pop(key, None)
                if not left:
                    self.release(resource, run_id)

    @contextlib.contextmanager
    def _renewing(self, resources: list[str], run_id: str) -> Iterator[None]:
        """Renew the leases every third of a lease while the block runs."""
        stop = threading.Event()

        def renew_all() -> None:
            while not stop.wait(self.lease_seconds / 3):
                for resource in resources:
                    try:
                        if not self.renew(resource, run_id):
                            log.error("lost a run lock", resource=resource, run_id=run_id)
                    except AwsCallError as error:
                        log.warning("cannot renew a run lock", resource=resource, error=str(error))

        thread = threading.Thread(target=renew_all, name=f"lease-{run_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
