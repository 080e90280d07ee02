"""Child process for the SIGKILL test: runs a plan and blocks before its second write.

Usage: python runner_child.py ENDPOINT REGION STATE_DIR PLAN_JSON READY_FILE
It applies the plan with --yes semantics; when the second write is about to be sent it
creates READY_FILE and sleeps, waiting to be killed with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from netmend.approval import YesApprover
from netmend.audit import AuditLog
from netmend.aws.session import AwsOptions, make_clients
from netmend.run.plan import Plan
from netmend.run.runner import Runner
from netmend.store import RunStore

WRITE_PREFIXES = ("Authorize", "Revoke", "Create", "Delete", "Replace", "Modify")


def main() -> None:
    endpoint, region, state_dir, plan_file, ready_file = sys.argv[1:6]
    clients = make_clients(AwsOptions(region=region, endpoint_url=endpoint))
    writes: list[str] = []

    def block_before_second_write(model: Any, **_: Any) -> None:
        if model.name.startswith(WRITE_PREFIXES):
            writes.append(model.name)
            if len(writes) == 2:
                Path(ready_file).write_text("ready")
                time.sleep(600)

    clients.ec2.meta.events.register("before-call.ec2", block_before_second_write)
    plan = Plan.model_validate_json(Path(plan_file).read_text())
    store = RunStore(Path(state_dir))
    runner = Runner(clients, store, YesApprover("ci"), AuditLog(Path(state_dir) / "audit.jsonl"))
    runner.execute(plan, apply=True)


if __name__ == "__main__":
    main()
