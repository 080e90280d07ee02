"""Batch evaluation: flows per second on one core, against the brute-force reference.

Builds a reproducible synthetic estate at a scale of the target (1x: 5,000 groups of 10
rules, 10,000 ENIs, 200 custom ACLs, over 20 VPCs and 500 subnets; written here, as no
shared estate generator existed on the board when this was written) and measures, after
loading (the inventory is built in memory first, not timed):

- batch evaluation (``Evaluator.verdicts``, what ``evaluate_flows`` runs) of
  intents-like flows whose group-set pairs repeat (ENIs of one tier share their groups:
  "web to db on 5432" for many pairs), and of all-distinct flows (random ENI pairs,
  random ports), each on a new Evaluator (its tables are built during the batch);
- one-by-one ``Evaluator.evaluate`` of the same flows, warm;
- the brute-force reference evaluator (tests/unit/reach/reference/) on a slice of them,
  in the same run, and the ratio;
- the first evaluation after load (a fresh Evaluator) against a warm one, at each scale.

Prints one JSON document; asserts nothing (timings depend on the machine).

    .venv/bin/python benchmarks/bench_batch.py [--scales 0.1,1,10] [--flows 10000]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from netmend.model import (
    AclEntry,
    Instance,
    InternetGateway,
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
from netmend.reach import Evaluator, Flow, make_flow, trace
from netmend.reach.ephemeral import coverage
from netmend.reach.packet import network_interval, parse_address

ROOT = Path(__file__).resolve().parents[1]
PORTS = [22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9092, 27017]


def _reference() -> ModuleType:
    """tests/unit/reach/reference/ (a package of the test suite), imported from the root."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("tests.unit.reach.reference")


# -- the synthetic estate -----------------------------------------------------------------


def _sg_rule(
    rng: random.Random, group_id: str, vpc_groups: list[str], vpc_octet: int, egress: bool, i: int
) -> SgRule:
    protocol = rng.choice(["tcp"] * 7 + ["udp", "icmp", "-1"])
    ports: dict[str, int | None] = {"from_port": None, "to_port": None}
    if protocol in ("tcp", "udp"):
        low = rng.choice(PORTS)
        ports = {"from_port": low, "to_port": low + rng.choice([0, 0, 0, 0, 10, 1000])}
    elif protocol == "icmp":
        ports = {"from_port": rng.choice([-1, 8, 3]), "to_port": -1}
    kind = rng.random()
    peer: dict[str, str]
    if kind < 0.35:
        peer = {"referenced_group_id": rng.choice(vpc_groups)}
    elif kind < 0.45:
        peer = {"cidr_ipv4": "0.0.0.0/0"}
    else:
        prefix = rng.choice([16, 20, 24, 24, 28, 32])
        third, fourth = rng.randrange(256), rng.randrange(256)
        peer = {"cidr_ipv4": f"10.{vpc_octet}.{third}.{fourth}/{prefix}"}
    return SgRule(
        group_id=group_id,
        egress=egress,
        protocol=protocol,
        rule_id=f"sgr-{group_id[3:]}-{i}",
        **ports,
        **peer,
    )


