"""The Slack HTTP server refuses unsigned, forged, stale and replayed requests with 401.

A real server on 127.0.0.1 and a fake Slack Web API on loopback; the requests are signed
as Slack signs them (v0, HMAC-SHA256 over ``v0:timestamp:body``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from netmend.approval.chat import ChatopsSettings
from netmend.aws.session import AwsOptions, make_clients
from netmend.chatops.slack import SlackServer, SlackSettings
from netmend.chatops.slack.fake import FakeSlackApi, FakeSlackSender, signed_headers
from netmend.chatops.slack.server import make_chatops
from netmend.config import NetmendConfig
from netmend.errors import BadInputError

SECRET = "signing-secret-for-tests-0123456789"
TOKEN = "xoxb-test-token-never-logged"


@pytest.fixture
def slack(tmp_path: Path) -> Iterator[tuple[FakeSlackApi, FakeSlackSender]]:
    api = FakeSlackApi(TOKEN, outside=("C0SECRET",)).start()
    settings = SlackSettings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": api.api_url}
    )
    config = NetmendConfig(state_dir=tmp_path, chatops=ChatopsSettings(approvers=("U0BOSS",)))
    clients = make_clients(AwsOptions(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    _, app = make_chatops(config, clients, settings)
    server = SlackServer(app, settings, "127.0.0.1", 0, state_dir=tmp_path).start()
    try:
        yield api, FakeSlackSender(server.url, SECRET, response_url=api.response_url)
    finally:
        server.stop()
        api.stop()


def test_a_signed_command_is_acked_and_answered_in_a_thread(
    slack: tuple[FakeSlackApi, FakeSlackSender],
) -> None:
    api, sender = slack
    answer = sender.post(sender.command_body("U0ALICE", "help"))
    assert answer.status_code == 200
    assert "netmend is on it" in answer.text
    header, reply = (c.params for c in api.wait_for("chat.postMessage", 2))
    assert "<@U0ALICE> ran `/netmend help`" in header["text"]
    assert reply["thread_ts"]
    assert "/netmend diagnose SRC DST PROTO/PORT" in str(reply["blocks"])


def test_forged_stale_unsigned_and_replayed_requests_get_401(
    slack: tuple[FakeSlackApi, FakeSlackSender],
) -> None:
    api, sender = slack
    body = sender.command_body("U0MALLORY", "runs")
    assert sender.post(body, secret="not-the-secret").status_code == 401
    assert sender.post(body, timestamp=int(time.time()) - 301).status_code == 401
    assert sender.post(body, timestamp=int(time.time()) + 301).status_code == 401
    assert requests.post(sender.url, data=body, timeout=10).status_code == 401
    headers = signed_headers(SECRET, body)
    tampered = body.replace("runs", "help")
    assert sender.post_raw(tampered, headers).status_code == 401
    assert sender.post_raw(body, headers).status_code == 200
    assert sender.post_raw(body, headers).status_code == 401  # the same request again
    api.wait_for("chat.postMessage", 2)
    assert len(api.calls("chat.postMessage")) == 2  # only the genuine one was answered


def test_settings_come_from_the_environment_and_hide_secrets() -> None:
    settings = SlackSettings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": "http://x/api"}
    )
    assert settings.api_url == "http://x/api/"
    assert SECRET not in repr(settings)
    assert TOKEN not in str(settings)
    with pytest.raises(BadInputError, match="set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"):
        SlackSettings.from_env({})
    with pytest.raises(BadInputError, match="SLACK_APP_TOKEN"):
        SlackSettings.from_env({"SLACK_BOT_TOKEN": TOKEN}, socket_mode=True)


def test_a_channel_the_bot_is_not_in_gets_a_private_answer(
    slack: tuple[FakeSlackApi, FakeSlackSender],
) -> None:
    api, sender = slack
    sender.channel_id = "C0SECRET"
    assert sender.post(sender.command_body("U0ALICE", "runs")).status_code == 200
    answer = api.wait_for("response_url", 1)[0].params
    assert "not_in_channel" in answer["text"]
    assert "/invite @netmend" in answer["text"]


def test_a_bad_command_is_answered_with_its_usage_in_the_ack(
    slack: tuple[FakeSlackApi, FakeSlackSender],
) -> None:
    api, sender = slack
    answer = sender.post(sender.command_body("U0ALICE", "fix i-1 i-2 tcp/99999"))
    assert answer.status_code == 200
    assert "Usage: /netmend fix SRC DST PROTO/PORT" in answer.text
    assert "65535" in answer.text
    sender.post(sender.command_body("U0ALICE", "help"))  # a good one after it
    header = api.wait_for("chat.postMessage", 1)[0].params
    assert "/netmend help" in header["text"]  # the bad one posted nothing


def test_a_replay_is_refused_by_a_restarted_server_too(tmp_path: Path) -> None:
    """The seen signatures live in the state dir: a restart does not forget them."""
    api = FakeSlackApi(TOKEN).start()
    settings = SlackSettings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": api.api_url}
    )
    config = NetmendConfig(state_dir=tmp_path, chatops=ChatopsSettings(approvers=("U0BOSS",)))
    clients = make_clients(AwsOptions(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    body = FakeSlackSender("", SECRET).command_body("U0ALICE", "help")
    headers = signed_headers(SECRET, body)
    codes = []
    try:
        for _ in range(2):  # the first server, then its restart on the same state dir
            _, app = make_chatops(config, clients, settings)
            server = SlackServer(app, settings, "127.0.0.1", 0, state_dir=tmp_path).start()
            try:
                codes.append(
                    FakeSlackSender(server.url, SECRET).post_raw(body, headers).status_code
                )
            finally:
                server.stop()
    finally:
        api.stop()
    assert codes == [200, 401]
