"""Accepted findings: silenced by a tag on the resource or by a baseline file.

Users of every scanner complain about noise they cannot silence. Two ways here:
- the tag ``netmend:accept=<playbook-id>[,<playbook-id>...]`` (or ``*`` for every
  playbook) on the resource itself or on what the finding names as its owners (the
  group of a rule, the groups and instance of an interface);
- a baseline file (``scan --write-baseline FILE`` writes the findings of now; ``scan
  --baseline FILE`` silences those, so only new ones count).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from netmend.errors import BadInputError
from netmend.model import Inventory
from netmend.scan.findings import Acceptance, Finding
from netmend.store.atomic import atomic_write_text

__all__ = [
    "ACCEPT_TAG",
    "BASELINE_VERSION",
    "Baseline",
    "accepted_by_tag",
    "load_baseline",
    "rule_tags",
    "write_baseline",
]

ACCEPT_TAG = "netmend:accept"
BASELINE_VERSION = 1

Baseline = Mapping[tuple[str, str], str]  # (playbook, resource) -> the summary then


def rule_tags(inventory: Inventory) -> dict[str, dict[str, str]]:
    """Rule id -> its tags, for the rules that have any (rules are not in the id index)."""
    return {
        rule.rule_id: rule.tags
        for group in inventory.security_groups
        for rule in group.rules
        if rule.rule_id and rule.tags
    }


def _tags(
    inventory: Inventory, resource_id: str, rules: Mapping[str, dict[str, str]]
) -> dict[str, str]:
    if resource_id.startswith("sgr-"):
        return rules.get(resource_id, {})
    tags = getattr(inventory.get(resource_id), "tags", None)
    return tags if isinstance(tags, dict) else {}


def accepted_by_tag(
    inventory: Inventory,
    playbook: str,
    resource_ids: Iterable[str],
    rules: Mapping[str, dict[str, str]] | None = None,
) -> Acceptance | None:
    """The acceptance a ``netmend:accept`` tag on one of ``resource_ids`` gives, if any.

    ``rules`` is ``rule_tags(inventory)`` when the caller asks many times (a scan).
    """
    found_rules = rule_tags(inventory) if rules is None else rules
    for resource_id in resource_ids:
        value = _tags(inventory, resource_id, found_rules).get(ACCEPT_TAG)
        if value is None:
            continue
        listed = {word.strip() for word in value.split(",")}
        if playbook in listed or "*" in listed:
            return Acceptance(by="tag", detail=f"{ACCEPT_TAG}={value} on {resource_id}")
    return None


def load_baseline(path: Path) -> dict[tuple[str, str], str]:
    """The baseline file's accepted (playbook, resource) pairs; BadInputError if unreadable."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInputError(f"cannot read the baseline {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise BadInputError(f"{path} is not a netmend baseline (bad JSON: {error})") from None
    if not isinstance(document, dict) or document.get("netmend_baseline") != BASELINE_VERSION:
        raise BadInputError(
            f"{path} is not a netmend baseline (written by `netmend scan --write-baseline`)"
        )
    found: dict[tuple[str, str], str] = {}
    for entry in document.get("findings") or []:
        if not isinstance(entry, dict) or not entry.get("playbook") or not entry.get("resource"):
            raise BadInputError(f"{path}: every finding needs a playbook and a resource")
        found[(str(entry["playbook"]), str(entry["resource"]))] = str(entry.get("summary", ""))
    return found


def write_baseline(path: Path, findings: Iterable[Finding], *, region: str) -> int:
    """Write ``findings`` as a baseline (durably); returns how many it holds."""
    entries = [
        {"playbook": f.playbook, "resource": f.resource, "summary": f.summary}
        for f in sorted(findings, key=lambda f: f.key)
    ]
    document = {"netmend_baseline": BASELINE_VERSION, "region": region, "findings": entries}
    try:
        atomic_write_text(path, json.dumps(document, indent=2) + "\n", mode=0o644)
    except OSError as error:
        raise BadInputError(f"cannot write the baseline {path}: {error.strerror}") from None
    return len(entries)
