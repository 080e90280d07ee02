"""Approval requests as asked in chat: the typed request, and where it was asked.

The request itself is the core's ``netmend.approval.ApprovalRequest`` (who asked, who may
answer, four eyes, until when); for a fix it is also stored with the held run. A
``ChatRequest`` adds what only chat knows: the kind (fix or rollback), the channel, the
message carrying the buttons (to stamp it) and the chat-side state. It lives as
``<state_dir>/chatops/requests/<id>.json`` so a restarted server still knows it, and it
is decided exactly once: the first decision creates ``<id>.decided`` with O_EXCL, so two
approvers clicking at the same instant (or two server processes) cannot both apply.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from netmend.approval import ApprovalRequest
from netmend.errors import BadInputError
from netmend.store.atomic import atomic_write_text, fsync_dir

__all__ = [
    "AlreadyDecidedError",
    "ChatActor",
    "ChatRequest",
    "RequestKind",
    "RequestState",
    "RequestStore",
]


class RequestKind(StrEnum):
    FIX = "fix"  # apply a planned run
    ROLLBACK = "rollback"  # restore a run's snapshot


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    REFUSED = "refused"  # a policy never-rule forbids it, whoever approves


class ChatActor(BaseModel):
    """Who did something in chat: the platform's user id, workspace and channel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str
    team_id: str | None = None
    channel_id: str | None = None
    user_name: str | None = None

    @property
    def label(self) -> str:
        """How runs and the audit trail name the person: ``slack:U0123ABCD``."""
        return f"slack:{self.user_id}"


class ChatRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str
    kind: RequestKind
    approval: ApprovalRequest  # the core's typed request: the rules of who may answer
    requester: ChatActor
    channel_id: str
    thread_ts: str | None = None
    message_ts: str | None = None  # the message with the buttons, once posted
    summary: str = ""
    state: RequestState = RequestState.PENDING
    decided_by: ChatActor | None = None
    decided_at: datetime | None = None
    reason: str = ""

    @property
    def run_id(self) -> str:
        return self.approval.run_id

    @property
    def expires_at(self) -> datetime | None:
        return self.approval.expires_at


class AlreadyDecidedError(Exception):
    """The request was decided before this decision could be recorded."""

    def __init__(self, request: ChatRequest) -> None:
        super().__init__(f"request {request.request_id} is already {request.state.value}")
        self.request = request


def _new_request_id() -> str:
    return "req-" + secrets.token_hex(8)


class RequestStore:
    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / "chatops" / "requests"

    def _path(self, request_id: str, suffix: str = ".json") -> Path:
        if not request_id.startswith("req-") or not request_id[4:].isalnum():
            raise BadInputError(f"{request_id!r} is not an approval request id")
        return self.folder / f"{request_id}{suffix}"

    def create(
        self,
        kind: RequestKind,
        approval: ApprovalRequest,
        requester: ChatActor,
        channel_id: str,
        *,
        thread_ts: str | None = None,
        summary: str = "",
    ) -> ChatRequest:
        request = ChatRequest(
            request_id=_new_request_id(),
            kind=kind,
            approval=approval,
            requester=requester,
            channel_id=channel_id,
            thread_ts=thread_ts,
            summary=summary,
        )
        self.save(request)
        return request

    def save(self, request: ChatRequest) -> None:
        atomic_write_text(self._path(request.request_id), request.model_dump_json(indent=2))

    def load(self, request_id: str) -> ChatRequest:
        path = self._path(request_id)
        try:
            return ChatRequest.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BadInputError(f"no approval request {request_id}") from None
        except ValidationError as error:
            raise BadInputError(f"approval request {request_id} is unreadable: {error}") from None

    def posted(
        self, request_id: str, message_ts: str, *, thread_ts: str | None = None
    ) -> ChatRequest:
        """Remember which message carries the request's buttons (to stamp it later)."""
        request = self.load(request_id).model_copy(
            update={"message_ts": message_ts, "thread_ts": thread_ts}
        )
        self.save(request)
        return request

    def decide(
        self,
        request_id: str,
        state: RequestState,
        by: ChatActor | None,
        reason: str,
        *,
        now: datetime | None = None,
    ) -> ChatRequest:
        """Record the one decision; AlreadyDecidedError if another got there first."""
        if state is RequestState.PENDING:
            raise ValueError("a decision cannot make a request pending again")
        marker = self._path(request_id, ".decided")
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise AlreadyDecidedError(self.load(request_id)) from None
        try:
            os.write(fd, state.value.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(self.folder)
        decided = self.load(request_id).model_copy(
            update={
                "state": state,
                "decided_by": by,
                "decided_at": now or datetime.now(UTC),
                "reason": reason,
            }
        )
        self.save(decided)
        return decided

    def pending(self) -> list[ChatRequest]:
        if not self.folder.is_dir():
            return []
        found = [self.load(p.stem) for p in sorted(self.folder.glob("req-*.json"))]
        return [r for r in found if r.state is RequestState.PENDING]
