"""wrong-port on a moto server: diagnose, dry run, apply, verify, roll back (runbook RC1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import assert_fine_estate_is_nothing_to_do

pytestmark = pytest.mark.integration


def test_wrong_port_cycle(aws: MotoAws, cli_env: Path) -> None:
    """payments-api-sg opens tcp 8080 to the VPC; the API listens on 8443. The plan is one
    inbound tcp 8443 rule from the client's group (not the near-miss 10.1.0.0/16); the
    8080 rule is kept with a note; applied and verified, nothing reachable before is
    lost, rollback is exact."""
    estate = build_estate(aws.ec2, "wrong-port")
    group, cidr = estate.ids["server_sg"], estate.ids["vpc_cidr"]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == ["wrong-port"]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    (change,) = cycle.dry_run["changes"]
    assert (change["api"], change["resource"]) == ("AuthorizeSecurityGroupIngress", group)
    (permission,) = change["params"]["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "tcp",
        8443,
        8443,
    )
    # The narrowest peer: the client's group, not the near-miss rule's VPC-wide CIDR.
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [estate.ids["client_sg"]]
    assert cidr not in str(permission)
    assert change["kinds"] == ["addition"]
    note = " ".join(next(n for n in cycle.dry_run["notes"] if n.startswith("wrong-port:")).split())
    assert f"Kept {group}'s tcp 8080 rule" in note
    assert "netmend cannot see whether anything uses it" in note

    assert "aws ec2 authorize-security-group-ingress" in cycle.dry_run_text
    assert f"--group-id {group}" in cycle.dry_run_text
    assert "revoke-security-group-ingress" not in cycle.dry_run_text

    cycle.assert_fixed_and_restored()


def test_wrong_port_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """Once the runbook's fix is in (8443 added, 8080 revoked), fix has nothing to do."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "wrong-port"))
