"""`netmend diagnose` on each of the runbook's broken estates, built on a moto server."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import ROOT_CAUSES, build_estate, fix_by_hand
from tests.cli_runner import run_cli
from tests.conftest import MotoAws

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("root_cause", ROOT_CAUSES)
def test_each_seed_estate_is_diagnosed_then_reachable_after_the_runbook_fix(
    aws: MotoAws, cli_env: Path, root_cause: str
) -> None:
    """The right root-cause id and blocking component; the runbook's own fix makes it reachable."""
    estate = build_estate(aws.ec2, root_cause)
    blocked = run_cli("diagnose", *estate.flow_args(), "--output", "json")
    assert blocked.exit_code == 3, blocked.stderr
    document = blocked.json()
    assert document["reachable"] is False
    assert document["explanations"][0]["component"] == estate.expected_component
    assert root_cause in [c["playbook"] for c in document["root_causes"]]
    for cause in document["root_causes"]:
        assert set(cause) >= {"playbook", "resource", "summary"}

    fix_by_hand(aws.ec2, estate)
    fixed = run_cli("diagnose", *estate.flow_args(), "--output", "json")
    assert fixed.exit_code == 0, fixed.stdout
    assert fixed.json()["reachable"] is True
    assert fixed.json()["root_causes"] == []


def test_icmp_is_diagnosed_offline_and_says_reachability_analyzer_cannot(
    aws: MotoAws, cli_env: Path
) -> None:
    """Ping (ICMP echo request) is evaluated offline; the output says RA cannot check ICMP."""
    estate = build_estate(aws.ec2, "wrong-port")  # its server group admits no ICMP
    args = ["--source", estate.source, "--destination", estate.destination, "--protocol", "icmp"]
    result = run_cli("diagnose", *args, "--output", "json")
    assert result.exit_code == 3
    document = result.json()
    assert document["flow"]["icmp_type"] == 8
    assert document["explanations"][0]["component"] == estate.ids["server_sg"]
    assert any("TCP and UDP only" in n and "ICMP" in n for n in document["notes"])
    text = run_cli("diagnose", *args)
    assert "Reachability Analyzer analyses TCP and UDP only" in text.stdout
    assert "OS firewalls" in text.stdout  # what no check sees, said even when blocked
