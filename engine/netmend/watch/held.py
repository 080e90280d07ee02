"""Handing a held run to a person: the ChatOps hook of the event worker.

A run the policy does not allow unattended is recorded as ``needs_approval`` whatever
happens here; this hook only tells someone. With ``SLACK_BOT_TOKEN`` and
``NETMEND_APPROVAL_CHANNEL`` set (and the ``slack`` extra installed) the held run is
posted to that channel with Approve / Reject buttons by the Slack adapter's
``post_approval_request``; the clicks are handled by ``netmend serve slack``, which
reads the same state (so, with many workers, ``state_dir: s3://...``). Without them,
or if posting fails, the held run is logged and listed by ``netmend runs list``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import structlog

from netmend.aws.session import AwsClients
from netmend.config import NetmendConfig
from netmend.run.result import RunResult
from netmend.watch.repair import HeldRunHook

__all__ = ["CHANNEL_ENV", "chatops_hook", "log_held_run"]

log = structlog.get_logger()

# The Slack channel held runs are posted to (with SLACK_BOT_TOKEN set).
CHANNEL_ENV = "NETMEND_APPROVAL_CHANNEL"


def log_held_run(result: RunResult) -> None:
    """Say, in the log, which run waits for a person and how to apply it."""
    log.warning(
        "run held for a person",
        run_id=result.run_id,
        reason=result.message,
        apply_with=f"netmend fix --apply --plan {result.run_id}",
    )


class _SlackPoster:
    """Posts held runs to one channel; the chat service is built on the first one."""

    def __init__(
        self, config: NetmendConfig, clients: AwsClients, env: Mapping[str, str], channel: str
    ) -> None:
        self.config = config
        self.clients = clients
        self.env = dict(env)
        self.channel = channel
        self._chat: tuple[Any, Any] | None = None

    def _service(self) -> tuple[Any, Any]:
        if self._chat is None:
            from netmend.chatops.service import ChatOps
            from netmend.chatops.slack.app import SlackSettings, group_members

            # The worker only posts: Slack's request signing secret is not used here.
            env = {"SLACK_SIGNING_SECRET": "unused-by-the-worker", **self.env}
            client = SlackSettings.from_env(env).web_client()
            chatops = ChatOps(self.config, self.clients, members=group_members(client))
            self._chat = (client, chatops)
        return self._chat

    def __call__(self, result: RunResult) -> None:
        log_held_run(result)
        try:
            from netmend.chatops.slack.app import post_approval_request

            client, chatops = self._service()
            request = post_approval_request(client, chatops, result.run_id, self.channel)
        except Exception as error:  # the run stays held and listed: never lose the event
            log.error("cannot post the held run to Slack", run_id=result.run_id, error=str(error))
            return
        log.info("held run posted for approval", run_id=result.run_id, request=request.request_id)


def chatops_hook(
    config: NetmendConfig, clients: AwsClients, env: Mapping[str, str] | None = None
) -> HeldRunHook:
    """The hook for held runs: post to Slack when ChatOps is configured, always log."""
    env = os.environ if env is None else env
    channel = env.get(CHANNEL_ENV)
    if not channel or not env.get("SLACK_BOT_TOKEN"):
        return log_held_run
    try:
        import netmend.chatops.slack.app  # noqa: F401 (needs the slack extra)
    except ImportError:
        log.warning("SLACK_BOT_TOKEN is set but the slack extra is not installed: logging only")
        return log_held_run
    return _SlackPoster(config, clients, env, channel)
