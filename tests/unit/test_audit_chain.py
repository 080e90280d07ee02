"""The audit trail is a hash chain: edits, removals, insertions and reorderings show,
and `netmend audit verify` names the first broken record (netmend.audit)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
from pathlib import Path

import pytest

from netmend.audit import GENESIS_HASH, AuditLog, chain_record, verify_chain
from tests.cli_runner import run_cli


def _trail(tmp_path: Path, n: int = 5) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        audit.record("aws.write", run_id=f"run-{i}", api="AuthorizeSecurityGroupIngress")
    return audit


def _rewrite(audit: AuditLog, lines: list[str]) -> None:
    audit.path.write_text("".join(line if line.endswith("\n") else line + "\n" for line in lines))


def test_each_record_carries_the_previous_hash(tmp_path: Path) -> None:
    """seq counts from 1, the first prev is the genesis hash, each prev is the last hash."""
    entries = _trail(tmp_path).entries()
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev"] == GENESIS_HASH
    assert all(b["prev"] == a["hash"] for a, b in itertools.pairwise(entries))
    assert _trail(tmp_path / "other", 0).verify().intact


def test_an_edited_record_is_named(tmp_path: Path) -> None:
    """Changing one field of record 3 (an approver, say) breaks record 3's own hash."""
    audit = _trail(tmp_path)
    lines = audit.lines()
    record = json.loads(lines[2])
    record["run_id"] = "someone-else"
    lines[2] = json.dumps(record)
    _rewrite(audit, lines)
    report = audit.verify()
    assert (report.intact, report.broken_line) == (False, 3)
    assert "edited" in report.reason


@pytest.mark.parametrize(
    ("mangle", "broken"),
    [
        (lambda lines: lines[:1] + lines[2:], 2),  # record 2 removed: record 3 is now 2nd
        (lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], 2),  # swapped
        (lambda lines: [*lines[:3], lines[1], *lines[3:]], 4),  # a copy inserted
        (lambda lines: lines[1:], 1),  # the first record removed
    ],
    ids=["removed", "reordered", "inserted", "head-removed"],
)
def test_removed_reordered_or_inserted_records_are_named(
    tmp_path: Path, mangle: object, broken: int
) -> None:
    """Every record still hashes right on its own; the broken link names the place."""
    audit = _trail(tmp_path)
    _rewrite(audit, mangle(audit.lines()))  # type: ignore[operator]
    report = audit.verify()
    assert (report.intact, report.broken_line) == (False, broken), report


def test_unchained_or_garbage_lines_are_broken() -> None:
    """A line that is not JSON, or a record without a hash, cannot be part of the chain."""
    assert verify_chain(["{not json"]).broken_line == 1
    assert verify_chain(['{"event": "x"}']).reason == "not a chained record (no hash)"


def _append_many(path: str, who: str) -> None:
    audit = AuditLog(Path(path))
    for i in range(40):
        audit.record("approval", approver=who, n=i)


def test_two_processes_appending_keep_one_chain(tmp_path: Path) -> None:
    """Writers in two processes never fork the chain (the append holds a file lock)."""
    path = str(tmp_path / "audit.jsonl")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, w)) for w in ("ann", "bob")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    audit = AuditLog(Path(path))
    assert len(audit.entries()) == 80
    assert audit.verify().intact


def test_audit_verify_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 0 and the count when intact; exit 1 naming FILE:RECORD when broken; JSON too."""
    monkeypatch.setenv("NETMEND_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    audit = _trail(tmp_path)
    ok = run_cli("audit", "verify")
    assert ok.exit_code == 0
    assert "5 record(s), hash chain intact" in ok.stdout
    lines = audit.lines()
    lines[3] = lines[3].replace("run-3", "run-9")
    _rewrite(audit, lines)
    bad = run_cli("audit", "verify")
    assert bad.exit_code == 1
    assert f"{audit.path}:4: record 4 is broken" in bad.stdout
    document = run_cli("audit", "verify", "--output", "json")
    assert document.exit_code == 1
    assert document.json()["first_broken"]["record"] == 4
    missing = run_cli("audit", "verify", "--file", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2
    assert "not found" in missing.stderr


def test_records_cut_off_the_end_are_named(tmp_path: Path) -> None:
    """The anchor beside the trail remembers the last record: a trail that ends before it
    was cut, and verify names the first missing record; a whole trail is anchored."""
    audit = _trail(tmp_path)
    whole = audit.verify()
    assert (whole.intact, whole.anchored, whole.records) == (True, True, 5)
    _rewrite(audit, audit.lines()[:3])
    report = audit.verify()
    assert (report.intact, report.broken_line) == (False, 4)
    assert "cut off the end" in report.reason


def test_a_replaced_last_record_or_anchor_is_named(tmp_path: Path) -> None:
    """Truncating and appending a forged, well-chained record shows: the record at the
    anchor's seq is not the anchored one. An unreadable anchor is broken, not ignored."""
    audit = _trail(tmp_path, 3)
    kept = audit.lines()[:2]
    forged = chain_record(
        {"ts": "x", "event": "aws.write", "run_id": "forged"}, json.loads(kept[-1])
    )
    _rewrite(audit, [*kept, json.dumps(forged)])
    report = audit.verify()
    assert (report.intact, report.broken_line) == (False, 3)
    assert "anchor" in report.reason
    audit.anchor_path.write_text("{garbage")
    assert not audit.verify().intact


def test_a_trail_without_anchor_is_intact_but_says_so(tmp_path: Path) -> None:
    """Trails written before anchors existed still verify, reported as not anchored."""
    audit = _trail(tmp_path, 2)
    audit.anchor_path.unlink()
    report = audit.verify()
    assert (report.intact, report.anchored) == (True, False)
    assert verify_chain(audit.lines()).intact
