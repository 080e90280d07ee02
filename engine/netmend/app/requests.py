"""What the faces ask the core: typed requests, parsed once, the same for every face.

The CLI builds these from its options, the Slack app from a slash command, the worker
from an event; the core functions in ``netmend.app`` take them and return typed results
(their JSON is DESIGN.md's contracts). No face re-wires config, AWS clients, playbooks
and the estate itself: ``Target`` and ``Workspace`` do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from netmend.model.protocol import TCP

if TYPE_CHECKING:
    from netmend.aws.session import AwsClients, AwsOptions
    from netmend.model import Inventory
    from netmend.reach.flow import Flow

__all__ = [
    "DiagnoseRequest",
    "FixRequest",
    "FlowRequest",
    "RollbackRequest",
    "ShowRunRequest",
    "Target",
    "VerifyIntentsRequest",
]


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(_Request):
    """Which account and region (``--region/--profile/--endpoint-url``), or a saved file.

    ``config_file`` is ``--config`` (None: NETMEND_CONFIG, ./netmend.yaml, ...).
    """

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    inventory_file: Path | None = None
    config_file: Path | None = None

    def aws_options(self) -> AwsOptions:
        from netmend.aws.session import AwsOptions  # boto3 loads only when AWS is needed

        return AwsOptions(region=self.region, profile=self.profile, endpoint_url=self.endpoint_url)

    def clients(self) -> AwsClients:
        from netmend.aws.session import make_clients

        return make_clients(self.aws_options())

    def inventory(self) -> Inventory:
        """The estate: from ``inventory_file`` (no AWS call), else collected live."""
        if self.inventory_file is not None:
            from netmend.inventory_file import load_inventory

            return load_inventory(self.inventory_file)
        from netmend.aws.collector import collect_inventory

        return collect_inventory(self.clients())


class FlowRequest(_Request):
    """A flow as the user names it (ids or addresses); ``flow`` validates it (exit 2)."""

    source: str
    destination: str
    protocol: str = TCP
    port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    def flow(self, inventory: Inventory) -> Flow:
        from netmend.reach.flow import make_flow

        return make_flow(
            inventory,
            self.source,
            self.destination,
            protocol=self.protocol,
            port=self.port,
            icmp_type=self.icmp_type,
            icmp_code=self.icmp_code,
        )


class DiagnoseRequest(_Request):
    flow: FlowRequest
    target: Target = Field(default_factory=Target)


class FixRequest(_Request):
    """``netmend fix``: diagnose ``flow`` and plan (or apply) one fix for every cause.

    With ``plan_run_id`` (``--plan RUN_ID``) no new plan is made: the recorded plan of
    that run is applied as it stands, after the drift check.
    """

    flow: FlowRequest | None = None
    plan_run_id: str | None = None
    target: Target = Field(default_factory=Target)
    playbook: str | None = None
    group: str | None = None
    apply: bool = False
    yes: bool = False
    change_id: str | None = None
    verify: str = "auto"
    intents_file: Path | None = None
    playbook_dirs: tuple[Path, ...] = ()


class RollbackRequest(_Request):
    run_id: str
    yes: bool = False
    force: bool = False
    target: Target = Field(default_factory=Target)


class ShowRunRequest(_Request):
    run_id: str
    config_file: Path | None = None


class VerifyIntentsRequest(_Request):
    intents_file: Path
    method: str = "local"
    target: Target = Field(default_factory=Target)
