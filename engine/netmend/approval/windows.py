"""Change windows: when unattended writes are allowed, e.g. ``Mon-Fri 08:00-18:00 Europe/Berlin``.

A window is ``DAYS HH:MM-HH:MM ZONE``: DAYS is a day (``Sat``), a range (``Mon-Fri``,
wrapping: ``Fri-Mon``) or a comma list of either; the times are local to ZONE (an IANA
name, read with ``zoneinfo``, so daylight saving time is the zone's own); an end at or
before the start runs past midnight into the next day (``Mon-Fri 22:00-02:00 UTC``:
the window opened on Friday evening closes on Saturday at 02:00). Outside every window
nothing is applied unattended: the policy holds the run for a person.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict

__all__ = ["ChangeWindow", "in_any_window", "parse_window"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHAPE = re.compile(
    r"^\s*(?P<days>[A-Za-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})\s+(?P<zone>\S+)\s*$"
)


class ChangeWindow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start: time
    end: time
    zone: str

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (timezone-aware) falls inside this window."""
        local = moment.astimezone(ZoneInfo(self.zone))
        clock = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= clock < self.end
        # Past midnight: the evening part on a listed day, the morning part the day after.
        if local.weekday() in self.days and clock >= self.start:
            return True
        yesterday = (local - timedelta(days=1)).weekday()
        return yesterday in self.days and clock < self.end


def _day(name: str, text: str) -> int:
    key = name.strip().lower()[:3]
    if key not in _DAYS or len(name.strip()) < 3:
        raise ValueError(f"change window {text!r}: unknown day {name!r} (use Mon..Sun)")
    return _DAYS.index(key)


def _clock(value: str, text: str) -> time:
    hours, minutes = (int(part) for part in value.split(":"))
    if hours == 24 and minutes == 0:
        return time(23, 59, 59, 999999)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValueError(f"change window {text!r}: {value} is not a time of day")
    return time(hours, minutes)


def parse_window(text: str) -> ChangeWindow:
    """Parse one window; ValueError with a readable reason when malformed."""
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"change window {text!r}: expected 'DAYS HH:MM-HH:MM ZONE', "
            "e.g. 'Mon-Fri 08:00-18:00 Europe/Berlin'"
        )
    days: set[int] = set()
    for part in match["days"].split(","):
        first, _, last = part.partition("-")
        low = _day(first, text)
        high = _day(last, text) if last else low
        day = low
        days.add(day)
        while day != high:
            day = (day + 1) % 7
            days.add(day)
    zone = match["zone"]
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"change window {text!r}: unknown time zone {zone!r}") from None
    start, end = _clock(match["start"], text), _clock(match["end"], text)
    if start == end:
        raise ValueError(f"change window {text!r}: starts and ends at the same time")
    return ChangeWindow(text=text, days=frozenset(days), start=start, end=end, zone=zone)


def in_any_window(windows: tuple[str, ...], moment: datetime) -> bool:
    """True when there are no windows (no restriction) or ``moment`` is inside one."""
    return not windows or any(parse_window(w).contains(moment) for w in windows)
