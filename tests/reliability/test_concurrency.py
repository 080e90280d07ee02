"""Two `netmend fix` processes on the same resource at once, and a dead run's lock.

The processes are real (the installed CLI in child interpreters) and share one state
dir; the fault proxy (tests/reliability/wire.py) parks the first one's write on the wire
so that the second starts while the first holds the lock, deterministically.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from netmend.demo.built import BuiltEstate
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.reliability.matrix import build_playbook_estate
from tests.reliability.wire import AwsCall, FaultProxy, reset_before_send

pytestmark = pytest.mark.integration

NETMEND = [sys.executable, "-c", "from netmend.cli import main; main()"]


def _env(proxy: FaultProxy, state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": proxy.url,
        "AWS_REGION": "eu-west-1",
        "NETMEND_STATE_DIR": str(state),
        "NETMEND_CONFIG": "",
    }


def _fix(estate: BuiltEstate, proxy: FaultProxy, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (our interpreter running netmend)
        [*NETMEND, "fix", *estate.flow_args(), "--apply", "--yes", "--output", "json"],
        env=_env(proxy, state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _park_first_write(proxy: FaultProxy) -> tuple[threading.Event, threading.Event]:
    """(parked, release): the first write waits on the wire until ``release`` is set."""
    parked, release = threading.Event(), threading.Event()

    def hold(call: AwsCall) -> threading.Event | None:
        if call.write_index == 1:
            parked.set()
            return release
        return None

    proxy.hold = hold
    return parked, release


def _wait(event: threading.Event, child: subprocess.Popen[str]) -> None:
    for _ in range(1200):
        if event.wait(0.1):
            return
        if child.poll() is not None:
            pytest.fail(f"the first fix ended early: {child.communicate()}")
    pytest.fail("the first fix never reached its write")


def _lock_holder(state: Path) -> dict[str, Any]:
    (lock,) = [p for p in (state / "locks").iterdir() if not p.name.startswith(".")]
    holder: dict[str, Any] = json.loads(lock.read_text())
    return holder


def test_second_fix_on_a_locked_resource_is_refused_naming_the_holder(
    aws: MotoAws, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """While run A holds the group's lock (its write parked on the wire), run B of the
    same fix is refused with "locked by run A"; A then applies; one rule is written."""
    estate = build_playbook_estate(aws.ec2, "wrong-port")
    state = tmp_path / "state"
    fault_proxy.reset()
    parked, release = _park_first_write(fault_proxy)
    first = _fix(estate, fault_proxy, state)
    try:
        _wait(parked, first)
        holder = _lock_holder(state)
        second = _fix(estate, fault_proxy, state)
        out, err = second.communicate(timeout=120)
    finally:
        release.set()
    first_out, first_err = first.communicate(timeout=120)
    refused, applied = json.loads(out), json.loads(first_out)
    assert second.returncode == 1, err
    assert refused["status"] == "refused"
    assert f"locked by run {applied['run_id']}" in refused["message"]
    assert holder["run_id"] == applied["run_id"]
    assert first.returncode == 0, first_err
    assert applied["status"] == "applied"
    landed = [c.operation for c in fault_proxy.applied_writes()]
    assert landed == ["AuthorizeSecurityGroupIngress"]
    assert not [p for p in (state / "locks").iterdir() if not p.name.startswith(".")]


def test_a_dead_runs_lock_is_taken_over(
    aws: MotoAws, fault_proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run A is SIGKILLed holding the lock (its write never reached moto); run B finds the
    lock stale (A's process is gone), takes it over and applies; A lists as interrupted."""
    estate = build_playbook_estate(aws.ec2, "wrong-port")
    state = tmp_path / "state"
    fault_proxy.reset(lambda call: reset_before_send() if call.write_index == 1 else None)
    parked, release = _park_first_write(fault_proxy)
    first = _fix(estate, fault_proxy, state)
    try:
        _wait(parked, first)
        holder = _lock_holder(state)
        first.kill()
        first.wait(60)
    finally:
        release.set()
    for _ in range(600):  # the parked request is dropped (reset), unseen by moto
        if fault_proxy.faults():
            break
        time.sleep(0.05)
    assert fault_proxy.applied_writes() == []
    fault_proxy.reset()
    assert holder["owner"]["pid"] == first.pid
    second = _fix(estate, fault_proxy, state)
    out, err = second.communicate(timeout=120)
    applied = json.loads(out)
    assert second.returncode == 0, err
    assert applied["status"] == "applied"
    assert applied["run_id"] != holder["run_id"]
    monkeypatch.setenv("NETMEND_STATE_DIR", str(state))
    monkeypatch.delenv("NETMEND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    statuses = {
        r["run_id"]: r["status"] for r in run_cli("runs", "list", "--output", "json").json()["runs"]
    }
    assert statuses == {holder["run_id"]: "interrupted", applied["run_id"]: "applied"}
