"""wrong-protocol on a moto server (runbook RC6): DNS over udp 53, and ping.

moto keeps security-group ICMP rules (it drops only network-ACL ICMP fields), so ping
runs the whole cycle here too; the estate's ACLs are the default allow-all ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import assert_fine_estate_is_nothing_to_do

pytestmark = pytest.mark.integration


def test_wrong_protocol_dns_cycle(aws: MotoAws, cli_env: Path) -> None:
    """dns-forwarder-sg opens tcp 53 to the VPC; queries use udp 53. The plan adds
    inbound udp 53 from the same peer beside tcp 53; applied, verified, nothing lost,
    rolled back exactly."""
    estate = build_estate(aws.ec2, "wrong-protocol")
    group, cidr = estate.ids["server_sg"], estate.ids["vpc_cidr"]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == ["wrong-protocol"]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    (change,) = cycle.dry_run["changes"]
    assert (change["api"], change["resource"]) == ("AuthorizeSecurityGroupIngress", group)
    (permission,) = change["params"]["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "udp",
        53,
        53,
    )
    # The narrowest peer: the client's group, not the near-miss rule's VPC-wide CIDR.
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [estate.ids["client_sg"]]
    assert cidr not in str(permission)
    assert change["kinds"] == ["addition"]
    note = " ".join(
        next(n for n in cycle.dry_run["notes"] if n.startswith("wrong-protocol:")).split()
    )
    assert "the tcp 53 rule" in note
    assert "stays" in note

    assert "aws ec2 authorize-security-group-ingress" in cycle.dry_run_text
    assert "revoke-security-group" not in cycle.dry_run_text

    cycle.assert_fixed_and_restored()


def test_wrong_protocol_ping_cycle(aws: MotoAws, cli_env: Path) -> None:
    """Ping to the DNS forwarder (only tcp 53 open): the plan adds inbound ICMP echo
    request (type 8, any code) from the client's group; no echo-reply rule (the group tracks
    ICMP); applied, verified, rolled back exactly."""
    estate = build_estate(aws.ec2, "wrong-protocol").model_copy(
        update={"protocol": "icmp", "port": None, "icmp_type": 8}
    )
    group, cidr = estate.ids["server_sg"], estate.ids["vpc_cidr"]
    cycle = run_fix_cycle(aws.clients(), estate)

    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == ["wrong-protocol"]
    assert cycle.dry_run["state_changes"] == []
    (change,) = cycle.dry_run["changes"]
    assert (change["api"], change["resource"]) == ("AuthorizeSecurityGroupIngress", group)
    (permission,) = change["params"]["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "icmp",
        8,
        -1,
    )
    # The narrowest peer: the client's group, not the near-miss rule's VPC-wide CIDR.
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [estate.ids["client_sg"]]
    assert cidr not in str(permission)
    assert "echo reply needs no rule" in " ".join(" ".join(cycle.dry_run["notes"]).split())

    cycle.assert_fixed_and_restored()


def test_wrong_protocol_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """Once udp 53 is open (the runbook's fix, made inbound), fix has nothing to do."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "wrong-protocol"))
