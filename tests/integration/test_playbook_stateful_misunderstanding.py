"""stateful-misunderstanding on a moto server (runbook RC4).

The choice under test: by default the plan is the client-side outbound rule only (the
stateless-thinking rules are listed in the notes and kept: netmend cannot see whether
anything uses them), so nothing that was reachable is lost. Naming the playbook
(``--playbook stateful-misunderstanding``) opts in to removing them: one revocation per
rule, each needing approval (``--yes`` here) and saying whether live connections are cut.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import assert_fine_estate_is_nothing_to_do

pytestmark = pytest.mark.integration


def test_stateful_default_cycle_adds_the_outbound_rule_only(aws: MotoAws, cli_env: Path) -> None:
    """billing-app-sg mirrors inbound rules and opens inbound 1024-65535, but has no
    outbound 5432. The default plan is one outbound tcp 5432 rule to the database's
    group; nothing is revoked, no inbound rule is added; nothing reachable is lost."""
    estate = build_estate(aws.ec2, "stateful-misunderstanding")
    client_group, db_group = estate.ids["client_sg"], estate.ids["server_sg"]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == [
        "missing-egress",
        "stateful-misunderstanding",
    ]
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
    notes = " ".join(" ".join(cycle.dry_run["notes"]).split())
    assert f"{client_group} inbound tcp 1024-65535 from {estate.ids['vpc_cidr']}" in notes
    assert f"{client_group} outbound tcp 443 to {estate.ids['vpc_cidr']}" in notes
    assert "--playbook stateful-misunderstanding" in notes
    assert "aws ec2 authorize-security-group-egress" in cycle.dry_run_text
    assert "revoke-security-group" not in cycle.dry_run_text
    assert "authorize-security-group-ingress" not in cycle.dry_run_text

    assert cycle.applied["status"] == "applied", cycle.applied
    assert cycle.applied["verification"]["reachable"] is True
    assert cycle.applied["verification"]["passed"] is True
    assert cycle.after_apply_reachable
    assert cycle.lost_flows == set()
    assert cycle.rolled_back["status"] == "rolled_back", cycle.rolled_back
    assert cycle.differences_after_rollback == []


def test_stateful_opt_in_cycle_removes_the_stateless_rules(aws: MotoAws, cli_env: Path) -> None:
    """With the playbook named, the plan adds the outbound rule, then revokes the inbound
    1024-65535 rule and the outbound 443 mirror by id (revocations, each warned as
    tracked: live connections survive). Verification passes (the cuts were planned);
    the only flows lost are new connections into the client on ephemeral-range ports
    that the removed inbound rule admitted; rollback restores every rule."""
    estate = build_estate(aws.ec2, "stateful-misunderstanding")
    client_group = estate.ids["client_sg"]
    cycle = run_fix_cycle(
        aws.clients(), estate, fix_args=["--playbook", "stateful-misunderstanding"]
    )

    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    changes = cycle.dry_run["changes"]
    assert [c["api"] for c in changes] == [
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
    ]
    assert {c["resource"] for c in changes} == {client_group}
    assert [c["kinds"] for c in changes] == [["addition"], ["revocation"], ["revocation"]]
    for revoke in changes[1:]:
        assert revoke["params"]["GroupId"] == client_group
        assert len(revoke["params"]["SecurityGroupRuleIds"]) == 1
    text = cycle.dry_run_text
    assert "aws ec2 revoke-security-group-ingress" in text
    assert "aws ec2 revoke-security-group-egress" in text
    assert "tracked: connections this rule admitted keep working" in text

    assert cycle.applied["status"] == "applied", cycle.applied
    assert cycle.applied["verification"]["reachable"] is True
    assert cycle.applied["verification"]["passed"] is True
    assert cycle.after_apply_reachable
    client, server = estate.ids["client_eni"], estate.ids["server_eni"]
    assert cycle.lost_flows == {(server, client, port) for port in (5432, 8080, 8443)}
    assert cycle.rolled_back["status"] == "rolled_back", cycle.rolled_back
    assert cycle.differences_after_rollback == []


def test_stateful_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """Once the outbound 5432 rule is in, fix has nothing to do (the flow works)."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "stateful-misunderstanding"))
