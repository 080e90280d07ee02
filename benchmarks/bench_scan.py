"""How long ``netmend scan`` takes on a large synthetic estate (no AWS).

The target estate of the issue: 5,000 groups, 50,000 rules (10 a group), 10,000 ENIs
(each an instance's primary interface, so the per-instance checks run too), built by
``bench_evaluate.build_estate``. One inventory, then every estate playbook with the
indexed evaluator (as ``netmend scan --inventory FILE`` would, without the file); the
time of each playbook and the total are printed, with the number of findings. Asserts
nothing (timings depend on the machine). A small run first:

    .venv/bin/python benchmarks/bench_scan.py --groups 500 --enis 1000
    .venv/bin/python benchmarks/bench_scan.py            # the full target estate
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

from netmend.model import Instance, Inventory
from netmend.playbook import load_playbooks
from netmend.scan import scan_estate

HERE = Path(__file__).resolve().parent


def _bench_evaluate() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "netmend_bench_evaluate", HERE / "bench_evaluate.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit("cannot load benchmarks/bench_evaluate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def with_instances(inventory: Inventory) -> Inventory:
    """Every ENI becomes the primary interface of a running instance of its own."""
    enis = []
    instances = []
    for index, eni in enumerate(inventory.network_interfaces):
        instance_id = f"i-{index:017x}"
        enis.append(eni.model_copy(update={"instance_id": instance_id, "device_index": 0}))
        instances.append(
            Instance(
                instance_id=instance_id,
                vpc_id=eni.vpc_id,
                subnet_id=eni.subnet_id,
                private_ip=eni.primary_ip,
                network_interface_ids=(eni.network_interface_id,),
            )
        )
    fields = {name: getattr(inventory, name) for name in Inventory.model_fields}
    fields.update(network_interfaces=tuple(enis), instances=tuple(instances))
    return Inventory(**fields)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--groups", type=int, default=5000)
    parser.add_argument("--rules", type=int, default=10, help="rules per group")
    parser.add_argument("--enis", type=int, default=10000)
    parser.add_argument("--subnets", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    inventory = with_instances(
        _bench_evaluate().build_estate(
            enis=args.enis,
            groups=args.groups,
            rules=args.rules,
            subnets=args.subnets,
            seed=args.seed,
        )
    )
    built = time.perf_counter() - started
    playbooks = load_playbooks()
    rules = sum(len(g.rules) for g in inventory.security_groups)
    print(
        f"estate: {len(inventory.security_groups)} groups, {rules} rules, "
        f"{len(inventory.network_interfaces)} ENIs/instances, {len(inventory.subnets)} subnets "
        f"(built in {built:.1f} s)"
    )
    marks: list[tuple[str, float]] = []

    def progress(what: str, done: int, total: int) -> None:
        marks.append((what, time.perf_counter()))

    start = time.perf_counter()
    report = scan_estate(inventory, playbooks, progress=progress)
    total = time.perf_counter() - start
    counts = Counter(f.playbook for f in report.findings)
    for (name, at), (_, until) in itertools.pairwise(marks):
        print(f"  {name:<30} {until - at:>8.2f} s  {counts.get(name, 0):>6} finding(s)")
    print(
        f"scan: {total:.2f} s for {len(report.findings)} finding(s) "
        f"from {len(report.playbooks)} playbooks"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
