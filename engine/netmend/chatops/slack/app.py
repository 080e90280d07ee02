"""The Bolt app: ``/netmend`` and the two buttons, each acked at once and done lazily.

Slack wants an answer within 3 seconds; collecting an estate or applying a fix takes
longer. So every listener acks first (Bolt's lazy listeners run the work on a thread
after the HTTP response is sent) and posts the result in a thread: the command's own
message in the channel starts the thread, the plan with its buttons goes into it, and a
click's outcome follows there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, SecretStr
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from netmend.chatops.commands import CommandError, parse_command
from netmend.chatops.messages import ActionKind, ChatMessage
from netmend.chatops.requests import ChatActor, ChatRequest
from netmend.chatops.service import ChatOps, ChatReply
from netmend.chatops.slack.blocks import ACTION_IDS, message_blocks, stamped_blocks
from netmend.errors import BadInputError

__all__ = [
    "APPROVE_ACTION",
    "EVENTS_PATH",
    "REJECT_ACTION",
    "SlackSettings",
    "build_app",
    "escape_text",
    "group_members",
    "post_approval_request",
    "post_reply",
]

log = structlog.get_logger()

EVENTS_PATH = "/slack/events"
APPROVE_ACTION = ACTION_IDS[ActionKind.APPROVE]
REJECT_ACTION = ACTION_IDS[ActionKind.REJECT]
SLASH_COMMAND = "/netmend"


class SlackSettings(BaseModel):
    """Where the secrets come from: the environment only. ``SecretStr`` keeps them out of
    every repr, log line and error message."""

    model_config = ConfigDict(frozen=True)

    signing_secret: SecretStr
    bot_token: SecretStr
    api_url: str | None = None
    app_token: SecretStr | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, socket_mode: bool = False
    ) -> SlackSettings:
        env = os.environ if env is None else env
        needed = ["SLACK_BOT_TOKEN"] + (
            ["SLACK_APP_TOKEN"] if socket_mode else ["SLACK_SIGNING_SECRET"]
        )
        missing = [name for name in needed if not env.get(name)]
        if missing:
            raise BadInputError(f"set {' and '.join(missing)} in the environment")
        api_url = env.get("SLACK_API_URL") or None
        if api_url is not None and not api_url.endswith("/"):
            api_url += "/"  # slack_sdk appends the method name to the base URL
        return cls(
            signing_secret=SecretStr(env.get("SLACK_SIGNING_SECRET", "")),
            bot_token=SecretStr(env["SLACK_BOT_TOKEN"]),
            api_url=api_url,
            app_token=SecretStr(env["SLACK_APP_TOKEN"]) if env.get("SLACK_APP_TOKEN") else None,
        )

    def web_client(self) -> WebClient:
        token = self.bot_token.get_secret_value()
        if self.api_url:
            return WebClient(token=token, base_url=self.api_url)
        return WebClient(token=token)


def group_members(client: WebClient) -> Any:
    """Members of a user group, asked of Slack each time (usergroups.users.list)."""

    def members(group_id: str) -> frozenset[str]:
        answer = client.usergroups_users_list(usergroup=group_id)
        return frozenset(answer.get("users") or ())

    return members


def post_reply(
    client: WebClient,
    chatops: ChatOps,
    reply: ChatReply,
    channel: str,
    thread_ts: str | None,
) -> str | None:
    """Post a reply (in ``thread_ts``); a request's message ts is remembered for stamping."""
    answer = client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=reply.message.summary,
        blocks=message_blocks(reply.message),
    )
    ts = answer.get("ts")
    if reply.request is not None and ts:
        chatops.requests.posted(reply.request.request_id, str(ts), thread_ts=thread_ts)
    return str(ts) if ts else None


def post_approval_request(
    client: WebClient,
    chatops: ChatOps,
    run_id: str,
    channel: str,
    *,
    thread_ts: str | None = None,
    requester: ChatActor | None = None,
) -> ChatRequest:
    """Ask ``channel`` to approve an already-planned run (a held run, e.g. from ``watch``).

    Posts the plan with Approve / Reject buttons and returns the pending request; the
    clicks are then handled by the app like those of a ``/netmend fix``.
    """
    reply = chatops.request_for_run(run_id, channel, requester=requester)
    post_reply(client, chatops, reply, channel, thread_ts)
    assert reply.request is not None
    return chatops.requests.load(reply.request.request_id)


