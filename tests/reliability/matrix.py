"""The fault matrix: every root-cause playbook, every write k of its plan, every fault.

Each case builds the playbook's broken estate on the moto server (the demo builders,
the ones ``netmend demo`` and tests/integration use), points the real ``netmend`` CLI at
the fault proxy (tests/reliability/wire.py) and runs ``fix --apply --yes``; the fault
hits the k-th write on the wire. A case *survives* when netmend ends where it promises:

- ``throttle`` / ``unavailable`` (a): the write is retried; ``applied``; the live state is
  the plan's "after"; moto saw each write exactly once;
- ``unauthorized`` (b): ``rolled_back``; the live state equals the state before the run;
- ``reset-after`` / ``reset-before`` (c): the connection is reset after the write reached
  moto (it took effect) or before (it did not); the client cannot know which. netmend
  must read the state to find out: ``applied`` with the journal saying what really
  happened (never "failed" for a write that took effect), or ``rolled_back`` restored;
- ``kill`` (d): the ``fix`` process is SIGKILLed right after write k reached moto; ``runs
  list`` shows ``interrupted``; ``netmend rollback RUN_ID`` restores the state before;
- ``rollback-retry`` (e): writes 1..k land, the next call fails for good (the run must
  roll back), and the rollback's first write is throttled once: ``rolled_back``;
- ``rollback-fails`` (e): the same, but every rollback write is refused:
  ``rollback_failed``, the message names every remaining difference exactly, ``runs
  list`` says ``rollback_failed``, and ``netmend rollback RUN_ID`` later finishes it.

Anything else (another status, a traceback, a state that is neither, a wrong journal)
is *lost*. The cases and their checks live here; tests/reliability/test_fault_matrix.py
runs a representative subset and benchmarks/faults.py the whole matrix.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsClients, AwsOptions, make_clients
from netmend.demo.built import ROOT_CAUSES, BuiltEstate
from netmend.demo.estates import build_estate
from netmend.demo.scaffold import permission
from netmend.run.new_resources import created_group_ids, resolve_plan
from netmend.run.restore import differences
from netmend.store import RunStore
from tests.cli_runner import CliResult, run_cli
from tests.conftest import boto3_session
from tests.integration.fix_cycle import vpc_states
from tests.reliability.wire import (
    AwsCall,
    Fault,
    FaultProxy,
    kill_after_send,
    reset_after_send,
    reset_before_send,
    throttle,
    unauthorized,
    unavailable,
)

__all__ = [
    "FAULTS",
    "OVERFLOW",
    "PLAYBOOKS",
    "Case",
    "CaseResult",
    "FaultLab",
    "all_cases",
]

# The eight runbook root causes and missing-ingress (no rule near the flow at all), and
# rule-quota-exceeded's second strategy: an overflow group the run creates and attaches.
OVERFLOW = "rule-quota-exceeded+overflow"
PLAYBOOKS: tuple[str, ...] = (*ROOT_CAUSES, "missing-ingress", OVERFLOW)
FAULTS: tuple[str, ...] = (
    "throttle",
    "unavailable",
    "unauthorized",
    "reset-after",
    "reset-before",
    "kill",
    "rollback-retry",
    "rollback-fails",
)
REGION = "eu-west-1"


@dataclass(frozen=True)
class Case:
    playbook: str
    write: int  # k, 1-based
    fault: str

    @property
    def name(self) -> str:
        return f"{self.playbook}@{self.write}:{self.fault}"


@dataclass
class CaseResult:
    case: Case
    survived: bool
    detail: str
    seconds: float = 0.0
    status: str = ""


@dataclass
class _Run:
    """What one ``fix`` left: its JSON document (or error), run id, record and states."""

    result: CliResult | None
    document: dict[str, Any]
    run_id: str
    before: dict[str, Any]
    calls: list[AwsCall] = field(default_factory=list)
    landed: list[AwsCall] = field(default_factory=list)  # writes moto processed (2xx)


def _strip_ingress(ec2: Any, group_id: str) -> None:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    ingress = [r["SecurityGroupRuleId"] for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
    if ingress:
        ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=ingress)


def _spread_rules(ec2: Any, group: str) -> None:
    """60 unrelated /16s on 443 instead of the group's rules: none redundant, so the rule
    the flow needs goes into an overflow group (as tests/integration's overflow test)."""
    _strip_ingress(ec2, group)
    for start in range(0, 60, 20):
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                permission("tcp", 443, cidr=f"100.{64 + n}.0.0/16")
                for n in range(start, start + 20)
            ],
        )


