"""What a long-lived face opens once and keeps: the config, the AWS clients, the playbooks.

The Slack app and the event worker hold a ``Workspace`` for their lifetime and pass it
with each request, so the core neither reloads the config nor opens new clients per
command; the CLI passes none, and the core opens what the request's ``Target`` names.
Either way the same core entry points (``diagnose_request``, ``fix``, ``rollback_run``,
``list_runs``) run the same request types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI's quick commands load none of these
    from netmend.aws.session import AwsClients
    from netmend.config import NetmendConfig
    from netmend.playbook import PlaybookSet

__all__ = ["Workspace"]


@dataclass(frozen=True)
class Workspace:
    config: NetmendConfig
    clients: AwsClients
    playbooks: PlaybookSet

    @classmethod
    def open(cls, config: NetmendConfig, clients: AwsClients) -> Workspace:
        """The config's playbooks (built-in and its ``playbook_dirs``), loaded once."""
        from netmend.playbook import load_playbooks

        return cls(config=config, clients=clients, playbooks=load_playbooks(config.playbook_dirs))
