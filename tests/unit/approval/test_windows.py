"""Change windows: days, times local to an IANA zone (DST included), past midnight."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from netmend.approval.policy import Policy
from netmend.approval.windows import in_any_window, parse_window

BERLIN = "Mon-Fri 08:00-18:00 Europe/Berlin"


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 12, 1, 7, 30, tzinfo=UTC), True),  # Tue 08:30 CET
        (datetime(2026, 12, 1, 6, 59, tzinfo=UTC), False),  # Tue 07:59 CET
        (datetime(2026, 12, 1, 17, 0, tzinfo=UTC), False),  # Tue 18:00 CET: end excluded
        (datetime(2026, 7, 7, 6, 30, tzinfo=UTC), True),  # Tue 08:30 CEST (UTC+2)
        (datetime(2026, 7, 7, 16, 30, tzinfo=UTC), False),  # Tue 18:30 CEST
        (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_office_hours_in_berlin(moment: datetime, inside: bool) -> None:
    """The window is read in Berlin's time, winter (UTC+1) and summer (UTC+2) alike."""
    assert parse_window(BERLIN).contains(moment) is inside


def test_a_window_past_midnight_belongs_to_the_day_it_opened() -> None:
    """Fri 22:00-02:00: open Friday night and Saturday before 02:00, not Friday morning."""
    window = parse_window("Fri 22:00-02:00 UTC")
    assert window.contains(datetime(2026, 12, 4, 23, 0, tzinfo=UTC))  # Fri 23:00
    assert window.contains(datetime(2026, 12, 5, 1, 59, tzinfo=UTC))  # Sat 01:59
    assert not window.contains(datetime(2026, 12, 4, 1, 0, tzinfo=UTC))  # Fri 01:00
    assert not window.contains(datetime(2026, 12, 5, 22, 30, tzinfo=UTC))  # Sat 22:30


def test_day_lists_and_wrapping_ranges() -> None:
    assert parse_window("Sat,Sun 00:00-24:00 UTC").days == {5, 6}
    assert parse_window("Fri-Mon 09:00-10:00 UTC").days == {4, 5, 6, 0}


def test_no_windows_means_no_restriction() -> None:
    assert in_any_window((), datetime(2026, 12, 5, 3, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("weekdays 08:00-18:00 UTC", "unknown day"),
        ("Mon-Fri 08:00-25:00 UTC", "not a time of day"),
        ("Mon-Fri 08:00-18:00 Mars/Olympus", "unknown time zone"),
        ("Mon-Fri 8-18", "expected 'DAYS HH:MM-HH:MM ZONE'"),
        ("Mon 08:00-08:00 UTC", "same time"),
    ],
)
def test_a_malformed_window_is_refused_by_the_policy(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Policy(change_windows=(text,))