def escape_text(text: str) -> str:
    """Slack's escaping for text that must not become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _actor(body: Mapping[str, Any]) -> ChatActor:
    """Who acted, from a slash command (flat form) or an interaction payload (nested)."""
    user = body.get("user")
    if isinstance(user, Mapping):
        team = body.get("team") or {}
        channel = body.get("channel") or {}
        return ChatActor(
            user_id=str(user.get("id")),
            user_name=user.get("username") or user.get("name"),
            team_id=team.get("id") if isinstance(team, Mapping) else None,
            channel_id=channel.get("id") if isinstance(channel, Mapping) else None,
        )
    return ChatActor(
        user_id=str(body.get("user_id")),
        user_name=body.get("user_name"),
        team_id=body.get("team_id"),
        channel_id=body.get("channel_id"),
    )


def _quick_ack(ack: Ack, body: Mapping[str, Any]) -> None:
    """A bad command gets its usage line at once (only the sender sees an ack)."""
    text = str(body.get("text") or "")
    try:
        parse_command(text)
    except CommandError as error:
        ack(text=escape_text(str(error)))  # it may quote what was typed
        return
    ack(text=f"netmend is on it: `{SLASH_COMMAND} {text}`")


def build_app(chatops: ChatOps, settings: SlackSettings, *, client: WebClient | None = None) -> App:
    """The Bolt app with netmend's listeners (HTTP mode; Socket Mode wraps the same app)."""
    client = client or settings.web_client()
    app = App(
        signing_secret=settings.signing_secret.get_secret_value() or None,
        client=client,
        logger=_bolt_logger(),
        # The guard in front verifies requests for HTTP; Socket Mode's are not signed.
        request_verification_enabled=bool(settings.signing_secret.get_secret_value()),
    )

    def run_command(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = _actor(body)
        channel = str(body.get("channel_id"))
        text = str(body.get("text") or "")
        try:
            parse_command(text)
        except CommandError:
            return  # the ack already answered with the usage line
        try:
            started = client.chat_postMessage(
                channel=channel, text=f"<@{actor.user_id}> ran `{SLASH_COMMAND} {text}`"
            )
        except SlackApiError as error:
            # Typically not_in_channel: say so to the one who asked, privately.
            code = error.response.get("error")
            log.warning("cannot post to the channel", channel=channel, error=code)
            respond(text=f"netmend cannot post here ({code}): invite it with /invite @netmend")
            return
        thread = str(started.get("ts"))
        try:
            reply = chatops.command(text, actor)
        except Exception:
            log.exception("chat command failed", user=actor.user_id)
            reply = ChatReply(_internal_error())
        post_reply(client, chatops, reply, channel, thread)

    def ack_click(ack: Ack) -> None:
        ack()

    def click(approve: bool) -> Any:
        def handle(body: dict[str, Any], client: WebClient) -> None:
            actor = _actor(body)
            action = (body.get("actions") or [{}])[0]
            container = body.get("container") or {}
            message = body.get("message") or {}
            channel = str(actor.channel_id or container.get("channel_id"))
            message_ts = str(container.get("message_ts") or message.get("ts"))
            thread = message.get("thread_ts") or message_ts
            outcome = chatops.click(str(action.get("value")), actor, approve=approve)
            if outcome.stamp is not None:
                client.chat_update(
                    channel=channel,
                    ts=message_ts,
                    text=f"{message.get('text', '')} ({outcome.outcome.value})",
                    blocks=stamped_blocks(list(message.get("blocks") or []), outcome.stamp),
                )
            if outcome.notice is not None:
                client.chat_postEphemeral(
                    channel=channel, user=actor.user_id, thread_ts=thread, text=outcome.notice
                )
            if outcome.work is not None:
                try:
                    result = outcome.work()
                except Exception:
                    log.exception(
                        "approved work failed",
                        request=outcome.request.request_id if outcome.request else None,
                    )
                    result = _internal_error()
                client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread,
                    text=result.summary,
                    blocks=message_blocks(result),
                )

        return handle

    app.command(SLASH_COMMAND)(ack=_quick_ack, lazy=[run_command])
    app.action(APPROVE_ACTION)(ack=ack_click, lazy=[click(True)])
    app.action(REJECT_ACTION)(ack=ack_click, lazy=[click(False)])
    return app


class _GivenClientNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the token of the client we pass
    (the same token, with SLACK_API_URL as its base URL) wins: true, and no news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("As you gave `client` as well")


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("netmend.slack_bolt")
    if not any(isinstance(f, _GivenClientNotice) for f in logger.filters):
        logger.addFilter(_GivenClientNotice())
    return logger


def _internal_error() -> ChatMessage:
    from netmend.chatops.content import text_message

    return text_message("netmend: internal error; the server log has the details")
