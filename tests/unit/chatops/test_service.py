"""The chat service's decisions on a held run, without AWS: reject, expiry, never-rules.

The AWS endpoint is a closed loopback port: any AWS call would fail the test, so these
also show that refusals never reach AWS.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netmend.approval import DecisionOutcome
from netmend.approval.chat import ChatopsSettings
from netmend.aws.session import AwsOptions, make_clients
from netmend.chatops.messages import Section
from netmend.chatops.requests import ChatActor, RequestState
from netmend.chatops.service import ChatOps
from netmend.config import NetmendConfig
from netmend.store import RunStatus, RunStore
from tests.unit.approval.plans import authorize, plan_of

REQUESTER = ChatActor(user_id="U0REQ", team_id="T1", channel_id="C1")
BOSS = ChatActor(user_id="U0BOSS", team_id="T1", channel_id="C1")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _chatops(tmp_path: Path, clock: Clock) -> ChatOps:
    config = NetmendConfig(
        state_dir=tmp_path,
        chatops=ChatopsSettings(approvers=("U0BOSS",), approval_ttl="10m"),  # type: ignore[arg-type]
    )
    clients = make_clients(AwsOptions(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    return ChatOps(config, clients, members=lambda group: frozenset(), clock=clock)


def _held(chat: ChatOps, cidr: str = "10.0.0.0/16", port: int = 443) -> str:
    plan = plan_of(authorize(cidr, port))
    chat.runs.create_run(plan, requester="netmend-watch")
    reply = chat.request_for_run(plan.run_id, "C1", requester=REQUESTER)
    assert reply.request is not None
    assert reply.message.actions
    return reply.request.request_id


def _trail(tmp_path: Path) -> list[dict[str, object]]:
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "chatops.decision"]


def test_a_rejection_is_stamped_audited_and_retires_the_plan(tmp_path: Path, clock: Clock) -> None:
    chat = _chatops(tmp_path, clock)
    request_id = _held(chat)
    reply = chat.click(request_id, BOSS, approve=False)
    assert reply.outcome is DecisionOutcome.REJECTED
    assert isinstance(reply.stamp, Section)
    assert "*Rejected* by <@U0BOSS>" in reply.stamp.text
    assert chat.requests.load(request_id).state is RequestState.REJECTED
    run_id = chat.requests.load(request_id).run_id
    assert RunStore(tmp_path).read_meta(run_id).status is RunStatus.REFUSED
    assert _trail(tmp_path)[-1] | {"ts": None} == _trail(tmp_path)[-1] | {
        "ts": None,
        "outcome": "rejected",
        "slack_user": "U0BOSS",
        "slack_team": "T1",
        "slack_channel": "C1",
        "refused": False,
    }
    again = chat.click(request_id, BOSS, approve=True)
    assert again.outcome is DecisionOutcome.REFUSED
    assert "already rejected" in again.reason


def test_a_late_click_expires_the_request(tmp_path: Path, clock: Clock) -> None:
    chat = _chatops(tmp_path, clock)
    request_id = _held(chat)
    clock.now += timedelta(minutes=10)
    reply = chat.click(request_id, BOSS, approve=True)
    assert reply.outcome is DecisionOutcome.EXPIRED
    assert isinstance(reply.stamp, Section)
    assert "Expired" in reply.stamp.text
    assert chat.requests.load(request_id).state is RequestState.EXPIRED
    run_id = chat.requests.load(request_id).run_id
    assert RunStore(tmp_path).read_meta(run_id).status is RunStatus.REFUSED  # by the core
    assert [e["outcome"] for e in _trail(tmp_path)] == ["expired"]


def test_never_rules_refuse_even_a_listed_approver(tmp_path: Path, clock: Clock) -> None:
    chat = _chatops(tmp_path, clock)
    request_id = _held(chat, cidr="0.0.0.0/0", port=22)
    reply = chat.click(request_id, BOSS, approve=True)
    assert reply.outcome is DecisionOutcome.REFUSED
    assert "never allowed by policy" in reply.reason
    assert "sensitive port" in reply.reason
    assert chat.requests.load(request_id).state is RequestState.REFUSED
    run_id = chat.requests.load(request_id).run_id
    meta = RunStore(tmp_path).read_meta(run_id)
    assert meta.status is RunStatus.REFUSED
    assert "never allowed by policy" in meta.message
    assert reply.work is None  # nothing will be applied


def test_commands_answer_in_one_message(tmp_path: Path, clock: Clock) -> None:
    chat = _chatops(tmp_path, clock)
    assert "Usage: /netmend rollback RUN_ID" in chat.command("rollback", REQUESTER).message.summary
    assert "/netmend fix SRC DST" in str(chat.command("help", REQUESTER).message.parts)
    assert chat.command("runs", REQUESTER).message.summary == "no runs recorded yet"
    unknown = chat.command("rollback 20990101T000000Z-none", REQUESTER).message.summary
    assert unknown.startswith("netmend: error:")
    assert chat.click("req-doesnotexist", BOSS, approve=True).outcome is DecisionOutcome.REFUSED
