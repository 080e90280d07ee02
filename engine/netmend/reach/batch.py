"""Many flows at once (intents, scans): verdicts that share the work between flows.

An intents file or a scan asks about thousands of flows between the members of a few
group sets ("every web instance reaches every database on 5432"). One by one, each flow
walks its whole path. Here flows share what they can, without changing any answer:

- the same flow twice is evaluated once (and the same pair of ends on the same service,
  however the ends were named, is decided once);
- a flow between two interfaces of one VPC whose path is plain (both ends in the
  inventory, attached and running, filtered by their groups; no load balancer, public
  address or NAT gateway; the local route each way, or one subnet) is decided from the
  verdicts the Evaluator keeps per group set and ACL by address class (sg.py, acl.py):
  the same checks as the walk, without recording hops. Such a flow found reachable has
  no explanations, so nothing more is needed. Any other flow, and a plain flow that is
  blocked somewhere, is walked in full, because its explanations name its own
  addresses and interfaces.

A ``Verdict`` carries what intents and scans read (reachable, explanations); the full
``Evaluation`` (hops, ephemeral coverage, notes, tracking) is built only when a caller
asks for it (``Verdict.evaluation()``), by the one-by-one evaluator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from netmend.model import Inventory, NetworkInterface, RouteState, RouteTargetKind
from netmend.model.protocol import TCP, UDP
from netmend.reach.acl import walk
from netmend.reach.ephemeral import ANY_CLIENT
from netmend.reach.flow import EndpointKind, Flow
from netmend.reach.intervals import Interval
from netmend.reach.packet import Address, forward_packet, reply_packet
from netmend.reach.result import Evaluation, Explanation
from netmend.reach.sg import check_groups

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


def _plain_end(evaluator: Evaluator, eni: NetworkInterface) -> bool:
    """Whether this end takes the plain path: filtered by groups, not a NAT gateway, and
    let through by its own state (subnet known, running, attached)."""
    return (
        eni.filtered_by_groups and eni.interface_type != "nat_gateway" and evaluator.state_ok(eni)
    )


def _local(evaluator: Evaluator, eni: NetworkInterface, address: Address) -> bool:
    route = evaluator.route_toward(eni, address)
    return (
        route is not None
        and route.target_kind is RouteTargetKind.LOCAL
        and route.state is not RouteState.BLACKHOLE
    )


def plain_reachable(evaluator: Evaluator, flow: Flow, client_ephemeral: Interval | None) -> bool:
    """True when ``flow`` takes the plain path and every check on it passes; False means
    "walk it" (it may be blocked, or not plain).

    The checks are the walk's own (evaluate.py), from the same kept verdicts: the
    client's groups (egress) and the server's (ingress), and between two subnets the
    local route each way, both ACLs forward and the return path's ACLs.
    """
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
        return False
    src = evaluator.interface(source.eni_id or "")
    dst = evaluator.interface(destination.eni_id or "")
    if src is None or dst is None or src.vpc_id != dst.vpc_id:
        return False
    if evaluator.inventory.load_balancers and evaluator.balancers.of_destination(flow):
        return False
    if not (_plain_end(evaluator, src) and _plain_end(evaluator, dst)):
        return False
    packet = forward_packet(flow)
    rules = evaluator.rules
    # Inside one VPC group references always match (references_across is None).
    if not check_groups(rules.rules(src.group_ids, egress=True), packet, dst.group_ids).allowed:
        return False
    if not check_groups(rules.rules(dst.group_ids, egress=False), packet, src.group_ids).allowed:
        return False
    if src.subnet_id == dst.subnet_id:
        return True  # no ACL or route table inside a subnet
    if not (_local(evaluator, src, packet.destination) and _local(evaluator, dst, packet.source)):
        return False
    client_acl = evaluator.compiled_acl(src.subnet_id)
    server_acl = evaluator.compiled_acl(dst.subnet_id)
    if client_acl is not None and not walk(client_acl[1], packet, egress=True).complete:
        return False
    if server_acl is not None and not walk(server_acl[1], packet, egress=False).complete:
        return False
    wanted = client_ephemeral or ANY_CLIENT
    reply = reply_packet(flow, (min(wanted[0], ANY_CLIENT[0]), max(wanted[1], ANY_CLIENT[1])))
    if reply is None:
        return True  # no reply (an ICMP error type): the return path is not checked
    verdicts = []
    if server_acl is not None:
        verdicts.append(walk(server_acl[1], reply, egress=True))
    if client_acl is not None:
        verdicts.append(walk(client_acl[1], reply, egress=False))
    return not evaluator.return_blocked(
        tuple(verdicts),
        wanted,
        ported=flow.protocol in (TCP, UDP),
        whole_range=client_ephemeral is None,
    )


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
    by_flow: dict[tuple[object, ...], Verdict] = {}
    plain: dict[tuple[object, ...], bool] = {}
    verdicts: list[Verdict] = []
    for flow in flows:
        source, destination = flow.source, flow.destination
        # One pair of addresses on one service, however its ends were named (an instance
        # id, an ENI id or an address): what plain_reachable reads.
        pair = (
            source.eni_id,
            source.address,
            source.kind,
            source.load_balancer_arn,
            source.public_address,
            destination.eni_id,
            destination.address,
            destination.kind,
            destination.load_balancer_arn,
            destination.public_address,
            flow.protocol,
            flow.port,
            flow.icmp_type,
            flow.icmp_code,
        )
        # Every field of the Flow: equal keys are equal flows (cheaper than its hash).
        whole = (
            *pair,
            source.given,
            source.instance_id,
            destination.given,
            destination.instance_id,
        )
        found = by_flow.get(whole)
        if found is None:
            reachable = plain.get(pair)
            if reachable is None:
                reachable = plain_reachable(evaluator, flow, client_ephemeral)
                plain[pair] = reachable
            if reachable:
                found = Verdict(
                    flow, True, (), evaluator=evaluator, client_ephemeral=client_ephemeral
                )
            else:
                evaluation = evaluator.evaluate(flow, client_ephemeral=client_ephemeral)
                found = Verdict(
                    flow,
                    evaluation.reachable,
                    evaluation.explanations,
                    evaluator=evaluator,
                    client_ephemeral=client_ephemeral,
                    evaluation=evaluation,
                )
            by_flow[whole] = found
        verdicts.append(found)
    return verdicts


def evaluate_flows(
    inventory: Inventory, flows: Iterable[Flow], *, client_ephemeral: Interval | None = None
) -> list[Verdict]:
    """``flow_verdicts`` with ``inventory``'s shared Evaluator (``evaluator_for``)."""
    from netmend.reach.evaluate import evaluator_for

    return flow_verdicts(evaluator_for(inventory), flows, client_ephemeral=client_ephemeral)
