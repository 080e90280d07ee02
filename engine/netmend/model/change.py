"""Change: one AWS call a fix would make, with the resource before and after it.

A fact of the estate's model, not of the run pipeline: playbooks propose Changes, the
approval policy judges them, aws/ sends them, the run journals them. ``ResourceState``
is what a change can touch (a security group, a network ACL, an interface).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from netmend.model.compute import NetworkInterface
from netmend.model.network import NetworkAcl
from netmend.model.security import SecurityGroup

__all__ = ["Change", "ChangeKind", "ResourceState"]

# The state of one touched resource: the model object itself. A snapshot is a set of these.
ResourceState = SecurityGroup | NetworkAcl | NetworkInterface


class ChangeKind(StrEnum):
    """What a change does to access; approval policies decide on these."""

    ADDITION = "addition"  # admits more traffic through a new, narrow rule
    REVOCATION = "revocation"  # removes a rule or entry
    WIDENING = "widening"  # a broader peer or range than the flow needs
    ENI_GROUPS = "eni-groups"  # changes which groups an ENI carries
    DENY_OVERRIDE = "deny-override"  # an ACL allow placed before someone's explicit deny
    QUOTA = "quota"  # a Service Quotas request, no access change


class Change(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str  # registered action name, e.g. "sg.authorize-ingress"
    api: str  # AWS operation, e.g. "AuthorizeSecurityGroupIngress"
    service: str = "ec2"
    resource: str  # the id of the resource the call touches
    params: dict[str, Any]  # exactly what is sent to the API
    kinds: tuple[ChangeKind, ...] = ()
    summary: str = ""
    before: ResourceState | None = None
    after: ResourceState | None = None
    warnings: tuple[str, ...] = ()  # e.g. "untracked: existing connections are cut at once"
