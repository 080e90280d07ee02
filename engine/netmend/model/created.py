"""Names of what a run creates: placeholder ids until AWS answers, and the tags it sets.

Pure facts shared by the playbooks (which name a group before it exists), aws/ (which
refuses to send a placeholder and deletes only what netmend created) and the run (which
swaps in the real id). The life of a created group is ``netmend.run.new_resources``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CREATED_BY_TAG",
    "CREATED_BY_VALUE",
    "CREATE_GROUP_API",
    "DELETE_GROUP_API",
    "DELETE_UNUSED_GROUP_ACTION",
    "RECREATED_FROM_TAG",
    "RUN_ID_TAG",
    "group_create_params",
    "has_placeholder",
    "is_placeholder",
    "new_group_ref",
    "placeholder_variable",
    "resolve_value",
]

CREATE_GROUP_API = "CreateSecurityGroup"
DELETE_GROUP_API = "DeleteSecurityGroup"
CREATED_BY_TAG = "netmend:created-by"
CREATED_BY_VALUE = "netmend"
RUN_ID_TAG = "netmend:run-id"
# The action that deletes a group found unused (not one netmend created): aws/ lets its
# DeleteSecurityGroup through after reading that nothing uses the group.
DELETE_UNUSED_GROUP_ACTION = "sg.delete-group"
# On a group a rollback re-created (AWS gives it a new id): the id it had.
RECREATED_FROM_TAG = "netmend:recreated-from"

_PREFIX = "new-sg:"
# A run id (store/runs.py's pattern, without ":") and a sequence number.
_PLACEHOLDER = re.compile(r"new-sg:[A-Za-z0-9][A-Za-z0-9._-]*:[0-9]+")


def new_group_ref(run_id: str, number: int) -> str:
    """The placeholder of the ``number``-th group run ``run_id`` creates (from 1)."""
    ref = f"{_PREFIX}{run_id}:{number}"
    if not _PLACEHOLDER.fullmatch(ref):
        raise ValueError(f"cannot make a placeholder from run id {run_id!r}")
    return ref


def is_placeholder(value: str) -> bool:
    return _PLACEHOLDER.fullmatch(value) is not None


def placeholder_variable(ref: str) -> str:
    """A shell variable name for a placeholder: ``new-sg:RUN:1`` → ``NEW_SG_1``."""
    return f"NEW_SG_{ref.rsplit(':', 1)[-1]}"


def has_placeholder(value: Any) -> bool:
    """Whether a placeholder appears anywhere in ``value`` (strings, lists, dicts)."""
    if isinstance(value, str):
        return _PLACEHOLDER.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_placeholder(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_placeholder(v) for v in value)
    return False


def resolve_value(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with every placeholder that ``ids`` knows replaced by its real id."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: ids.get(m.group(0), m.group(0)), value)
    if isinstance(value, Mapping):
        return {k: resolve_value(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve_value(v, ids) for v in value]
    return value


def group_create_params(
    name: str, description: str, vpc_id: str | None, tags: Mapping[str, str]
) -> dict[str, Any]:
    """CreateSecurityGroup's parameters for a group with these name, VPC and tags (tags
    AWS reserves, ``aws:*``, cannot be set by anyone and are left out)."""
    settable = [{"Key": k, "Value": v} for k, v in tags.items() if not k.lower().startswith("aws:")]
    params: dict[str, Any] = {"GroupName": name, "Description": description or name}
    if vpc_id:
        params["VpcId"] = vpc_id
    if settable:
        params["TagSpecifications"] = [{"ResourceType": "security-group", "Tags": settable}]
    return params
