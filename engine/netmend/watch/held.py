"""Handing a held run to a person: the ChatOps hook of the event worker.

A run the policy does not allow unattended is recorded as ``needs_approval`` whatever
happens here; this hook only tells someone. ``post_held_run_to_chat`` is the one place
where the worker meets ChatOps: the Slack helper (issue 13) provides a function that
posts an already-planned run with Approve / Reject buttons
(``netmend.chatops.slack.app.post_approval_request(client, chatops, run_id, channel)``);
until it is wired here, held runs are logged and listed by ``netmend runs list``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import structlog

from netmend.run.result import RunResult
from netmend.watch.repair import HeldRunHook

__all__ = ["CHANNEL_ENV", "chatops_hook", "log_held_run"]

log = structlog.get_logger()

# The Slack channel held runs are posted to (with SLACK_BOT_TOKEN set).
CHANNEL_ENV = "NETMEND_APPROVAL_CHANNEL"


def log_held_run(result: RunResult) -> None:
    """Say, in the log, which run waits for whom and how to apply it."""
    log.warning(
        "run held for a person",
        run_id=result.run_id,
        reason=result.message,
        apply_with=f"netmend fix --apply --plan {result.run_id}",
    )


def chatops_hook(env: Mapping[str, str] | None = None) -> HeldRunHook:
    """The hook for held runs: post to Slack when ChatOps is configured, always log.

    HOOK (issue 13): when ``SLACK_BOT_TOKEN`` and ``NETMEND_APPROVAL_CHANNEL`` are set,
    call the Slack helper's post-for-approval function here with ``result.run_id``.
    """
    env = os.environ if env is None else env
    channel = env.get(CHANNEL_ENV)
    if channel and env.get("SLACK_BOT_TOKEN"):
        log.warning(
            "ChatOps posting of held runs is not wired yet: logging only",
            channel=channel,
        )
    return log_held_run
