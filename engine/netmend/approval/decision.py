"""What an approver answers, and the protocol every approver implements."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from netmend.run.plan import Plan

__all__ = ["Approver", "Decision", "DecisionOutcome"]


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"  # a person said no
    REFUSED = "refused"  # no one could be asked, or a rule forbids the plan
    EXPIRED = "expired"  # a request for approval timed out (ChatOps)
    UNAUTHORISED = "unauthorised"  # the one who answered may not approve
    PENDING = "pending"  # held for a person (unattended runs): the run is needs_approval


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: DecisionOutcome
    approver: str  # who decided: a user name, "policy", "terminal"
    reason: str
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def approved(self) -> bool:
        return self.outcome is DecisionOutcome.APPROVED


class Approver(Protocol):
    """Decides whether a plan may be applied; ``rendered_diff`` is what a person sees."""

    def decide(self, plan: Plan, rendered_diff: str) -> Decision: ...
