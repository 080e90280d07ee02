"""ChatOps: netmend's commands and approval buttons in a chat channel.

Adapter-neutral logic lives here: ``commands`` (the words after ``/netmend``),
``settings`` (the ``chatops:`` config keys), ``requests`` (an approval request as asked
in a channel), ``approvals`` (judging a click), ``messages`` / ``content`` (what is said,
as a neutral structure) and ``service`` (the chat service over the application core).
``slack`` is the Slack adapter (slack-bolt, Block Kit); a Teams or Mattermost adapter
would reuse everything else. Nothing is imported here: the config loader imports
``settings`` without pulling in the rest.
"""

from __future__ import annotations

__all__: list[str] = []
