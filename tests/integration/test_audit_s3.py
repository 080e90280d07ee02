"""The audit trail in S3 (state_dir s3://...) is one hash chain, however many writers."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from netmend.audit import GENESIS_HASH
from netmend.aws.objects import S3Backend
from netmend.store.audit_records import ObjectAuditLog
from tests.cli_runner import run_cli
from tests.conftest import MotoAws


def _bucket(aws: MotoAws, name: str) -> Any:
    s3: Any = boto3.Session(region_name=aws.region).client("s3", endpoint_url=aws.endpoint_url)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": aws.region})
    return s3


def test_two_writers_on_one_bucket_keep_one_chain(aws: MotoAws) -> None:
    """Two workers (two logs, each with a stale idea of the last record) append in turn
    and at once: every record links to the one before it, seq 1..N with no fork."""
    _bucket(aws, "audit-chain")
    url = "s3://audit-chain/netmend"
    first = ObjectAuditLog(S3Backend(aws.clients(), url))
    second = ObjectAuditLog(S3Backend(aws.clients(), url))
    first.record("one")
    second.record("two")  # second has not seen "one": it finds it by listing
    first.record("three")  # first believes "one" is last: it loses the race for seq 2
    threads = [
        threading.Thread(target=lambda log=log, n=n: log.record(f"burst-{n}"))
        for n, log in enumerate([first, second] * 5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = first.entries()
    assert [r["seq"] for r in records] == list(range(1, 14))
    assert records[0]["prev"] == GENESIS_HASH
    assert all(r["prev"] == p["hash"] for p, r in itertools.pairwise(records))
    assert [r["event"] for r in records[:3]] == ["one", "two", "three"]
    assert first.verify().intact
    assert second.verify().intact


def test_audit_verify_names_an_edited_object(
    aws: MotoAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`netmend audit verify` reads the trail from the configured S3 state and names the
    first record whose object was rewritten (exit 1); an intact trail exits 0."""
    s3 = _bucket(aws, "audit-verify")
    log = ObjectAuditLog(S3Backend(aws.clients(), "s3://audit-verify/netmend"))
    for n in range(3):
        log.record("event", n=n)
    config = tmp_path / "netmend.yaml"
    config.write_text("state_dir: s3://audit-verify/netmend\nlock_table: netmend-locks\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    monkeypatch.setenv("AWS_REGION", aws.region)
    intact = run_cli("audit", "verify", "--config", str(config), "--output", "json")
    assert intact.exit_code == 0, intact.stdout + intact.stderr
    assert intact.json()["records"] == 3
    key = "netmend/audit/000000000002.json"
    record = json.loads(s3.get_object(Bucket="audit-verify", Key=key)["Body"].read())
    record["n"] = 99  # someone rewrites what happened
    s3.put_object(Bucket="audit-verify", Key=key, Body=json.dumps(record).encode())
    broken = run_cli("audit", "verify", "--config", str(config), "--output", "json")
    assert broken.exit_code == 1
    assert broken.json()["first_broken"]["record"] == 2


def test_an_object_trail_cut_off_at_its_end_is_named(aws: MotoAws) -> None:
    """Deleting the last record objects leaves a valid shorter chain; the anchor object
    (audit.head, beside the records) shows the cut."""
    s3 = _bucket(aws, "audit-cut")
    log = ObjectAuditLog(S3Backend(aws.clients(), "s3://audit-cut/netmend"))
    for n in range(4):
        log.record("event", n=n)
    assert log.verify().anchored
    s3.delete_object(Bucket="audit-cut", Key="netmend/audit/000000000004.json")
    report = ObjectAuditLog(S3Backend(aws.clients(), "s3://audit-cut/netmend")).verify()
    assert (report.intact, report.broken_line) == (False, 4)
    assert "cut off the end" in report.reason


def test_runs_prune_removes_old_plans_from_s3_state(
    aws: MotoAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`runs prune` on S3 state deletes every object of an old plan (DeleteObjects) and
    keeps runs that wrote and recent plans, as it does with a local folder."""
    from datetime import UTC, datetime, timedelta

    from netmend.config import load_config
    from netmend.run.plan import Plan
    from netmend.store.records import RunStatus
    from netmend.store.state import open_state

    s3 = _bucket(aws, "runs-prune")
    config = tmp_path / "netmend.yaml"
    config.write_text("state_dir: s3://runs-prune/netmend\nlock_table: netmend-locks\n")
    store = open_state(load_config(config), aws.clients()).runs
    now = datetime.now(UTC)
    for run_id, status, age in [
        ("20250101T000000Z-0000old1", RunStatus.PLANNED, timedelta(days=40)),
        ("20250102T000000Z-000new01", RunStatus.PLANNED, timedelta(hours=1)),
        ("20250103T000000Z-0applied", RunStatus.APPLIED, timedelta(days=50)),
    ]:
        store.create_run(Plan(run_id=run_id, created_at=now - age), requester="alice")
        store.set_status(run_id, status)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    monkeypatch.setenv("AWS_REGION", aws.region)
    result = run_cli(
        "runs", "prune", "--older-than", "30d", "--config", str(config), "--output", "json"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.json()["removed"] == ["20250101T000000Z-0000old1"]
    keys = [
        item["Key"]
        for item in s3.list_objects_v2(Bucket="runs-prune", Prefix="netmend/runs/").get(
            "Contents", []
        )
    ]
    assert not [key for key in keys if "0000old1" in key]
    assert {key.split("/")[2][-8:] for key in keys} == {"000new01", "0applied"}
