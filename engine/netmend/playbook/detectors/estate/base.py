"""What every estate detector shares: the shape of one finding's evidence.

A finding's evidence is plain JSON (it goes into ``scan --output json`` and the
baseline file). The keys the scan reads are ``resource`` (the id a finding is about,
what ``scan --fix --resource`` names), ``vpc``, ``severity`` (overrides the playbook's),
``enis`` (the interfaces concerned), ``accept_on`` (ids whose ``netmend:accept`` tag
silences it) and ``exposure`` (``{protocol, port, family}``: graded by the evaluator
as exposed to the internet or open in rules only).
"""

from __future__ import annotations

from typing import Any

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule

__all__ = [
    "SIGNALS",
    "WORLD_V4",
    "WORLD_V6",
    "finding",
    "findings_or_none",
    "group_label",
    "holders",
    "is_world",
    "rule_ref",
    "signal",
    "world_family",
]

# The evidence key under which the scan passes what the inventory does not hold
# (CloudWatch metrics, VPC endpoints), read by the detectors that need it.
SIGNALS = "signals"

WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"


def world_family(rule: SgRule) -> int | None:
    """4 or 6 when the rule's peer is the whole internet of that family, else None."""
    if rule.cidr_ipv4 == WORLD_V4:
        return 4
    if rule.cidr_ipv6 == WORLD_V6:
        return 6
    return None


def is_world(rule: SgRule) -> bool:
    return world_family(rule) is not None


def holders(inventory: Inventory, group_id: str) -> tuple[NetworkInterface, ...]:
    """Every interface carrying the group (instances, Lambda, endpoints, RDS, ...)."""
    return inventory.enis_of_group(group_id)


def rule_ref(rule: SgRule) -> dict[str, Any]:
    """``{group, rule_id}``: exactly what ``sg.revoke-rules`` takes for one rule."""
    return {"group": rule.group_id, "rule_id": rule.rule_id}


def finding(
    resource: str,
    *,
    vpc: str | None,
    accept_on: tuple[str, ...] = (),
    enis: tuple[str, ...] | list[str] = (),
    severity: str | None = None,
    **evidence: Any,
) -> dict[str, Any]:
    """One finding's evidence, with the keys the scan reads (see the module docstring)."""
    entry: dict[str, Any] = {
        "resource": resource,
        "vpc": vpc,
        "enis": list(enis),
        "accept_on": list(dict.fromkeys((resource, *accept_on))),
    }
    if severity is not None:
        entry["severity"] = severity
    entry.update(evidence)
    return entry


def findings_or_none(found: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A detector's answer: None (does not hold) when nothing was found."""
    return {"findings": found} if found else None


def signal(evidence: dict[str, Any], name: str) -> Any:
    """One signal the scan collected, or None when it was not collected."""
    signals = evidence.get(SIGNALS)
    return signals.get(name) if isinstance(signals, dict) else None


def group_label(group: SecurityGroup) -> str:
    return f"{group.group_id} ({group.group_name})"
