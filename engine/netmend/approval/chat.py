"""The ``chatops:`` config keys: who may approve, four eyes, how long a request lives.

    chatops:
      approvers: [U0123ABCD, S0NETOPS]   # Slack user ids, or user-group ids (S...)
      four_eyes: true                    # the requester may not approve their own fix
      approval_ttl: 15m                  # 90s, 15m, 2h, 1d; or a number of seconds

Kept free of any chat library so the config loader can import it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ChatopsSettings", "parse_duration"]

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """``15m`` -> 15 minutes; a bare number is seconds; zero or negative is refused."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError(f"{value!r} is not a duration: use e.g. 90s, 15m, 2h or 1d")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    return timedelta(seconds=seconds)


class ChatopsSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Nobody approves from chat until the config names someone: an empty list refuses all.
    approvers: tuple[str, ...] = ()
    four_eyes: bool = True
    approval_ttl: timedelta = Field(default=timedelta(minutes=15))

    @field_validator("approval_ttl", mode="before")
    @classmethod
    def _ttl(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("approvers")
    @classmethod
    def _ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not re.fullmatch(r"[A-Z0-9]{2,}", item):
                raise ValueError(
                    f"{item!r} is not a Slack user or user-group id (like U0123ABCD or S0NETOPS)"
                )
        return value

    @property
    def user_ids(self) -> tuple[str, ...]:
        """Listed people (user ids start with U or W)."""
        return tuple(a for a in self.approvers if not a.startswith("S"))

    @property
    def group_ids(self) -> tuple[str, ...]:
        """Listed user groups (their ids start with S), resolved to members at click time."""
        return tuple(a for a in self.approvers if a.startswith("S"))
