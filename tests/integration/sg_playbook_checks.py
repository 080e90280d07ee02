"""Checks shared by the security-group rule playbook tests on a moto server."""

from __future__ import annotations

from typing import Any

from netmend.aws.collector import collect_inventory
from netmend.demo.estates import BuiltEstate, fix_by_hand
from netmend.restore import differences
from tests.cli_runner import run_cli
from tests.conftest import MotoAws

__all__ = ["assert_fine_estate_is_nothing_to_do", "vpc_states"]


def vpc_states(aws: MotoAws, vpc_id: str) -> dict[str, Any]:
    """Every group, ACL and ENI of the VPC as netmend reads them."""
    inventory = collect_inventory(aws.clients(), vpc_ids=[vpc_id], quotas=False)
    states: dict[str, Any] = {g.group_id: g for g in inventory.security_groups
                              if g.vpc_id == vpc_id}
    states.update({a.network_acl_id: a for a in inventory.network_acls if a.vpc_id == vpc_id})
    states.update({e.network_interface_id: e for e in inventory.network_interfaces
                   if e.vpc_id == vpc_id})
    return states


def assert_fine_estate_is_nothing_to_do(aws: MotoAws, estate: BuiltEstate) -> None:
    """After the runbook's own fix, ``fix`` (dry run, and with --apply --yes) answers
    nothing_to_do with no changes, and the estate is exactly as it was."""
    fix_by_hand(aws.ec2, estate)
    before = vpc_states(aws, estate.vpc_id)
    for extra in ((), ("--apply", "--yes")):
        result = run_cli("fix", *estate.flow_args(), *extra, "--output", "json")
        assert result.exit_code == 0, result.stderr
        document = result.json()
        assert document["status"] == "nothing_to_do"
        assert document["changes"] == []
    after = vpc_states(aws, estate.vpc_id)
    assert after.keys() == before.keys()
    assert [line for rid, state in before.items()
            for line in differences(after[rid], state, strict=True)] == []
