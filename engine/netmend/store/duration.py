"""Durations as people type them (``30d``, ``12h``, ``90m``, ``2w``, ``45s``, ``1h30m``).

Used by ``runs prune --older-than``; a malformed one is bad input (exit 2).
"""

from __future__ import annotations

import re
from datetime import timedelta

from netmend.errors import BadInputError

__all__ = ["parse_duration"]

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PART = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """``"1h30m"`` → 90 minutes; BadInputError for anything else."""
    compact = text.strip().lower()
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise BadInputError(
            f"{text!r} is not a duration: use a number and a unit (s, m, h, d, w), e.g. 30d"
        )
    return timedelta(
        **{_UNITS[unit]: sum(int(n) for n, u in parts if u == unit) for _, unit in parts}
    )
