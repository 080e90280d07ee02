"""A synthetic target estate, reproducible by seed, saved as `netmend inventory save` does.

Issue 16's target estate is a large account: at scale 1, 5,000 security groups of 10
rules (50,000 rules), 10,000 ENIs (each the primary interface of a running instance),
200 custom network ACLs of 20 entries, in 10 VPCs of 40 subnets. Scale 0.1 and 10 make
everything ten times smaller or larger, so the growth of load time and memory shows.

The estate is built from the real model classes and written with the real
``netmend.inventory_file.save_inventory``; the intents file (10,000 intents by default,
whatever the scale) is written with ``netmend.verify.intents.dump_intents``. Each
intent's ``expect`` is what the evaluator answers for its flow, except one in 30, which
is flipped: a realistic report (mostly held, a few violated).

Files are cached by scale and seed in the output folder (the default:
benchmarks/.estates/, not committed), so benchmarks can share them:

    .venv/bin/python benchmarks/estate.py --scale 1          # prints the paths as JSON
    .venv/bin/python benchmarks/estate.py --scale 0.1 --seed 3 --out /tmp/estates

Other benchmarks import ``build_estate``, ``build_intents`` and ``estate_files``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from netmend.inventory_file import save_inventory
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
from netmend.reach import Evaluator, make_flow
from netmend.verify.intents import Intent, dump_intents

__all__ = ["EstateFiles", "Shape", "build_estate", "build_intents", "estate_files", "shape_of"]

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / ".estates"
HOSTS_PER_VPC = 500  # distinct /32 peers of a VPC's rules (1x: ~7,600 distinct CIDRs)
PORTS = (22, 80, 443, 3306, 5432, 6379, 8080, 8443)


@dataclass(frozen=True)
class Shape:
    """How many of each thing an estate holds."""

    vpcs: int
    subnets_per_vpc: int
    groups: int
    rules_per_group: int
    enis: int
    custom_acls: int
    acl_entries: int  # per ACL, both directions together


def shape_of(scale: float) -> Shape:
    """The target estate (scale 1) or a multiple of it."""
    vpcs = max(1, round(10 * scale))
    return Shape(
        vpcs=vpcs,
        subnets_per_vpc=max(1, round(400 * scale) // vpcs),
        groups=max(1, round(5000 * scale)),
        rules_per_group=10,
        enis=max(2, round(10000 * scale)),
        custom_acls=max(1, round(200 * scale)),
        acl_entries=20,
    )


def _vpc_block(index: int) -> tuple[int, int]:
    """The first two octets of VPC ``index``'s /16 (10.0.0.0/16, 10.1.0.0/16, ...)."""
    return 10 + index // 256, index % 256


def _rule(
    rng: random.Random, group: str, vpc: int, peers: list[str], index: int, egress: bool
) -> SgRule:
    protocol = rng.choice(["tcp"] * 7 + ["udp", "icmp", "-1"])
    ports: dict[str, int | None] = {"from_port": None, "to_port": None}
    if protocol in ("tcp", "udp"):
        low = rng.choice([*PORTS, 9000 + index, 1024])
        ports = {"from_port": low, "to_port": low + rng.choice([0, 0, 0, 0, 10, 1000])}
    elif protocol == "icmp":
        ports = {"from_port": rng.choice([-1, 8, 0]), "to_port": -1}
    first, second = _vpc_block(vpc)
    draw = rng.random()
    peer: dict[str, str]
    if draw < 0.25:
        peer = {"referenced_group_id": rng.choice(peers)}
    elif draw < 0.30:
        peer = {"cidr_ipv4": "0.0.0.0/0"}
    elif draw < 0.45:
        peer = {"cidr_ipv4": f"{first}.{second}.{rng.randrange(256)}.0/24"}
    elif draw < 0.50:
        peer = {"cidr_ipv4": f"{first}.{second}.0.0/16"}
    else:  # a host: one of a few hundred per VPC, as rules name the same servers again
        host = rng.randrange(HOSTS_PER_VPC)
        peer = {"cidr_ipv4": f"{first}.{second}.{host // 250}.{4 + host % 250}/32"}
    described = {"description": f"rule {index} of {group}"} if rng.random() < 0.3 else {}
    return SgRule(
        group_id=group,
        egress=egress,
        protocol=protocol,
        rule_id=f"sgr-{group[3:]}{index:03d}",
        **ports,
        **peer,
        **described,
    )


