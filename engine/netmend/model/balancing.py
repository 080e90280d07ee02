"""Elastic Load Balancing v2: load balancers, listeners, target groups and their targets.

A load balancer is a hop on the path, not an endpoint: a client reaches one of its nodes
(one per enabled subnet) on a listener's port, and the node opens a connection of its
own to a registered target on the target group's port, and health-checks every target
on the health-check port. These models carry what the evaluator needs for that, as
DescribeLoadBalancers, DescribeListeners, DescribeTargetGroups, DescribeTargetHealth and
DescribeTargetGroupAttributes return it.

Which network interfaces are a load balancer's is derived here, from the interfaces'
descriptions ("ELB app/NAME/ID", "ELB net/NAME/ID": what AWS writes on the ENIs it
creates for a load balancer), not from interface types: ``node_interfaces``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from pydantic import Field

from netmend.model.compute import NetworkInterface
from netmend.model.frozen import FrozenModel
from netmend.model.network import Subnet

__all__ = [
    "TRAFFIC_PORT",
    "Listener",
    "LoadBalancer",
    "LoadBalancerZone",
    "Target",
    "TargetGroup",
    "TargetHealth",
    "balancer_nodes",
    "find_load_balancer",
    "is_synthetic_node",
    "node_interfaces",
]

# DescribeTargetGroups' HealthCheckPort when the health check uses each target's port.
TRAFFIC_PORT = "traffic-port"


class LoadBalancerZone(FrozenModel):
    """One enabled subnet of a load balancer: where one of its nodes sits."""

    zone: str
    subnet_id: str
    private_ipv4_addresses: tuple[str, ...] = ()  # NLB: LoadBalancerAddresses' private IPs


class Listener(FrozenModel):
    """A port the load balancer accepts connections on, and where it forwards them."""

    listener_arn: str
    protocol: str  # HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE
    port: int | None = None  # None only on a Gateway Load Balancer
    target_group_arns: tuple[str, ...] = ()  # the default forward action's groups
    default_action: str = "forward"  # forward, redirect, fixed-response, authenticate-*


class LoadBalancer(FrozenModel):
    load_balancer_arn: str
    name: str
    dns_name: str = ""
    type: str = "application"  # application, network, gateway
    scheme: str = "internal"  # internet-facing or internal
    vpc_id: str
    state: str = "active"
    zones: tuple[LoadBalancerZone, ...] = ()
    security_group_ids: tuple[str, ...] = ()  # an NLB may have none
    listeners: tuple[Listener, ...] = ()

    @property
    def short_id(self) -> str:
        """``app/NAME/ID`` (or ``net/...``, ``gwy/...``): the tail of the ARN."""
        return self.load_balancer_arn.split(":loadbalancer/", 1)[-1]

    @property
    def interface_description(self) -> str:
        """What AWS writes on the load balancer's ENIs: ``ELB app/NAME/ID``."""
        return f"ELB {self.short_id}"

    @property
    def kind(self) -> str:
        """ "Application Load Balancer", "Network Load Balancer", ... for messages."""
        return {"application": "Application", "network": "Network"}.get(
            self.type, self.type.title()
        ) + " Load Balancer"

    def listener_on(self, port: int | None) -> tuple[Listener, ...]:
        return tuple(x for x in self.listeners if x.port == port)


class TargetHealth(FrozenModel):
    """DescribeTargetHealth's TargetHealth: state, and AWS's reason when not healthy."""

    state: str = "unavailable"  # initial, healthy, unhealthy, unused, draining, unavailable
    reason: str | None = None  # e.g. Target.Timeout, Target.FailedHealthChecks
    description: str | None = None


class Target(FrozenModel):
    target_id: str  # an instance id, an IP address, a Lambda or ALB ARN
    port: int | None = None
    availability_zone: str | None = None
    health: TargetHealth = Field(default_factory=TargetHealth)


