"""The config file: where runs are stored, extra playbook folders, the approval policy.

Found, first match wins: ``--config FILE``; ``$NETMEND_CONFIG``; ``./netmend.yaml``;
``~/.config/netmend/config.yaml``; else built-in defaults. An explicit file (option or
variable) that does not exist is an error; the two conventional places are optional.

    state_dir: ~/.local/state/netmend   # default: $NETMEND_STATE_DIR, else this
    playbook_dirs: [./playbooks.d]      # relative paths: from the config file's folder
    policy:
      auto_approve: [addition]
      require_person: [revocation, widening, eni-groups, deny-override]
      allow_world_on: [443]
      protected_tags: {"netmend:protected": "true"}   # or a list: ["key", "key=value"]
      max_changes: 20
      max_changes_per_hour: 50          # across all workers (the event worker's runs)
      change_windows: ["Mon-Fri 08:00-18:00 Europe/Berlin"]
    lock_table: netmend-locks           # DynamoDB run locks, with state_dir: s3://B/P
    chatops:
      approvers: [U0123ABCD, S0NETOPS]   # Slack user ids or user-group ids
      four_eyes: true
      approval_ttl: 15m
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from netmend.approval.chat import ChatopsSettings
from netmend.approval.policy import Policy
from netmend.errors import BadInputError
from netmend.yaml_lines import YamlInputError, YamlSyntaxError, line_of, load_yaml

__all__ = ["NetmendConfig", "default_state_dir", "find_config_file", "load_config"]

CONFIG_ENV = "NETMEND_CONFIG"
STATE_DIR_ENV = "NETMEND_STATE_DIR"  # a folder, or s3://BUCKET/PREFIX
LOCK_TABLE_ENV = "NETMEND_LOCK_TABLE"  # the DynamoDB lock table, when the file names none


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    given = env.get(STATE_DIR_ENV)
    if given and not given.startswith("s3://"):
        return Path(given).expanduser()
    return Path("~/.local/state/netmend").expanduser()


def _state_from_env(config: NetmendConfig, env: Mapping[str, str]) -> NetmendConfig:
    """``NETMEND_STATE_DIR=s3://BUCKET/PREFIX`` (a Lambda function's, a container's)."""
    given = env.get(STATE_DIR_ENV, "")
    if not given.startswith("s3://"):
        return config
    return config.model_copy(update={"state_url": given})


class NetmendConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    state_dir: Path = Field(default_factory=default_state_dir)
    playbook_dirs: tuple[Path, ...] = ()
    policy: Policy = Field(default_factory=Policy)
    chatops: ChatopsSettings = Field(default_factory=ChatopsSettings)
    source: Path | None = Field(default=None, exclude=True)  # the file it came from
    # -- many workers (issue 14): `state_dir: s3://BUCKET/PREFIX` lands in state_url, the
    # local state_dir then only keeps its default; `lock_table` names the DynamoDB table.
    state_url: str | None = Field(default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,62}(/.*)?$")
    lock_table: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{3,255}$")

    @model_validator(mode="before")
    @classmethod
    def _state_in_s3(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and str(data.get("state_dir", "")).startswith("s3://"):
            data = dict(data)
            data["state_url"] = str(data.pop("state_dir"))
        return data

    @property
    def audit_path(self) -> Path:
        return self.state_dir / "audit.jsonl"


def find_config_file(
    explicit: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Path | None:
    """The config file to read, or None for the defaults."""
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit.expanduser()
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    local = (cwd or Path.cwd()) / "netmend.yaml"
    if local.is_file():
        return local
    user = (home or Path.home()) / ".config" / "netmend" / "config.yaml"
    return user if user.is_file() else None


def _resolve(path: Path, base: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (base / path)


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> NetmendConfig:
    """Load the config (see the module doc for where); BadInputError names file and line."""
    env = os.environ if env is None else env
    found = find_config_file(path, env=env, cwd=cwd, home=home)
    if found is None:
        defaults = _state_from_env(NetmendConfig(state_dir=default_state_dir(env)), env)
        if env.get(LOCK_TABLE_ENV):
            defaults = defaults.model_copy(update={"lock_table": env[LOCK_TABLE_ENV]})
        return defaults
    try:
        text = found.read_text(encoding="utf-8")
    except OSError as error:
        raise BadInputError(f"cannot read config file {found}: {error.strerror}") from error
    try:
        document = load_yaml(text)
    except YamlSyntaxError as error:
        raise BadInputError(f"{found}:{error.line}: malformed YAML: {error.problem}") from error
    except YamlInputError as error:
        raise BadInputError(f"{found}:{error.line}: {error.reason}") from error
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise BadInputError(f"{found}:1: the config file must be a mapping of keys")
    data = dict(document)
    if "source" in data:  # set by the loader, not a key of the file
        line = line_of(document, ("source",))
        raise BadInputError(f"{found}:{line}: source: Extra inputs are not permitted")
    try:
        config = NetmendConfig.model_validate(data)
    except ValidationError as error:
        issue = error.errors()[0]
        location = tuple(issue["loc"])
        line = line_of(document, location)
        where = f"{found}:{line}"
        key = ".".join(str(p) for p in location) or "(top level)"
        raise BadInputError(f"{where}: {key}: {issue['msg']}") from error
    base = found.parent
    if "state_dir" not in data and "state_url" not in data:
        config = _state_from_env(config, env)
    if "lock_table" not in data and env.get(LOCK_TABLE_ENV):
        config = config.model_copy(update={"lock_table": env[LOCK_TABLE_ENV]})
    return config.model_copy(
        update={
            "state_dir": _resolve(config.state_dir, base)
            if "state_dir" in data and config.state_url is None
            else default_state_dir(env),
            "playbook_dirs": tuple(_resolve(p, base) for p in config.playbook_dirs),
            "source": found,
        }
    )
