"""The event ledger: one claim per event id, done stays done, a dead claimer's lease
runs out and the event is claimed again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from netmend.store.backend import LocalBackend
from netmend.watch.ledger import Claim, EventLedger, EventOutcome


def test_one_worker_claims_an_event_and_its_outcome_ends_it(tmp_path: Path) -> None:
    first = EventLedger(LocalBackend(tmp_path), "w1", lease=timedelta(minutes=5))
    second = EventLedger(LocalBackend(tmp_path), "w2", lease=timedelta(minutes=5))
    assert first.claim("evt-1") is Claim.NEW
    assert second.claim("evt-1") is Claim.BUSY  # w1 is alive and on it
    first.complete("evt-1", EventOutcome(action="checked"))
    assert second.claim("evt-1") is Claim.DONE  # a redelivery: acknowledge, do nothing
    assert first.claim("evt-1") is Claim.DONE
    record = second.read("evt-1")
    assert record is not None
    assert (record.status, record.worker) == ("done", "w1")


def test_a_dead_claimers_event_is_claimed_again(tmp_path: Path) -> None:
    dead = EventLedger(LocalBackend(tmp_path), "dead", lease=timedelta(seconds=-1))
    assert dead.claim("evt-2") is Claim.NEW  # and then the worker died
    alive = EventLedger(LocalBackend(tmp_path), "alive", lease=timedelta(minutes=5))
    assert alive.claim("evt-2") is Claim.NEW
    record = alive.read("evt-2")
    assert record is not None
    assert record.worker == "alive"
    dead.renew("evt-2")  # no longer its claim: nothing changes
    again = alive.read("evt-2")
    assert again is not None
    assert again.worker == "alive"


def test_a_released_claim_is_free_at_once(tmp_path: Path) -> None:
    ledger = EventLedger(LocalBackend(tmp_path), "w1", lease=timedelta(minutes=5))
    other = EventLedger(LocalBackend(tmp_path), "w2", lease=timedelta(minutes=5))
    assert ledger.claim("evt/3:odd id") is Claim.NEW
    ledger.release("evt/3:odd id")  # could not finish: let the redelivery have it
    assert other.claim("evt/3:odd id") is Claim.NEW