class TargetGroup(FrozenModel):
    target_group_arn: str
    name: str
    protocol: str | None = None  # None for Lambda targets
    port: int | None = None
    vpc_id: str | None = None
    target_type: str = "instance"  # instance, ip, lambda, alb
    health_check_enabled: bool = True
    health_check_protocol: str | None = None
    health_check_port: str = TRAFFIC_PORT  # "traffic-port" or a port number as text
    health_check_path: str | None = None
    load_balancer_arns: tuple[str, ...] = ()
    # preserve_client_ip.enabled (NLB target groups); None where it was not read.
    preserve_client_ip: bool | None = None
    targets: tuple[Target, ...] = ()

    def target_port(self, target: Target) -> int | None:
        """The port the load balancer sends a target traffic on."""
        return target.port if target.port is not None else self.port

    def health_port(self, target: Target) -> int | None:
        """The port health checks use for ``target``: its traffic port, or a fixed one."""
        if self.health_check_port == TRAFFIC_PORT:
            return self.target_port(target)
        try:
            return int(self.health_check_port)
        except ValueError:
            return self.target_port(target)


def node_interfaces(
    balancer: LoadBalancer, interfaces: tuple[NetworkInterface, ...]
) -> dict[str, NetworkInterface]:
    """The load balancer's own ENIs, by subnet (from their "ELB app/NAME/ID" description)."""
    wanted = balancer.interface_description
    return {
        eni.subnet_id: eni
        for eni in interfaces
        if eni.vpc_id == balancer.vpc_id and eni.description == wanted
    }


_SYNTHETIC = "lb-node:"


def is_synthetic_node(eni_id: str) -> bool:
    """Whether ``eni_id`` is a node ``balancer_nodes`` made up (no ENI was collected)."""
    return eni_id.startswith(_SYNTHETIC)


def _stand_in_address(subnet: Subnet | None, zone: LoadBalancerZone) -> str | None:
    if zone.private_ipv4_addresses:
        return zone.private_ipv4_addresses[0]
    if subnet is None or subnet.cidr_block is None:  # an IPv6-only subnet: not modelled
        return None
    network = ipaddress.ip_network(subnet.cidr_block, strict=False)
    # The subnet's last usable address (AWS reserves the broadcast one): a node's address
    # is somewhere in the subnet, so a rule has to admit the subnet, or the group, for it.
    return str(network.broadcast_address - 1)


def balancer_nodes(
    balancer: LoadBalancer,
    interfaces: tuple[NetworkInterface, ...],
    subnets: Iterable[Subnet],
) -> tuple[NetworkInterface, ...]:
    """One interface per enabled subnet, in the load balancer's zone order.

    The load balancer's own ENI where the inventory has it (real accounts); else a
    stand-in with the load balancer's groups and an address of the subnet (moto, or an
    inventory saved without them), whose id starts with ``lb-node:``.
    """
    by_subnet = node_interfaces(balancer, interfaces)
    subnet_of = {s.subnet_id: s for s in subnets}
    nodes: list[NetworkInterface] = []
    for zone in balancer.zones:
        real = by_subnet.get(zone.subnet_id)
        if real is not None:
            nodes.append(real)
            continue
        address = _stand_in_address(subnet_of.get(zone.subnet_id), zone)
        if address is None:
            continue
        nodes.append(
            NetworkInterface(
                network_interface_id=f"{_SYNTHETIC}{balancer.name}/{zone.subnet_id}",
                subnet_id=zone.subnet_id,
                vpc_id=balancer.vpc_id,
                private_ips=(address,),
                public_ip=balancer.dns_name or balancer.name
                if balancer.scheme == "internet-facing"
                else None,
                group_ids=balancer.security_group_ids,
                interface_type="network_load_balancer"
                if balancer.type == "network"
                else "interface",
                description=balancer.interface_description,
            )
        )
    return tuple(nodes)


def find_load_balancer(balancers: Iterable[LoadBalancer], reference: str) -> LoadBalancer | None:
    """The load balancer named by its ARN, its name or its DNS name (any case)."""
    wanted = reference.strip().rstrip(".").lower()
    for balancer in balancers:
        if wanted in (
            balancer.load_balancer_arn.lower(),
            balancer.name.lower(),
            balancer.dns_name.lower(),
        ):
            return balancer
    return None
