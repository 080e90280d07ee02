"""What the load-balancer hop finds past a node: the listener, and each target's legs.

``TargetCheck`` is one registered target as the load balancer sees it (its traffic leg
and every node's health check, each an Evaluation of its own); ``BalancerPath`` is what
a flow meets past the node. hop.py builds them, record.py writes them into a trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from netmend.model import Inventory, NetworkInterface
from netmend.model.balancing import Listener, LoadBalancer, Target, TargetGroup
from netmend.reach.result import Code, Evaluation

__all__ = [
    "BalancerPath",
    "HealthCheckLeg",
    "TargetCheck",
    "preserves_client_ip",
    "target_address",
]


def preserves_client_ip(balancer: LoadBalancer, group: TargetGroup) -> bool:
    """Whether targets see the client's address (NLB only; AWS's defaults when unread:
    on for instance targets and for UDP / TCP_UDP groups, off for ip targets)."""
    if balancer.type != "network":
        return False
    if group.preserve_client_ip is not None:
        return group.preserve_client_ip
    return group.target_type == "instance" or group.protocol in ("UDP", "TCP_UDP")


def target_address(
    inventory: Inventory, group: TargetGroup, target: Target
) -> NetworkInterface | None:
    """The ENI a target's traffic goes to: an instance's primary ENI, or the ENI that
    owns an ip target's address; None when it is not in the inventory."""
    if group.target_type == "instance":
        enis = inventory.enis_of_instance(target.target_id)
        return enis[0] if enis else None
    if group.target_type == "ip":
        return inventory.eni_by_private_ip(target.target_id)
    return None


@dataclass(frozen=True)
class HealthCheckLeg:
    node: NetworkInterface
    evaluation: Evaluation


@dataclass(frozen=True)
class TargetCheck:
    """One registered target as the load balancer sees it: traffic and health checks."""

    load_balancer: LoadBalancer
    target_group: TargetGroup
    target: Target
    eni: NetworkInterface | None  # None: not in the inventory, not judged
    port: int | None
    health_port: int | None
    client_ip_preserved: bool
    traffic: Evaluation | None
    health_checks: tuple[HealthCheckLeg, ...]

    @property
    def label(self) -> str:
        return f"{self.target.target_id}:{self.port}" if self.port else self.target.target_id

    @property
    def health_check_blocked(self) -> tuple[HealthCheckLeg, ...]:
        return tuple(h for h in self.health_checks if not h.evaluation.reachable)

    @property
    def reachable(self) -> bool:
        traffic = self.traffic is None or self.traffic.reachable
        return traffic and not self.health_check_blocked


@dataclass(frozen=True)
class BalancerPath:
    """What a flow to a load balancer meets past the node: listener and targets."""

    load_balancer: LoadBalancer
    node: NetworkInterface | None
    listener: Listener | None
    listener_code: Code | None  # why no listener takes the flow
    checks: tuple[TargetCheck, ...]
    empty_groups: tuple[str, ...]  # forward target groups without targets
    missing_groups: tuple[str, ...]  # target groups not in the inventory
