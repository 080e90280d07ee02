"""The fault matrix, in full: every root-cause playbook x every write k x every fault.

Starts a moto server and the fault proxy on 127.0.0.1, then runs each case of
tests/reliability/matrix.py (its docstring says what each fault is and what surviving
means) and prints one line per case and the totals: cases, survived, lost. Exits 1 if
any case is lost.

    .venv/bin/python benchmarks/faults.py                      # the whole matrix
    .venv/bin/python benchmarks/faults.py --playbook wrong-port --fault kill
    .venv/bin/python benchmarks/faults.py --playbook rule-quota-exceeded --write 1 --write 15
    .venv/bin/python benchmarks/faults.py --json               # totals as JSON
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests package holds the harness


def _isolate_aws() -> None:
    """Fake credentials, no profile or IMDS: nothing here can reach a real account."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    folder = Path(tempfile.mkdtemp(prefix="netmend-faults-aws-"))
    (folder / "config").write_text("")
    (folder / "credentials").write_text("")
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_CONFIG_FILE": str(folder / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbook", action="append", help="only these playbooks")
    parser.add_argument("--fault", action="append", help="only these faults")
    parser.add_argument("--write", action="append", type=int, help="only these writes k")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON")
    args = parser.parse_args()
    _isolate_aws()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from moto.server import ThreadedMotoServer

    from tests.reliability.matrix import FAULTS, PLAYBOOKS, FaultLab, all_cases, dumps, summary
    from tests.reliability.wire import FaultProxy

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    proxy = FaultProxy(moto_url).start()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="netmend-faults-") as work:
            lab = FaultLab(moto_url, proxy, Path(work))
            playbooks = tuple(args.playbook or PLAYBOOKS)
            faults = tuple(args.fault or FAULTS)
            cases = [
                c
                for c in all_cases(lab, playbooks, faults)
                if not args.write or c.write in args.write
            ]
            results = []
            for case in cases:
                result = lab.run(case)
                results.append(result)
                mark = "survived" if result.survived else "LOST"
                print(
                    f"{mark:<9} {case.name:<44} {result.status:<26} "
                    f"{result.seconds:5.1f}s  {result.detail}",
                    flush=True,
                )
    finally:
        proxy.stop()
        server.stop()
    totals = summary(results)
    if args.json:
        print(dumps(results))
    else:
        print(
            f"\nfault matrix: {totals['cases']} cases, {totals['survived']} survived, "
            f"{totals['lost']} lost ({len(playbooks)} playbooks, {len(faults)} faults, "
            f"{time.monotonic() - started:.0f} s)"
        )
    return 0 if totals["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
