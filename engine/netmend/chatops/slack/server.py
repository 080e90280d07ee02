"""``netmend serve slack``: the Bolt app on a threaded WSGI server, or over Socket Mode.

HTTP mode serves ``POST /slack/events`` (slash commands and interactivity use the same
request URL). Every request passes ``SignedRequestGuard`` first, so a forged, stale or
replayed one gets 401 before Bolt parses a byte of it. The server is stdlib ``wsgiref``
with one thread per request: the Bolt work itself runs on Bolt's lazy-listener threads.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import structlog
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from netmend.aws.session import AwsClients
from netmend.chatops.service import ChatOps
from netmend.chatops.slack.app import EVENTS_PATH, SlackSettings, build_app, group_members
from netmend.chatops.slack.guard import SignedRequestGuard
from netmend.config import NetmendConfig
from netmend.errors import BadInputError

__all__ = ["SlackServer", "make_chatops", "serve_slack", "socket_mode_handler"]

log = structlog.get_logger()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Access lines go through structlog without query strings or headers."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("slack http", line=format % args)


class SlackServer:
    """The HTTP face on ``host:port`` (port 0: a free one); ``url`` is its request URL."""

    def __init__(
        self,
        app: App,
        settings: SlackSettings,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        state_dir: Path | None = None,
    ) -> None:
        guarded = SignedRequestGuard(
            SlackRequestHandler(app, path=EVENTS_PATH),
            settings.signing_secret.get_secret_value(),
            # Replays are remembered in the state dir: across restarts and processes.
            seen_dir=state_dir / "chatops" / "seen" if state_dir is not None else None,
        )
        self.httpd = make_server(
            host, port, guarded, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        address = self.httpd.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{EVENTS_PATH}"

    def start(self) -> SlackServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join()


def socket_mode_handler(app: App, settings: SlackSettings) -> SocketModeHandler:
    """Socket Mode: the app connects out (apps.connections.open with SLACK_APP_TOKEN, then
    a WebSocket); Slack's requests arrive over it, so no request URL and no signing."""
    if settings.app_token is None:
        raise BadInputError("set SLACK_APP_TOKEN in the environment for --socket-mode")
    return SocketModeHandler(app, settings.app_token.get_secret_value())


def make_chatops(
    config: NetmendConfig, clients: AwsClients, settings: SlackSettings, verify_method: str = "auto"
) -> tuple[ChatOps, App]:
    """The chat service and its Bolt app, sharing one Web API client."""
    client = settings.web_client()
    chatops = ChatOps(config, clients, members=group_members(client), verify_method=verify_method)
    return chatops, build_app(chatops, settings, client=client)


def serve_slack(
    config: NetmendConfig,
    clients: AwsClients,
    settings: SlackSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    socket_mode: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted: Ctrl-C or SIGTERM end it cleanly (exit 0).

    ``on_ready`` is told where it serves (the request URL, or "socket mode") once it does.
    """
    _, app = make_chatops(config, clients, settings)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    if socket_mode:
        handler = socket_mode_handler(app, settings)
        log.info("serving slack over socket mode")
        if on_ready is not None:
            on_ready("socket mode")
        handler.start()  # type: ignore[no-untyped-call]
        return
    server = SlackServer(app, settings, host, port, state_dir=config.state_dir)
    log.info("serving slack", url=server.url)
    if on_ready is not None:
        on_ready(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a service manager stopping us) ends serving like Ctrl-C does."""
    raise KeyboardInterrupt
