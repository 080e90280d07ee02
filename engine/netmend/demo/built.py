"""What a demo estate builder returns: the ids of what it made and the flow to diagnose."""

from __future__ import annotations

import shlex

from pydantic import BaseModel, ConfigDict

__all__ = ["HEALTHY", "ROOT_CAUSES", "BuiltEstate"]

# The runbook's eight root causes (playbook ids), in the runbook's order.
ROOT_CAUSES: tuple[str, ...] = (
    "wrong-port",
    "wrong-cidr",
    "missing-egress",
    "stateful-misunderstanding",
    "nacl-override",
    "wrong-protocol",
    "sg-not-attached",
    "rule-quota-exceeded",
)
# Not a playbook: the control estate, where the flow works.
HEALTHY = "healthy"


class BuiltEstate(BaseModel):
    """One estate built in its own VPC, and the flow that shows its root cause.

    ``expected_component`` is the sg-/acl- id where the flow is dropped (the id a
    diagnosis must name); it is None for the healthy estate. ``ids`` holds every id a
    test may need, under stable keys (``client_sg``, ``server_sg``, ``client_subnet``,
    ``server_subnet``, ``network_acl``, ``unattached_sg``, ...).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    root_cause: str  # a playbook id from ROOT_CAUSES, or HEALTHY
    vpc_id: str
    source: str  # instance id of the client
    destination: str  # instance id of the server
    protocol: str  # tcp, udp or icmp
    port: int | None  # None for ICMP
    icmp_type: int | None = None
    expected_component: str | None
    description: str
    ids: dict[str, str]

    @property
    def reachable(self) -> bool:
        """Whether the flow is meant to work as built (only in the healthy estate)."""
        return self.root_cause == HEALTHY

    def flow_args(self) -> list[str]:
        """The flow as netmend CLI options: ``--source i-.. --destination i-.. --port N ...``."""
        words = ["--source", self.source, "--destination", self.destination]
        if self.port is not None:
            words += ["--port", str(self.port)]
        words += ["--protocol", self.protocol]
        if self.icmp_type is not None:
            words += ["--icmp-type", str(self.icmp_type)]
        return words

    def command(self, verb: str = "diagnose") -> str:
        """The shell command for this flow, e.g. ``netmend diagnose --source i-.. ...``.

        Endpoint and region are left to the environment (AWS_ENDPOINT_URL,
        AWS_DEFAULT_REGION), which the CLI honours like the AWS CLI does.
        """
        return shlex.join(["netmend", *verb.split(), *self.flow_args()])
