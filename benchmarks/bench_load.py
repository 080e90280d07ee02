"""Whole-process figures for the offline commands, against the floor of reading the file.

For each scale of the synthetic estate (benchmarks/estate.py: 0.1x, 1x, 10x the target
estate of issue 16), every command is run as a fresh process, in turn with the floor
(A B A B ...: the ratio is taken pair by pair, so a machine whose speed drifts still
gives a fair one), and its wall time, CPU time and peak memory (the kernel's own
accounting of the finished child, ``os.wait4``) are recorded:

- floor:       ``python -c "import json; json.load(open(F))"``: reading the inventory;
- load:        loading it as netmend does (``load_inventory``), nothing else;
- diagnose:    ``netmend diagnose --inventory F`` of one flow, ``--output json``;
- verify json: ``netmend verify --inventory F --intents I --output json`` (10,000 intents);
- verify text: the same, as text.

Prints one JSON document (medians, min and max; ratios to the floor). Asserts nothing.

    .venv/bin/python benchmarks/bench_load.py                 # 0.1x, 1x and 10x, 5 runs
    .venv/bin/python benchmarks/bench_load.py --skip-10x --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estate import EstateFiles, estate_files

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
NETMEND = str(BIN / "netmend")
PYTHON = sys.executable


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_mib: float
    exit_code: int


def run_once(command: list[str]) -> Run:
    """One fresh process: wall time, user+system time and peak RSS of that child."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode)


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def paired(command: list[str], floor: list[str], runs: int, warmup: int = 1) -> dict[str, Any]:
    """``command`` and the floor in turn, ``runs`` pairs after ``warmup`` pairs (which
    warm the page cache and the bytecode cache, and are not counted)."""
    ours: list[Run] = []
    base: list[Run] = []
    for index in range(runs + warmup):
        a, b = run_once(command), run_once(floor)
        if index >= warmup:
            ours.append(a)
            base.append(b)
    return {
        "wall_s": _spread([r.wall_s for r in ours]),
        "cpu_s": _spread([r.cpu_s for r in ours]),
        "peak_mib": _spread([r.peak_mib for r in ours]),
        "exit_codes": sorted({r.exit_code for r in ours}),
        "ratio_to_floor_wall": _spread(
            [a.wall_s / b.wall_s for a, b in zip(ours, base, strict=True)]
        ),
        "ratio_to_floor_cpu": _spread([a.cpu_s / b.cpu_s for a, b in zip(ours, base, strict=True)]),
        "floor_wall_s": _spread([r.wall_s for r in base]),
    }


def _flow_ends(files: EstateFiles) -> tuple[str, str]:
    """Two instances of the first VPC: the one flow diagnose is asked about."""
    data = json.loads(files.inventory.read_text(encoding="utf-8"))
    instances = data["instances"]
    vpc = instances[0]["vpc_id"]
    same = [i["instance_id"] for i in instances if i["vpc_id"] == vpc]
    return same[0], same[1]


def commands(files: EstateFiles) -> dict[str, list[str]]:
    inventory, intents = str(files.inventory), str(files.intents)
    source, destination = _flow_ends(files)
    load = f"from netmend.inventory_file import load_inventory; load_inventory({inventory!r})"
    verify = [NETMEND, "verify", "--inventory", inventory, "--intents", intents]
    return {
        "load": [PYTHON, "-c", load],
        "diagnose": [
            *(NETMEND, "diagnose", "--inventory", inventory),
            *("-s", source, "-d", destination, "-p", "443", "--output", "json"),
        ],
        "verify_json": [*verify, "--output", "json"],
        "verify_text": verify,
    }


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scales", default="0.1,1,10", help="comma-separated (default 0.1,1,10)")
    parser.add_argument("--skip-10x", action="store_true", help="leave out scale 10 (slow)")
    parser.add_argument("--runs", type=int, default=5, help="pairs per command (after a warm-up)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted pairs first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated commands (default: all)")
    parser.add_argument("--out", type=Path, default=HERE / ".estates")
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scales.split(",") if s]
    if args.skip_10x:
        scales = [s for s in scales if s != 10]
    wanted = {c for c in args.only.split(",") if c}
    results = []
    for scale in scales:
        files = estate_files(scale, args.seed, args.out)
        floor = [PYTHON, "-c", f"import json; json.load(open({str(files.inventory)!r}))"]
        figures = {
            name: paired(command, floor, args.runs, args.warmup)
            for name, command in commands(files).items()
            if not wanted or name in wanted
        }
        results.append(
            {
                "scale": scale,
                "inventory_bytes": files.inventory.stat().st_size,
                "intents_bytes": files.intents.stat().st_size,
                "rules": files.rules,
                "enis": files.enis,
                "commands": figures,
            }
        )
        print(f"scale {scale:g}: done", file=sys.stderr, flush=True)
    document = {"machine": machine(), "runs": args.runs, "warmup": args.warmup, "scales": results}
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