def build_playbook_estate(ec2: Any, playbook: str) -> BuiltEstate:
    """The demo estate whose root cause is ``playbook``; missing-ingress is wrong-port's
    estate with every inbound rule of the server's group removed, the overflow variant
    rule-quota-exceeded's with 60 rules nothing can free (both as in tests/integration)."""
    if playbook == "missing-ingress":
        estate = build_estate(ec2, "wrong-port")
        _strip_ingress(ec2, estate.ids["server_sg"])
        return estate
    if playbook == OVERFLOW:
        estate = build_estate(ec2, "rule-quota-exceeded")
        _spread_rules(ec2, estate.ids["server_sg"])
        return estate
    return build_estate(ec2, playbook)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class FaultLab:
    """The moto server, the proxy in front of it, and a work folder for state dirs."""

    def __init__(self, moto_url: str, proxy: FaultProxy, workdir: Path) -> None:
        self.moto_url = moto_url
        self.proxy = proxy
        self.workdir = workdir
        session = boto3_session(REGION)
        self.ec2 = session.client("ec2", endpoint_url=moto_url)
        self._counter = 0
        self._writes: dict[str, int] = {}

    # -- helpers -----------------------------------------------------------------------

    def direct_clients(self) -> AwsClients:
        """netmend's clients straight to moto (for reading the truth, no faults)."""
        return make_clients(AwsOptions(region=REGION, endpoint_url=self.moto_url))

    def live(self, vpc_id: str) -> dict[str, Any]:
        inventory = collect_inventory(self.direct_clients(), vpc_ids=[vpc_id], quotas=False)
        return vpc_states(inventory, vpc_id)

    def fresh(self, playbook: str) -> tuple[BuiltEstate, Path]:
        """A reset moto server with the playbook's estate, and a new state dir."""
        requests.post(f"{self.moto_url}/moto-api/reset", timeout=120).raise_for_status()
        self._counter += 1
        state = self.workdir / f"state-{self._counter}"
        return build_playbook_estate(self.ec2, playbook), state

    def env(self, state: Path) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.proxy.url,
            "AWS_REGION": REGION,
            "NETMEND_STATE_DIR": str(state),
            "NETMEND_CONFIG": "",
        }

    def writes_of(self, playbook: str) -> int:
        """How many writes the playbook's plan makes on its estate (a clean run)."""
        if playbook not in self._writes:
            estate, state = self.fresh(playbook)
            self.proxy.reset()
            with _environment(self.env(state)):
                result = run_cli("fix", *estate.flow_args(), "--output", "json")
            self._writes[playbook] = len(result.json()["changes"])
        return self._writes[playbook]

    # -- one case ----------------------------------------------------------------------

    def run(self, case: Case) -> CaseResult:
        started = time.monotonic()
        try:
            survived, detail, status = self._run(case)
        except Exception as error:  # a crash of the harness or of netmend: lost
            survived, detail, status = False, f"{type(error).__name__}: {error}", "error"
        finally:
            self.proxy.reset()
        return CaseResult(case, survived, detail, time.monotonic() - started, status)

    def _run(self, case: Case) -> tuple[bool, str, str]:
        if case.fault == "kill":
            return self._kill_case(case)
        decide = _PLANS[case.fault](case.write)
        run = self._fix(case.playbook, decide)
        check = _CHECKS[case.fault]
        return check(self, case, run)

    def _fix(self, playbook: str, decide: Callable[[AwsCall], Fault | None]) -> _Run:
        estate, state = self.fresh(playbook)
        self.state = state
        self.estate = estate
        before = self.live(estate.vpc_id)
        self.proxy.reset(decide)
        with _environment(self.env(state)):
            result = run_cli("fix", *estate.flow_args(), "--apply", "--yes", "--output", "json")
        calls, landed = list(self.proxy.calls), self.proxy.applied_writes()
        self.proxy.reset()
        document = result.json() if result.stdout.strip() else {}
        return _Run(result, document, str(document.get("run_id", "")), before, calls, landed)

    def cli(self, *args: str) -> CliResult:
        with _environment(self.env(self.state)):
            return run_cli(*args)

    def store(self) -> RunStore:
        return RunStore(self.state)

    # -- d: SIGKILL --------------------------------------------------------------------

    def _kill_case(self, case: Case) -> tuple[bool, str, str]:
        estate, state = self.fresh(case.playbook)
        self.state, self.estate = state, estate
        before = self.live(estate.vpc_id)
        env = {**os.environ, **self.env(state)}
        command = [sys.executable, "-c", "from netmend.cli import main; main()"]
        child = subprocess.Popen(  # noqa: S603 (our own interpreter and netmend)
            [*command, "fix", *estate.flow_args(), "--apply", "--yes", "--output", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        pid = child.pid
        self.proxy.reset(
            lambda call: kill_after_send(pid) if call.write_index == case.write else None
        )
        _, err = child.communicate(timeout=120)
        killed = any(what == "fault:kill-after" for _, what in self.proxy.faults())
        self.proxy.reset()
        if not killed or child.returncode != -9:
            return False, f"not killed at write {case.write} (exit {child.returncode}): {err!r}", ""
        runs = self.cli("runs", "list", "--output", "json").json()["runs"]
        if len(runs) != 1 or runs[0]["status"] != "interrupted":
            return False, f"runs list after SIGKILL: {runs}", runs[0]["status"] if runs else ""
        run_id = runs[0]["run_id"]
        rolled = self.cli("rollback", run_id, "--yes", "--output", "json")
        document = rolled.json() if rolled.stdout.strip() else {}
        diffs = _diffs(self.live(estate.vpc_id), before)
        listed = self.cli("runs", "list", "--output", "json").json()["runs"][0]["status"]
        ok = document.get("status") == "rolled_back" and not diffs and listed == "rolled_back"
        detail = (
            "interrupted, then rolled back to the state before"
            if ok
            else (f"rollback: {document or rolled.stderr}; differences: {diffs}; listed {listed}")
        )
        return ok, detail, "interrupted→" + str(document.get("status"))


# -- fault plans: which call gets which fault ------------------------------------------


def _at_write(
    k: int, fault: Callable[[], Fault], times: int = 1
) -> Callable[[AwsCall], Fault | None]:
    """``fault`` on the k-th write, ``times`` times (the write counter counts retries)."""
    hits = {"n": 0, "first": None}

    def decide(call: AwsCall) -> Fault | None:
        if call.write_index is None:
            return None
        if hits["first"] is None and call.write_index == k:
            hits["first"] = k
        if hits["first"] is not None and hits["n"] < times:
            hits["n"] += 1
            return fault()
        return None

    return decide


def _then_rollback(
    k: int, rollback_fault: Callable[[], Fault], times: int | None
) -> Callable[[AwsCall], Fault | None]:
    """Writes 1..k land; the next call (a write, or verification's read) is refused, so
    the run must roll back; then the rollback's writes get ``rollback_fault`` (``times``
    times, None: always)."""
    state = {"triggered": False, "hits": 0, "seen_k": False}

    def decide(call: AwsCall) -> Fault | None:
        if not state["seen_k"]:
            if call.write_index == k:
                state["seen_k"] = True
            return None
        if not state["triggered"]:
            state["triggered"] = True
            return unauthorized()
        if call.is_write and (times is None or state["hits"] < times):
            state["hits"] += 1
            return rollback_fault()
        return None

    return decide


_PLANS: dict[str, Callable[[int], Callable[[AwsCall], Fault | None]]] = {
    "throttle": lambda k: _at_write(k, throttle),
    "unavailable": lambda k: _at_write(k, unavailable),
    "unauthorized": lambda k: _at_write(k, unauthorized),
    "reset-after": lambda k: _at_write(k, reset_after_send),
    "reset-before": lambda k: _at_write(k, reset_before_send),
    "rollback-retry": lambda k: _then_rollback(k, throttle, 1),
    "rollback-fails": lambda k: _then_rollback(k, unauthorized, None),
}


# -- checks ----------------------------------------------------------------------------


_LEFT_OVER = ": created and still there"


def _diffs(live: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    found = [line for rid, state in expected.items() for line in differences(live.get(rid), state)]
    found += [f"{rid}{_LEFT_OVER}" for rid in live.keys() - expected.keys()]
    return found


def _after_diffs(lab: FaultLab, run: _Run) -> list[str]:
    """How the live state differs from the plan's "after" of every resource it touched
    (the plan names the groups the run created by placeholders: the journal's ids)."""
    record = lab.store().load_run(run.run_id)
    plan = resolve_plan(record.plan, created_group_ids(list(record.journal)))
    live = lab.live(lab.estate.vpc_id)
    found: list[str] = []
    for rid in plan.resources:
        after = plan.after(rid)
        if after is not None and rid.startswith(("sg-", "acl-", "eni-")):
            found += differences(live.get(rid), after)
    return found


def _status(run: _Run) -> str:
    return str(run.document.get("status") or (run.result.stderr.strip() if run.result else ""))


def _check_retried(lab: FaultLab, case: Case, run: _Run) -> tuple[bool, str, str]:
    status = _status(run)
    if status != "applied":
        return False, f"expected applied, got {status}: {run.document.get('message', '')}", status
    diffs = _after_diffs(lab, run)
    n = len(run.document.get("changes", []))
    landed = [c.operation for c in run.landed]
    if diffs or len(landed) != n:
        return False, f"after differs {diffs}; writes that landed: {landed} for {n}", status
    return True, f"retried, applied; {n} write(s) landed once each", status


def _check_restored(lab: FaultLab, case: Case, run: _Run) -> tuple[bool, str, str]:
    status = _status(run)
    diffs = _diffs(lab.live(lab.estate.vpc_id), run.before)
    if status != "rolled_back" or diffs:
        return False, f"expected rolled_back with no difference, got {status}: {diffs}", status
    return True, "rolled back; live state equals the snapshot", status


def _journal_outcome(lab: FaultLab, run: _Run, k: int) -> Any:
    """The journal's outcome line of apply write k (None if there is none)."""
    journal = lab.store().load_run(run.run_id).journal
    outcomes = [e for e in journal if e.phase == "apply" and e.event == "outcome"]
    return outcomes[k - 1] if len(outcomes) >= k else None


def _check_resolved(lab: FaultLab, case: Case, run: _Run) -> tuple[bool, str, str]:
    """Applied, live equals the plan's after, and the journal says what moto really did:
    after a reset that followed the write, "ok" learnt by reading back (OutcomeUnknown);
    after one that preceded it, the write sent again once and landed once."""
    status = _status(run)
    if status != "applied":
        return False, f"expected applied, got {status}: {run.document.get('message', '')}", status
    diffs = _after_diffs(lab, run)
    if diffs:
        return False, f"applied but live differs from the plan: {diffs}", status
    outcome = _journal_outcome(lab, run, case.write)
    if outcome is None or outcome.outcome == "failed":
        return False, f"journal of write {case.write}: {outcome}", status
    n = len(run.document.get("changes", []))
    if len(run.landed) != n:
        return False, f"{len(run.landed)} writes landed for {n} changes", status
    if case.fault == "reset-after" and outcome.code != "OutcomeUnknown":
        return False, f"write {case.write} not resolved by reading back: {outcome}", status
    how = "read back: in place" if case.fault == "reset-after" else "read back: not made, re-sent"
    return True, f"outcome unknown, {how}; applied", status


def _check_rollback_retry(lab: FaultLab, case: Case, run: _Run) -> tuple[bool, str, str]:
    survived, detail, status = _check_restored(lab, case, run)
    if survived:
        detail = "rollback write throttled once, retried; " + detail
    return survived, detail, status


def _check_rollback_fails(lab: FaultLab, case: Case, run: _Run) -> tuple[bool, str, str]:
    status = _status(run)
    message = str(run.document.get("message", ""))
    diffs = _diffs(lab.live(lab.estate.vpc_id), run.before)
    if status != "rollback_failed":
        return False, f"expected rollback_failed, got {status}: {message}", status
    if not diffs:
        return False, "rollback_failed but nothing differs", status
    # A left-over group the run created is named by its id (netmend's wording differs).
    missing = [
        d
        for d in diffs
        if d not in message
        and not (d.endswith(_LEFT_OVER) and d.removesuffix(_LEFT_OVER) in message)
    ]
    if missing:
        return False, f"remaining differences not printed: {missing} (message: {message})", status
    listed = lab.cli("runs", "list", "--output", "json").json()["runs"][0]["status"]
    if listed != "rollback_failed":
        return False, f"runs list shows {listed}", status
    again = lab.cli("rollback", run.run_id, "--yes", "--output", "json")
    document = again.json() if again.stdout.strip() else {}
    left = _diffs(lab.live(lab.estate.vpc_id), run.before)
    if document.get("status") != "rolled_back" or left:
        return False, f"second rollback: {document or again.stderr}; left {left}", status
    return True, f"rollback_failed naming {len(diffs)} difference(s); finished later", status


_CHECKS: dict[str, Callable[[FaultLab, Case, _Run], tuple[bool, str, str]]] = {
    "throttle": _check_retried,
    "unavailable": _check_retried,
    "unauthorized": _check_restored,
    "reset-after": _check_resolved,
    "reset-before": _check_resolved,
    "rollback-retry": _check_rollback_retry,
    "rollback-fails": _check_rollback_fails,
}


def all_cases(
    lab: FaultLab, playbooks: tuple[str, ...] = PLAYBOOKS, faults: tuple[str, ...] = FAULTS
) -> list[Case]:
    """Every (playbook, write k, fault) of the matrix."""
    return [
        Case(playbook, k, fault)
        for playbook in playbooks
        for k in range(1, lab.writes_of(playbook) + 1)
        for fault in faults
    ]


def summary(results: list[CaseResult]) -> dict[str, Any]:
    return {
        "cases": len(results),
        "survived": sum(r.survived for r in results),
        "lost": sum(not r.survived for r in results),
        "lost_cases": [f"{r.case.name}: {r.detail}" for r in results if not r.survived],
    }


def dumps(results: list[CaseResult]) -> str:
    return json.dumps(summary(results), indent=2)
