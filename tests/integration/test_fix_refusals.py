"""`fix --apply` refuses before writing what it could not verify (issue 11, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.cli_runner import run_cli
from tests.conftest import MotoAws

pytestmark = pytest.mark.integration


def _rules(aws: MotoAws, group_id: str) -> list[str]:
    found = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )["SecurityGroupRules"]
    return sorted(r["SecurityGroupRuleId"] for r in found)


def test_reachability_analyzer_missing_is_refused_before_the_first_write(
    aws: MotoAws, cli_env: Path
) -> None:
    """moto has no Reachability Analyzer: `--verify reachability-analyzer --apply --yes`
    ends `refused` with one line saying why, exit 1, and the group is untouched (no
    write, no rollback)."""
    estate = build_estate(aws.ec2, "wrong-port")
    before = _rules(aws, estate.ids["server_sg"])
    flow = estate.command("fix").split()[2:]
    result = run_cli(
        "fix", *flow, "--verify", "reachability-analyzer", "--apply", "--yes", "-o", "json"
    )
    assert result.exit_code == 1, result.stdout
    document = result.json()
    assert document["status"] == "refused"
    assert "has no Reachability Analyzer" in document["message"]
    assert "nothing was written" in document["message"]
    assert _rules(aws, estate.ids["server_sg"]) == before
