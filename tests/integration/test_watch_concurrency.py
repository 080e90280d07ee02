"""Many workers: two on one queue never work on the same resource at once, and a dead
worker's DynamoDB lock expires and is taken over (and never released by the dead one)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from netmend.aws.lock_table import DynamoLocks
from netmend.config import load_config
from netmend.demo.estates import build_estate
from netmend.run.plan import Plan
from netmend.store.locks import ResourceLockedError
from netmend.store.process import ProcessIdentity
from netmend.store.records import RunStatus
from netmend.store.state import open_state
from netmend.watch.worker import WatchSummary
from tests.conftest import MotoAws
from tests.integration.test_watch_repair import _reachable, _revoke_https
from tests.integration.watch_support import intents_file, make_watch_aws, revoke_ingress_event
from tests.unit.approval.plans import authorize

pytestmark = pytest.mark.integration


def test_two_workers_on_one_queue_never_run_on_the_same_resource_at_once(
    aws: MotoAws, tmp_path: Path, cli_env: Path
) -> None:
    """Two events about one group, one per worker, handled concurrently: the workers
    take turns on the group (their handling intervals do not overlap), one repairs, the
    other finds the intent holding again; one run in all."""
    estate = build_estate(aws.ec2, "healthy")
    server_sg, client_sg = estate.ids["server_sg"], estate.ids["client_sg"]
    watch = make_watch_aws(aws, tmp_path, policy="  auto_approve: [addition]\n")
    intents = intents_file(tmp_path, estate.source, estate.destination, 443)
    _revoke_https(aws, server_sg, client_sg)
    watch.send(revoke_ingress_event(server_sg, client_sg, 443))
    watch.send(revoke_ingress_event(server_sg, client_sg, 443))
    workers = [watch.worker(intents, worker_id=f"w{n}") for n in (1, 2)]
    summaries: dict[str, WatchSummary] = {}
    barrier = threading.Barrier(2)

    def work(index: int) -> None:
        barrier.wait()
        summaries[workers[index].worker_id] = workers[index].run(max_messages=1)

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    results = [r for s in summaries.values() for r in s.results]
    assert sorted(r.action for r in results) == ["checked", "repaired"], results
    spans = []
    for worker, result in zip(
        workers, (summaries[w.worker_id].results[0] for w in workers), strict=True
    ):
        assert result.event_id is not None
        record = worker.ledger.read(result.event_id)
        assert record is not None
        assert record.outcome is not None
        assert record.worker == worker.worker_id
        spans.append((record.outcome.started_at, record.outcome.finished_at))
    (a_start, a_end), (b_start, _b_end) = sorted(spans, key=lambda s: str(s[0]))
    assert a_start is not None
    assert a_end is not None
    assert b_start is not None
    assert a_end <= b_start  # one after the other, never both on the group
    runs = open_state(load_config(watch.config), aws.clients()).runs.list_runs()
    assert [r.status.value for r in runs] == ["applied"]
    assert _reachable(aws, estate.vpc_id, estate.source, estate.destination)
    assert watch.waiting() == 0


def test_a_dead_workers_dynamodb_lock_expires_and_is_taken_over(
    aws: MotoAws, tmp_path: Path
) -> None:
    """A lock whose lease ran out (its worker died) is taken by the next run; the dead
    worker can neither renew nor release it; a live lock refuses a third run; the lock
    is gone once its holder is done."""
    watch = make_watch_aws(aws, tmp_path, policy="  auto_approve: [addition]\n")
    clients = aws.clients()
    an_hour_ago = time.time() - 3600
    dead = DynamoLocks(clients, watch.table, lease_seconds=30, clock=lambda: an_hour_ago)
    dead.acquire("sg-0123456789abcdef0", "run-dead")
    live = DynamoLocks(clients, watch.table, lease_seconds=30)
    other = DynamoLocks(clients, watch.table, lease_seconds=30)

    assert not live.lease_alive("sg-0123456789abcdef0", "run-dead")  # its run: interrupted
    with live.hold(["sg-0123456789abcdef0"], "run-new"):
        assert live.lease_alive("sg-0123456789abcdef0", "run-new")
        holder = live.holder_of("sg-0123456789abcdef0")
        assert holder is not None
        assert holder["run_id"] == "run-new"
        assert float(holder["expires_at"]) > time.time()
        assert not dead.renew("sg-0123456789abcdef0", "run-dead")
        dead.release("sg-0123456789abcdef0", "run-dead")  # conditional: leaves it alone
        assert live.holder_of("sg-0123456789abcdef0") == holder
        with pytest.raises(ResourceLockedError) as refused:
            other.acquire("sg-0123456789abcdef0", "run-third")
        assert refused.value.holder_run_id == "run-new"
        assert live.renew("sg-0123456789abcdef0", "run-new")

    assert live.holder_of("sg-0123456789abcdef0") is None
    other.acquire("sg-0123456789abcdef0", "run-third")  # free again


def test_a_run_of_a_dead_worker_on_another_host_shows_as_interrupted(
    aws: MotoAws, tmp_path: Path
) -> None:
    """In S3 state a run mid-apply on another host is `applying` while its DynamoDB
    lease lives and `interrupted` once no lease of its resources does."""
    watch = make_watch_aws(aws, tmp_path, policy="  auto_approve: [addition]\n")
    state = open_state(load_config(watch.config), aws.clients())
    plan = Plan(changes=(authorize(),))
    state.runs.create_run(plan, requester="netmend-watch")
    meta = state.runs.read_meta(plan.run_id)
    elsewhere = ProcessIdentity(pid=4242, host="worker-on-another-host")
    state.runs.write_meta(
        meta.model_copy(update={"status": RunStatus.APPLYING, "owner": elsewhere})
    )
    other_host = DynamoLocks(aws.clients(), watch.table, lease_seconds=30)
    with other_host.hold(plan.resources, plan.run_id):
        assert state.runs.list_runs()[0].status is RunStatus.APPLYING
    assert state.runs.list_runs()[0].status is RunStatus.INTERRUPTED
