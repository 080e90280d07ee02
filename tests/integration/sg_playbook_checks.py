"""Checks shared by the security-group rule playbook tests on a moto server."""

from __future__ import annotations

from typing import Any

from netmend.aws.collector import collect_inventory
from netmend.demo.estates import BuiltEstate, fix_by_hand
from netmend.run.restore import differences
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.fix_cycle import vpc_states

__all__ = ["assert_fine_estate_is_nothing_to_do", "live_vpc_states"]


def live_vpc_states(aws: MotoAws, vpc_id: str) -> dict[str, Any]:
    """Every group, ACL and ENI of the VPC as netmend reads them now."""
    return vpc_states(collect_inventory(aws.clients(), vpc_ids=[vpc_id], quotas=False), vpc_id)


def assert_fine_estate_is_nothing_to_do(aws: MotoAws, estate: BuiltEstate) -> None:
    """After the runbook's own fix, ``fix`` (dry run, and with --apply --yes) answers
    nothing_to_do with no changes, and the estate is exactly as it was."""
    fix_by_hand(aws.ec2, estate)
    before = live_vpc_states(aws, estate.vpc_id)
    for extra in ((), ("--apply", "--yes")):
        result = run_cli("fix", *estate.flow_args(), *extra, "--output", "json")
        assert result.exit_code == 0, result.stderr
        document = result.json()
        assert document["status"] == "nothing_to_do"
        assert document["changes"] == []
    after = live_vpc_states(aws, estate.vpc_id)
    assert after.keys() == before.keys()
    assert [
        line
        for rid, state in before.items()
        for line in differences(after[rid], state, strict=True)
    ] == []
