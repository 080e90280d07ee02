"""``netmend demo --chat``: the Slack flow against a fake Slack, on the sandbox's EC2.

The real Slack app (Bolt behind the signing guard, on a loopback port) serves requests
signed exactly as Slack signs them; its Web API calls go to ``FakeSlackApi`` on loopback.
The story: Alice asks for a fix, Mallory (not an approver) and Alice herself (four eyes)
click Approve and are refused, Carol (a member of the approvers' user group) approves,
the fix is applied and verified, the message is stamped; a replay of Carol's click gets
401; then Alice asks for a rollback and Bob approves it.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from netmend.approval.chat import ChatopsSettings
from netmend.aws.session import AwsOptions, make_clients
from netmend.chatops.slack import SlackServer, SlackSettings
from netmend.chatops.slack.fake import FakeSlackApi, FakeSlackSender, signed_headers
from netmend.chatops.slack.server import make_chatops
from netmend.config import NetmendConfig
from netmend.demo.estates import build_estate
from netmend.demo.sandbox import SANDBOX_REGION, sandbox_endpoint
from netmend.render.console import emit_json, stdout_console
from netmend.store import RunStore

__all__ = ["run_chat_demo"]

ALICE, BOB, CAROL, MALLORY = "U0ALICE", "U0BOB", "U0CAROL", "U0MALLORY"
CHANNEL = "C0NETOPS"


@dataclass
class _Step:
    who: str
    did: str
    slack_saw: str
    ok: bool


def _text(params: dict[str, Any]) -> str:
    """What a person would read first in a posted or updated message."""
    for block in params.get("blocks") or []:
        text = (block.get("text") or {}).get("text")
        if text and block.get("type") == "section":
            return str(text).splitlines()[0]
    return str(params.get("text", ""))


def _last_section(params: dict[str, Any]) -> str:
    sections = [b for b in params.get("blocks") or [] if b.get("type") == "section"]
    return str((sections[-1].get("text") or {}).get("text", "")) if sections else ""


def _buttons(params: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in params.get("blocks") or []:
        if block.get("type") == "actions":
            found.update({e["action_id"]: e["value"] for e in block["elements"]})
    return found


def _story(
    api: FakeSlackApi, sender: FakeSlackSender, estate_flow: str, runs: RunStore
) -> list[_Step]:
    steps: list[_Step] = []
    posts = 0

    def command(who: str, text: str) -> dict[str, Any]:
        nonlocal posts
        answer = sender.post(sender.command_body(who, text))
        posts += 2
        message = api.wait_for("chat.postMessage", posts)[-1].params
        ok = answer.status_code == 200 and bool(_buttons(message))
        steps.append(
            _Step(who, f"/netmend {text}", f"ack {answer.status_code}; " + _text(message), ok)
        )
        return api.posted(posts - 1)

    def click(who: str, message: dict[str, Any], expect: str) -> None:
        nonlocal posts
        updates = len(api.calls("chat.update"))  # counted before: the work is threaded
        notices = len(api.calls("chat.postEphemeral"))
        value = _buttons(message)["netmend.approve"]
        answer = sender.post(sender.click_body(who, "netmend.approve", value, message))
        if expect == "applied":
            update = api.wait_for("chat.update", updates + 1)[-1].params
            posts += 1
            result = api.wait_for("chat.postMessage", posts)[-1].params
            saw = f"stamped: {_last_section(update)}; {_text(result)}"
            said = json.dumps(result)
            ok = not _buttons(update) and ("applied" in said or "rolled_back" in said)
        else:
            notice = api.wait_for("chat.postEphemeral", notices + 1)[-1].params
            saw = "only to them: " + str(notice.get("text"))
            ok = expect in saw
        steps.append(_Step(who, "clicks Approve", f"{answer.status_code}; {saw}", ok))

    plan = command(ALICE, f"fix {estate_flow} change=DEMO-CHAT")
    click(MALLORY, plan, "unauthorised")
    click(ALICE, plan, "four eyes")
    body = sender.click_body(CAROL, "netmend.approve", _buttons(plan)["netmend.approve"], plan)
    headers = signed_headers(sender.secret, body)
    first = sender.post_raw(body, headers)
    update = api.wait_for("chat.update", 1)[-1].params
    posts += 1
    result = api.wait_for("chat.postMessage", posts)[-1].params
    saw = f"stamped: {_last_section(update)}; {_text(result)}"
    steps.append(
        _Step(
            CAROL,
            "clicks Approve (user group S0NETOPS)",
            f"{first.status_code}; {saw}",
            "applied" in saw,
        )
    )
    replay = sender.post_raw(body, headers)
    steps.append(
        _Step(
            "(attacker)",
            "replays Carol's signed click",
            f"HTTP {replay.status_code}",
            replay.status_code == 401,
        )
    )
    run_id = runs.list_runs()[0].run_id  # the run Carol's approval applied
    asked = command(ALICE, f"rollback {run_id}")
    click(BOB, asked, "applied")
    return steps


def run_chat_demo(*, json_output: bool = False) -> int:
    """Run the chat story; 0 when every step did what it should."""
    console = stdout_console()
    secret, token = secrets.token_hex(16), "xoxb-demo-" + secrets.token_hex(8)
    with (
        sandbox_endpoint() as endpoint,
        tempfile.TemporaryDirectory(prefix="netmend-chat-") as state,
    ):
        clients = make_clients(AwsOptions(region=SANDBOX_REGION, endpoint_url=endpoint))
        estate = build_estate(clients.ec2, "wrong-port")
        config = NetmendConfig(
            state_dir=Path(state),
            chatops=ChatopsSettings(approvers=(ALICE, BOB, "S0NETOPS")),
        )
        api = FakeSlackApi(token, groups={"S0NETOPS": [CAROL]}).start()
        settings = SlackSettings.from_env(
            {"SLACK_SIGNING_SECRET": secret, "SLACK_BOT_TOKEN": token, "SLACK_API_URL": api.api_url}
        )
        _, app = make_chatops(config, clients, settings, verify_method="local")
        server = SlackServer(app, settings, "127.0.0.1", 0, state_dir=Path(state)).start()
        try:
            flow = f"{estate.source} {estate.destination} {estate.protocol}/{estate.port}"
            sender = FakeSlackSender(server.url, secret, channel_id=CHANNEL)
            steps = _story(api, sender, flow, RunStore(config.state_dir))
            trail = [
                json.loads(line)
                for line in (Path(state) / "audit.jsonl").read_text().splitlines()
                if '"chatops.decision"' in line
            ]
        finally:
            server.stop()
            api.stop()
    ok = all(s.ok for s in steps)
    if json_output:
        emit_json(
            {
                "steps": [s.__dict__ for s in steps],
                "decisions": [
                    {
                        k: d.get(k)
                        for k in ("slack_user", "slack_team", "slack_channel", "outcome", "reason")
                    }
                    for d in trail
                ],
                "ok": ok,
            }
        )
        return 0 if ok else 1
    console.print(
        f"chat demo: Slack app on a loopback port, fake Slack Web API, moto at {endpoint}"
    )
    table = Table(
        "who",
        "did",
        "what Slack saw",
        "as expected",
        title="/netmend in #netops",
        title_justify="left",
    )
    for s in steps:
        table.add_row(s.who, s.did, s.slack_saw, "yes" if s.ok else "NO")
    console.print(table)
    audit = Table(
        "slack user",
        "team",
        "channel",
        "outcome",
        title="audit trail: chat decisions",
        title_justify="left",
    )
    for d in trail:
        audit.add_row(
            str(d.get("slack_user")),
            str(d.get("slack_team")),
            str(d.get("slack_channel")),
            str(d.get("outcome")),
        )
    console.print(audit)
    return 0 if ok else 1
