"""run_reads, the scheduler of a concurrent collection, on plain functions and real
threads: results and progress in the list's order whatever finishes first, needs met
before a read starts, and the first failure stopping what has not started yet."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest

from netmend.aws.parallel import (
    CONCURRENCY_ENV,
    DEFAULT_CONCURRENCY,
    Read,
    default_concurrency,
    run_reads,
)
from netmend.errors import BadInputError


def _after(event: threading.Event, value: Any) -> Any:
    def run(_: Mapping[str, Any]) -> Any:
        assert event.wait(10), "the read it waits for never came"
        return value

    return run


def test_results_and_progress_follow_the_list_not_the_finish() -> None:
    """'slow' finishes last (it waits for 'fast' to have run) but is told first, as
    the list has it; 'sum' gets the results it needs by name."""
    fast_ran = threading.Event()

    def fast(_: Mapping[str, Any]) -> int:
        fast_ran.set()
        return 2

    reads = [
        Read("slow", _after(fast_ran, 1)),
        Read("fast", fast),
        Read("sum", lambda got: got["slow"] + got["fast"], needs=("slow", "fast")),
    ]
    told: list[tuple[str, Any]] = []
    results = run_reads(reads, concurrency=4, done=lambda n, r: told.append((n, r)))
    assert results == {"slow": 1, "fast": 2, "sum": 3}
    assert told == [("slow", 1), ("fast", 2), ("sum", 3)]
    sequential: list[tuple[str, Any]] = []
    # In turn, "slow" would wait for "fast" forever: give it its event already set.
    fast_ran.set()
    assert run_reads(reads, concurrency=1, done=lambda n, r: sequential.append((n, r))) == results
    assert sequential == told


def test_the_earliest_failed_read_is_raised_and_unstarted_reads_never_run() -> None:
    """With two workers, 'late' fails first while 'early' still runs, then 'early'
    fails too: the error raised is early's (the list's order decides, not timing), the
    read queued behind them never runs, and every worker has ended."""
    late_failed = threading.Event()
    ran: list[str] = []

    def early(_: Mapping[str, Any]) -> None:
        assert late_failed.wait(10)
        raise LookupError("early")

    def late(_: Mapping[str, Any]) -> None:
        late_failed.set()
        raise KeyError("late")

    reads = [
        Read("early", early),
        Read("late", late),
        Read("queued", lambda _: ran.append("queued")),
    ]
    with pytest.raises(LookupError, match="early"):
        run_reads(reads, concurrency=2)
    assert ran == []
    assert not [t for t in threading.enumerate() if t.name.startswith("netmend-read")]


def test_a_read_waiting_for_a_failed_one_never_runs() -> None:
    ran: list[str] = []
    reads = [
        Read("first", lambda _: 1 / 0),
        Read("second", lambda got: ran.append("second"), needs=("first",)),
    ]
    with pytest.raises(ZeroDivisionError):
        run_reads(reads, concurrency=4)
    assert ran == []


def test_needs_must_point_backwards_and_names_be_unique() -> None:
    with pytest.raises(ValueError, match="listed before"):
        run_reads([Read("a", lambda _: 1, needs=("b",)), Read("b", lambda _: 2)], concurrency=2)
    with pytest.raises(ValueError, match="twice"):
        run_reads([Read("a", lambda _: 1), Read("a", lambda _: 2)], concurrency=2)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, DEFAULT_CONCURRENCY), ("1", 1), (" 8 ", 8), ("16", 16)]
)
def test_concurrency_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int
) -> None:
    if value is None:
        monkeypatch.delenv(CONCURRENCY_ENV, raising=False)
    else:
        monkeypatch.setenv(CONCURRENCY_ENV, value)
    assert default_concurrency() == expected


@pytest.mark.parametrize("value", ["0", "17", "many", "-3"])
def test_a_bad_concurrency_is_bad_input(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(CONCURRENCY_ENV, value)
    with pytest.raises(BadInputError, match=CONCURRENCY_ENV):
        default_concurrency()
