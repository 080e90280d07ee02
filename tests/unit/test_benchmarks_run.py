"""Every benchmark script still runs: tiny sizes, each a fresh process, its output parsed.

Timings are never asserted (benchmarks/README.md holds the figures); this only catches a
script that an engine change broke (an import that moved, a renamed function), so the
figures in the README can always be measured again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our interpreter running our own scripts)
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_bench_evaluate_compares_with_the_reference() -> None:
    """The indexed and the naive evaluators agree on what they count as reachable."""
    out = _run("benchmarks/bench_evaluate.py", "--enis", "20", "--flows", "40")
    assert "naive scan (reference evaluator)" in out
    assert "reachable:" in out


@pytest.mark.parametrize("script", ["bench_batch.py", "bench_scan.py"])
def test_bench_scripts_print_their_figures(script: str) -> None:
    """The batch and scan benchmarks print one JSON document (or their table) at 0.01x."""
    args = {
        "bench_batch.py": ["--scales", "0.01", "--flows", "1400", "--reference-flows", "10"],
        "bench_scan.py": ["--groups", "50", "--enis", "100"],
    }[script]
    out = _run(f"benchmarks/{script}", *args)
    assert out.strip()
    if script == "bench_batch.py":
        figures = json.loads(out)["scales"]["0.01"]
        assert figures["estate"]["groups"] == 50
        assert figures["first_vs_warm"]["first_ms"] > 0
