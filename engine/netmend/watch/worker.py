"""The event worker: messages from SQS in, outcomes recorded, messages deleted last.

Per message, in this order:
1. parse it; a malformed message is logged and left on the queue (not deleted), so the
   queue's redrive policy moves it to the dead-letter queue after maxReceiveCount;
2. an irrelevant event (another API, a failed call) or netmend's own write is
   acknowledged and skipped;
3. the event id is claimed in the ledger; one already done is acknowledged (a
   redelivery), one another live worker is on is left for later;
4. under the event's resource locks (so two workers never handle the same resource at
   once) the intents on its paths are checked and repaired (``Repairer``), while a
   heartbeat extends the message's visibility and the claim's lease;
5. the outcome is written to the ledger and the audit trail, and only then is the
   message deleted.
Anything that goes wrong in 3-5 releases the claim and leaves the message: it comes
back after its visibility timeout (at least once), and the ledger keeps the effect
exactly once. ``stop()`` (SIGTERM) lets the current message finish, then ``run``
returns.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from netmend.store.locks import ResourceLockedError
from netmend.store.state import State
from netmend.watch.events import CloudTrailEvent, MalformedEventError, parse_event
from netmend.watch.ledger import Claim, EventLedger
from netmend.watch.queue import MessageQueue, QueueMessage
from netmend.watch.repair import Repairer, RetryLaterError

__all__ = ["MessageResult", "WatchSummary", "Worker", "WorkerSettings"]

log = structlog.get_logger()

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class WorkerSettings:
    visibility_seconds: int = 300  # while a message is handled; extended by the heartbeat
    wait_seconds: int = 20  # SQS long polling
    lock_wait_seconds: float = 120.0  # how long to wait for another worker on a resource
    own_principals: Collection[str] = ()  # netmend's own role ARNs: their events are skipped
    # An event claim, renewed with the visibility while working. A little shorter than
    # the visibility: a dead worker's message comes back after it, and finding the claim
    # still leased would spend one of the message's receives (maxReceiveCount).
    lease: timedelta | None = None

    @property
    def claim_lease(self) -> timedelta:
        margin = min(5.0, self.visibility_seconds / 10)
        return self.lease or timedelta(seconds=self.visibility_seconds - margin)


@dataclass(frozen=True)
class MessageResult:
    """What became of one message: ``ack`` means delete it (its outcome is recorded)."""

    message_id: str
    ack: bool
    action: str  # malformed, skipped, duplicate, busy, retry, failed, or the outcome's
    event_id: str | None = None
    detail: str = ""
    runs: tuple[dict[str, str], ...] = ()


@dataclass
class WatchSummary:
    received: int = 0
    acknowledged: int = 0
    left: int = 0
    results: list[MessageResult] = field(default_factory=list)


class Worker:
    def __init__(
        self,
        repairer: Repairer,
        state: State,
        queue: MessageQueue | None = None,
        settings: WorkerSettings | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.repairer = repairer
        self.state = state
        self.queue = queue
        self.settings = settings or WorkerSettings()
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self.ledger = EventLedger(state.backend, self.worker_id, lease=self.settings.claim_lease)
        self._stop = threading.Event()

    # -- the loop ------------------------------------------------------------------------

    def stop(self) -> None:
        """Finish the message in hand, take no other (SIGTERM)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, *, once: bool = False, max_messages: int | None = None) -> WatchSummary:
        """Handle messages until stopped; ``once``: until the queue has none to give;
        ``max_messages``: at most that many."""
        if self.queue is None:
            raise ValueError("a worker without a queue handles messages one by one")
        summary = WatchSummary()
        log.info("watching", queue=self.queue.url, worker=self.worker_id)
        while not self.stopping:
            room = 10 if max_messages is None else min(10, max_messages - summary.received)
            if room <= 0:
                break
            messages = self.queue.receive(
                max_messages=room,
                # Long polling even with --once: a short poll samples only some of
                # SQS's servers and may answer "empty" while messages wait.
                wait_seconds=1 if once else self.settings.wait_seconds,
                visibility_seconds=self.settings.visibility_seconds,
            )
            if not messages and once:
                break
            for index, message in enumerate(messages):
                if self.stopping:
                    # Not started: hand them back at once rather than after the timeout.
                    for left in messages[index:]:
                        with contextlib.suppress(Exception):
                            self.queue.extend(left, 0)
                    break
                summary.received += 1
                result = self.handle(message)
                summary.results.append(result)
                if result.ack:
                    self.queue.delete(message)
                    summary.acknowledged += 1
                else:
                    summary.left += 1
        log.info("stopped watching", worker=self.worker_id, received=summary.received)
        return summary

    # -- one message ---------------------------------------------------------------------

    def handle(self, message: QueueMessage) -> MessageResult:
        """Decide about one message; never raises (a failure leaves the message)."""
        log.info("message received", message_id=message.message_id)
        try:
            event = parse_event(message.body)
        except MalformedEventError as error:
            log.error(
                "malformed message left to the redrive policy",
                message_id=message.message_id,
                receive_count=message.receive_count,
                error=str(error),
            )
            return MessageResult(
                message.message_id, ack=False, action="malformed", detail=str(error)
            )
        if not event.relevant:
            why = f"{event.event_name} ({event.error_code or 'does not change traffic'})"
            return self._skip(message, event, f"not a relevant event: {why}")
        own = event.caused_by_netmend(self.settings.own_principals)
        if own is not None:
            return self._skip(message, event, f"netmend's own write: {own}")
        claim = self.ledger.claim(event.event_id)
        if claim is Claim.DONE:
            log.info("duplicate event ignored", event_id=event.event_id)
            return MessageResult(
                message.message_id, ack=True, action="duplicate", event_id=event.event_id
            )
        if claim is Claim.BUSY:
            return MessageResult(
                message.message_id, ack=False, action="busy", event_id=event.event_id
            )
        try:
            with self._heartbeat(message, event), self._event_locks(event):
                outcome = self.repairer.handle(event)
            self.ledger.complete(event.event_id, outcome)
            self.state.audit.record(
                "watch.event",
                event_id=event.event_id,
                event_name=event.event_name,
                worker=self.worker_id,
                action=outcome.action,
                resources=list(event.resources),
                runs=list(outcome.runs),
                reason=outcome.reason,
            )
        except RetryLaterError as error:
            self.ledger.release(event.event_id)
            log.warning("event left for later", event_id=event.event_id, reason=str(error))
            return MessageResult(
                message.message_id, False, "retry", event.event_id, detail=str(error)
            )
        except Exception as error:  # a worker must outlive any one event
            with contextlib.suppress(Exception):
                self.ledger.release(event.event_id)
            log.exception("event failed, left on the queue", event_id=event.event_id)
            return MessageResult(
                message.message_id, False, "failed", event.event_id, detail=str(error)
            )
        log.info("event done", event_id=event.event_id, action=outcome.action, runs=outcome.runs)
        return MessageResult(
            message.message_id,
            ack=True,
            action=outcome.action,
            event_id=event.event_id,
            detail=outcome.reason,
            runs=outcome.runs,
        )

    def _skip(self, message: QueueMessage, event: CloudTrailEvent, why: str) -> MessageResult:
        log.info("event skipped", event_id=event.event_id, reason=why)
        return MessageResult(
            message.message_id, ack=True, action="skipped", event_id=event.event_id, detail=why
        )

    @contextlib.contextmanager
    def _event_locks(self, event: CloudTrailEvent) -> Iterator[None]:
        """Hold ``watch:<id>`` for every touched resource, waiting for another worker."""
        names = [f"watch:{rid}" for rid in event.resources]
        holder = "event-" + _UNSAFE.sub("_", event.event_id)[:100]
        deadline = time.monotonic() + self.settings.lock_wait_seconds
        with contextlib.ExitStack() as held:
            while True:
                try:
                    held.enter_context(self.state.locks.hold(names, holder))
                    break
                except ResourceLockedError as error:
                    if time.monotonic() >= deadline or self.stopping:
                        raise RetryLaterError(f"still locked: {error}") from error
                    time.sleep(0.5)
            yield

    @contextlib.contextmanager
    def _heartbeat(self, message: QueueMessage, event: CloudTrailEvent) -> Iterator[None]:
        """Extend the message's visibility and the claim's lease while the block runs."""
        stop = threading.Event()
        every = max(1.0, self.settings.visibility_seconds / 3)

        def beat() -> None:
            while not stop.wait(every):
                try:
                    if self.queue is not None:
                        self.queue.extend(message, self.settings.visibility_seconds)
                    self.ledger.renew(event.event_id)
                except Exception as error:  # the next beat tries again
                    log.warning("heartbeat failed", event_id=event.event_id, error=str(error))

        thread = threading.Thread(target=beat, name=f"heartbeat-{message.message_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()  # a beat in flight must not rewrite the claim after completion
