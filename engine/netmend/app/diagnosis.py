"""A diagnosis: the evaluation of one flow plus its root causes, for people and machines.

``diagnose`` is the whole offline step (evaluate, then classify). ``Diagnosis`` is a
typed result: its ``model_dump(mode="json")`` is DESIGN.md's ``diagnose --output json``
(reachable, explanations, root_causes, plus flow, path, ephemeral coverage, tracking,
notes), so no face assembles that document; the evaluator's own objects ride along,
left out of the JSON, for the hop-by-hop text view (``netmend.render.diagnosis``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from netmend.app.requests import DiagnoseRequest
from netmend.model import Inventory
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.reach import Evaluation, Flow, Hop, evaluate
from netmend.reach.causes.classify import classify
from netmend.reach.causes.model import RootCause
from netmend.reach.result import Direction, EphemeralCoverage, Explanation, Leg

if TYPE_CHECKING:
    from netmend.app.workspace import Workspace

__all__ = [
    "BLIND_SPOTS",
    "EXIT_BLOCKED",
    "CauseView",
    "Diagnosis",
    "FlowView",
    "PathView",
    "diagnose",
    "diagnose_request",
    "flow_limits",
]

# diagnose's exit code for a flow that is blocked (0 reachable, 2 bad input).
EXIT_BLOCKED = 3

# What neither the offline evaluator nor Reachability Analyzer can see (runbook FAQ).
BLIND_SPOTS = (
    "Neither netmend nor Reachability Analyzer sees OS firewalls (iptables, nftables, "
    "Windows Firewall), whether the application listens, or TLS: check the application "
    "itself from the source (for TCP a timeout points at the network path, 'connection "
    "refused' means the packet arrived and nothing listens; for UDP only a reply proves "
    "anything)."
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FlowView(_View):
    """The flow as given (ids) and as resolved (addresses)."""

    source: str
    source_address: str
    destination: str
    destination_address: str
    protocol: str
    port: int | None
    icmp_type: int | None
    icmp_code: int | None

    @classmethod
    def of(cls, flow: Flow) -> FlowView:
        return cls(
            source=flow.source.given,
            source_address=flow.source.address,
            destination=flow.destination.given,
            destination_address=flow.destination.address,
            protocol=flow.protocol,
            port=flow.port,
            icmp_type=flow.icmp_type,
            icmp_code=flow.icmp_code,
        )


class CauseView(_View):
    """A root cause as the JSON names it (its path position is an ordering detail)."""

    playbook: str
    resource: str
    summary: str
    leg: Leg
    direction: Direction | None
    evidence: dict[str, Any]

    @classmethod
    def of(cls, cause: RootCause) -> CauseView:
        return cls(
            playbook=cause.playbook,
            resource=cause.resource,
            summary=cause.summary,
            leg=cause.leg,
            direction=cause.direction,
            evidence=cause.evidence,
        )


class PathView(_View):
    """The hops each way (``return`` is a Python keyword: the field is ``return_path``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)

    forward: tuple[Hop, ...]
    return_path: tuple[Hop, ...] = Field(serialization_alias="return")


class Diagnosis(BaseModel):
    """One flow's verdict, where it is dropped and why (``diagnose``'s result)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The evaluator's objects, for the text view and the fix; not part of the JSON.
    evaluation: Evaluation = Field(exclude=True)
    causes: tuple[RootCause, ...] = Field(exclude=True)
    # Packets each end's instance dropped at its connection-tracking allowance in the
    # last hour (the ENA metric conntrack_allowance_exceeded, seed 002): dropped although
    # every rule allows them. None when the metric was not read (or is not published).
    conntrack: dict[str, float] | None = Field(default=None, exclude=True)
    # Names beside ids on the path (group names, ACL Name tags): ids alone are opaque.
    names: Mapping[str, str] = Field(default_factory=dict, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reachable(self) -> bool:
        return self.evaluation.reachable

    @computed_field  # type: ignore[prop-decorator]
    @property
    def flow(self) -> FlowView:
        return FlowView.of(self.evaluation.flow)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def explanations(self) -> tuple[Explanation, ...]:
        return self.evaluation.explanations

    @computed_field  # type: ignore[prop-decorator]
    @property
    def root_causes(self) -> tuple[CauseView, ...]:
        return tuple(CauseView.of(c) for c in self.causes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def path(self) -> PathView:
        return PathView(forward=self.evaluation.forward, return_path=self.evaluation.return_path)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ephemeral(self) -> tuple[EphemeralCoverage, ...]:
        return self.evaluation.ephemeral

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tracked(self) -> bool | None:
        return self.evaluation.tracked

    @computed_field  # type: ignore[prop-decorator]
    @property
    def conntrack_allowance_exceeded(self) -> dict[str, float] | None:
        return self.conntrack

    @computed_field  # type: ignore[prop-decorator]
    @property
    def notes(self) -> tuple[str, ...]:
        return (*self.evaluation.notes, *flow_limits(self.evaluation.flow))


def diagnose(
    inventory: Inventory, flow: Flow, *, conntrack_rises: Mapping[str, float] | None = None
) -> Diagnosis:
    """Evaluate the flow and, when it is blocked, name its root causes in path order.

    ``conntrack_rises`` (instance id -> rise of conntrack_allowance_exceeded in the last
    hour, as ``netmend.aws.signals.conntrack_rises`` reads it) adds that evidence for the
    flow's ends, the same as ``netmend scan``'s conntrack-allowance-exceeded.
    """
    evaluation = evaluate(inventory, flow)
    conntrack = None
    if conntrack_rises is not None:
        ends = [e.instance_id for e in (flow.source, flow.destination) if e.instance_id]
        conntrack = {i: float(conntrack_rises[i]) for i in ends if i in conntrack_rises}
    return Diagnosis(
        evaluation=evaluation,
        causes=classify(inventory, flow, evaluation),
        conntrack=conntrack,
        names=_names(inventory),
    )


def _names(inventory: Inventory) -> dict[str, str]:
    names = {g.group_id: g.group_name for g in inventory.security_groups if g.group_name}
    for acl in inventory.network_acls:
        name = acl.tags.get("Name") or ("default" if acl.is_default else "")
        if name:
            names[acl.network_acl_id] = name
    return names


def diagnose_request(request: DiagnoseRequest, *, workspace: Workspace | None = None) -> Diagnosis:
    """``netmend diagnose`` for any face: the estate (live or saved), the flow, the verdict.

    ``workspace`` is a long-lived face's open clients (the Slack app); without one the
    request's target opens them.
    """
    target = request.target
    if target.inventory_file is not None:
        estate = target.inventory()
        return diagnose(estate, request.flow.flow(estate))
    from netmend.aws.collector import collect_inventory
    from netmend.aws.signals import read_conntrack_rises

    clients = workspace.clients if workspace is not None else target.clients()
    estate = collect_inventory(clients)
    flow = request.flow.flow(estate)  # a bad id: exit 2 before any metric is read
    # Live: the ends' conntrack_allowance_exceeded (CloudWatch), as scan reads it.
    return diagnose(estate, flow, conntrack_rises=read_conntrack_rises(clients))


def flow_limits(flow: Flow) -> list[str]:
    notes = []
    if flow.protocol not in (TCP, UDP):
        notes.append(
            "Reachability Analyzer analyses TCP and UDP only: this "
            f"{'ICMP' if flow.protocol in (ICMP, ICMPV6) else flow.protocol} flow was "
            "checked offline only."
        )
    return notes
