"""The ``chatops:`` config keys: defaults, durations, ids, and errors with file and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from netmend.approval.chat import parse_duration
from netmend.config import load_config
from netmend.errors import BadInputError


def test_defaults_four_eyes_and_fifteen_minutes(tmp_path: Path) -> None:
    chatops = load_config(env={}, cwd=tmp_path, home=tmp_path).chatops
    assert chatops.approvers == ()
    assert chatops.four_eyes is True
    assert chatops.approval_ttl == timedelta(minutes=15)


def test_the_file_sets_approvers_users_and_groups(tmp_path: Path) -> None:
    path = tmp_path / "netmend.yaml"
    path.write_text(
        "chatops:\n  approvers: [U0123ABCD, S0NETOPS]\n  four_eyes: false\n  approval_ttl: 2h\n"
    )
    chatops = load_config(path, env={}).chatops
    assert chatops.user_ids == ("U0123ABCD",)
    assert chatops.group_ids == ("S0NETOPS",)
    assert chatops.four_eyes is False
    assert chatops.approval_ttl == timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("chatops:\n  approval_ttl: soon\n", ":2: chatops.approval_ttl"),
        ("chatops:\n  approval_ttl: 0m\n", "longer than zero"),
        ("chatops:\n  approvers: [alice]\n", "not a Slack user or user-group id"),
        ("chatops:\n  approver: [U1]\n", "chatops.approver: Extra inputs"),
    ],
)
def test_bad_keys_name_file_and_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "netmend.yaml"
    path.write_text(text)
    with pytest.raises(BadInputError, match=says):
        load_config(path, env={})


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("15m") == parse_duration(900) == timedelta(minutes=15)
    assert parse_duration("1d") == timedelta(days=1)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("-5m")
