"""A small fake of Slack for the demo and the tests: its Web API, and its signed requests.

``FakeSlackApi`` is a real HTTP server on loopback that answers the Web API methods
netmend calls (auth.test, chat.postMessage, chat.update, chat.postEphemeral,
usergroups.users.list) the way Slack documents them, checks the bearer token, and
records every call; point ``SLACK_API_URL`` at ``api_url``. ``FakeSlackSender`` plays
Slack's side of the app's request URL: it signs slash commands and button clicks with
the v0 scheme exactly as Slack does and posts them to the app.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.signature import SignatureVerifier

__all__ = ["Answer", "FakeSlackApi", "FakeSlackSender", "SlackCall", "signed_headers"]


@dataclass(frozen=True)
class Answer:
    """The app's HTTP answer to what the fake sent."""

    status_code: int
    text: str


@dataclass(frozen=True)
class SlackCall:
    method: str
    params: dict[str, Any]


@dataclass
class _State:
    token: str
    groups: dict[str, list[str]]
    outside: frozenset[str] = frozenset()  # channels the bot is not a member of
    app_token: str | None = None  # Socket Mode: apps.connections.open takes this one
    socket_url: str | None = None  # ... and answers with this WebSocket URL
    calls: list[SlackCall] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)  # posting order
    lock: threading.Condition = field(default_factory=threading.Condition)
    ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def _params(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length).decode() if length else ""
    if "json" in (handler.headers.get("Content-Type") or ""):
        loaded = json.loads(raw or "{}")
        return dict(loaded) if isinstance(loaded, dict) else {}
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(raw))
    for key in ("blocks", "attachments"):  # form posts carry these as JSON strings
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


class _Handler(BaseHTTPRequestHandler):
    state: _State

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_POST(self) -> None:
        method = self.path.rstrip("/").rsplit("/", 1)[-1]
        params = _params(self)
        auth = self.headers.get("Authorization") or ""
        state = self.state
        if self.path.startswith("/response/"):  # a response_url: no token, by design
            with state.lock:
                state.calls.append(SlackCall("response_url", params))
                state.lock.notify_all()
            self._answer({"ok": True})
            return
        if method == "apps.connections.open" and state.app_token is not None:
            # Socket Mode's one call with the app-level token, not the bot token.
            ok = auth == f"Bearer {state.app_token}"
            with state.lock:
                state.calls.append(SlackCall(method, {}))
                state.lock.notify_all()
            self._answer(
                {"ok": True, "url": state.socket_url}
                if ok
                else {"ok": False, "error": "invalid_auth"}
            )
            return
        if auth != f"Bearer {state.token}":
            self._answer({"ok": False, "error": "invalid_auth"})
            return
        with state.lock:
            state.calls.append(SlackCall(method, params))
            answer = self._method(method, params)
            state.lock.notify_all()
        self._answer(answer)

    def _method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        if method == "auth.test":
            return {"ok": True, "team_id": "T0NETMEND", "user_id": "U0NETBOT", "bot_id": "B0NET"}
        if method == "chat.postMessage":
            if params.get("channel") in state.outside:
                return {"ok": False, "error": "not_in_channel"}
            ts = f"{1_700_000_000 + next(state.ts)}.000100"
            message = {**params, "ts": ts}
            state.messages[(str(params.get("channel")), ts)] = message
            state.order.append((str(params.get("channel")), ts))
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            key = (str(params.get("channel")), str(params.get("ts")))
            if key not in state.messages:
                return {"ok": False, "error": "message_not_found"}
            state.messages[key] = {**state.messages[key], **params}
            return {"ok": True, "channel": key[0], "ts": key[1]}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        if method == "usergroups.users.list":
            group = str(params.get("usergroup"))
            if group not in state.groups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": state.groups[group]}
        return {"ok": False, "error": "unknown_method"}

    def _answer(self, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeSlackApi:
    """The fake Web API on 127.0.0.1 (a free port); ``groups``: user-group id -> members."""

    def __init__(
        self,
        token: str,
        groups: dict[str, list[str]] | None = None,
        *,
        outside: tuple[str, ...] = (),
        app_token: str | None = None,
        socket_url: str | None = None,
    ) -> None:
        self.state = _State(
            token=token,
            groups=dict(groups or {}),
            outside=frozenset(outside),
            app_token=app_token,
            socket_url=socket_url,
        )
        handler = type("FakeSlackHandler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    @property
    def response_url(self) -> str:
        """Where the fake takes a command's ``response_url`` answers."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/response/1"

    def start(self) -> FakeSlackApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()

    def calls(self, method: str | None = None) -> list[SlackCall]:
        with self.state.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self.state.lock:
            return dict(self.state.messages[(channel, ts)])

    def posted(self, index: int) -> dict[str, Any]:
        """The ``index``-th message posted (0: the first), as it is now (updates applied)."""
        with self.state.lock:
            return dict(self.state.messages[self.state.order[index]])

    def wait_for(self, method: str, count: int, timeout: float = 120.0) -> list[SlackCall]:
        """Block until ``count`` calls of ``method`` arrived (the lazy work is threaded)."""
        deadline = time.monotonic() + timeout
        with self.state.lock:
            while True:
                found = [c for c in self.state.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(found)} of {count} {method} calls arrived")
                self.state.lock.wait(left)


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with ``body``: v0 HMAC-SHA256 over ``v0:ts:body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(signature),
        "Content-Type": "application/x-www-form-urlencoded",
    }


@dataclass
class FakeSlackSender:
    """Posts what Slack would post to the app's request URL, signed with ``secret``."""

    url: str
    secret: str
    team_id: str = "T0NETMEND"
    channel_id: str = "C0NETOPS"
    response_url: str = "http://127.0.0.1:9/unused"

    def command_body(self, user_id: str, text: str) -> str:
        return urllib.parse.urlencode(
            {
                "command": "/netmend",
                "text": text,
                "user_id": user_id,
                "user_name": user_id.lower(),
                "team_id": self.team_id,
                "channel_id": self.channel_id,
                "trigger_id": "1.2.3",
                "response_url": self.response_url,
            }
        )

    def click_body(self, user_id: str, action_id: str, value: str, message: dict[str, Any]) -> str:
        payload = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "team": {"id": self.team_id},
            "channel": {"id": self.channel_id},
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": self.channel_id,
            },
            "message": {
                "ts": message["ts"],
                "thread_ts": message.get("thread_ts"),
                "text": message.get("text", ""),
                "blocks": message.get("blocks", []),
            },
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "netmend.decision",
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:9/unused",
            "api_app_id": "A0NETMEND",
        }
        return urllib.parse.urlencode({"payload": json.dumps(payload)})

    def post(self, body: str, *, timestamp: int | None = None, secret: str | None = None) -> Answer:
        headers = signed_headers(secret or self.secret, body, timestamp)
        return self.post_raw(body, headers)

    def post_raw(self, body: str, headers: dict[str, str]) -> Answer:
        request = urllib.request.Request(  # noqa: S310 - the app's loopback URL
            self.url, data=body.encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
                return Answer(reply.status, reply.read().decode())
        except urllib.error.HTTPError as refused:
            return Answer(refused.code, refused.read().decode())
