"""Many flows at once (intents, scans): verdicts that share the work between flows.

An intents file or a scan asks about thousands of flows between the members of a few
group sets ("every web instance reaches every database on 5432"). One by one, each flow
walks its whole path. Here flows share what they can, without changing any answer:

- the same flow twice is evaluated once;
- a flow between two interfaces of one VPC whose path is plain (both ends in the
  inventory, attached and running, filtered by their groups; no load balancer, public
  address or NAT gateway; the local route each way, or one subnet) has a *class*: the
  protocol and ports, both ends' group sets, subnets' ACLs, and where each address falls
  among the CIDRs those groups and ACLs name (index.py, acl.py). Everything the walk
  decides for such a flow depends on its class alone, so once one flow of a class is
  found reachable, every other flow of the class is reachable, with no explanations.
  A flow of a blocked class is walked in full, because its explanations name its own
  addresses and interfaces.

A ``Verdict`` carries what intents and scans read (reachable, explanations); the full
``Evaluation`` (hops, ephemeral coverage, notes, tracking) is built only when a caller
asks for it (``Verdict.evaluation()``), by the one-by-one evaluator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from netmend.model import Inventory, NetworkInterface, RouteState, RouteTargetKind
from netmend.reach.flow import EndpointKind, Flow
from netmend.reach.intervals import Interval
from netmend.reach.packet import forward_packet
from netmend.reach.result import Evaluation, Explanation

if TYPE_CHECKING:
    from netmend.reach.evaluate import Evaluator

__all__ = ["Verdict", "evaluate_flows", "flow_verdicts"]


class Verdict:
    """A flow's verdict from a batch: reachable, and if not, every blocking point."""

    __slots__ = (
        "_client_ephemeral",
        "_evaluation",
        "_evaluator",
        "explanations",
        "flow",
        "reachable",
    )

    def __init__(
        self,
        flow: Flow,
        reachable: bool,
        explanations: tuple[Explanation, ...],
        *,
        evaluator: Evaluator,
        client_ephemeral: Interval | None,
        evaluation: Evaluation | None = None,
    ) -> None:
        self.flow = flow
        self.reachable = reachable
        self.explanations = explanations
        self._evaluator = evaluator
        self._client_ephemeral = client_ephemeral
        self._evaluation = evaluation

    @property
    def blocking(self) -> Explanation | None:
        """The first place the flow is dropped, or None when it is reachable."""
        return self.explanations[0] if self.explanations else None

    @property
    def walked(self) -> bool:
        """Whether this flow's own path was walked (False: its class's verdict was reused)."""
        return self._evaluation is not None

    def evaluation(self) -> Evaluation:
        """The full Evaluation (hops, coverage, notes), walked on first request."""
        if self._evaluation is None:
            self._evaluation = self._evaluator.evaluate(
                self.flow, client_ephemeral=self._client_ephemeral
            )
        return self._evaluation

    def __repr__(self) -> str:
        return f"Verdict({self.flow.service}, reachable={self.reachable})"


def _end_key(evaluator: Evaluator, eni: NetworkInterface) -> tuple[Any, ...] | None:
    """What the class of a plain flow takes from one end; None: this end is not plain."""
    if not eni.filtered_by_groups or eni.interface_type == "nat_gateway":
        return None
    if not evaluator.state_ok(eni):
        return None
    return (eni.vpc_id, eni.subnet_id, eni.group_ids)


def _local(evaluator: Evaluator, eni: NetworkInterface, address: Any) -> bool:
    route = evaluator.route_toward(eni, address)
    return (
        route is not None
        and route.target_kind is RouteTargetKind.LOCAL
        and route.state is not RouteState.BLACKHOLE
    )


def flow_class(
    evaluator: Evaluator, flow: Flow, client_ephemeral: Interval | None
) -> tuple[Any, ...] | None:
    """The class of a plain flow (see the module docstring), or None when it has none."""
    source, destination = flow.source, flow.destination
    if (
        source.kind is not EndpointKind.ENI
        or destination.kind is not EndpointKind.ENI
        or source.load_balancer_arn
        or destination.load_balancer_arn
        or source.public_address
        or destination.public_address
        or source.eni_id == destination.eni_id
    ):
        return None
    inventory = evaluator.inventory
    src = inventory.network_interface(source.eni_id or "")
    dst = inventory.network_interface(destination.eni_id or "")
    if src is None or dst is None or src.vpc_id != dst.vpc_id:
        return None
    if evaluator.balancers.of_destination(flow) is not None:
        return None
    src_end, dst_end = _end_key(evaluator, src), _end_key(evaluator, dst)
    if src_end is None or dst_end is None:
        return None
    packet = forward_packet(flow)
    protocol, to_server, to_client = packet.protocol, packet.destination, packet.source
    egress = evaluator.rules.rules(src.group_ids, egress=True)
    ingress = evaluator.rules.rules(dst.group_ids, egress=False)
    key: list[Any] = [
        protocol,
        packet.keys,
        flow.icmp_type,
        flow.icmp_code,
        client_ephemeral,
        to_server.family,
        src_end,
        dst_end,
        egress.address_class(protocol, to_server),
        ingress.address_class(protocol, to_client),
    ]
    if src.subnet_id != dst.subnet_id:
        if not (_local(evaluator, src, to_server) and _local(evaluator, dst, to_client)):
            return None
        for eni, other in ((src, to_server), (dst, to_client)):
            found = evaluator.compiled_acl(eni.subnet_id)
            if found is None:
                key.append(None)
                continue
            acl_id, acl = found
            key.append(acl_id)
            for out in (True, False):
                key.append(acl.segment(egress=out, family=other.family, value=other.value))
    return tuple(key)


def flow_verdicts(
    evaluator: Evaluator,
    flows: Iterable[Flow],
    *,
    client_ephemeral: Interval | None = None,
) -> list[Verdict]:
    """The verdict of every flow, in order, sharing work between them (module docstring).

    Exactly what ``evaluator.evaluate`` says of each flow: ``reachable`` and
    ``explanations`` are the same.
    """
    by_flow: dict[Flow, Verdict] = {}
    reachable_classes: set[tuple[Any, ...]] = set()
    verdicts: list[Verdict] = []
    for flow in flows:
        found = by_flow.get(flow)
        if found is None:
            key = flow_class(evaluator, flow, client_ephemeral)
            if key is not None and key in reachable_classes:
                found = Verdict(
                    flow, True, (), evaluator=evaluator, client_ephemeral=client_ephemeral
                )
            else:
                evaluation = evaluator.evaluate(flow, client_ephemeral=client_ephemeral)
                if key is not None and evaluation.reachable:
                    reachable_classes.add(key)
                found = Verdict(
                    flow,
                    evaluation.reachable,
                    evaluation.explanations,
                    evaluator=evaluator,
                    client_ephemeral=client_ephemeral,
                    evaluation=evaluation,
                )
            by_flow[flow] = found
        verdicts.append(found)
    return verdicts


def evaluate_flows(
    inventory: Inventory, flows: Iterable[Flow], *, client_ephemeral: Interval | None = None
) -> list[Verdict]:
    """``flow_verdicts`` with ``inventory``'s shared Evaluator (``evaluator_for``)."""
    from netmend.reach.evaluate import evaluator_for

    return flow_verdicts(evaluator_for(inventory), flows, client_ephemeral=client_ephemeral)
