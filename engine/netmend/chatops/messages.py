"""What netmend says in chat, as a neutral structure any adapter renders.

Text uses the small markup every chat platform has an equivalent of: ``*bold*``,
`` `code` `` and ``<@USER_ID>`` for a mention; ``Preformatted`` holds fixed-width text
(a diff) verbatim. A Slack adapter maps this to Block Kit, a Teams one to Adaptive Cards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "APPROVE",
    "REJECT",
    "Action",
    "ActionKind",
    "ChatMessage",
    "Context",
    "Fields",
    "Part",
    "Preformatted",
    "Section",
]


class ActionKind(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


APPROVE = ActionKind.APPROVE
REJECT = ActionKind.REJECT


@dataclass(frozen=True)
class Section:
    text: str


@dataclass(frozen=True)
class Preformatted:
    text: str


@dataclass(frozen=True)
class Fields:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Context:
    text: str


@dataclass(frozen=True)
class Action:
    """A button: ``value`` names the pending request it decides."""

    kind: ActionKind
    label: str
    value: str


Part = Section | Preformatted | Fields | Context


@dataclass(frozen=True)
class ChatMessage:
    """``summary`` is the plain-text fallback (notifications, screen readers)."""

    summary: str
    parts: tuple[Part, ...] = ()
    actions: tuple[Action, ...] = field(default_factory=tuple)

    def without_actions(self, *extra: Part) -> ChatMessage:
        """The same message with its buttons gone and ``extra`` parts appended (a stamp)."""
        return ChatMessage(summary=self.summary, parts=(*self.parts, *extra), actions=())
