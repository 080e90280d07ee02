"""The load balancers of one inventory, their nodes, and the walk through them.

See the package docstring for the three parts of a flow to a load balancer; this
module finds the load balancer a flow is sent to, picks the client's node, matches the
listener and walks every target's legs with the evaluator's own ``walk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netmend.model import Inventory, NetworkInterface
from netmend.model.balancing import (
    Listener,
    LoadBalancer,
    Target,
    TargetGroup,
    balancer_nodes,
    find_load_balancer,
)
from netmend.model.protocol import TCP, UDP
from netmend.reach.balancer.checks import (
    BalancerPath,
    HealthCheckLeg,
    TargetCheck,
    preserves_client_ip,
    target_address,
)
from netmend.reach.balancer.record import record_listener, record_target, result
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.reach.intervals import Interval
from netmend.reach.result import Code, Evaluation, Leg
from netmend.reach.trace import Trace

if TYPE_CHECKING:
    from netmend.reach.evaluate import Evaluator

__all__ = ["Balancers"]

_TCP_LISTENERS = frozenset({"HTTP", "HTTPS", "TCP", "TLS", "TCP_UDP"})
_UDP_LISTENERS = frozenset({"UDP", "TCP_UDP"})
_SERVING = frozenset({"active", "active_impaired"})


def _node_endpoint(node: NetworkInterface, balancer: LoadBalancer, address: str) -> Endpoint:
    return Endpoint(
        kind=EndpointKind.ENI,
        address=address,
        eni_id=node.network_interface_id,
        given=f"{balancer.name} ({node.primary_ip})",
    )


def _target_endpoint(eni: NetworkInterface, target: Target) -> Endpoint:
    return Endpoint(
        kind=EndpointKind.ENI,
        address=eni.primary_ip,
        eni_id=eni.network_interface_id,
        instance_id=eni.instance_id,
        given=target.target_id,
    )


def _listener_protocol_fits(listener: Listener, protocol: str) -> bool:
    if protocol == TCP:
        return listener.protocol in _TCP_LISTENERS
    if protocol == UDP:
        return listener.protocol in _UDP_LISTENERS
    return False


class Balancers:
    """The load balancers of one inventory, their nodes, and the walk through them."""

    def __init__(self, inventory: Inventory) -> None:
        # Lazy: a load balancer's nodes are looked for (among every ENI) only when a flow
        # goes to it, so evaluating flows that meet none costs nothing here.
        self.inventory = inventory
        self._nodes: dict[str, tuple[NetworkInterface, ...]] = {}
        self._of_eni: dict[str, LoadBalancer | None] = {}
        self._of_address: dict[str, LoadBalancer] | None = None

    def nodes(self, balancer: LoadBalancer) -> tuple[NetworkInterface, ...]:
        found = self._nodes.get(balancer.load_balancer_arn)
        if found is None:
            inventory = self.inventory
            found = balancer_nodes(balancer, inventory.network_interfaces, inventory.subnets)
            self._nodes[balancer.load_balancer_arn] = found
        return found

    def _of_node(self, eni_id: str) -> LoadBalancer | None:
        """The load balancer whose node ``eni_id`` is: a collected ENI carries its
        "ELB app/NAME/ID" description, a stand-in node (``lb-node:``) is not collected."""
        if eni_id in self._of_eni:
            return self._of_eni[eni_id]
        eni = self.inventory.network_interface(eni_id)
        candidates = [
            b
            for b in self.inventory.load_balancers
            if eni is None or b.interface_description == eni.description
        ]
        found: LoadBalancer | None = None
        for balancer in candidates:  # the last one wins, as a map over them all would
            if any(n.network_interface_id == eni_id for n in self.nodes(balancer)):
                found = balancer
        self._of_eni[eni_id] = found
        return found

    def find(self, reference: str) -> LoadBalancer | None:
        return find_load_balancer(self.inventory.load_balancers, reference)

    def of_destination(self, flow: Flow) -> LoadBalancer | None:
        """The load balancer the flow is sent to, if it is sent to one."""
        dst = flow.destination
        if dst.load_balancer_arn:
            found = self.inventory.get(dst.load_balancer_arn)
            return found if isinstance(found, LoadBalancer) else None
        if not self.inventory.load_balancers:
            return None
        if dst.eni_id:
            return self._of_node(dst.eni_id)
        if self._of_address is None:
            # An address typed by hand is a load balancer's only when AWS says it is (an
            # NLB's static node addresses); a stand-in node's address is netmend's guess.
            self._of_address = {
                address: balancer
                for balancer in self.inventory.load_balancers
                for zone in balancer.zones
                for address in zone.private_ipv4_addresses
            }
        return self._of_address.get(dst.address)

    # -- the parts past the node ------------------------------------------------------

    def _entry_node(
        self, balancer: LoadBalancer, flow: Flow, client: NetworkInterface | None
    ) -> NetworkInterface | None:
        nodes = self.nodes(balancer)
        named = [
            n
            for n in nodes
            if n.network_interface_id == flow.destination.eni_id
            or n.primary_ip == flow.destination.address
        ]
        if named and not flow.destination.load_balancer_arn:
            return named[0]
        if client is not None:
            subnet = self.inventory.subnet(client.subnet_id)
            zone = subnet.availability_zone if subnet else None
            for node in nodes:
                node_subnet = self.inventory.subnet(node.subnet_id)
                if zone and node_subnet and node_subnet.availability_zone == zone:
                    return node
        return nodes[0] if nodes else None

    def path(
        self,
        evaluator: Evaluator,
        flow: Flow,
        balancer: LoadBalancer,
        client: NetworkInterface | None,
    ) -> BalancerPath:
        """The listener for ``flow`` and every target behind it, each walked."""
        node = self._entry_node(balancer, flow, client)
        on_port = balancer.listener_on(flow.port)
        fitting = [x for x in on_port if _listener_protocol_fits(x, flow.protocol)]
        if not fitting:
            code = (
                Code.ELBV2_LISTENERS_MISMATCH if on_port else Code.ELBV2_LISTENER_PORT_RESTRICTION
            )
            return BalancerPath(balancer, node, None, code, (), (), ())
        listener = fitting[0]
        checks: list[TargetCheck] = []
        empty: list[str] = []
        missing: list[str] = []
        if listener.default_action == "forward" and node is not None:
            for arn in listener.target_group_arns:
                group = self.inventory.get(arn)
                if not isinstance(group, TargetGroup):
                    missing.append(arn)
                    continue
                if not group.targets:
                    empty.append(arn)
                    continue
                checks.extend(
                    self.target_checks(
                        evaluator,
                        balancer,
                        group,
                        entry=node,
                        client=flow.source,
                        flow_protocol=flow.protocol,
                    )
                )
        return BalancerPath(
            balancer, node, listener, None, tuple(checks), tuple(empty), tuple(missing)
        )

    def target_checks(
        self,
        evaluator: Evaluator,
        balancer: LoadBalancer,
        group: TargetGroup,
        *,
        entry: NetworkInterface | None = None,
        client: Endpoint | None = None,
        flow_protocol: str | None = None,
    ) -> tuple[TargetCheck, ...]:
        """Every target of ``group``: the traffic leg from ``entry`` (the client's node;
        None: health checks only) and the health check from every node. ``flow_protocol``
        is the client's (a TCP_UDP group forwards UDP as UDP, TCP as TCP)."""
        nodes = self.nodes(balancer)
        udp = group.protocol == "UDP" or (
            group.protocol == "TCP_UDP" and client is not None and flow_protocol == UDP
        )
        protocol = UDP if udp else TCP
        preserved = preserves_client_ip(balancer, group)
        checks: list[TargetCheck] = []
        for target in group.targets:
            eni = target_address(self.inventory, group, target)
            port, health_port = group.target_port(target), group.health_port(target)
            traffic: Evaluation | None = None
            legs: list[HealthCheckLeg] = []
            if eni is not None and port is not None:
                if entry is not None:
                    source = (
                        client.address if preserved and client is not None else entry.primary_ip
                    )
                    traffic = self._leg(
                        evaluator, balancer, entry, eni, target, protocol, port, source
                    )
                if group.health_check_enabled and health_port is not None:
                    for node in nodes:
                        legs.append(
                            HealthCheckLeg(
                                node,
                                self._leg(
                                    evaluator,
                                    balancer,
                                    node,
                                    eni,
                                    target,
                                    TCP,
                                    health_port,
                                    node.primary_ip,
                                ),
                            )
                        )
            checks.append(
                TargetCheck(
                    load_balancer=balancer,
                    target_group=group,
                    target=target,
                    eni=eni,
                    port=port,
                    health_port=health_port if group.health_check_enabled else None,
                    client_ip_preserved=preserved,
                    traffic=traffic,
                    health_checks=tuple(legs),
                )
            )
        return tuple(checks)

    @staticmethod
    def _leg(
        evaluator: Evaluator,
        balancer: LoadBalancer,
        node: NetworkInterface,
        eni: NetworkInterface,
        target: Target,
        protocol: str,
        port: int,
        source: str,
    ) -> Evaluation:
        flow = Flow(
            source=_node_endpoint(node, balancer, source),
            destination=_target_endpoint(eni, target),
            protocol=protocol,
            port=port,
        )
        return evaluator.walk(Trace(), flow, node, eni)

    # -- the whole flow -----------------------------------------------------------------

    def evaluate(
        self,
        evaluator: Evaluator,
        flow: Flow,
        balancer: LoadBalancer,
        *,
        client_ephemeral: Interval | None = None,
    ) -> Evaluation:
        """``flow`` through ``balancer``: client to node, listener, every target."""
        trace = Trace()
        client: NetworkInterface | None = None
        if flow.source.kind is EndpointKind.ENI:
            client = self.inventory.network_interface(flow.source.eni_id or "")
            if client is None:
                trace.block(
                    Code.UNASSOCIATED_COMPONENT,
                    flow.source.eni_id or flow.source.address,
                    leg=Leg.FORWARD,
                    detail=f"{flow.source.label} is not in the inventory",
                )
                return result(flow, trace, tracked=None)
        found = self.path(evaluator, flow, balancer, client)
        node = found.node
        if node is None:
            trace.block(
                Code.UNASSOCIATED_COMPONENT,
                balancer.load_balancer_arn,
                leg=Leg.FORWARD,
                detail=f"{balancer.name} has no enabled subnet in the inventory",
            )
            return result(flow, trace, tracked=None)
        if balancer.state not in _SERVING:
            trace.block(
                Code.BAD_STATE,
                balancer.load_balancer_arn,
                leg=Leg.FORWARD,
                detail=f"{balancer.name} is {balancer.state}",
            )
        to_node = flow.model_copy(
            update={
                "destination": flow.destination.model_copy(
                    update={
                        "kind": EndpointKind.ENI,
                        "address": node.primary_ip,
                        "eni_id": node.network_interface_id,
                    }
                )
            }
        )
        tracked = evaluator.walk(
            trace, to_node, client, node, client_ephemeral=client_ephemeral
        ).tracked
        trace.hop(
            Leg.FORWARD,
            balancer.name,
            "load-balancer",
            detail=f"{balancer.kind} ({balancer.scheme}), node {node.primary_ip} in "
            f"{node.subnet_id}",
        )
        record_listener(trace, flow, found)
        for check in found.checks:
            record_target(trace, check)
        if balancer.type == "network" and tracked is not None:
            trace.note("the flow passes a Network Load Balancer, which always tracks it")
            tracked = True
        return result(flow, trace, tracked=tracked)
