"""ChatOps end to end: the real Slack HTTP server on loopback, a fake Slack Web API, moto.

Requests are signed exactly as Slack signs them (v0 HMAC-SHA256); the Web API calls the
app makes (chat.postMessage, chat.update, chat.postEphemeral, usergroups.users.list)
reach a fake Slack server over HTTP through SLACK_API_URL, never patched functions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netmend.approval.chat import ChatopsSettings
from netmend.aws.collector import collect_inventory
from netmend.chatops.slack import SlackServer, SlackSettings
from netmend.chatops.slack.fake import FakeSlackApi, FakeSlackSender
from netmend.chatops.slack.server import make_chatops
from netmend.config import NetmendConfig
from netmend.demo.estates import build_estate
from netmend.reach import evaluate, make_flow
from netmend.store import RunStore
from tests.conftest import MotoAws

pytestmark = pytest.mark.integration

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
APPROVER = "U0APPROVER"
GROUP_MEMBER = "U0GROUPIE"
REQUESTER = "U0REQUESTER"  # a listed approver: four eyes still stops them
STRANGER = "U0STRANGER"


@dataclass
class Chat:
    api: FakeSlackApi
    sender: FakeSlackSender
    server: SlackServer
    state: Path

    def audit(self) -> list[dict[str, Any]]:
        path = self.state / "audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def decisions(self) -> list[dict[str, Any]]:
        return [e for e in self.audit() if e["event"] == "chatops.decision"]


@pytest.fixture
def chat(aws: MotoAws, tmp_path: Path) -> Iterator[Chat]:
    state = tmp_path / "state"
    config = NetmendConfig(
        state_dir=state,
        chatops=ChatopsSettings(approvers=(REQUESTER, APPROVER, "S0NETOPS"), four_eyes=True),
    )
    api = FakeSlackApi(TOKEN, groups={"S0NETOPS": [GROUP_MEMBER]}).start()
    settings = SlackSettings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": api.api_url}
    )
    _, app = make_chatops(config, aws.clients(), settings, verify_method="local")
    server = SlackServer(app, settings, "127.0.0.1", 0, state_dir=state).start()
    try:
        yield Chat(api, FakeSlackSender(server.url, SECRET), server, state)
    finally:
        server.stop()
        api.stop()


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    found = {}
    for block in message.get("blocks", []):
        if block["type"] == "actions":
            found.update({e["action_id"]: e["value"] for e in block["elements"]})
    return found


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", [])) + message.get("text", "")


def test_fix_with_approval_buttons_end_to_end(
    aws: MotoAws, chat: Chat, capfd: pytest.CaptureFixture[str]
) -> None:
    """Slash command → plan with buttons; stranger and requester refused (and audited);
    a group member's click applies and verifies the fix and stamps the message; the same
    click replayed gets 401; a fresh click on the decided request is refused; rollback asks
    for the same approval and restores the estate."""
    estate = build_estate(aws.ec2, "wrong-port")
    text = f"fix {estate.source} {estate.destination} tcp/{estate.port} change=CHG-1"
    answer = chat.sender.post(chat.sender.command_body(REQUESTER, text))
    assert answer.status_code == 200
    assert "netmend is on it" in answer.text  # the ack, before the work

    posted = chat.api.wait_for("chat.postMessage", 2)
    header, plan_call = posted[0].params, posted[1].params
    assert REQUESTER in header["text"]
    plan_message = chat.api.posted(1)
    assert plan_call["thread_ts"] == chat.api.posted(0)["ts"]
    buttons = _buttons(plan_message)
    assert set(buttons) == {"netmend.approve", "netmend.reject"}
    request_id = buttons["netmend.approve"]
    assert buttons["netmend.reject"] == request_id
    assert "AuthorizeSecurityGroupIngress" in _text(plan_message)
    assert estate.ids["server_sg"] in _text(plan_message)  # full ids

    # An unlisted user's click: refused, told privately, recorded.
    chat.sender.post(chat.sender.click_body(STRANGER, "netmend.approve", request_id, plan_message))
    notice = chat.api.wait_for("chat.postEphemeral", 1)[-1].params
    assert notice["user"] == STRANGER
    assert "unauthorised" in notice["text"]
    # The requester's own click under four eyes: refused too.
    chat.sender.post(chat.sender.click_body(REQUESTER, "netmend.approve", request_id, plan_message))
    notice = chat.api.wait_for("chat.postEphemeral", 2)[-1].params
    assert notice["user"] == REQUESTER
    assert "four eyes" in notice["text"]
    refused = chat.decisions()
    assert [(d["slack_user"], d["outcome"]) for d in refused] == [
        (STRANGER, "unauthorised"),
        (REQUESTER, "unauthorised"),
    ]
    assert all(d["slack_team"] == "T0NETMEND" and d["slack_channel"] == "C0NETOPS" for d in refused)
    run_id = refused[0]["run_id"]
    assert RunStore(chat.state).read_meta(run_id).status.value == "needs_approval"
    core = [e for e in chat.audit() if e["event"] == "approval"]  # the core's own record
    assert [(e["slack_user"], e["outcome"], e["route"]) for e in core] == [
        (STRANGER, "unauthorised", "chat"),
        (REQUESTER, "unauthorised", "chat"),
    ]
    assert chat.api.calls("chat.update") == []

    # A member of the listed user group approves: applied, verified, stamped.
    body = chat.sender.click_body(GROUP_MEMBER, "netmend.approve", request_id, plan_message)
    headers = _signed(body)
    assert chat.sender.post_raw(body, headers).status_code == 200
    update = chat.api.wait_for("chat.update", 1)[0].params
    result = chat.api.wait_for("chat.postMessage", 3)[2].params
    assert "applied" in _text(result)
    assert "reachable=yes" in _text(result)
    assert result["thread_ts"] == chat.api.posted(0)["ts"]
    assert _buttons(update) == {}
    assert f"<@{GROUP_MEMBER}>" in _text(update)
    assert "Approved" in _text(update)
    assert [c.params["usergroup"] for c in chat.api.calls("usergroups.users.list")][
        -1
    ] == "S0NETOPS"
    meta = RunStore(chat.state).read_meta(run_id)
    assert meta.status.value == "applied"
    assert meta.requester == f"slack:{REQUESTER}"
    inventory = collect_inventory(aws.clients())
    flow = make_flow(inventory, estate.source, estate.destination, protocol="tcp", port=estate.port)
    assert evaluate(inventory, flow).reachable

    # The same signed request again: a replay, refused before it is parsed.
    calls_before = len(chat.api.calls())
    assert chat.sender.post_raw(body, headers).status_code == 401
    # A fresh, correctly signed click on the decided request: refused and recorded.
    chat.sender.post(chat.sender.click_body(APPROVER, "netmend.approve", request_id, plan_message))
    notice = chat.api.wait_for("chat.postEphemeral", 3)[-1].params
    assert "already approved" in notice["text"]
    assert len(chat.api.calls()) == calls_before + 1  # the notice; nothing applied again
    assert chat.decisions()[-1]["outcome"] == "refused"

    # Rollback asks for the same approval; the requester cannot approve it either.
    chat.sender.post(chat.sender.command_body(REQUESTER, f"rollback {run_id}"))
    ask = chat.api.wait_for("chat.postMessage", 5)[4].params
    ask_message = chat.api.posted(4)
    rollback_request = _buttons(ask_message)["netmend.approve"]
    assert rollback_request != request_id
    assert "RevokeSecurityGroupIngress" in _text(ask)
    chat.sender.post(
        chat.sender.click_body(REQUESTER, "netmend.approve", rollback_request, ask_message)
    )
    assert "four eyes" in chat.api.wait_for("chat.postEphemeral", 4)[-1].params["text"]
    chat.sender.post(
        chat.sender.click_body(APPROVER, "netmend.approve", rollback_request, ask_message)
    )
    done = chat.api.wait_for("chat.postMessage", 6)[5].params
    assert "rolled_back" in _text(done)
    assert RunStore(chat.state).read_meta(run_id).status.value == "rolled_back"
    inventory = collect_inventory(aws.clients())
    assert not evaluate(inventory, flow).reachable

    # diagnose answers in the thread of its own message, without buttons.
    chat.sender.post(
        chat.sender.command_body(STRANGER, text.replace("fix", "diagnose", 1).split(" change=")[0])
    )
    diagnosis = chat.api.wait_for("chat.postMessage", 8)[7].params
    assert "is *blocked*" in _text(diagnosis)
    assert "`wrong-port` on" in _text(diagnosis)
    assert _buttons(diagnosis) == {}

    # The secrets reached no log line, no audit entry and no message.
    logs = capfd.readouterr()
    said = json.dumps([c.params for c in chat.api.calls()])
    trail = (chat.state / "audit.jsonl").read_text()
    for secret in (SECRET, TOKEN):
        assert secret not in logs.out + logs.err
        assert secret not in said
        assert secret not in trail


def _signed(body: str) -> dict[str, str]:
    from netmend.chatops.slack.fake import signed_headers

    return signed_headers(SECRET, body, int(time.time()))
