"""Pending requests persist in the state dir and are decided exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.approval import ApprovalRequest, ApprovalRoute
from netmend.chatops.requests import (
    AlreadyDecidedError,
    ChatActor,
    RequestKind,
    RequestState,
    RequestStore,
)
from netmend.errors import BadInputError

ALICE = ChatActor(user_id="U0ALICE", team_id="T1", channel_id="C1")


def test_a_request_survives_a_restart_and_is_decided_once(tmp_path: Path) -> None:
    approval = ApprovalRequest(run_id="r1", requester="U0ALICE", route=ApprovalRoute.CHAT)
    request = RequestStore(tmp_path).create(RequestKind.FIX, approval, ALICE, "C1")
    again = RequestStore(tmp_path)  # a restarted server
    assert again.load(request.request_id) == request
    assert [r.request_id for r in again.pending()] == [request.request_id]
    decided = again.decide(request.request_id, RequestState.APPROVED, ALICE, "ok")
    assert decided.state is RequestState.APPROVED
    assert decided.decided_by == ALICE
    with pytest.raises(AlreadyDecidedError) as caught:
        RequestStore(tmp_path).decide(request.request_id, RequestState.REJECTED, ALICE, "no")
    assert caught.value.request.state is RequestState.APPROVED
    assert again.pending() == []
    assert request.run_id == "r1"


@pytest.mark.parametrize("bad", ["../x", "req-../../x", "r1", "req-"])
def test_only_request_ids_name_files(tmp_path: Path, bad: str) -> None:
    with pytest.raises(BadInputError):
        RequestStore(tmp_path).load(bad)
