"""The whole life of one fix on a moto server, through the CLI, for the playbook tests.

diagnose → dry run (the estate unchanged) → ``fix --apply --yes`` (verified) → nothing that was
reachable before is lost → ``rollback`` → the estate equals what it was, exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsClients
from netmend.demo.estates import BuiltEstate
from netmend.model import Inventory
from netmend.reach import evaluate, make_flow
from netmend.run.restore import differences
from tests.cli_runner import run_cli

__all__ = ["FixCycle", "reachable_pairs", "run_fix_cycle", "vpc_states"]


def reachable_pairs(inventory: Inventory, vpc_id: str, ports: tuple[int, ...]) -> set[tuple]:
    """Every (source ENI, destination ENI, port) in the VPC that evaluates as reachable."""
    enis = [e for e in inventory.network_interfaces if e.vpc_id == vpc_id and e.private_ips]
    found = set()
    for a, b in itertools.permutations(enis, 2):
        for port in ports:
            flow = make_flow(
                inventory, a.network_interface_id, b.network_interface_id, protocol="tcp", port=port
            )
            if evaluate(inventory, flow).reachable:
                found.add((a.network_interface_id, b.network_interface_id, port))
    return found


@dataclass
class FixCycle:
    estate: BuiltEstate
    diagnosis: dict[str, Any]
    dry_run: dict[str, Any]
    dry_run_text: str
    applied: dict[str, Any]
    rolled_back: dict[str, Any]
    lost_flows: set[tuple] = field(default_factory=set)
    after_apply_reachable: bool = False
    differences_after_rollback: list[str] = field(default_factory=list)

    def assert_fixed_and_restored(self) -> None:
        """Applied, verified reachable (by netmend and offline), nothing reachable before
        lost, then rolled back to exactly the state before."""
        assert self.applied["status"] == "applied", self.applied
        assert self.applied["verification"]["reachable"] is True
        assert self.after_apply_reachable
        assert self.lost_flows == set()
        assert self.rolled_back["status"] == "rolled_back", self.rolled_back
        assert self.differences_after_rollback == []


def vpc_states(inventory: Inventory, vpc_id: str) -> dict[str, Any]:
    """Every group, ACL and ENI of the VPC, by id (what a fix may touch)."""
    states: dict[str, Any] = {}
    for group in inventory.security_groups:
        if group.vpc_id == vpc_id:
            states[group.group_id] = group
    for acl in inventory.network_acls:
        if acl.vpc_id == vpc_id:
            states[acl.network_acl_id] = acl
    for eni in inventory.network_interfaces:
        if eni.vpc_id == vpc_id:
            states[eni.network_interface_id] = eni
    return states


def run_fix_cycle(
    clients: AwsClients,
    estate: BuiltEstate,
    *,
    fix_args: Sequence[str] = (),
    ports: tuple[int, ...] = (22, 53, 443, 5432, 8080, 8443),
) -> FixCycle:
    """Run the cycle on a built estate; the caller asserts on what it returns.

    ``fix_args`` go to ``fix`` only (e.g. ``--playbook ID``), not to ``diagnose``.
    """
    flow_args = estate.flow_args()
    before = collect_inventory(clients, vpc_ids=[estate.vpc_id], quotas=False)
    reachable_before = reachable_pairs(before, estate.vpc_id, ports)

    diagnosis = run_cli("diagnose", *flow_args, "--output", "json")
    dry = run_cli("fix", *flow_args, *fix_args, "--output", "json")
    dry_text = run_cli("fix", *flow_args, *fix_args)
    after_dry = collect_inventory(clients, vpc_ids=[estate.vpc_id], quotas=False)
    applied = run_cli("fix", *flow_args, *fix_args, "--apply", "--yes", "--output", "json")
    after = collect_inventory(clients, vpc_ids=[estate.vpc_id], quotas=False)
    flow = make_flow(
        after,
        estate.source,
        estate.destination,
        protocol=estate.protocol,
        port=estate.port,
        icmp_type=estate.icmp_type,
    )
    reachable_after = reachable_pairs(after, estate.vpc_id, ports)
    run_id = applied.json()["run_id"] if applied.stdout.strip() else ""
    rolled = run_cli("rollback", run_id, "--yes", "--output", "json")
    final = collect_inventory(clients, vpc_ids=[estate.vpc_id], quotas=False)

    snapshot, now = vpc_states(before, estate.vpc_id), vpc_states(final, estate.vpc_id)
    diffs = [line for rid, state in snapshot.items() for line in differences(now.get(rid), state)]
    dry_diffs = [
        line
        for rid, state in snapshot.items()
        for line in differences(vpc_states(after_dry, estate.vpc_id).get(rid), state)
    ]
    return FixCycle(
        estate=estate,
        diagnosis={"exit_code": diagnosis.exit_code, **diagnosis.json()},
        dry_run={
            "exit_code": dry.exit_code,
            "stderr": dry.stderr,
            **(dry.json() if dry.stdout.strip() else {}),
            "state_changes": dry_diffs,
        },
        dry_run_text=dry_text.stdout,
        applied={
            "exit_code": applied.exit_code,
            "stderr": applied.stderr,
            **(applied.json() if applied.stdout.strip() else {}),
        },
        rolled_back={
            "exit_code": rolled.exit_code,
            "stderr": rolled.stderr,
            **(rolled.json() if rolled.stdout.strip() else {}),
        },
        lost_flows=reachable_before - reachable_after,
        after_apply_reachable=evaluate(after, flow).reachable,
        differences_after_rollback=diffs,
    )
