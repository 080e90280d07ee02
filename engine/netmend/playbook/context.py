"""What a detector or an action sees while one playbook runs for one root cause.

Actions compute each Change's ``before`` from the state the plan has reached so far, not
from the inventory alone: two changes to one group chain (the second's ``before`` is the
first's ``after``), so ``Plan.before``/``Plan.after`` and the rollback read true states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from netmend.errors import BadInputError
from netmend.model import Inventory, NetworkAcl, NetworkInterface, SecurityGroup
from netmend.model.change import Change, ResourceState
from netmend.reach.causes.model import RootCause
from netmend.reach.flow import Flow
from netmend.reach.result import Evaluation

__all__ = [
    "DESCRIPTION_MAX",
    "StepContext",
    "cause_as_dict",
    "flow_as_dict",
    "sanitize_description",
]

DESCRIPTION_MAX = 255
# The characters AWS accepts in a security-group rule description.
_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]")


def sanitize_description(text: str) -> str:
    """``text`` with every character AWS refuses in a rule description replaced by ``_``."""
    return _NOT_ALLOWED.sub("_", text).strip()[:DESCRIPTION_MAX]


def flow_as_dict(flow: Flow | None) -> dict[str, Any]:
    """The ``flow`` templates see: plain values, endpoints by their labels."""
    if flow is None:
        return {}
    return {
        "source": flow.source.label,
        "destination": flow.destination.label,
        "source_address": flow.source.address,
        "destination_address": flow.destination.address,
        "source_eni": flow.source.eni_id,
        "destination_eni": flow.destination.eni_id,
        "source_instance": flow.source.instance_id,
        "destination_instance": flow.destination.instance_id,
        "protocol": flow.protocol,
        "port": flow.port,
        "icmp_type": flow.icmp_type,
        "icmp_code": flow.icmp_code,
        "service": flow.service,
    }


def cause_as_dict(cause: RootCause | None) -> dict[str, Any]:
    return {} if cause is None else cause.model_dump(mode="json")


@dataclass
class StepContext:
    """One playbook run: the estate, the flow, the cause, the evidence so far, the run."""

    inventory: Inventory
    run_id: str
    playbook_id: str
    flow: Flow | None = None
    evaluation: Evaluation | None = None
    causes: tuple[RootCause, ...] = ()
    cause: RootCause | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    change_id: str | None = None
    group: str | None = None  # --group: the group the user wants the fix on
    # --playbook: the one playbook the user named (opt-in steps check it), else None
    requested: str | None = None
    staged: dict[str, ResourceState] = field(default_factory=dict)  # shared by a plan
    notes: list[str] = field(default_factory=list)

    # -- templating ------------------------------------------------------------------

    def template_context(self) -> dict[str, Any]:
        return {
            "flow": flow_as_dict(self.flow),
            "evidence": self.evidence,
            "cause": cause_as_dict(self.cause),
            "run": {
                "run_id": self.run_id,
                "change_id": self.change_id,
                "group": self.group,
                "playbook": self.requested,
            },
        }

    # -- state as the plan leaves it -------------------------------------------------

    def current(self, resource_id: str) -> ResourceState | None:
        staged = self.staged.get(resource_id)
        if staged is not None:
            return staged
        found = self.inventory.get(resource_id)
        if isinstance(found, SecurityGroup | NetworkAcl | NetworkInterface):
            return found
        return None

    def current_group(self, group_id: str) -> SecurityGroup:
        found = self.current(group_id)
        if not isinstance(found, SecurityGroup):
            raise BadInputError(f"unknown security group {group_id!r} in {self._where()}")
        return found

    def current_acl(self, acl_id: str) -> NetworkAcl:
        found = self.current(acl_id)
        if not isinstance(found, NetworkAcl):
            raise BadInputError(f"unknown network ACL {acl_id!r} in {self._where()}")
        return found

    def current_eni(self, eni_id: str) -> NetworkInterface:
        found = self.current(eni_id)
        if not isinstance(found, NetworkInterface):
            raise BadInputError(f"unknown network interface {eni_id!r} in {self._where()}")
        return found

    def stage(self, change: Change) -> None:
        """Record a change's ``after`` as the state later changes start from."""
        if change.after is not None:
            self.staged[change.resource] = change.after

    def _where(self) -> str:
        return f"the inventory of {self.inventory.region}"

    # -- what netmend writes ---------------------------------------------------------

    @property
    def stamp(self) -> str:
        """``netmend run RUN_ID change CHG``: every rule netmend writes says where from."""
        text = f"netmend run {self.run_id}"
        if self.change_id:
            text += f" change {self.change_id}"
        return sanitize_description(text)

    def rule_description(self, extra: str | None = None) -> str:
        """A rule description: the caller's words (if any), then the run stamp, <= 255."""
        stamp = self.stamp
        if not extra:
            return stamp
        room = DESCRIPTION_MAX - len(stamp) - 3
        words = sanitize_description(extra)[: max(room, 0)].rstrip()
        return f"{words} ({stamp})" if words else stamp

    def note(self, text: str) -> None:
        self.notes.append(text)
