"""wrong-cidr on a moto server: diagnose, dry run, apply, verify, roll back (runbook RC2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import assert_fine_estate_is_nothing_to_do

pytestmark = pytest.mark.integration


def test_wrong_cidr_cycle(aws: MotoAws, cli_env: Path) -> None:
    """checkout-api-sg admits 443 from 10.2.1.0/24; the client is 10.2.2.100. The plan
    admits the client by its security group (not the VPC CIDR the runbook widens to);
    the /24 rule stays; applied, verified, nothing lost, rolled back exactly."""
    estate = build_estate(aws.ec2, "wrong-cidr")
    group, client_group = estate.ids["server_sg"], estate.ids["client_sg"]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == ["wrong-cidr"]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    (change,) = cycle.dry_run["changes"]
    assert (change["api"], change["resource"]) == ("AuthorizeSecurityGroupIngress", group)
    (permission,) = change["params"]["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "tcp",
        443,
        443,
    )
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [client_group]
    assert "IpRanges" not in permission
    assert change["kinds"] == ["addition"]
    note = " ".join(next(n for n in cycle.dry_run["notes"] if n.startswith("wrong-cidr:")).split())
    assert f"Kept the {estate.ids['server_cidr']} rule" in note

    assert "aws ec2 authorize-security-group-ingress" in cycle.dry_run_text
    assert client_group in cycle.dry_run_text
    assert "revoke-security-group-ingress" not in cycle.dry_run_text

    cycle.assert_fixed_and_restored()


def test_wrong_cidr_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """Once the runbook's fix is in (the VPC CIDR admitted), fix has nothing to do."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "wrong-cidr"))
