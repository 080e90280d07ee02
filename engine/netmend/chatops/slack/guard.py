"""Slack's request signing, checked before anything of a request is parsed.

Slack signs every request: ``X-Slack-Signature`` is ``v0=`` + HMAC-SHA256 of
``v0:{X-Slack-Request-Timestamp}:{raw body}`` under the app's signing secret. A request
is refused with 401 when the signature does not match, when its timestamp is more than
five minutes away from now (slack_sdk's ``SignatureVerifier`` checks both), or when the
same signature was seen before: a captured request replayed within the window would
otherwise be accepted again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from slack_sdk.signature import Clock, SignatureVerifier

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["REPLAY_WINDOW_SECONDS", "ReplayCache", "SignedRequestGuard"]

log = structlog.get_logger()

REPLAY_WINDOW_SECONDS = 300  # Slack's own: a timestamp older than five minutes is stale
_MAX_BODY = 1 << 20  # slash commands and clicks are a few kB; refuse anything absurd


class ReplayCache:
    """Signatures seen within the window (older ones fail the timestamp check anyway).

    With ``folder`` (in the state dir) each signature also leaves a marker file created
    with O_EXCL, so a replay is refused across a restart and across several server
    processes sharing the state dir; markers older than the window are swept.
    """

    def __init__(self, clock: Callable[[], float] = time.time, folder: Path | None = None) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._folder = folder
        self._swept = 0.0

    def first_time(self, signature: str) -> bool:
        """True the first time ``signature`` is offered, False ever after (in the window)."""
        now = self._clock()
        with self._lock:
            for old in [s for s, at in self._seen.items() if now - at > 2 * REPLAY_WINDOW_SECONDS]:
                del self._seen[old]
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return self._first_on_disk(signature, now)

    def _first_on_disk(self, signature: str, now: float) -> bool:
        if self._folder is None:
            return True
        self._folder.mkdir(parents=True, exist_ok=True)
        if now - self._swept > REPLAY_WINDOW_SECONDS:
            self._sweep(now)
        marker = self._folder / hashlib.sha256(signature.encode()).hexdigest()
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    def _sweep(self, now: float) -> None:
        self._swept = now
        assert self._folder is not None
        for marker in self._folder.iterdir():
            with contextlib.suppress(FileNotFoundError):  # another process swept it
                if now - marker.stat().st_mtime > 2 * REPLAY_WINDOW_SECONDS:
                    marker.unlink()


class SignedRequestGuard:
    """WSGI middleware: only correctly signed, fresh, first-seen POSTs reach ``app``."""

    def __init__(
        self,
        app: WSGIApplication,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        seen_dir: Path | None = None,
    ) -> None:
        self.app = app
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self._replays = ReplayCache(clock, seen_dir)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            return _deny(start_response, "bad length")
        body = environ["wsgi.input"].read(length) if length else b""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if not self._verifier.is_valid(body, timestamp, signature):
            return _deny(start_response, "bad or stale signature")
        if not self._replays.first_time(str(signature)):
            return _deny(start_response, "replayed request")
        environ["wsgi.input"] = BytesIO(body)  # the app reads the body we already read
        return self.app(environ, start_response)


class _Clock(Clock):
    """slack_sdk's verifier asks its clock object for ``now()``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock

    def now(self) -> float:
        return self._clock()


def _deny(start_response: StartResponse, why: str) -> Iterable[bytes]:
    # The reason goes to the log, never the signature or the body (they are secrets' kin).
    log.warning("slack request refused", reason=why)
    start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"invalid request\n"]
