"""Flows per second: the indexed evaluator against a naive rule-by-rule scan.

Builds a reproducible random estate (by default 200 ENIs in 20 subnets, 100 groups of 60
rules, a few custom ACLs) and evaluates the same random flows three ways:

- indexed, cold: a fresh Evaluator per run, so rule tables are built as flows need them;
- indexed, warm: the same Evaluator again, every table already built (what intent checks
  and hygiene scans see after the first flows);
- naive scan: tests/unit/reach/reference/, which scans every rule of the ENI's groups
  and every ACL entry for each packet.

Prints the numbers; asserts nothing (timings depend on the machine).

    .venv/bin/python benchmarks/bench_evaluate.py [--enis 200] [--flows 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from netmend.model import (
    AclEntry,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from netmend.reach import Evaluator, Flow, make_flow

ROOT = Path(__file__).resolve().parents[1]


def _reference() -> ModuleType:
    """tests/unit/reach/reference/ (a package of the test suite), imported from the root."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("tests.unit.reach.reference")


def _rule(rng: random.Random, group_id: str, groups: list[str], index: int, egress: bool) -> SgRule:
    protocol = rng.choice(["tcp"] * 6 + ["udp", "icmp", "-1"])
    ports: dict[str, int | None] = {"from_port": None, "to_port": None}
    if protocol in ("tcp", "udp"):
        low = rng.choice([22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9000 + index])
        ports = {"from_port": low, "to_port": low + rng.choice([0, 0, 0, 10, 1000])}
    elif protocol == "icmp":
        ports = {"from_port": rng.choice([-1, 8, 0]), "to_port": -1}
    peer_kind = rng.random()
    peer: dict[str, str]
    if peer_kind < 0.25:
        peer = {"referenced_group_id": rng.choice(groups)}
    elif peer_kind < 0.3:
        peer = {"cidr_ipv4": "0.0.0.0/0"}
    else:
        prefix = rng.choice([16, 24, 24, 32])
        peer = {
            "cidr_ipv4": f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}/{prefix}"
        }
    return SgRule(
        group_id=group_id,
        egress=egress,
        protocol=protocol,
        rule_id=f"sgr-{group_id}-{index}",
        **ports,
        **peer,
    )


