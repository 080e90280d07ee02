"""One scan: every estate playbook over one inventory, findings graded and silenced.

One collection (the caller's), then the detectors over it; the evaluator they and the
grading share indexes the rules once (``evaluator_for``). The scan prints nothing: the
CLI renders the report (table, JSON, SARIF, ASFF) and ``progress`` lets it show a bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from netmend.errors import BadInputError
from netmend.model import Inventory
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import SIGNALS
from netmend.playbook.loader import PlaybookSet
from netmend.playbook.propose import detect_evidence, explain
from netmend.playbook.schema import Playbook
from netmend.playbook.sg.usage import GroupUse
from netmend.reach.evaluate import evaluator_for
from netmend.scan.accept import Baseline, accepted_by_tag, rule_tags
from netmend.scan.findings import Acceptance, Finding, ScanReport, Severity, severity_rank
from netmend.scan.grading import ExposureCache, grade_exposure, graded_severity

__all__ = [
    "Progress",
    "estate_playbooks",
    "playbook_entries",
    "scan_estate",
    "unused_candidates",
]

# progress(what, done, total): called before each playbook and once at the end.
Progress = Callable[[str, int, int], None]

SCAN_RUN_ID = "scan"


def estate_playbooks(playbooks: PlaybookSet, only: Sequence[str] = ()) -> list[Playbook]:
    """The estate playbooks to run: all, or those named (BadInputError for others)."""
    if not only:
        return sorted(playbooks.by_scope("estate"), key=lambda p: p.id)
    chosen: list[Playbook] = []
    for playbook_id in dict.fromkeys(only):
        playbook = playbooks.require(playbook_id)
        if playbook.scope != "estate":
            raise BadInputError(
                f"playbook {playbook_id!r} is a flow playbook: run it with `netmend fix`"
            )
        chosen.append(playbook)
    return chosen


def unused_candidates(inventory: Inventory) -> list[str]:
    """Groups the inventory shows nobody using: the ones to ask AWS about references
    from VPCs elsewhere (the ``security_group_references`` signal)."""
    use = GroupUse(inventory)
    return [
        g.group_id
        for g in inventory.security_groups
        if not g.is_default and not use.users(g.group_id)
    ]


def playbook_entries(
    inventory: Inventory, playbook: Playbook, signals: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The playbook's detector entries (one per resource with the problem)."""
    ctx = StepContext(
        inventory=inventory,
        run_id=SCAN_RUN_ID,
        playbook_id=playbook.id,
        evidence={SIGNALS: dict(signals)},
    )
    evidence = detect_evidence(playbook, ctx)
    if evidence is None:
        return []
    entries = evidence.get("findings")
    return [e for e in entries if isinstance(e, dict) and e.get("resource")] if entries else []


def _finding(
    inventory: Inventory,
    playbook: Playbook,
    entry: dict[str, Any],
    baseline: Baseline | None,
    tags: Mapping[str, dict[str, str]],
    exposures: ExposureCache | None = None,
) -> Finding:
    ctx = StepContext(
        inventory=inventory, run_id=SCAN_RUN_ID, playbook_id=playbook.id, evidence=dict(entry)
    )
    summary = " ".join(explain(playbook, ctx).split())
    severity: Severity = entry.get("severity") or playbook.severity
    enis = [str(e) for e in entry.get("enis") or ()]
    exposure = None
    if isinstance(entry.get("exposure"), dict):
        exposure = grade_exposure(evaluator_for(inventory), enis, entry["exposure"], exposures)
        severity = graded_severity(severity, exposure)
    resource = str(entry["resource"])
    accepted: Acceptance | None = accepted_by_tag(
        inventory, playbook.id, [str(r) for r in entry.get("accept_on") or (resource,)], tags
    )
    if accepted is None and baseline is not None and (playbook.id, resource) in baseline:
        accepted = Acceptance(by="baseline", detail="listed in the baseline file")
    evidence = {k: v for k, v in entry.items() if k not in ("resource", "severity")}
    return Finding(
        playbook=playbook.id,
        resource=resource,
        severity=severity,
        summary=summary,
        title=playbook.title,
        vpc=entry.get("vpc"),
        enis=tuple(enis),
        exposure=exposure,
        accepted=accepted,
        fixable=bool(playbook.propose),
        evidence=evidence,
    )


def scan_estate(
    inventory: Inventory,
    playbooks: PlaybookSet,
    *,
    only: Sequence[str] = (),
    vpcs: Sequence[str] = (),
    baseline: Baseline | None = None,
    fail_on: Severity | None = None,
    signals: Mapping[str, Any] | None = None,
    signal_notes: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ScanReport:
    """Run the estate playbooks (all, or ``only``) and report each finding once.

    ``vpcs`` keeps the findings of those VPCs (the whole inventory is still read: a group
    referenced from another VPC is not unused). ``signals`` are what the inventory does
    not hold (``conntrack_allowance_exceeded`` per instance, ``vpc_endpoints``), absent
    when not collected; ``signal_notes`` say why, for the report.
    """
    known_vpcs = {v.vpc_id for v in inventory.vpcs}
    unknown = [v for v in vpcs if v not in known_vpcs]
    if unknown:
        raise BadInputError(f"unknown VPC {', '.join(unknown)} in {inventory.region}")
    chosen = estate_playbooks(playbooks, only)
    findings: dict[tuple[str, str], Finding] = {}
    tags = rule_tags(inventory)
    exposures: ExposureCache | None = None
    for done, playbook in enumerate(chosen):
        if progress is not None:
            progress(playbook.id, done, len(chosen))
        for entry in playbook_entries(inventory, playbook, signals or {}):
            if vpcs and entry.get("vpc") not in vpcs:
                continue
            key = (playbook.id, str(entry["resource"]))
            if key not in findings:  # a resource is reported once per playbook
                if exposures is None and isinstance(entry.get("exposure"), dict):
                    exposures = ExposureCache(inventory)  # built once, for all gradings
                findings[key] = _finding(inventory, playbook, entry, baseline, tags, exposures)
    if progress is not None:
        progress("done", len(chosen), len(chosen))
    ordered = sorted(
        findings.values(), key=lambda f: (-severity_rank(f.severity), f.playbook, f.resource)
    )
    return ScanReport(
        region=inventory.region,
        account_id=inventory.account_id,
        playbooks=tuple(p.id for p in chosen),
        findings=tuple(ordered),
        fail_on=fail_on,
        signals=dict(signal_notes or {}),
    )
