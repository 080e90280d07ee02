"""RunStore: run folders, statuses, the journal, and interrupted runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netmend.errors import BadInputError, NetmendError
from netmend.model import NetworkAcl, NetworkInterface, SecurityGroup, SgRule
from netmend.run.plan import Change, ChangeKind, Plan
from netmend.store import (
    JournalEntry,
    RunStatus,
    RunStore,
    Snapshot,
    current_process,
)

GROUP = SecurityGroup(group_id="sg-1", group_name="web", vpc_id="vpc-1")


def _plan(run_id: str, *, minutes: int = 0) -> Plan:
    rule = SgRule(
        group_id="sg-1",
        egress=False,
        protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="10.0.0.0/16",
    )
    return Plan(
        run_id=run_id,
        created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
        playbooks=("wrong-port",),
        change_id="CHG-1",
        changes=(
            Change(
                action="sg.authorize-ingress",
                api="AuthorizeSecurityGroupIngress",
                resource="sg-1",
                params={"GroupId": "sg-1"},
                kinds=(ChangeKind.ADDITION,),
                before=GROUP,
                after=GROUP.model_copy(update={"rules": (rule,)}),
            ),
        ),
    )


def test_create_run_writes_plan_and_meta(tmp_path: Path) -> None:
    """A new run has plan.json and meta.json with status planned, playbook and ticket."""
    store = RunStore(tmp_path)
    plan = _plan("20260101T000000Z-aaaa0001")
    store.create_run(plan, requester="alice")
    folder = tmp_path / "runs" / plan.run_id
    assert Plan.model_validate_json((folder / "plan.json").read_text()) == plan
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["status"] == "planned"
    assert meta["playbooks"] == ["wrong-port"]
    assert meta["change_id"] == "CHG-1"
    assert meta["requester"] == "alice"
    assert meta["started_at"].startswith("2026-01-01T00:00:00")


def test_load_run_unknown_id_is_bad_input(tmp_path: Path) -> None:
    """An unknown run id raises BadInputError (exit 2) with a one-line message."""
    store = RunStore(tmp_path)
    with pytest.raises(BadInputError, match="unknown run") as caught:
        store.load_run("20990101T000000Z-deadbeef")
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_malformed_run_id_cannot_escape_the_store(tmp_path: Path) -> None:
    """A run id with path separators is refused before touching the file system."""
    store = RunStore(tmp_path)
    with pytest.raises(BadInputError, match="malformed run id"):
        store.load_run("../../etc")


def test_list_runs_newest_first(tmp_path: Path) -> None:
    """Runs are listed newest first, with their status and playbook."""
    store = RunStore(tmp_path)
    for run_id, minutes in (
        ("20260101T000000Z-a", 0),
        ("20260101T000200Z-c", 2),
        ("20260101T000100Z-b", 1),
    ):
        store.create_run(_plan(run_id, minutes=minutes), requester="alice")
    store.set_status("20260101T000100Z-b", RunStatus.APPLIED)
    runs = store.list_runs()
    assert [r.run_id for r in runs] == [
        "20260101T000200Z-c",
        "20260101T000100Z-b",
        "20260101T000000Z-a",
    ]
    assert runs[1].status is RunStatus.APPLIED
    assert runs[0].playbook == "wrong-port"


def test_applying_run_of_a_dead_process_is_interrupted(tmp_path: Path) -> None:
    """meta says applying, but its process is gone: listed and loaded as interrupted."""
    store = RunStore(tmp_path)
    run_id = "20260101T000000Z-a"
    store.create_run(_plan(run_id), requester="alice")
    meta = store.set_status(run_id, RunStatus.APPLYING)
    assert meta.owner is not None
    assert meta.owner.pid == current_process().pid
    assert store.list_runs()[0].status is RunStatus.APPLYING  # we are alive
    gone = meta.owner.model_copy(update={"start_ticks": (meta.owner.start_ticks or 0) + 7})
    store.write_meta(meta.model_copy(update={"owner": gone}))
    summary = store.list_runs()[0]
    assert summary.status is RunStatus.INTERRUPTED
    assert summary.recorded_status is RunStatus.APPLYING
    assert store.load_run(run_id).status is RunStatus.INTERRUPTED


def test_final_status_keeps_its_value_whatever_the_owner(tmp_path: Path) -> None:
    """Only active statuses can turn into interrupted; applied stays applied."""
    store = RunStore(tmp_path)
    run_id = "20260101T000000Z-a"
    store.create_run(_plan(run_id), requester=None)
    store.set_status(run_id, RunStatus.APPLYING)
    meta = store.set_status(run_id, RunStatus.APPLIED)
    dead = current_process().model_copy(update={"boot_id": "another-boot"})
    store.write_meta(meta.model_copy(update={"owner": dead}))
    assert store.list_runs()[0].status is RunStatus.APPLIED


def test_journal_round_trip_and_torn_last_line(tmp_path: Path) -> None:
    """Journal lines read back in order; a torn final line (crash mid-append) is ignored."""
    store = RunStore(tmp_path)
    run_id = "20260101T000000Z-a"
    store.create_run(_plan(run_id), requester=None)
    intent = JournalEntry(
        seq=1,
        phase="apply",
        step=0,
        event="intent",
        api="AuthorizeSecurityGroupIngress",
        resource="sg-1",
        params={"GroupId": "sg-1"},
    )
    store.append_journal(run_id, intent)
    with (tmp_path / "runs" / run_id / "journal.jsonl").open("a") as handle:
        handle.write('{"seq": 2, "phase": "app')
    assert store.read_journal(run_id) == [intent]
    assert store.next_journal_seq(run_id) == 2


def test_written_counts_calls_without_a_failed_outcome(tmp_path: Path) -> None:
    """A call whose outcome is missing (killed) may have reached AWS; a failed one did not."""
    store = RunStore(tmp_path)
    run_id = "20260101T000000Z-a"
    store.create_run(_plan(run_id), requester=None)
    lines = [
        JournalEntry(seq=1, phase="apply", step=0, event="intent", api="A", resource="sg-1"),
        JournalEntry(
            seq=2,
            phase="apply",
            step=0,
            event="outcome",
            api="A",
            resource="sg-1",
            outcome="ok",
            intent_seq=1,
        ),
        JournalEntry(seq=3, phase="apply", step=1, event="intent", api="B", resource="sg-1"),
        JournalEntry(
            seq=4,
            phase="apply",
            step=1,
            event="outcome",
            api="B",
            resource="sg-1",
            outcome="failed",
            code="InvalidPermission.Malformed",
            intent_seq=3,
        ),
        JournalEntry(seq=5, phase="apply", step=2, event="intent", api="C", resource="sg-1"),
    ]
    for line in lines:
        store.append_journal(run_id, line)
    assert [e.api for e in store.load_run(run_id).written] == ["A", "C"]


def test_snapshot_round_trip_keeps_resource_types(tmp_path: Path) -> None:
    """A snapshot of mixed resources reads back as the same typed states."""
    store = RunStore(tmp_path)
    run_id = "20260101T000000Z-a"
    store.create_run(_plan(run_id), requester=None)
    snapshot = Snapshot(
        run_id=run_id,
        resources={
            "sg-1": GROUP,
            "acl-1": NetworkAcl(network_acl_id="acl-1", vpc_id="vpc-1"),
            "eni-1": NetworkInterface(
                network_interface_id="eni-1",
                subnet_id="subnet-1",
                vpc_id="vpc-1",
                private_ips=("10.0.1.5",),
                group_ids=("sg-1",),
            ),
        },
    )
    store.write_snapshot(snapshot)
    loaded = store.read_snapshot(run_id)
    assert loaded == snapshot
    assert loaded is not None
    assert isinstance(loaded.resources["acl-1"], NetworkAcl)
    assert isinstance(loaded.resources["eni-1"], NetworkInterface)


def test_create_run_twice_is_refused(tmp_path: Path) -> None:
    """A run id is used once: recording the same plan twice fails instead of overwriting."""
    store = RunStore(tmp_path)
    plan = _plan("20260101T000000Z-a")
    store.create_run(plan, requester=None)
    with pytest.raises(NetmendError, match="already exists"):
        store.create_run(plan, requester=None)