def build_estate(*, enis: int, groups: int, rules: int, subnets: int, seed: int) -> Inventory:
    rng = random.Random(seed)
    vpc = Vpc(vpc_id="vpc-bench", cidr_blocks=("10.0.0.0/14",))
    subnet_list = [
        Subnet(
            subnet_id=f"subnet-{i}",
            vpc_id=vpc.vpc_id,
            cidr_block=f"10.{i // 8}.{(i % 8) * 32}.0/19",
        )
        for i in range(subnets)
    ]
    group_ids = [f"sg-{i:04d}" for i in range(groups)]
    security_groups = []
    for group_id in group_ids:
        egress_count = rules // 4
        built = [_rule(rng, group_id, group_ids, i, egress=i < egress_count) for i in range(rules)]
        security_groups.append(
            SecurityGroup(
                group_id=group_id, group_name=group_id, vpc_id=vpc.vpc_id, rules=tuple(built)
            )
        )
    interfaces = []
    for i in range(enis):
        subnet = subnet_list[i % subnets]
        base = subnet.cidr_block.split("/")[0].rsplit(".", 2)
        address = f"{base[0]}.{int(base[1]) + (i // subnets) // 200}.{10 + (i // subnets) % 200}"
        interfaces.append(
            NetworkInterface(
                network_interface_id=f"eni-{i:04d}",
                subnet_id=subnet.subnet_id,
                vpc_id=vpc.vpc_id,
                private_ips=(address,),
                group_ids=tuple(rng.sample(group_ids, rng.randint(1, 3))),
            )
        )
    acls = [
        NetworkAcl(
            network_acl_id="acl-default",
            vpc_id=vpc.vpc_id,
            is_default=True,
            entries=(
                AclEntry(
                    rule_number=100,
                    egress=False,
                    protocol="-1",
                    rule_action="allow",
                    cidr="0.0.0.0/0",
                ),
                AclEntry(
                    rule_number=100,
                    egress=True,
                    protocol="-1",
                    rule_action="allow",
                    cidr="0.0.0.0/0",
                ),
            ),
        )
    ]
    for i in range(5):
        entries = []
        for egress in (False, True):
            for number in range(10, 110, 10):
                low = rng.choice([22, 443, 1024, 32768, 49152])
                entries.append(
                    AclEntry(
                        rule_number=number,
                        egress=egress,
                        protocol="tcp",
                        rule_action=rng.choice(["allow", "allow", "allow", "deny"]),
                        cidr=rng.choice(["10.0.0.0/14", "10.1.0.0/16", "0.0.0.0/0"]),
                        port_from=low,
                        port_to=min(65535, low + rng.choice([0, 1000, 40000])),
                    )
                )
        acls.append(
            NetworkAcl(
                network_acl_id=f"acl-{i}",
                vpc_id=vpc.vpc_id,
                entries=tuple(entries),
                subnet_ids=(f"subnet-{i}",),
            )
        )
    table = RouteTable(
        route_table_id="rtb-main",
        vpc_id=vpc.vpc_id,
        is_main=True,
        routes=(
            Route(
                destination_cidr="10.0.0.0/14", target_kind=RouteTargetKind.LOCAL, target_id="local"
            ),
        ),
    )
    return Inventory(
        region="eu-west-1",
        vpcs=(vpc,),
        subnets=tuple(subnet_list),
        route_tables=(table,),
        network_acls=tuple(acls),
        security_groups=tuple(security_groups),
        network_interfaces=tuple(interfaces),
    )


def random_flows(inventory: Inventory, count: int, seed: int) -> list[Flow]:
    rng = random.Random(seed + 1)
    ids = [e.network_interface_id for e in inventory.network_interfaces]
    flows = []
    for _ in range(count):
        source, destination = rng.sample(ids, 2)
        port = rng.choice([22, 80, 443, 3306, 5432, 6379, 8080, 8443])
        flows.append(make_flow(inventory, source, destination, protocol="tcp", port=port))
    return flows


def _rate(label: str, flows: list[Flow], run: Callable[[Flow], object]) -> float:
    start = time.perf_counter()
    for flow in flows:
        run(flow)
    elapsed = time.perf_counter() - start
    rate = len(flows) / elapsed if elapsed else float("inf")
    print(f"  {label:<34} {rate:>10,.0f} flows/s  ({elapsed:.2f} s)")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--enis", type=int, default=200)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--rules", type=int, default=60)
    parser.add_argument("--subnets", type=int, default=20)
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument(
        "--naive-flows", type=int, default=300, help="flows for the (slow) naive scan"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    inventory = build_estate(
        enis=args.enis, groups=args.groups, rules=args.rules, subnets=args.subnets, seed=args.seed
    )
    flows = random_flows(inventory, args.flows, args.seed)
    reference = _reference()
    print(
        f"estate: {args.enis} ENIs, {args.subnets} subnets, {args.groups} groups x "
        f"{args.rules} rules ({args.groups * args.rules} rules), {len(flows)} flows"
    )
    evaluator = Evaluator(inventory)
    cold = _rate("indexed, cold (tables built lazily)", flows, evaluator.evaluate)
    warm = _rate("indexed, warm (tables reused)", flows, evaluator.evaluate)
    naive = _rate(
        "naive scan (reference evaluator)",
        flows[: args.naive_flows],
        lambda f: reference.reference_evaluate(inventory, f),
    )
    reachable = sum(evaluator.evaluate(f).reachable for f in flows)
    print(
        f"  reachable: {reachable}/{len(flows)}; warm indexed is {warm / naive:,.1f}x the "
        f"naive scan (cold {cold / naive:,.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
