"""``--yes``: the invoking user approves in advance (never-rules still apply on top)."""

from __future__ import annotations

import contextlib
import getpass
import os

from netmend.approval.decision import Decision
from netmend.approval.request import ApprovalRoute, request_for
from netmend.run.plan import Plan

__all__ = ["YesApprover", "invoking_user"]


def invoking_user() -> str:
    """The login name of the person running netmend (``getpass``, else $USER)."""
    with contextlib.suppress(Exception):  # getpass raises OSError/KeyError without a passwd entry
        name = getpass.getuser()
        if name:
            return name
    return os.environ.get("USER") or "unknown"


class YesApprover:
    """Approves every plan on behalf of ``user`` (the one who passed ``--yes``)."""

    def __init__(self, user: str | None = None) -> None:
        self.user = user or invoking_user()

    def decide(self, plan: Plan, rendered_diff: str) -> Decision:
        count = len(plan.changes)
        request = request_for(plan, requester=self.user, route=ApprovalRoute.YES)
        return request.decide(
            self.user,
            approve=True,
            reason=f"approved in advance with --yes ({count} change{'s' * (count != 1)})",
        )
