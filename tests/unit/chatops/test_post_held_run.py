"""A run held elsewhere (the watch worker) is posted for approval and decided by a click.

``post_approval_request`` is what the worker calls; the click then comes to the real
Slack server over HTTP, signed as Slack signs it. The AWS endpoint is a closed port:
a rejection writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from netmend.approval.chat import ChatopsSettings
from netmend.aws.session import AwsOptions, make_clients
from netmend.chatops.requests import RequestState
from netmend.chatops.service import ChatOps
from netmend.chatops.slack import SlackServer, SlackSettings, post_approval_request
from netmend.chatops.slack.fake import FakeSlackApi, FakeSlackSender
from netmend.chatops.slack.server import make_chatops
from netmend.config import NetmendConfig
from netmend.store import RunStatus, RunStore
from tests.unit.approval.plans import authorize, plan_of

SECRET = "held-run-signing-secret-000000000"
TOKEN = "xoxb-held-run-token"


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[tuple[FakeSlackApi, FakeSlackSender, ChatOps]]:
    api = FakeSlackApi(TOKEN).start()
    settings = SlackSettings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": api.api_url}
    )
    config = NetmendConfig(state_dir=tmp_path, chatops=ChatopsSettings(approvers=("U0BOSS",)))
    clients = make_clients(AwsOptions(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    chatops, app = make_chatops(config, clients, settings)
    server = SlackServer(app, settings, "127.0.0.1", 0).start()
    try:
        yield api, FakeSlackSender(server.url, SECRET), chatops
    finally:
        server.stop()
        api.stop()


def test_a_held_run_is_posted_and_a_rejection_stamps_it(
    chat: tuple[FakeSlackApi, FakeSlackSender, ChatOps], tmp_path: Path
) -> None:
    api, sender, chatops = chat
    plan = plan_of(authorize())
    RunStore(tmp_path).create_run(plan, requester="netmend-watch")
    client = WebClient(token=TOKEN, base_url=api.api_url)
    request = post_approval_request(client, chatops, plan.run_id, "C0NETOPS")
    assert request.message_ts is not None
    assert RunStore(tmp_path).read_meta(plan.run_id).status is RunStatus.NEEDS_APPROVAL
    message = api.posted(0)
    assert request.request_id in json.dumps(message["blocks"])
    assert message["channel"] == "C0NETOPS"
    assert "Requested by `netmend-watch`" in json.dumps(message["blocks"])

    sender.post(sender.click_body("U0BOSS", "netmend.reject", request.request_id, message))
    update = api.wait_for("chat.update", 1)[0].params
    assert "*Rejected* by <@U0BOSS>" in json.dumps(update["blocks"])
    assert all(b["type"] != "actions" for b in update["blocks"])
    assert chatops.requests.load(request.request_id).state is RequestState.REJECTED
    assert RunStore(tmp_path).read_meta(plan.run_id).status is RunStatus.REFUSED
