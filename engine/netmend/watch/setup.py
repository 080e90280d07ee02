"""Assemble a worker from a config: state, unattended runner, playbooks, intents, queue.

The CLI (``netmend watch``) and the Lambda entry point (``netmend.aws_lambda``) both
build their worker here, so they behave alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from netmend.app.workspace import Workspace
from netmend.aws.session import AwsClients
from netmend.config import NetmendConfig
from netmend.playbook import load_playbooks
from netmend.run.runner import Runner
from netmend.store.state import open_state
from netmend.verify.analyzer import runner_verifiers
from netmend.verify.intents import load_intents
from netmend.watch.approver import UnattendedApprover
from netmend.watch.held import chatops_hook
from netmend.watch.queue import MessageQueue
from netmend.watch.repair import HeldRunHook, Repairer
from netmend.watch.worker import Worker, WorkerSettings

__all__ = ["OWN_ROLES_ENV", "WATCH_REQUESTER", "build_worker", "own_principals"]

# The requester recorded on the worker's runs (four-eyes: it can never approve them).
WATCH_REQUESTER = "netmend-watch"
# Comma-separated ARNs of netmend's own roles: events they caused start no repair.
OWN_ROLES_ENV = "NETMEND_OWN_ROLE_ARNS"


def own_principals(given: Sequence[str] | None = None) -> tuple[str, ...]:
    """The ``--own-role`` ARNs plus those in $NETMEND_OWN_ROLE_ARNS."""
    from_env = [arn.strip() for arn in os.environ.get(OWN_ROLES_ENV, "").split(",")]
    return tuple(dict.fromkeys(a for a in [*(given or ()), *from_env] if a))


def build_worker(
    clients: AwsClients,
    config: NetmendConfig,
    intents: Path,
    *,
    queue: MessageQueue | None = None,
    settings: WorkerSettings | None = None,
    verify_method: str = "auto",
    on_held: HeldRunHook | None = None,
    worker_id: str | None = None,
) -> Worker:
    """A worker for ``queue`` (None: the Lambda handler's, fed one record at a time)."""
    declared = load_intents(intents)  # bad file: exit 2 before the first message
    playbooks = load_playbooks(list(config.playbook_dirs))
    settings = settings or WorkerSettings()
    lease = max(60.0, settings.visibility_seconds * 2.0)
    state = open_state(config, clients, lease_seconds=lease)
    runner = Runner(
        clients,
        state.runs,
        UnattendedApprover(config.policy, state.budget),
        state.audit,
        verifiers=runner_verifiers(clients, verify_method),
        requester=WATCH_REQUESTER,
    )
    repairer = Repairer(
        Workspace(config=config, clients=clients, playbooks=playbooks),
        runner,
        declared,
        verify_method=verify_method,
        on_held=on_held or chatops_hook(config, clients),
    )
    return Worker(repairer, state, queue, settings, worker_id=worker_id)
