"""Independent reads at once, a few at a time, with the result of reading them in turn.

A collection is a list of named reads (one describe operation each, or a small chain
of them); most need nothing but the account, a few need another read's result (the
prefix lists the groups and route tables reference). ``run_reads`` runs them in a small
thread pool, each as soon as what it needs is there, and hands back every result under
its name, so the caller assembles the same inventory in the same order as a sequential
collection would. ``done(name, result)`` is told in the list's order, from the calling
thread, as soon as a read and every read before it have finished: progress reads as it
always did, and a progress callback never runs on a worker thread.

Errors: the first read that fails for good (after the retry policy inside it) stops the
collection: reads not yet started are cancelled, running ones are waited for (no call
outlives the collection), and the error of the earliest failed read, in the list's
order, is raised as it was raised (AwsCallError, AwsConnectionError, ...). There is
never half an inventory.

Why threads: a describe call is a network round trip (tens of milliseconds to AWS)
followed by a little XML parsing; boto3 clients are thread-safe (sessions are not, so
the caller makes every client before the reads start). The pool stays small: EC2
throttles per account and API with a token bucket (e.g. 100 requests, refilled at 20 a
second for describe calls); a handful of concurrent readers stays far below it, and a
throttled call retries on its own thread with the usual backoff.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from netmend.errors import BadInputError

__all__ = [
    "CONCURRENCY_ENV",
    "DEFAULT_CONCURRENCY",
    "MAX_CONCURRENCY",
    "Read",
    "default_concurrency",
    "run_reads",
]

DEFAULT_CONCURRENCY = 6
MAX_CONCURRENCY = 16
CONCURRENCY_ENV = "NETMEND_COLLECT_CONCURRENCY"


@dataclass(frozen=True)
class Read:
    """One named read: ``run(needed)`` gets the results of ``needs`` by name."""

    name: str
    run: Callable[[Mapping[str, Any]], Any]
    needs: tuple[str, ...] = ()


def default_concurrency() -> int:
    """Reads at once: ``NETMEND_COLLECT_CONCURRENCY`` (1 = one after another) or 6."""
    text = os.environ.get(CONCURRENCY_ENV, "").strip()
    if not text:
        return DEFAULT_CONCURRENCY
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_CONCURRENCY:
        raise BadInputError(
            f"{CONCURRENCY_ENV}={text!r}: expected a whole number from 1 to {MAX_CONCURRENCY}"
        )
    return value


def _check(reads: Sequence[Read]) -> None:
    seen: set[str] = set()
    for read in reads:
        if read.name in seen:
            raise ValueError(f"read {read.name!r} is listed twice")
        missing = [n for n in read.needs if n not in seen]
        if missing:
            # Needs point backwards, so the list's order is a valid sequential order.
            raise ValueError(f"read {read.name!r} needs {missing} listed before it")
        seen.add(read.name)


def _needed(read: Read, results: Mapping[str, Any]) -> dict[str, Any]:
    return {name: results[name] for name in read.needs}


def run_reads(
    reads: Sequence[Read],
    *,
    concurrency: int,
    done: Callable[[str, Any], None] | None = None,
) -> dict[str, Any]:
    """Every read's result by name; ``concurrency`` 1 runs them in turn on this thread."""
    _check(reads)
    tell = done or (lambda name, result: None)
    results: dict[str, Any] = {}
    if concurrency <= 1:
        for read in reads:
            results[read.name] = read.run(_needed(read, results))
            tell(read.name, results[read.name])
        return results

    waiting = list(reads)
    running: dict[Future[Any], Read] = {}
    failed: dict[str, BaseException] = {}
    told = 0
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="netmend-read")
    try:
        while waiting or running:
            # Never more handed to the pool than it runs: nothing waits in its queue,
            # so after a failure no further read can start.
            ready = [r for r in waiting if all(n in results for n in r.needs)]
            for read in ready[: concurrency - len(running)]:
                waiting.remove(read)
                running[pool.submit(read.run, _needed(read, results))] = read
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                read = running.pop(future)
                error = future.exception()
                if error is not None:
                    failed[read.name] = error
                else:
                    results[read.name] = future.result()
            if failed:
                break
            while told < len(reads) and reads[told].name in results:
                tell(reads[told].name, results[reads[told].name])
                told += 1
        if failed:
            for future in running:
                future.cancel()
            # What had started ends before the error leaves: no call outlives us.
            for future in wait(running).done:
                late = None if future.cancelled() else future.exception()
                if late is not None:
                    failed[running[future].name] = late
            first = next(r.name for r in reads if r.name in failed)
            raise failed[first]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results
