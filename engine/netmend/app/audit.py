"""The audit trail for any face: is its hash chain intact?

The trail is wherever the config keeps state (a local file, or one object per record
in S3); ``--file`` checks a copy somewhere else.
"""

from __future__ import annotations

from pathlib import Path

from netmend.app.requests import Target
from netmend.audit import AuditLog, ChainReport
from netmend.errors import BadInputError

__all__ = ["verify_audit_trail"]


def verify_audit_trail(
    file: Path | None = None, target: Target | None = None
) -> tuple[str, ChainReport]:
    """Where the trail is, and what its hash chain check found (the first broken record)."""
    if file is not None:
        if not file.is_file():
            raise BadInputError(f"audit trail {file} not found")
        return str(file), AuditLog(file).verify()
    from netmend.config import load_config
    from netmend.store.state import needs_aws, open_state

    target = target or Target()
    settings = load_config(target.config_file)
    clients = target.clients() if needs_aws(settings) else None
    audit = open_state(settings, clients).audit
    where = settings.state_url if settings.state_url is not None else str(audit.path)
    return f"{where}/audit" if settings.state_url is not None else where, audit.verify()
