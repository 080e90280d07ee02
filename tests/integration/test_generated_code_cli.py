"""`netmend fix --format F > file`: the file runs in the tool it is for (issue 11, item 1).

stdout is not a terminal here (as with a redirect), the case that used to be folded at
160 columns. Each format is read by its tool (tests/generated_code.py), and the awscli
script, run against the moto server, makes the very change of the plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.demo.estates import build_estate
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.generated_code import parse_awscli, parse_cloudformation, parse_terraform

pytestmark = pytest.mark.integration

CHANGE_ID = (
    "CHG-2025-000123: open the payments API port for the checkout service after the "
    "migration of the cluster, reviewed by the network team (ticket NET-4711)"
)


def test_each_format_parses_with_a_long_change_id(aws: MotoAws, cli_env: Path) -> None:
    """awscli: bash -n and the EC2 model accept every call; Terraform: python-hcl2;
    CloudFormation: YAML with intrinsic tags. The change id survives whole."""
    # The ACL, interface and IPv6 shapes are read the same way in tests/unit/render.
    estate = build_estate(aws.ec2, "wrong-port")
    flow = estate.command("fix").split()[2:]
    printed = {}
    for fmt in ("awscli", "terraform", "cloudformation"):
        result = run_cli("fix", *flow, "--format", fmt, "--change-id", CHANGE_ID)
        assert result.exit_code == 0, result.stderr
        printed[fmt] = result.stdout
        assert ": planned" not in result.stdout  # the outcome goes to stderr

    calls = parse_awscli(printed["awscli"])
    assert calls
    assert all(params.get("DryRun") is None for _, params in calls)
    document = parse_terraform(printed["terraform"])
    assert document.get("resource") or document == {}
    template = parse_cloudformation(printed["cloudformation"])
    assert "Resources" in template
    (permission,) = calls[0][1]["IpPermissions"]
    peers = [
        p for key in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs") for p in permission.get(key, [])
    ]
    assert CHANGE_ID in peers[0]["Description"]
    tf_rules = [r for b in document["resource"] for t in b.values() for r in t.values()]
    assert any(CHANGE_ID in r.get("description", "") for r in tf_rules)
