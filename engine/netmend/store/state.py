"""Open the state a config names: run records, locks, audit trail and change budget.

One machine (the default): a local folder, lock files, ``audit.jsonl``. Many workers:
``state_dir: s3://BUCKET/PREFIX`` keeps records and the audit trail in S3 and
``lock_table: NAME`` the run locks (and the hourly change budget) in DynamoDB. Run
records in S3 without a lock table are refused: lock files on one host cannot keep
workers on another from running on the same resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netmend.audit import AuditLog
from netmend.errors import BadInputError
from netmend.store.backend import LocalBackend, RecordBackend
from netmend.store.budget import ChangeBudget, RecordBudget
from netmend.store.locks import FileLocks, LockManager
from netmend.store.runs import RunStore

if TYPE_CHECKING:
    from netmend.aws.session import AwsClients
    from netmend.config import NetmendConfig

__all__ = ["State", "needs_aws", "open_state"]


@dataclass(frozen=True)
class State:
    runs: RunStore
    audit: AuditLog
    budget: ChangeBudget
    backend: RecordBackend
    locks: LockManager


def needs_aws(config: NetmendConfig) -> bool:
    """True when the state lives in AWS (S3 records or DynamoDB locks)."""
    return config.state_url is not None or config.lock_table is not None


def open_state(
    config: NetmendConfig,
    clients: AwsClients | None = None,
    *,
    lease_seconds: float | None = None,
) -> State:
    """The state of ``config``; ``clients`` reach S3 and DynamoDB when it names them."""
    if needs_aws(config) and clients is None:
        raise BadInputError("the state is in AWS (state_dir s3://, lock_table): no AWS clients")
    backend: RecordBackend
    audit: AuditLog
    if config.state_url is not None:
        from netmend.aws.objects import S3Backend
        from netmend.store.audit_records import ObjectAuditLog

        assert clients is not None
        if config.lock_table is None:
            raise BadInputError(
                f"state_dir {config.state_url} is shared by many workers: set lock_table "
                "(a DynamoDB table) so they cannot run on the same resource at once"
            )
        s3 = S3Backend(clients, config.state_url)
        backend, audit = s3, ObjectAuditLog(s3)
    else:
        backend, audit = LocalBackend(config.state_dir), AuditLog(config.audit_path)
    locks: LockManager
    budget: ChangeBudget
    if config.lock_table is not None:
        from netmend.aws.change_budget import DynamoBudget
        from netmend.aws.lock_table import DEFAULT_LEASE_SECONDS, DynamoLocks

        assert clients is not None
        locks = DynamoLocks(
            clients, config.lock_table, lease_seconds=lease_seconds or DEFAULT_LEASE_SECONDS
        )
        budget = DynamoBudget(clients, config.lock_table)
    else:
        locks = FileLocks(config.state_dir / "locks")
        budget = RecordBudget(backend)
    return State(
        runs=RunStore(backend, locks=locks),
        audit=audit,
        budget=budget,
        backend=backend,
        locks=locks,
    )
