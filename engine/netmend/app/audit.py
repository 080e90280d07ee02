"""The audit trail for any face: is its hash chain intact?

The trail is wherever the config keeps state (a local file, or one object per record
in S3); ``--file`` checks a copy somewhere else. The result is an ``AuditCheck``, whose
``model_dump(mode="json")`` is ``audit verify --output json``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from netmend.app.requests import Target
from netmend.audit import AuditLog, ChainReport
from netmend.errors import BadInputError

__all__ = ["AuditCheck", "BrokenRecord", "verify_audit_trail"]


class BrokenRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    record: int  # 1-based record (line) number
    reason: str


class AuditCheck(BaseModel):
    """Where the trail is, how many records it holds, and the first broken one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    records: int
    intact: bool
    end_anchored: bool  # an anchor was there to check the trail's end against
    first_broken: BrokenRecord | None

    @classmethod
    def of(cls, where: str, report: ChainReport) -> AuditCheck:
        broken = (
            None
            if report.broken_line is None
            else BrokenRecord(record=report.broken_line, reason=report.reason)
        )
        return cls(
            file=where,
            records=report.records,
            intact=report.intact,
            end_anchored=report.anchored,
            first_broken=broken,
        )


def verify_audit_trail(file: Path | None = None, target: Target | None = None) -> AuditCheck:
    """Where the trail is, and what its hash chain check found (the first broken record)."""
    if file is not None:
        if not file.is_file():
            raise BadInputError(f"audit trail {file} not found")
        return AuditCheck.of(str(file), AuditLog(file).verify())
    from netmend.config import load_config
    from netmend.store.state import needs_aws, open_state

    target = target or Target()
    settings = load_config(target.config_file)
    clients = target.clients() if needs_aws(settings) else None
    audit = open_state(settings, clients).audit
    where = settings.state_url if settings.state_url is not None else str(audit.path)
    where = f"{where}/audit" if settings.state_url is not None else where
    return AuditCheck.of(where, audit.verify())
