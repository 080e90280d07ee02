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

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from netmend.approval import ApprovalRequest
from netmend.errors import BadInputError
from netmend.store.backend import LocalBackend, RecordBackend

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
    """Chat requests in the state: a local folder, or the S3 prefix many workers share
    (a held run posted by the event worker is clicked on in ``serve slack``)."""

    _FOLDER = "chatops/requests"

    def __init__(self, state_dir: Path | RecordBackend) -> None:
        self.backend: RecordBackend = (
            LocalBackend(state_dir) if isinstance(state_dir, str | Path) else state_dir
        )

    def _key(self, request_id: str, suffix: str = ".json") -> str:
        if not request_id.startswith("req-") or not request_id[4:].isalnum():
            raise BadInputError(f"{request_id!r} is not an approval request id")
        return f"{self._FOLDER}/{request_id}{suffix}"

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
        self.backend.write(
            self._key(request.request_id), request.model_dump_json(indent=2).encode("utf-8")
        )

    def load(self, request_id: str) -> ChatRequest:
        data = self.backend.read(self._key(request_id))
        if data is None:
            raise BadInputError(f"no approval request {request_id}")
        try:
            return ChatRequest.model_validate_json(data)
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
        # Created only if absent (O_EXCL locally, If-None-Match in S3): one decision wins.
        if not self.backend.create(self._key(request_id, ".decided"), state.value.encode()):
            raise AlreadyDecidedError(self.load(request_id))
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
        ids = sorted(
            name.removesuffix(".json")
            for name in self.backend.files(self._FOLDER)
            if name.startswith("req-") and name.endswith(".json")
        )
        found = [self.load(request_id) for request_id in ids]
        return [r for r in found if r.state is RequestState.PENDING]