def _acl_entries(rng: random.Random, count: int) -> tuple[AclEntry, ...]:
    entries = []
    for egress in (False, True):
        for number in range(10, 10 * (count // 2) + 1, 10):
            low = rng.choice([22, 443, 1024, 32768, 49152])
            entries.append(
                AclEntry(
                    rule_number=number,
                    egress=egress,
                    protocol=rng.choice(["tcp"] * 4 + ["udp", "-1"]),
                    rule_action=rng.choice(["allow", "allow", "allow", "deny"]),
                    cidr=rng.choice(["10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "192.168.0.0/16"]),
                    port_from=low,
                    port_to=min(65535, low + rng.choice([0, 1000, 40000])),
                )
            )
    for egress in (False, True):  # the "*" deny AWS puts at the end of every ACL
        entries.append(
            AclEntry(
                rule_number=32767,
                egress=egress,
                protocol="-1",
                rule_action="deny",
                cidr="0.0.0.0/0",
            )
        )
    return tuple(entries)


def build_estate(scale: float = 1.0, seed: int = 7) -> Inventory:
    """The estate at ``scale`` (1: the target estate), the same for the same seed."""
    shape = shape_of(scale)
    rng = random.Random(seed)
    vpcs, subnets, tables, acls, igws = [], [], [], [], []
    for v in range(shape.vpcs):
        first, second = _vpc_block(v)
        vpc_id = f"vpc-{v:017x}"
        vpcs.append(Vpc(vpc_id=vpc_id, cidr_blocks=(f"{first}.{second}.0.0/16",)))
        subnets += [
            Subnet(
                subnet_id=f"subnet-{v:08x}{s:09x}",
                vpc_id=vpc_id,
                cidr_block=f"{first}.{second}.{s}.0/24",
                availability_zone=f"eu-west-1{'abc'[s % 3]}",
                tags={"Name": f"vpc{v}-subnet{s}"},
            )
            for s in range(shape.subnets_per_vpc)
        ]
        igw_id = f"igw-{v:017x}"
        igws.append(InternetGateway(internet_gateway_id=igw_id, vpc_ids=(vpc_id,)))
        tables.append(
            RouteTable(
                route_table_id=f"rtb-{v:017x}",
                vpc_id=vpc_id,
                is_main=True,
                routes=(
                    Route(
                        destination_cidr=f"{first}.{second}.0.0/16",
                        target_kind=RouteTargetKind.LOCAL,
                        target_id="local",
                    ),
                    Route(
                        destination_cidr="0.0.0.0/0",
                        target_kind=RouteTargetKind.INTERNET_GATEWAY,
                        target_id=igw_id,
                    ),
                ),
            )
        )
        allow_all = tuple(
            AclEntry(
                rule_number=number,
                egress=egress,
                protocol="-1",
                rule_action=action,
                cidr="0.0.0.0/0",
            )
            for egress in (False, True)
            for number, action in ((100, "allow"), (32767, "deny"))
        )
        acls.append(
            NetworkAcl(
                network_acl_id=f"acl-{v:017x}", vpc_id=vpc_id, is_default=True, entries=allow_all
            )
        )
    custom_subnets = rng.sample(subnets, min(shape.custom_acls, len(subnets)))
    for a, subnet in enumerate(custom_subnets):
        acls.append(
            NetworkAcl(
                network_acl_id=f"acl-{shape.vpcs + a:017x}",
                vpc_id=subnet.vpc_id,
                entries=_acl_entries(rng, shape.acl_entries),
                subnet_ids=(subnet.subnet_id,),
                tags={"Name": f"custom-{a}"},
            )
        )
    groups_of_vpc: list[list[str]] = [[] for _ in range(shape.vpcs)]
    for g in range(shape.groups):
        groups_of_vpc[g % shape.vpcs].append(f"sg-{g:017x}")
    security_groups = []
    egress_count = shape.rules_per_group // 4
    for v, group_ids in enumerate(groups_of_vpc):
        for group_id in group_ids:
            rules = tuple(
                _rule(rng, group_id, v, group_ids, i, egress=i < egress_count)
                for i in range(shape.rules_per_group)
            )
            security_groups.append(
                SecurityGroup(
                    group_id=group_id,
                    group_name=f"app-{group_id[3:]}",
                    vpc_id=vpcs[v].vpc_id,
                    description="synthetic benchmark group",
                    rules=rules,
                    tags={"Name": f"app-{group_id[3:]}", "team": f"team-{rng.randrange(40)}"},
                )
            )
    interfaces, instances = [], []
    for e in range(shape.enis):
        subnet = subnets[e % len(subnets)]
        v = (e % len(subnets)) // shape.subnets_per_vpc
        host = 4 + (e // len(subnets)) % 250  # AWS reserves .0-.3 and .255
        prefix = (subnet.cidr_block or "").rsplit(".", 1)[0]
        address = f"{prefix}.{host}"
        eni_id, instance_id = f"eni-{e:017x}", f"i-{e:017x}"
        choices = groups_of_vpc[v]
        interfaces.append(
            NetworkInterface(
                network_interface_id=eni_id,
                subnet_id=subnet.subnet_id,
                vpc_id=subnet.vpc_id,
                private_ips=(address,),
                availability_zone=subnet.availability_zone,
                group_ids=tuple(rng.sample(choices, min(len(choices), rng.randint(1, 3)))),
                instance_id=instance_id,
                attachment_status="attached",
                device_index=0,
                description=f"Primary network interface of {instance_id}",
            )
        )
        instances.append(
            Instance(
                instance_id=instance_id,
                vpc_id=subnet.vpc_id,
                subnet_id=subnet.subnet_id,
                private_ip=address,
                network_interface_ids=(eni_id,),
                tags={"Name": f"host-{e}"},
            )
        )
    return Inventory(
        account_id="123456789012",
        region="eu-west-1",
        vpcs=tuple(vpcs),
        subnets=tuple(subnets),
        route_tables=tuple(tables),
        network_acls=tuple(acls),
        security_groups=tuple(security_groups),
        network_interfaces=tuple(interfaces),
        instances=tuple(instances),
        internet_gateways=tuple(igws),
    )


def build_intents(inventory: Inventory, count: int = 10_000, seed: int = 7) -> list[Intent]:
    """``count`` intents between the estate's instances, ENIs and addresses (same VPC),
    each expecting what the evaluator answers, except one in 30 (flipped)."""
    rng = random.Random(seed + 1)
    by_vpc: dict[str, list[NetworkInterface]] = {}
    for eni in inventory.network_interfaces:
        by_vpc.setdefault(eni.vpc_id, []).append(eni)
    pools = [enis for enis in by_vpc.values() if len(enis) > 1]
    evaluator = Evaluator(inventory)

    def name_of(eni: NetworkInterface, how: int) -> str:
        if how == 0 and eni.instance_id:
            return eni.instance_id
        return eni.network_interface_id if how == 1 else eni.primary_ip

    intents = []
    for i in range(count):
        source, destination = rng.sample(rng.choice(pools), 2)
        port = rng.choice(PORTS)
        src, dst = name_of(source, rng.randrange(3)), name_of(destination, rng.randrange(3))
        flow = make_flow(inventory, src, dst, protocol="tcp", port=port)
        reachable = evaluator.evaluate(flow).reachable
        if i % 30 == 29:
            reachable = not reachable
        intents.append(
            Intent(
                name=f"intent {i:05d}: {src} to {dst} on tcp/{port}",
                source=src,
                destination=dst,
                protocol="tcp",
                port=port,
                expect="allowed" if reachable else "denied",
            )
        )
    return intents


@dataclass(frozen=True)
class EstateFiles:
    inventory: Path
    intents: Path
    scale: float
    seed: int
    rules: int
    enis: int


def _counts(path: Path) -> tuple[int, int]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rules = sum(len(g["rules"]) for g in data["security_groups"])
    return rules, len(data["network_interfaces"])


def estate_files(
    scale: float = 1.0, seed: int = 7, out: Path = DEFAULT_OUT, intents: int = 10_000
) -> EstateFiles:
    """The inventory and intents files of this scale and seed, written if not there yet."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"estate-{scale:g}x-seed{seed}"
    inventory_path = out / f"{stem}.json"
    intents_path = out / f"{stem}-intents{intents}.yaml"
    if not inventory_path.exists() or not intents_path.exists():
        inventory = build_estate(scale, seed)
        save_inventory(inventory, inventory_path)
        declared = build_intents(inventory, intents, seed)
        header = f"{len(declared)} intents over the synthetic estate {stem} (benchmarks/estate.py)"
        intents_path.write_text(dump_intents(declared, header=header), encoding="utf-8")
    rules, enis = _counts(inventory_path)
    return EstateFiles(inventory_path, intents_path, scale, seed, rules, enis)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the target estate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--intents", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = estate_files(args.scale, args.seed, args.out, args.intents)
    print(
        json.dumps(
            {
                "scale": files.scale,
                "seed": files.seed,
                "inventory": str(files.inventory),
                "inventory_bytes": files.inventory.stat().st_size,
                "intents": str(files.intents),
                "intents_bytes": files.intents.stat().st_size,
                "rules": files.rules,
                "enis": files.enis,
                "seconds": round(time.perf_counter() - started, 2),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
