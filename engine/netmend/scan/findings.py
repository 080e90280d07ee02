"""Findings of ``netmend scan``: what is wrong with which resource, how bad, and whether
someone accepted it.

A finding is one (playbook, resource) pair: a scan reports each at most once. Its
``severity`` starts from the playbook's and is adjusted by the finding (a default group
in an empty VPC is low) and by grading (a world-open port that is really reachable from
the internet is critical, one open in rules only is medium). Accepted findings (by the
tag ``netmend:accept`` or a baseline file) stay in the report, marked, and never count
for ``--fail-on``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from netmend.errors import BadInputError

__all__ = [
    "SEVERITIES",
    "Acceptance",
    "Exposure",
    "Finding",
    "ScanReport",
    "Severity",
    "parse_severity",
    "severity_rank",
]

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    """0 for low up to 3 for critical."""
    return [str(s) for s in SEVERITIES].index(severity)


def parse_severity(text: str) -> Severity:
    """``--fail-on`` text to a Severity; BadInputError (exit 2) otherwise."""
    value = text.strip().lower()
    for severity in SEVERITIES:
        if severity == value:
            return severity
    raise BadInputError(f"unknown severity {text!r}: use {', '.join(SEVERITIES)}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Acceptance(_Frozen):
    """Why a finding is silenced: ``tag`` (netmend:accept on a resource) or ``baseline``."""

    by: Literal["tag", "baseline"]
    detail: str


class Exposure(_Frozen):
    """The evaluator's grade of a rule open to the world."""

    grade: Literal["exposed", "open-in-rules-only"]
    exposed_enis: tuple[str, ...] = ()  # reachable from the internet
    closed_enis: tuple[str, ...] = ()  # open in the rules, but not reachable
    detail: str = ""


class Finding(_Frozen):
    playbook: str
    resource: str
    severity: Severity
    summary: str
    title: str = ""
    vpc: str | None = None
    enis: tuple[str, ...] = ()
    exposure: Exposure | None = None
    accepted: Acceptance | None = None
    fixable: bool = False  # the playbook proposes a change (scan --fix)
    evidence: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.playbook, self.resource)

    def to_json(self) -> dict[str, Any]:
        document = self.model_dump(mode="json", exclude={"evidence"})
        document["grade"] = self.exposure.grade if self.exposure else None
        document["evidence"] = self.evidence
        return document


class ScanReport(_Frozen):
    """One scan: its findings (worst first), what ran, and whether ``fail_on`` is met."""

    region: str
    account_id: str | None = None
    playbooks: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    fail_on: Severity | None = None
    notes: tuple[str, ...] = ()
    signals: dict[str, str] = Field(default_factory=dict)  # what was (not) collected, why

    @property
    def open_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.accepted is None)

    @property
    def failed(self) -> bool:
        """A finding not accepted is at or above ``fail_on`` (the CLI exits 3)."""
        if self.fail_on is None:
            return False
        floor = severity_rank(self.fail_on)
        return any(severity_rank(f.severity) >= floor for f in self.open_findings)

    def find(self, playbook: str, resource: str) -> Finding | None:
        return next((f for f in self.findings if f.key == (playbook, resource)), None)

    def counts(self) -> dict[str, int]:
        found = Counter(f.severity for f in self.open_findings)
        return {s: found.get(s, 0) for s in reversed(SEVERITIES)} | {
            "accepted": len(self.findings) - len(self.open_findings)
        }

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's ``scan --output json``: ``{"findings": [{playbook, resource, ...}]}``."""
        return {
            "findings": [f.to_json() for f in self.findings],
            "counts": self.counts(),
            "playbooks": list(self.playbooks),
            "region": self.region,
            "fail_on": self.fail_on,
            "failed": self.failed,
            "signals": self.signals,
            "notes": list(self.notes),
        }
