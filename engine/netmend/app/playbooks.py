"""The playbooks, for any face: which there are, and whether files of them are valid.

``list_playbooks`` and ``validate_playbooks`` return typed results whose
``model_dump(mode="json")`` is ``playbooks list`` / ``playbooks validate --output json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from netmend.playbook.schema import Scope, Severity

__all__ = ["PlaybookList", "PlaybookRow", "ValidPlaybooks", "list_playbooks", "validate_playbooks"]


class PlaybookRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    scope: Scope
    severity: Severity
    title: str


class PlaybookList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    playbooks: tuple[PlaybookRow, ...]


class ValidPlaybooks(BaseModel):
    """The ids of the playbooks a file or folder holds, all valid (else: exit 2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    valid: Literal[True] = True
    playbooks: tuple[str, ...]


def list_playbooks(playbook_dirs: Sequence[Path] = ()) -> PlaybookList:
    """The built-in playbooks and those in ``playbook_dirs``."""
    from netmend.playbook import load_playbooks

    return PlaybookList(
        playbooks=tuple(
            PlaybookRow(id=p.id, scope=p.scope, severity=p.severity, title=p.title)
            for p in load_playbooks(playbook_dirs)
        )
    )


def validate_playbooks(path: Path) -> ValidPlaybooks:
    """Check a playbook file or folder: YAML, schema, registered steps and their
    parameters (a bad one: BadInputError with its file, line and reason)."""
    from netmend.playbook import validate_path

    return ValidPlaybooks(playbooks=tuple(p.id for p in validate_path(path)))
