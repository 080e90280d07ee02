"""Interval sets: the arithmetic the ACL walk and the ephemeral coverage stand on."""

from __future__ import annotations

from netmend.reach.intervals import (
    covers,
    intersect,
    intersect_sets,
    normalise,
    size,
    subtract,
    text,
)


def test_normalise_merges_overlapping_and_adjacent_intervals() -> None:
    """(1,5) and (6,9) touch and merge; (3,4) inside vanishes; empty ones are dropped."""
    assert normalise([(6, 9), (1, 5), (3, 4), (20, 19), (12, 14)]) == ((1, 9), (12, 14))


def test_subtract_splits_an_interval_around_the_cut() -> None:
    """Cutting 32768-60999 out of 1024-65535 leaves both ends."""
    assert subtract(((1024, 65535),), (32768, 60999)) == ((1024, 32767), (61000, 65535))
    assert subtract(((1, 10),), (1, 10)) == ()
    assert subtract(((1, 10),), (20, 30)) == ((1, 10),)


def test_intersect_and_intersect_sets_keep_only_common_integers() -> None:
    """Windows clip; two sets keep their overlap only."""
    assert intersect(((1, 10), (20, 30)), (5, 25)) == ((5, 10), (20, 25))
    assert intersect_sets(((1024, 32767),), ((32768, 65535),)) == ()
    assert intersect_sets(((1, 10), (20, 30)), ((8, 22),)) == ((8, 10), (20, 22))


def test_covers_needs_every_integer_of_the_window() -> None:
    """Bounds are inclusive; a gap of one port is not covered."""
    assert covers(((1024, 65535),), (1024, 65535))
    assert not covers(((1024, 2000), (2002, 65535)), (1024, 65535))
    assert size(((1024, 2000), (2002, 65535))) == 64511


def test_text_reads_like_port_ranges() -> None:
    """Single ports stand alone, ranges take a dash, nothing says so."""
    assert text(((443, 443), (1024, 65535))) == "443, 1024-65535"
    assert text(()) == "nothing"
