"""Socket Mode: the same app over a WebSocket, for teams without a public request URL.

A local WebSocket server (the ``websockets`` library) plays Slack's Socket Mode end: it
says hello, delivers a slash-command envelope and reads the app's acknowledgement; the
fake Slack Web API answers apps.connections.open (with the app-level token) and the
chat.postMessage calls the lazy work makes.
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path
from typing import Any

import pytest

from netmend.approval.chat import ChatopsSettings
from netmend.aws.session import AwsOptions, make_clients
from netmend.chatops.slack import SlackSettings
from netmend.chatops.slack.fake import FakeSlackApi
from netmend.chatops.slack.server import make_chatops, socket_mode_handler
from netmend.config import NetmendConfig

sync_server = pytest.importorskip("websockets.sync.server")

TOKEN = "xoxb-socket-bot-token"
APP_TOKEN = "xapp-1-socket-app-token"


def test_a_slash_command_over_socket_mode_is_acked_and_answered(tmp_path: Path) -> None:
    acks: queue.Queue[dict[str, Any]] = queue.Queue()
    done = threading.Event()
    envelope = {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "command": "/netmend",
            "text": "help",
            "user_id": "U0ALICE",
            "team_id": "T0NETMEND",
            "channel_id": "C0NETOPS",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "1.2.3",
        },
    }

    def slack_end(ws: Any) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1}))
        ws.send(json.dumps(envelope))
        while not done.is_set():
            try:
                message = ws.recv(timeout=0.5)
            except TimeoutError:
                continue
            except Exception:
                return
            acks.put(json.loads(message))

    server = sync_server.serve(slack_end, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.socket.getsockname()[1]
    api = FakeSlackApi(TOKEN, app_token=APP_TOKEN, socket_url=f"ws://127.0.0.1:{port}/").start()
    settings = SlackSettings.from_env(
        {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": api.api_url},
        socket_mode=True,
    )
    config = NetmendConfig(state_dir=tmp_path, chatops=ChatopsSettings(approvers=("U0BOSS",)))
    clients = make_clients(AwsOptions(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    _, app = make_chatops(config, clients, settings)
    handler = socket_mode_handler(app, settings)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        ack = acks.get(timeout=60)
        header, reply = (c.params for c in api.wait_for("chat.postMessage", 2))
    finally:
        done.set()
        handler.close()  # type: ignore[no-untyped-call]
        server.shutdown()
        api.stop()
    assert ack["envelope_id"] == "env-1"
    assert "netmend is on it" in json.dumps(ack.get("payload"))
    assert "<@U0ALICE> ran `/netmend help`" in header["text"]
    assert "/netmend rollback RUN_ID" in json.dumps(reply["blocks"])
    assert [c.method for c in api.calls("apps.connections.open")] == ["apps.connections.open"]
