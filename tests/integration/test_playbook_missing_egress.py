"""missing-egress on a moto server: diagnose, dry run, apply, verify, roll back (RC3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import assert_fine_estate_is_nothing_to_do

pytestmark = pytest.mark.integration


def test_missing_egress_cycle(aws: MotoAws, cli_env: Path) -> None:
    """orders-app-sg lost its default egress. The plan is one outbound tcp 5432 rule on
    it to the database's group, and no inbound rule at all (no ephemeral ports);
    applied, verified, nothing lost, rolled back exactly."""
    estate = build_estate(aws.ec2, "missing-egress")
    client_group, db_group = estate.ids["client_sg"], estate.ids["server_sg"]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == ["missing-egress"]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    (change,) = cycle.dry_run["changes"]
    assert (change["api"], change["resource"]) == ("AuthorizeSecurityGroupEgress", client_group)
    (permission,) = change["params"]["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "tcp",
        5432,
        5432,
    )
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [db_group]
    assert change["kinds"] == ["addition"]
    # Never an inbound rule, ephemeral or otherwise: replies are tracked.
    assert all(c["api"] != "AuthorizeSecurityGroupIngress" for c in cycle.dry_run["changes"])
    assert "authorize-security-group-ingress" not in cycle.dry_run_text
    assert "1024-65535" not in cycle.dry_run_text
    assert "aws ec2 authorize-security-group-egress" in cycle.dry_run_text

    cycle.assert_fixed_and_restored()


def test_missing_egress_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """Once the runbook's outbound rule is in, fix has nothing to do."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "missing-egress"))
