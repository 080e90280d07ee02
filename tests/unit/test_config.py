"""The config file: where it is found, its defaults, and errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.config import load_config
from netmend.errors import BadInputError
from netmend.model.change import ChangeKind


def test_defaults_without_any_file(tmp_path: Path) -> None:
    """No file anywhere: state under ~/.local/state/netmend, default policy."""
    config = load_config(env={}, cwd=tmp_path, home=tmp_path / "home")
    assert config.state_dir == Path("~/.local/state/netmend").expanduser()
    assert config.source is None
    assert config.policy.auto_approve == ()
    assert ChangeKind.REVOCATION in config.policy.require_person
    assert config.playbook_dirs == ()


def test_state_dir_env_is_the_default(tmp_path: Path) -> None:
    """NETMEND_STATE_DIR sets state_dir when the file does not."""
    config = load_config(
        env={"NETMEND_STATE_DIR": str(tmp_path / "st")}, cwd=tmp_path, home=tmp_path
    )
    assert config.state_dir == tmp_path / "st"
    assert config.audit_path == tmp_path / "st" / "audit.jsonl"


def test_precedence_option_env_cwd_home(tmp_path: Path) -> None:
    """--config beats NETMEND_CONFIG, which beats ./netmend.yaml, which beats the home file."""
    home = tmp_path / "home"
    (home / ".config" / "netmend").mkdir(parents=True)
    (home / ".config" / "netmend" / "config.yaml").write_text("state_dir: /from-home\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    assert load_config(env={}, cwd=cwd, home=home).state_dir == Path("/from-home")
    (cwd / "netmend.yaml").write_text("state_dir: /from-cwd\n")
    assert load_config(env={}, cwd=cwd, home=home).state_dir == Path("/from-cwd")
    env_file = tmp_path / "env.yaml"
    env_file.write_text("state_dir: /from-env\n")
    env = {"NETMEND_CONFIG": str(env_file)}
    assert load_config(env=env, cwd=cwd, home=home).state_dir == Path("/from-env")
    option = tmp_path / "option.yaml"
    option.write_text("state_dir: /from-option\n")
    assert load_config(option, env=env, cwd=cwd, home=home).state_dir == Path("/from-option")


def test_full_file_is_read_and_relative_paths_resolved(tmp_path: Path) -> None:
    """Every key is read; relative paths are taken from the config file's folder."""
    path = tmp_path / "conf" / "netmend.yaml"
    path.parent.mkdir()
    path.write_text(
        "state_dir: state\n"
        "playbook_dirs: [extra, /abs/playbooks]\n"
        "policy:\n"
        "  auto_approve: [addition, quota]\n"
        "  allow_world_on: [443]\n"
        "  protected_tags: {team: payments}\n"
        "  max_changes: 5\n"
    )
    config = load_config(path, env={})
    assert config.state_dir == tmp_path / "conf" / "state"
    assert config.playbook_dirs == (tmp_path / "conf" / "extra", Path("/abs/playbooks"))
    assert config.policy.auto_approve == (ChangeKind.ADDITION, ChangeKind.QUOTA)
    assert config.policy.allow_world_on == (443,)
    assert config.policy.protected_tags == {"team": "payments"}
    assert config.policy.max_changes == 5
    assert config.source == path


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    """A YAML syntax error is BadInputError with the file and the line of the problem."""
    path = tmp_path / "netmend.yaml"
    path.write_text("state_dir: /x\npolicy:\n  auto_approve: [addition,\n  max_changes: 3\n")
    with pytest.raises(BadInputError) as caught:
        load_config(path, env={})
    assert str(caught.value).startswith(f"{path}:")
    assert "malformed YAML" in str(caught.value)
    assert caught.value.exit_code == 2


def test_invalid_value_names_file_line_and_key(tmp_path: Path) -> None:
    """A value of the wrong kind is reported at its own line, with its dotted key."""
    path = tmp_path / "netmend.yaml"
    path.write_text("state_dir: /x\npolicy:\n  auto_approve: [addition]\n  max_changes: lots\n")
    with pytest.raises(BadInputError, match=rf"^{path}:4: policy\.max_changes: "):
        load_config(path, env={})


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    """A misspelt key is not silently ignored."""
    path = tmp_path / "netmend.yaml"
    path.write_text("polcy: {}\n")
    with pytest.raises(BadInputError, match=rf"^{path}:1: polcy: "):
        load_config(path, env={})


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    """--config naming a file that does not exist fails instead of using defaults."""
    with pytest.raises(BadInputError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml", env={})


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    """An empty config file is valid and means the defaults."""
    path = tmp_path / "netmend.yaml"
    path.write_text("# nothing yet\n")
    config = load_config(path, env={"NETMEND_STATE_DIR": str(tmp_path)})
    assert config.state_dir == tmp_path
    assert config.policy.max_changes == 20
