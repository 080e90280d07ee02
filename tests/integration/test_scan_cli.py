"""``netmend scan`` through the CLI on the moto server: JSON, SARIF, ASFF, --fail-on,
baselines, bad input, and one finding's fix cycle (dry run, apply, rollback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
import jsonschema
import pytest
from botocore.validate import ParamValidator

from netmend.aws.collector import collect_inventory
from netmend.playbook import load_playbooks
from netmend.scan import scan_estate
from tests.cli_runner import run_cli
from tests.conftest import MotoAws, boto3_session
from tests.integration import scan_estates as estates

pytestmark = pytest.mark.integration

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "schemas" / "sarif-schema-2.1.0.json"


def _estate(aws: MotoAws) -> set[tuple[str, str]]:
    expected = (
        estates.plant_world_open(aws.ec2)
        | estates.plant_redundant_rule(aws.ec2)
        | estates.plant_missing_self_reference(aws.ec2)
    )
    estates.tidy_account(aws.ec2, expected)
    return expected


PLAYBOOKS = load_playbooks()


def _live(aws: MotoAws, playbook: str) -> set[tuple[str, str]]:
    """What the playbook finds in the live estate now (the core, not the CLI: faster)."""
    report = scan_estate(collect_inventory(aws.clients()), PLAYBOOKS, only=[playbook])
    return {(f.playbook, f.resource) for f in report.findings}


def _pairs(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["playbook"], f["resource"]) for f in document["findings"]}


def test_scan_outputs_fail_on_and_baseline(aws: MotoAws, cli_env: Path, tmp_path: Path) -> None:
    """Offline from the saved inventory (`inventory save`): JSON lists each finding
    with playbook, resource, severity, summary; --fail-on high exits 3 (an exposed SSH
    port is critical); a baseline written now silences them all; SARIF validates against
    the OASIS 2.1.0 schema and ASFF against botocore's Security Hub model
    (BatchImportFindings input), both holding every finding."""
    expected = _estate(aws)
    saved = tmp_path / "estate.json"
    assert run_cli("inventory", "save", str(saved)).exit_code == 0
    offline = ["--inventory", str(saved)]

    baseline = tmp_path / "baseline.json"
    failing = run_cli(
        "scan", *offline, "--output", "json", "--fail-on", "high", "--write-baseline", str(baseline)
    )
    assert failing.exit_code == 3, failing.stderr
    document = failing.json()
    assert document["failed"] is True
    assert _pairs(document) == expected
    for finding in document["findings"]:
        assert {"playbook", "resource", "severity", "summary", "accepted"} <= set(finding)
    assert document["findings"][0]["severity"] == "critical"
    assert document["findings"][0]["grade"] == "exposed"
    assert len(json.loads(baseline.read_text())["findings"]) == len(expected)

    silenced = run_cli(
        "scan", *offline, "--output", "json", "--fail-on", "low", "--baseline", str(baseline)
    )
    assert silenced.exit_code == 0, silenced.stdout
    assert all(f["accepted"]["by"] == "baseline" for f in silenced.json()["findings"])
    assert silenced.json()["counts"]["accepted"] == len(expected)

    table = run_cli("scan", *offline)
    assert table.exit_code == 0, table.stderr
    assert "world-open-sensitive-port" in table.stdout
    assert "exposed" in table.stdout
    assert f"{len(expected)} finding(s)" in table.stdout

    sarif = run_cli("scan", *offline, "--output", "sarif")
    assert sarif.exit_code == 0, sarif.stderr
    log = sarif.json()
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    results = log["runs"][0]["results"]
    assert {(r["ruleId"], r["properties"]["resource"]) for r in results} == expected
    rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)

    asff = run_cli("scan", *offline, "--output", "asff", "--baseline", str(baseline))
    assert asff.exit_code == 0, asff.stderr
    findings = asff.json()
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    report = ParamValidator().validate(findings, shape)
    assert not report.has_errors(), report.generate_report()
    assert len(findings["Findings"]) == len(expected)
    assert {f["Severity"]["Label"] for f in findings["Findings"]} >= {"CRITICAL", "LOW"}
    assert {f["Workflow"]["Status"] for f in findings["Findings"]} == {"SUPPRESSED"}


def test_scan_bad_input(aws: MotoAws, cli_env: Path, tmp_path: Path) -> None:
    """Unknown playbook, a flow playbook, a bad severity, --fix without --resource, an
    unknown VPC, --apply alone: exit 2 with one line (a JSON error under --output json)."""
    saved = tmp_path / "estate.json"
    assert run_cli("inventory", "save", str(saved)).exit_code == 0
    for args in (
        ["--playbook", "no-such-check"],
        ["--playbook", "wrong-port"],
        ["--fail-on", "urgent"],
        ["--fix", "redundant-rule"],
        ["--vpc", "vpc-0000000000000000"],
        ["--apply"],
    ):
        result = run_cli("scan", "--inventory", str(saved), *args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip()
    as_json = run_cli("scan", "--fail-on", "urgent", "--output", "json", "--inventory", str(saved))
    assert as_json.exit_code == 2
    assert "urgent" in as_json.json()["error"]["message"]


def test_scan_fix_cycle_with_rollback(aws: MotoAws, cli_env: Path) -> None:
    """scan --fix: a dry run writes nothing; --apply adds the self-reference, verified,
    and the finding is gone; rollback restores the group and the finding comes back."""
    expected = estates.plant_missing_self_reference(aws.ec2)
    estates.tidy_account(aws.ec2)
    ((playbook, group),) = expected
    args = ["scan", "--fix", playbook, "--resource", group, "--output", "json"]

    dry = run_cli(*args)
    assert dry.exit_code == 0, dry.stderr
    assert dry.json()["status"] == "planned"
    change = dry.json()["changes"][0]
    assert change["api"] == "AuthorizeSecurityGroupIngress"
    pair = change["params"]["IpPermissions"][0]["UserIdGroupPairs"][0]
    assert pair["GroupId"] == group
    assert _live(aws, playbook) == expected  # nothing written

    applied = run_cli(*args, "--apply", "--yes")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert applied.json()["status"] == "applied"
    assert _live(aws, playbook) == set()

    undone = run_cli("rollback", applied.json()["run_id"], "--yes", "--output", "json")
    assert undone.exit_code == 0, undone.stdout + undone.stderr
    assert undone.json()["status"] == "rolled_back"
    assert _live(aws, playbook) == expected


def test_scan_fix_revocation_and_unknown_finding(aws: MotoAws, cli_env: Path) -> None:
    """A revocation fix (redundant rule) applies and rolls back to the exact rules; a
    resource the playbook does not find is bad input."""
    expected = estates.plant_redundant_rule(aws.ec2)
    estates.tidy_account(aws.ec2)
    ((playbook, group),) = expected

    def rules() -> set[tuple[Any, ...]]:
        found = aws.ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group]}]
        )["SecurityGroupRules"]
        return {(r["IsEgress"], r["FromPort"], r.get("CidrIpv4")) for r in found}

    before = rules()
    applied = run_cli(
        "scan", "--fix", playbook, "--resource", group, "--apply", "--yes", "--output", "json"
    )
    assert applied.json()["status"] == "applied", applied.stdout
    assert before - rules() == {(False, 443, "10.16.1.25/32")}
    assert run_cli("rollback", applied.json()["run_id"], "--yes").exit_code == 0
    assert rules() == before
    missing = run_cli("scan", "--fix", playbook, "--resource", "sg-0123456789abcdef0")
    assert missing.exit_code == 2
    assert "finds nothing" in missing.stderr


def test_diagnose_shows_conntrack_evidence(aws: MotoAws, cli_env: Path) -> None:
    """diagnose reads the same metric as the scan for the flow's ends: the instance whose
    conntrack_allowance_exceeded rose by 42 in the last hour says so (JSON)."""
    cloudwatch = boto3_session(aws.region).client("cloudwatch", endpoint_url=aws.endpoint_url)
    ((_, instance),) = estates.plant_conntrack(aws.ec2, cloudwatch)
    result = run_cli(
        "diagnose",
        "--source",
        instance,
        "--destination",
        "198.51.100.7",
        "--port",
        "443",
        "--output",
        "json",
    )
    assert result.exit_code in (0, 3), result.stderr
    assert result.json()["conntrack_allowance_exceeded"] == {instance: 42.0}
    text = run_cli(
        "diagnose", "--source", instance, "--destination", "198.51.100.7", "--port", "443"
    )
    assert "connection-tracking allowance" in text.stdout
