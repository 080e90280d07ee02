"""``netmend scan --output sarif``: SARIF 2.1.0, for code-scanning dashboards.

One run; one reporting descriptor ("rule") per estate playbook that ran, with its
severity as ``security-severity`` (what GitHub code scanning ranks by); one result per
finding. Cloud resources have no file, so each result names its resource as a logical
location (``aws/REGION/VPC/RESOURCE``). Accepted findings are results with an external
suppression (tag or baseline), as SARIF means suppressions to be. A stable partial
fingerprint (playbook and resource) lets dashboards follow a finding across scans.
"""

from __future__ import annotations

from typing import Any

from netmend import __version__
from netmend.playbook.loader import PlaybookSet
from netmend.scan.findings import Finding, ScanReport

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "report_to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub's security-severity bands: critical >= 9.0, high >= 7.0, medium >= 4.0.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _rule(playbooks: PlaybookSet, playbook_id: str) -> dict[str, Any]:
    playbook = playbooks.get(playbook_id)
    title = playbook.title if playbook else playbook_id
    description = " ".join((playbook.description or title).split()) if playbook else title
    severity = playbook.severity if playbook else "medium"
    return {
        "id": playbook_id,
        "name": "".join(word.capitalize() for word in playbook_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[severity],
            "tags": ["security", "aws", "network"],
        },
    }


def _location(report: ScanReport, finding: Finding) -> dict[str, Any]:
    parts = ["aws", report.region, *([finding.vpc] if finding.vpc else []), finding.resource]
    return {
        "logicalLocations": [
            {
                "name": finding.resource,
                "fullyQualifiedName": "/".join(parts),
                "kind": "resource",
            }
        ]
    }


def _result(report: ScanReport, finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.playbook,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.summary},
        "locations": [_location(report, finding)],
        "partialFingerprints": {"netmendFinding/v1": f"{finding.playbook}:{finding.resource}"},
        "properties": {
            "severity": finding.severity,
            "security-severity": _SECURITY_SEVERITY[finding.severity],
            "resource": finding.resource,
            "vpc": finding.vpc,
            "enis": list(finding.enis),
            "grade": finding.exposure.grade if finding.exposure else None,
        },
    }
    if finding.accepted is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": finding.accepted.detail}
        ]
    return result


def report_to_sarif(report: ScanReport, playbooks: PlaybookSet) -> dict[str, Any]:
    """The scan as one SARIF 2.1.0 log (validates against the OASIS schema)."""
    rule_ids = list(dict.fromkeys([*report.playbooks, *(f.playbook for f in report.findings)]))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "netmend",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(playbooks, rule_id) for rule_id in rule_ids],
                    }
                },
                "results": [_result(report, f, index[f.playbook]) for f in report.findings],
                "properties": {"region": report.region, "accountId": report.account_id},
            }
        ],
    }
