"""The blast-radius limit: at most ``max_changes_per_hour`` changes applied unattended,
counted per clock hour (UTC) across every worker sharing the state.

``ChangeBudget.spend`` is asked before an unattended run is approved; a run it refuses
is held for a person. With a lock table the count is one DynamoDB item per hour,
updated atomically (``netmend.aws.change_budget``), so two workers can never both
take the last room. Without one, the count is kept in the state store: a line per run
in ``budget/<hour>``; between the read and the append of two workers on many hosts a
few changes may slip over, so many workers should set ``lock_table``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from netmend.store.backend import RecordBackend

__all__ = ["ChangeBudget", "RecordBudget", "hour_bucket"]


def hour_bucket(moment: datetime) -> str:
    """``2026120114``: the UTC clock hour a change is counted in."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H")


class ChangeBudget(Protocol):
    def spend(self, run_id: str, changes: int, limit: int, moment: datetime) -> bool:
        """Count ``changes`` for ``run_id`` if the hour stays within ``limit``; else False."""
        ...

    def spent(self, moment: datetime) -> int:
        """Changes counted in ``moment``'s hour so far."""
        ...


class RecordBudget:
    """The hour's count as lines in the state store (one machine, or few workers)."""

    def __init__(self, backend: RecordBackend) -> None:
        self.backend = backend

    def _key(self, moment: datetime) -> str:
        return f"budget/{hour_bucket(moment)}"

    def spent(self, moment: datetime) -> int:
        total = 0
        for line in self.backend.lines(self._key(moment)):
            _, _, count = line.partition(" ")
            total += int(count) if count.isdigit() else 0
        return total

    def spend(self, run_id: str, changes: int, limit: int, moment: datetime) -> bool:
        if self.spent(moment) + changes > limit:
            return False
        self.backend.append(self._key(moment), f"{run_id} {changes}")
        return True
