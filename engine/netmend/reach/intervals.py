"""Sets of integers as sorted, disjoint, inclusive intervals.

Port ranges, ICMP type/code ranges and address ranges are all intervals; the evaluator
walks them as such instead of port by port (an ACL's answer for 1024-65535 is a handful
of intervals, not 64,512 lookups).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "Interval",
    "IntervalSet",
    "covers",
    "intersect",
    "intersect_sets",
    "interval_text",
    "normalise",
    "size",
    "subtract",
    "text",
]

Interval = tuple[int, int]  # inclusive: (1024, 65535)
IntervalSet = tuple[Interval, ...]  # sorted, disjoint, non-adjacent


def normalise(intervals: Iterable[Interval]) -> IntervalSet:
    """Sort and merge overlapping or adjacent intervals; empty ones (lo > hi) vanish."""
    merged: list[list[int]] = []
    for lo, hi in sorted(i for i in intervals if i[0] <= i[1]):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def intersect(intervals: IntervalSet, window: Interval) -> IntervalSet:
    """The part of ``intervals`` inside ``window``."""
    lo, hi = window
    return tuple((max(a, lo), min(b, hi)) for a, b in intervals if a <= hi and b >= lo)


def intersect_sets(first: IntervalSet, second: IntervalSet) -> IntervalSet:
    """The integers in both sets."""
    return normalise(piece for window in second for piece in intersect(first, window))


def subtract(intervals: IntervalSet, cut: Interval) -> IntervalSet:
    """``intervals`` without ``cut``."""
    lo, hi = cut
    kept: list[Interval] = []
    for a, b in intervals:
        if b < lo or a > hi:
            kept.append((a, b))
            continue
        if a < lo:
            kept.append((a, lo - 1))
        if b > hi:
            kept.append((hi + 1, b))
    return tuple(kept)


def covers(intervals: IntervalSet, window: Interval) -> bool:
    """True when every integer of ``window`` is in ``intervals`` (which must be normalised)."""
    lo, hi = window
    return any(a <= lo and hi <= b for a, b in intervals)


def size(intervals: IntervalSet) -> int:
    return sum(b - a + 1 for a, b in intervals)


def interval_text(interval: Interval) -> str:
    lo, hi = interval
    return str(lo) if lo == hi else f"{lo}-{hi}"


def text(intervals: IntervalSet) -> str:
    """``32768-65535``, ``1024-2047, 4096-65535``; ``nothing`` when empty."""
    return ", ".join(interval_text(i) for i in intervals) if intervals else "nothing"
