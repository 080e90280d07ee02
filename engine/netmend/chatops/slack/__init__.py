"""The Slack adapter: slack-bolt over HTTP (``/slack/events``) or Socket Mode.

Thin on purpose: it verifies requests, acks within Slack's 3 seconds, hands the text or
the click to ``netmend.chatops.service.ChatOps`` and renders the neutral messages as
Block Kit. Importing it needs the ``slack`` extra (slack-bolt).
"""

from __future__ import annotations

from netmend.chatops.slack.app import (
    APPROVE_ACTION,
    EVENTS_PATH,
    REJECT_ACTION,
    SlackSettings,
    build_app,
    post_approval_request,
)
from netmend.chatops.slack.server import SlackServer, serve_slack

__all__ = [
    "APPROVE_ACTION",
    "EVENTS_PATH",
    "REJECT_ACTION",
    "SlackServer",
    "SlackSettings",
    "build_app",
    "post_approval_request",
    "serve_slack",
]
