"""``netmend scan``: estate hygiene, graded by what is really reachable (application core).

Pure: it takes an Inventory (and the signals the inventory does not hold, collected by
``netmend.aws.signals``), runs the ``scope: estate`` playbooks and returns a typed
ScanReport; it prints nothing. The CLI renders it (``netmend.render``).
"""

from __future__ import annotations

from netmend.scan.accept import ACCEPT_TAG, load_baseline, write_baseline
from netmend.scan.findings import (
    SEVERITIES,
    Acceptance,
    Exposure,
    Finding,
    ScanReport,
    Severity,
    parse_severity,
)
from netmend.scan.fix import FindingFix, NoFindingError, fix_finding, propose_finding_fix
from netmend.scan.run import Progress, estate_playbooks, scan_estate, unused_candidates

__all__ = [
    "ACCEPT_TAG",
    "SEVERITIES",
    "Acceptance",
    "Exposure",
    "Finding",
    "FindingFix",
    "NoFindingError",
    "Progress",
    "ScanReport",
    "Severity",
    "estate_playbooks",
    "fix_finding",
    "load_baseline",
    "parse_severity",
    "propose_finding_fix",
    "scan_estate",
    "unused_candidates",
    "write_baseline",
]
