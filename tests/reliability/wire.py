"""A fault-injecting HTTP proxy on 127.0.0.1 between netmend and the moto server.

netmend is pointed at the proxy (``--endpoint-url`` / ``AWS_ENDPOINT_URL``) exactly as it
would be at AWS; nothing in netmend is patched. Every request is decoded into an
``AwsCall`` (service and operation, from the EC2 query body or the JSON protocol's
``X-Amz-Target``), recorded, and handed to a ``decide`` callback that may answer with a
``Fault`` instead of (or after) forwarding it to moto:

- ``throttle()``: HTTP 503 with EC2's ``RequestLimitExceeded`` body (what EC2 answers);
- ``unavailable()``: a bare HTTP 503 ``Unavailable``;
- ``unauthorized()``: HTTP 403 ``UnauthorizedOperation`` (not retryable);
- ``reset_after_send()``: forwarded to moto (it takes effect) and the connection is then
  reset before the answer: the client cannot know the outcome;
- ``reset_before_send()``: the connection is reset without forwarding (no effect);
- ``kill_after_send(pid)``: forwarded, then the process ``pid`` is SIGKILLed before it
  gets the answer.

The proxy also works for child processes (it is a real socket), which the SIGKILL and
two-process lock cases need. ``hold`` lets a test park a request until it releases it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "WRITE_OPERATIONS",
    "AwsCall",
    "Fault",
    "FaultProxy",
    "kill_after_send",
    "reset_after_send",
    "reset_before_send",
    "throttle",
    "unauthorized",
    "unavailable",
]

# Every operation that changes something in an account (the EC2 and Service Quotas
# writes netmend could make, tags included): a fault plan counts these as "writes".
WRITE_PREFIXES = (
    "Authorize",
    "Revoke",
    "Create",
    "Delete",
    "Replace",
    "Modify",
    "Update",
    "Associate",
    "Disassociate",
    "Attach",
    "Detach",
    "Request",
    "Start",
    "Run",
    "Terminate",
)
WRITE_OPERATIONS = WRITE_PREFIXES


def _is_write(operation: str) -> bool:
    return operation.startswith(WRITE_PREFIXES)


@dataclass(frozen=True)
class AwsCall:
    """One request as the proxy saw it: its order, service, operation and parameters."""

    index: int  # 1-based, over every call
    service: str  # "ec2", "servicequotas", ... (IAM's service prefix)
    operation: str  # "AuthorizeSecurityGroupIngress"
    write_index: int | None  # 1-based over writes only; None for reads
    params: dict[str, list[str]] = field(default_factory=dict)

    @property
    def permission(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def is_write(self) -> bool:
        return self.write_index is not None


@dataclass(frozen=True)
class Fault:
    """What the proxy does instead of a plain forward."""

    kind: str  # respond | reset-after | reset-before | kill-after
    status: int = 0
    code: str = ""
    pid: int | None = None

    def body(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{self.code}</Code><Message>injected by the test proxy: {self.code}"
            "</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"
        ).encode()


def throttle() -> Fault:
    return Fault("respond", 503, "RequestLimitExceeded")


def unavailable() -> Fault:
    return Fault("respond", 503, "Unavailable")


def unauthorized() -> Fault:
    return Fault("respond", 403, "UnauthorizedOperation")


def reset_after_send() -> Fault:
    return Fault("reset-after")


def reset_before_send() -> Fault:
    return Fault("reset-before")


def kill_after_send(pid: int) -> Fault:
    return Fault("kill-after", pid=pid)


Decide = Callable[[AwsCall], Fault | None]


def _service_of(headers: Any) -> str:
    # SigV4: Credential=AKID/20240101/eu-west-1/ec2/aws4_request
    auth = headers.get("Authorization", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            return {"servicequotas": "servicequotas"}.get(scope[3], scope[3])
    return "unknown"


def _decode(headers: Any, body: bytes) -> tuple[str, str, dict[str, list[str]]]:
    service = _service_of(headers)
    target = headers.get("X-Amz-Target")
    if target:  # JSON protocol: "ServiceQuotasV20190624.GetServiceQuota"
        return service, target.rsplit(".", 1)[-1], {}
    params = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    operation = params.get("Action", ["?"])[0]
    return service, operation, params


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of ``upstream`` (the moto server)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.calls: list[AwsCall] = []
        # (call, what happened): "forwarded", "fault:<kind>", with moto's status.
        self.events: list[tuple[AwsCall, str, int]] = []
        self.decide: Decide = lambda call: None
        self.hold: Callable[[AwsCall], threading.Event | None] = lambda call: None
        self._lock = threading.Lock()
        self._writes = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- life --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self, decide: Decide | None = None) -> None:
        """Forget what was seen and use a new fault plan (None: forward everything)."""
        with self._lock:
            self.calls.clear()
            self.events.clear()
            self._writes = 0
            self.decide = decide or (lambda call: None)
            self.hold = lambda call: None

    # -- what was seen -----------------------------------------------------------------

    def writes(self) -> list[AwsCall]:
        return [c for c in self.calls if c.is_write]

    def applied_writes(self) -> list[AwsCall]:
        """Writes moto processed and answered 2xx (whatever the client heard)."""
        return [c for c, what, status in self.events if c.is_write and 200 <= status < 300]

    def faults(self) -> list[tuple[AwsCall, str]]:
        return [(c, what) for c, what, _ in self.events if what.startswith("fault:")]

    # -- the handler -------------------------------------------------------------------

    def _record(self, headers: Any, body: bytes) -> AwsCall:
        service, operation, params = _decode(headers, body)
        with self._lock:
            write_index = None
            if _is_write(operation):
                self._writes += 1
                write_index = self._writes
            call = AwsCall(len(self.calls) + 1, service, operation, write_index, params)
            self.calls.append(call)
        return call

    def _forward(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any, bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() != "connection"}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: failures are reported by the tests, not an access log

            def _reset(self) -> None:
                # SO_LINGER 0: close() sends RST, the client sees "connection reset".
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                call = proxy._record(self.headers, body)
                gate = proxy.hold(call)
                if gate is not None:
                    gate.wait(120)
                fault = proxy.decide(call)
                if fault is not None and fault.kind == "respond":
                    proxy.events.append((call, f"fault:{fault.code}", fault.status))
                    payload = fault.body()
                    self.send_response(fault.status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault is not None and fault.kind == "reset-before":
                    proxy.events.append((call, "fault:reset-before", 0))
                    self._reset()
                    return
                status, headers, payload = proxy._forward(
                    self.command, self.path, self.headers, body
                )
                if fault is not None and fault.kind == "reset-after":
                    proxy.events.append((call, "fault:reset-after", status))
                    self._reset()
                    return
                if fault is not None and fault.kind == "kill-after" and fault.pid:
                    proxy.events.append((call, "fault:kill-after", status))
                    os.kill(fault.pid, signal.SIGKILL)
                    self._reset()
                    return
                proxy.events.append((call, "forwarded", status))
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def finish(self) -> None:
                with contextlib.suppress(OSError, ValueError):  # reset on purpose
                    super().finish()

        return Handler
