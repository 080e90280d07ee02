"""``netmend scan --output asff``: AWS Security Finding Format, for Security Hub.

The document is ``{"Findings": [...]}``, exactly the input of Security Hub's
``BatchImportFindings`` (``aws securityhub batch-import-findings --cli-input-json``),
each finding an ``AwsSecurityFinding`` of schema 2018-10-08 from the account's default
product (``product/ACCOUNT/default``, the one for custom integrations). Accepted
findings go in with workflow status SUPPRESSED, so Security Hub shows them as accepted
rather than losing them. The id is stable (region, playbook, resource): importing the
next scan updates the same findings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from netmend.playbook.loader import PlaybookSet
from netmend.scan.findings import Finding, ScanReport

__all__ = ["ASFF_SCHEMA_VERSION", "report_to_asff"]

ASFF_SCHEMA_VERSION = "2018-10-08"
UNKNOWN_ACCOUNT = "000000000000"

_LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW"}
_RESOURCE_TYPES = (
    ("sgr-", "Other", "security-group-rule"),
    ("sg-", "AwsEc2SecurityGroup", "security-group"),
    ("acl-", "AwsEc2NetworkAcl", "network-acl"),
    ("eni-", "AwsEc2NetworkInterface", "network-interface"),
    ("i-", "AwsEc2Instance", "instance"),
)


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _resource(finding: Finding, region: str, account: str) -> dict[str, Any]:
    kind, arn_kind = "Other", "resource"
    for prefix, asff_type, arn_type in _RESOURCE_TYPES:
        if finding.resource.startswith(prefix):
            kind, arn_kind = asff_type, arn_type
            break
    partition = _partition(region)
    details: dict[str, str] = {"netmend:playbook": finding.playbook}
    if finding.vpc:
        details["vpc"] = finding.vpc
    return {
        "Type": kind,
        "Id": f"arn:{partition}:ec2:{region}:{account}:{arn_kind}/{finding.resource}",
        "Partition": partition,
        "Region": region,
        "Details": {"Other": details},
    }


def _finding(
    finding: Finding, report: ScanReport, playbooks: PlaybookSet, account: str, now: str
) -> dict[str, Any]:
    region = report.region
    playbook = playbooks.get(finding.playbook)
    remediation = " ".join((playbook.description or "").split()) if playbook else ""
    fields = {
        "netmend/playbook": finding.playbook,
        "netmend/resource": finding.resource,
        "netmend/fix": f"netmend scan --fix {finding.playbook} --resource {finding.resource}",
    }
    if finding.exposure is not None:
        fields["netmend/grade"] = finding.exposure.grade
    if finding.enis:
        fields["netmend/enis"] = ",".join(finding.enis)[:1024]
    document: dict[str, Any] = {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": f"netmend/{region}/{finding.playbook}/{finding.resource}",
        "ProductArn": f"arn:{_partition(region)}:securityhub:{region}:{account}:"
        f"product/{account}/default",
        "GeneratorId": f"netmend/{finding.playbook}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices/Network"],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": _LABEL[finding.severity]},
        "Title": (finding.title or finding.playbook)[:256],
        "Description": finding.summary[:1024],
        "Resources": [_resource(finding, region, account)],
        "ProductFields": fields,
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "SUPPRESSED" if finding.accepted else "NEW"},
    }
    if remediation:
        document["Remediation"] = {"Recommendation": {"Text": remediation[:512]}}
    if finding.accepted is not None:
        document["Note"] = {
            "Text": f"accepted: {finding.accepted.detail}"[:512],
            "UpdatedBy": "netmend",
            "UpdatedAt": now,
        }
    return document


def report_to_asff(
    report: ScanReport, playbooks: PlaybookSet, *, now: datetime | None = None
) -> dict[str, Any]:
    """``{"Findings": [...]}``: the BatchImportFindings input for this scan."""
    account = report.account_id or UNKNOWN_ACCOUNT
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"Findings": [_finding(f, report, playbooks, account, stamp) for f in report.findings]}