def _acl(rng: random.Random, acl_id: str, vpc_id: str, subnets: tuple[str, ...]) -> NetworkAcl:
    entries = []
    for egress in (False, True):
        for number in range(10, 100, 10):
            low = rng.choice([22, 443, 1024, 5432, 32768, 49152])
            entries.append(
                AclEntry(
                    rule_number=number,
                    egress=egress,
                    protocol=rng.choice(["tcp", "tcp", "tcp", "udp"]),
                    rule_action=rng.choice(["allow"] * 5 + ["deny"]),
                    cidr=rng.choice(["10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "192.168.0.0/16"]),
                    port_from=low,
                    port_to=min(65535, low + rng.choice([0, 1000, 40000])),
                )
            )
        entries.append(
            AclEntry(
                rule_number=100,
                egress=egress,
                protocol="-1",
                rule_action="allow",
                cidr="0.0.0.0/0",
            )
        )
    return NetworkAcl(
        network_acl_id=acl_id, vpc_id=vpc_id, entries=tuple(entries), subnet_ids=subnets
    )


def _networks(
    n_vpcs: int, n_subnets: int
) -> tuple[list[Vpc], list[Subnet], list[RouteTable], list[NetworkAcl], list[InternetGateway]]:
    """VPCs 10.<v>.0.0/16 with an internet gateway and an allow-all default ACL, their
    /24 subnets (round robin), and a route table per 5 subnets (local + the gateway)."""
    vpcs, subnets, tables, acls, igws = [], [], [], [], []
    subnet_of_vpc: dict[str, list[Subnet]] = {}
    for v in range(n_vpcs):
        vpc_id = f"vpc-{v:04x}"
        vpcs.append(Vpc(vpc_id=vpc_id, cidr_blocks=(f"10.{v}.0.0/16",)))
        igws.append(InternetGateway(internet_gateway_id=f"igw-{v:04x}", vpc_ids=(vpc_id,)))
        default_entries = tuple(
            AclEntry(
                rule_number=100, egress=e, protocol="-1", rule_action="allow", cidr="0.0.0.0/0"
            )
            for e in (False, True)
        )
        acls.append(
            NetworkAcl(
                network_acl_id=f"acl-d{v:04x}",
                vpc_id=vpc_id,
                is_default=True,
                entries=default_entries,
            )
        )
    for s in range(n_subnets):
        v = s % n_vpcs
        k = s // n_vpcs  # the k-th subnet of the VPC: 10.v.k.0/24
        subnet = Subnet(
            subnet_id=f"subnet-{s:05x}",
            vpc_id=vpcs[v].vpc_id,
            cidr_block=f"10.{v}.{k}.0/24",
            availability_zone=f"eu-west-1{'abc'[k % 3]}",
        )
        subnets.append(subnet)
        subnet_of_vpc.setdefault(subnet.vpc_id, []).append(subnet)
    for v, vpc in enumerate(vpcs):
        own = subnet_of_vpc.get(vpc.vpc_id, [])
        for t in range(0, len(own), 5):
            tables.append(
                RouteTable(
                    route_table_id=f"rtb-{v:04x}{t:03x}",
                    vpc_id=vpc.vpc_id,
                    is_main=t == 0,
                    subnet_ids=tuple(s.subnet_id for s in own[t : t + 5]),
                    routes=(
                        Route(
                            destination_cidr=vpc.cidr_blocks[0],
                            target_kind=RouteTargetKind.LOCAL,
                            target_id="local",
                        ),
                        Route(
                            destination_cidr="0.0.0.0/0",
                            target_kind=RouteTargetKind.INTERNET_GATEWAY,
                            target_id=f"igw-{v:04x}",
                        ),
                    ),
                )
            )
    return vpcs, subnets, tables, acls, igws


def build_estate(scale: float, *, seed: int = 16) -> tuple[Inventory, dict[str, list[str]]]:
    """The estate at ``scale`` x the target, and its tiers: each tier's group ids joined
    by "|", then its ENIs (the members share that group set).

    Each VPC has its groups (10 rules each, a third group references), tiers of ENIs
    sharing a group set (1-3 groups), subnets with a custom ACL on 200 x scale of them
    and a route table per 5 subnets (local + internet gateway).
    """
    rng = random.Random(seed)
    n_vpcs = max(1, round(20 * scale))
    n_groups, n_enis = round(5000 * scale), round(10000 * scale)
    n_subnets, n_acls = max(n_vpcs, round(500 * scale)), max(1, round(200 * scale))
    vpcs, subnets, tables, acls, igws = _networks(n_vpcs, n_subnets)
    subnet_of_vpc: dict[str, list[Subnet]] = {}
    for subnet in subnets:
        subnet_of_vpc.setdefault(subnet.vpc_id, []).append(subnet)
    groups, enis, instances = [], [], []
    tiers: dict[str, list[str]] = {}
    tier_subnets: dict[str, list[Subnet]] = {}
    for a in range(n_acls):
        subnet = subnets[(a * 7) % len(subnets)]
        acls.append(_acl(rng, f"acl-{a:05x}", subnet.vpc_id, (subnet.subnet_id,)))
    group_of_vpc: dict[str, list[str]] = {}
    for g in range(n_groups):
        group_of_vpc.setdefault(vpcs[g % n_vpcs].vpc_id, []).append(f"sg-{g:06x}")
    for v, vpc in enumerate(vpcs):
        ids = group_of_vpc.get(vpc.vpc_id, [])
        for group_id in ids:
            # a new group's default egress rule (all traffic anywhere), then 9 more
            default = SgRule(
                group_id=group_id,
                egress=True,
                protocol="-1",
                rule_id=f"sgr-{group_id[3:]}-0",
                cidr_ipv4="0.0.0.0/0",
            )
            more = [_sg_rule(rng, group_id, ids, v, egress=i < 2, i=i) for i in range(1, 10)]
            rules = (default, *more)
            groups.append(
                SecurityGroup(
                    group_id=group_id, group_name=group_id, vpc_id=vpc.vpc_id, rules=rules
                )
            )
    # Tiers: about 5 ENIs each sharing one group set, spread over three of their VPC's
    # subnets.
    next_host: dict[str, int] = {}
    for e in range(n_enis):
        v = e % n_vpcs
        vpc = vpcs[v]
        tier = f"tier-{e // (5 * n_vpcs)}-{v}"
        if tier not in tiers:
            tiers[tier] = []
            tier_groups = tuple(rng.sample(group_of_vpc[vpc.vpc_id], rng.randint(1, 3)))
            tiers[tier].append("|".join(tier_groups))
            # an auto-scaling group's subnets: one per Availability Zone
            own = subnet_of_vpc[vpc.vpc_id]
            tier_subnets[tier] = rng.sample(own, min(3, len(own)))
        tier_groups = tuple(tiers[tier][0].split("|"))
        subnet = rng.choice(tier_subnets[tier])
        host = next_host.get(subnet.subnet_id, 10)
        next_host[subnet.subnet_id] = host + 1
        base = subnet.cidr_block.rsplit(".", 1)[0] if subnet.cidr_block else "10.0.0"
        eni_id, instance_id = f"eni-{e:08x}", f"i-{e:08x}"
        enis.append(
            NetworkInterface(
                network_interface_id=eni_id,
                subnet_id=subnet.subnet_id,
                vpc_id=vpc.vpc_id,
                private_ips=(f"{base}.{host}",),
                group_ids=tier_groups,
                instance_id=instance_id,
                attachment_status="attached",
            )
        )
        state = "stopped" if rng.random() < 0.02 else "running"
        instances.append(
            Instance(
                instance_id=instance_id,
                state=state,
                vpc_id=vpc.vpc_id,
                subnet_id=subnet.subnet_id,
                network_interface_ids=(eni_id,),
            )
        )
        tiers[tier].append(eni_id)
    inventory = Inventory(
        region="eu-west-1",
        vpcs=tuple(vpcs),
        subnets=tuple(subnets),
        route_tables=tuple(tables),
        network_acls=tuple(acls),
        security_groups=tuple(groups),
        network_interfaces=tuple(enis),
        instances=tuple(instances),
        internet_gateways=tuple(igws),
    )
    return inventory, tiers


# -- the flows ----------------------------------------------------------------------------


_NO_GROUP = SecurityGroup(group_id="sg-none", group_name="none")


def _flow(inventory: Inventory, source: str, destination: str, port: int) -> Flow:
    return make_flow(inventory, source, destination, protocol="tcp", port=port)


def repeating_flows(
    inventory: Inventory, tiers: dict[str, list[str]], count: int, *, seed: int = 1
) -> list[Flow]:
    """Intents as estates declare them: a few hundred tier-to-tier services, each the
    port of an inbound rule of the destination tier that references a group of the
    source tier (as "web to db on 5432" is written), checked for many member pairs."""
    rng = random.Random(seed)
    groups_of = {tier: tuple(members[0].split("|")) for tier, members in tiers.items()}
    members = {tier: found[1:] for tier, found in tiers.items()}
    tiers_with: dict[str, list[str]] = {}
    for tier, group_ids in groups_of.items():
        for group_id in group_ids:
            tiers_with.setdefault(group_id, []).append(tier)
    services = []
    names = sorted(groups_of)
    while len(services) < max(1, count // 50):
        dst_tier = rng.choice(names)
        inbound = [
            r
            for group_id in groups_of[dst_tier]
            for r in (inventory.security_group(group_id) or _NO_GROUP).rules
            if not r.egress and r.protocol == "tcp" and r.referenced_group_id in tiers_with
        ]
        if not inbound:
            continue
        rule = rng.choice(inbound)
        src_tier = rng.choice(tiers_with[rule.referenced_group_id or ""])
        services.append((src_tier, dst_tier, rule.from_port or 443))
    flows = []
    while len(flows) < count:
        src_tier, dst_tier, port = rng.choice(services)
        source, destination = rng.choice(members[src_tier]), rng.choice(members[dst_tier])
        if source != destination:
            flows.append(_flow(inventory, source, destination, port))
    return flows


def distinct_flows(inventory: Inventory, count: int, *, seed: int = 2) -> list[Flow]:
    """Random ENI pairs of one VPC, random ports: hardly any work to share."""
    rng = random.Random(seed)
    by_vpc: dict[str, list[str]] = {}
    for eni in inventory.network_interfaces:
        by_vpc.setdefault(eni.vpc_id, []).append(eni.network_interface_id)
    vpcs = sorted(by_vpc)
    flows = []
    while len(flows) < count:
        members = by_vpc[rng.choice(vpcs)]
        source, destination = rng.sample(members, 2)
        flows.append(_flow(inventory, source, destination, rng.randrange(1, 65536)))
    return flows


# -- the measurements ---------------------------------------------------------------------


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds) if seconds else float("inf")


def _forget() -> None:
    """Empty the process-wide caches (parsed CIDRs and addresses, shared hops and
    explanations, ephemeral coverage), so that each measurement starts as cold as a
    fresh process after loading."""
    for cached in (network_interval, parse_address, coverage, trace._hop, trace._explanation):
        cached.cache_clear()


def batch_figures(
    inventory: Inventory, flows: list[Flow], reference: ModuleType, *, reference_flows: int
) -> dict[str, Any]:
    """Batch (fresh Evaluator: its tables are built during the batch), one by one (fresh
    Evaluator too) and the reference on a slice of the same flows."""
    _forget()
    single = Evaluator(inventory)
    _, one_cpu = _timed(lambda: [single.evaluate(f) for f in flows])
    _forget()
    batch_wall, batch_cpu = _timed(lambda: Evaluator(inventory).verdicts(flows))
    verdicts = Evaluator(inventory).verdicts(flows)
    walked = sum(v.walked for v in {id(v): v for v in verdicts}.values())
    sample = flows[:reference_flows]
    _, ref_cpu = _timed(lambda: [reference.reference_evaluate(inventory, f) for f in sample])
    batch_rate, ref_rate = _rate(len(flows), batch_cpu), _rate(len(sample), ref_cpu)
    return {
        "flows": len(flows),
        "reachable": sum(v.reachable for v in verdicts),
        "walked": walked,
        "batch_flows_per_s": batch_rate,
        "batch_flows_per_s_wall": _rate(len(flows), batch_wall),
        "one_by_one_flows_per_s": _rate(len(flows), one_cpu),
        "reference_flows_per_s": ref_rate,
        "reference_flows_timed": len(sample),
        "batch_vs_reference": round(batch_rate / ref_rate, 1),
        "batch_vs_one_by_one": round(batch_rate / _rate(len(flows), one_cpu), 1),
    }


def first_vs_warm(inventory: Inventory, flows: list[Flow], *, trials: int = 15) -> dict[str, Any]:
    """The first evaluation after load (a new Evaluator, as a fresh process has, and its
    construction) against warm ones, in CPU ms (medians; CPU time, because on a shared
    machine one descheduling costs more than an evaluation): ``warm_new_ms`` a flow not
    seen before by an Evaluator that has evaluated 1,000 others (its group sets' tables
    may still be built), ``warm_seen_ms`` a flow evaluated before (everything kept)."""
    firsts = []
    for flow in flows[:trials]:
        _forget()
        gc.collect()
        firsts.append(_timed(lambda flow=flow: Evaluator(inventory).evaluate(flow))[1])
    warm = Evaluator(inventory)
    seen, new = flows[trials : trials + 1000], flows[trials + 1000 : trials + 1300]
    for flow in seen:
        warm.evaluate(flow)
    news = [_timed(lambda flow=flow: warm.evaluate(flow))[1] for flow in new]
    seens = [_timed(lambda flow=flow: warm.evaluate(flow))[1] for flow in seen[:300]]
    first, warm_new, warm_seen = (statistics.median(x) for x in (firsts, news, seens))
    return {
        "first_ms": round(first * 1000, 3),
        "warm_new_ms": round(warm_new * 1000, 3),
        "warm_seen_ms": round(warm_seen * 1000, 3),
        "first_over_warm_new": round(first / warm_new, 2),
        "first_over_warm_seen": round(first / warm_seen, 2),
    }


def calibration() -> dict[str, Any]:
    """How fast this machine runs plain Python now (it is shared): ns per dict lookup in
    a loop, and the load average, so runs on different days can be compared."""
    table = {str(i): i for i in range(10_000)}
    keys = list(table)
    start = time.process_time()
    for _ in range(100):
        for key in keys:
            table.get(key)
    per_lookup = (time.process_time() - start) / (100 * len(keys))
    return {"dict_lookup_ns": round(per_lookup * 1e9, 1), "load_average": os.getloadavg()}


def before_after(scale: float, count: int = 2000) -> dict[str, Any]:
    """One-by-one figures of whichever netmend is imported, for comparing two versions:
    ``git archive <commit> engine | tar -x -C /tmp/old`` then ``PYTHONPATH=/tmp/old/engine
    .venv/bin/python benchmarks/bench_batch.py --before-after 1`` (and without PYTHONPATH).
    Uses nothing newer than ``Evaluator.evaluate``; CPU time."""
    import tracemalloc

    import netmend.reach

    inventory, tiers = build_estate(scale)
    flows = repeating_flows(inventory, tiers, count)
    firsts = []
    for flow in distinct_flows(inventory, 9, seed=5):
        gc.collect()
        firsts.append(_timed(lambda flow=flow: Evaluator(inventory).evaluate(flow))[1])
    evaluator = Evaluator(inventory)
    _, cold = _timed(lambda: [evaluator.evaluate(f) for f in flows])
    warm = min(_timed(lambda: [evaluator.evaluate(f) for f in flows])[1] for _ in range(3))
    sets = {(e.group_ids, out) for e in inventory.network_interfaces for out in (True, False)}

    def rules_of(group_id: str) -> int:
        group = inventory.security_group(group_id)
        return len(group.rules) if group else 0

    tracemalloc.start()
    kept = [evaluator.evaluate(f) for f in flows]
    kept_bytes = tracemalloc.get_traced_memory()[0] / len(kept)
    tracemalloc.stop()
    return {
        "code": str(Path(netmend.reach.__file__).parents[2]),
        "scale": scale,
        "first_ms": round(statistics.median(firsts) * 1000, 3),
        "cold_us_per_flow": round(cold / len(flows) * 1e6, 1),
        "warm_us_per_flow": round(warm / len(flows) * 1e6, 1),
        "kept_evaluation_bytes": round(kept_bytes),
        "rule_visits_per_group_set_index": sum(rules_of(g) for gs, _ in sets for g in gs),
        "rule_visits_per_group_index": sum(
            rules_of(g) for g, _ in {(g, out) for gs, out in sets for g in gs}
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scales", default="0.1,1,10")
    parser.add_argument("--flows", type=int, default=10000)
    parser.add_argument("--reference-flows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--before-after", type=float, metavar="SCALE", help="only the version comparison"
    )
    args = parser.parse_args(argv)
    if args.before_after is not None:
        print(json.dumps(before_after(args.before_after), indent=2))
        return 0
    reference = _reference()
    report: dict[str, Any] = {
        "benchmark": "batch evaluation (reach.evaluate_flows)",
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "before": calibration(),
        },
        "scales": {},
    }
    for text in args.scales.split(","):
        scale = float(text)
        start = time.perf_counter()
        inventory, tiers = build_estate(scale, seed=args.seed)
        built = time.perf_counter() - start
        repeating = repeating_flows(inventory, tiers, args.flows)
        distinct = distinct_flows(inventory, args.flows)
        rules = sum(len(g.rules) for g in inventory.security_groups)
        report["scales"][text] = {
            "estate": {
                "groups": len(inventory.security_groups),
                "rules": rules,
                "enis": len(inventory.network_interfaces),
                "subnets": len(inventory.subnets),
                "acls": len(inventory.network_acls),
                "vpcs": len(inventory.vpcs),
                "built_in_memory_s": round(built, 2),
            },
            "first_vs_warm": first_vs_warm(inventory, distinct),
            "repeating_group_set_pairs": batch_figures(
                inventory, repeating, reference, reference_flows=args.reference_flows
            ),
            "all_distinct": batch_figures(
                inventory, distinct, reference, reference_flows=args.reference_flows
            ),
        }
        print(json.dumps({text: report["scales"][text]}), file=sys.stderr)
        del inventory, tiers, repeating, distinct
        gc.collect()
    report["machine"]["after"] = calibration()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
