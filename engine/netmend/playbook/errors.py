"""Errors of the playbook engine: a bad playbook, and a fix that cannot be proposed."""

from __future__ import annotations

from dataclasses import dataclass

from netmend.errors import BadInputError, NetmendError

__all__ = ["PlaybookError", "PlaybookIssue", "ProposalRefusedError"]


@dataclass(frozen=True)
class PlaybookIssue:
    """One problem in one playbook file, at one line (``None`` when no line applies)."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}" if where else self.reason


class PlaybookError(BadInputError):
    """A playbook is malformed, unknown or renders to something invalid (exit 2).

    ``issues`` lists every problem found; the message is the first one, in one line, as
    ``path:line: reason``, with a count of the rest.
    """

    def __init__(self, issues: str | PlaybookIssue | list[PlaybookIssue]):
        if isinstance(issues, str):
            issues = [PlaybookIssue("", None, issues)]
        elif isinstance(issues, PlaybookIssue):
            issues = [issues]
        if not issues:
            raise ValueError("a PlaybookError needs at least one issue")
        self.issues: tuple[PlaybookIssue, ...] = tuple(issues)
        message = str(self.issues[0])
        if len(self.issues) > 1:
            message += f" (and {len(self.issues) - 1} more)"
        super().__init__(message)

    @classmethod
    def at(cls, path: str, line: int | None, reason: str) -> PlaybookError:
        return cls(PlaybookIssue(path, line, reason))


class ProposalRefusedError(NetmendError):
    """The fix cannot be proposed as asked: a quota would be exceeded, a rule is missing.

    Nothing is written; the message says why and what to do instead.
    """

    exit_code = 1
