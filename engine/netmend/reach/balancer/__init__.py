"""The load-balancer hop: a flow to an ALB or NLB goes to a listener, then to its targets.

A flow whose destination is a load balancer (named by ARN, name or DNS name, or one of
its nodes' addresses or ENIs) is walked in three parts, as Reachability Analyzer does:

1. client to the load balancer's node (the one in the client's zone, else the first):
   the client's groups and ACL, the route, the node's ACL and the load balancer's groups
   (a load balancer without groups, an NLB may have none, filters nothing);
2. the listener: none on the flow's port is ELBV2_LISTENER_PORT_RESTRICTION, one on the
   port for another protocol (udp to an HTTP listener) ELBV2_LISTENERS_MISMATCH, a
   forward to a target group without targets ELBV2_LISTENER_HAS_NO_TG;
3. per registered target of the listener's groups, the node's own connection to the
   target's port (its source is the node's address; an NLB that preserves client IPs
   sends the client's), and the health check from every node on the health-check port
   (always from the nodes' own addresses, always TCP). Each is an ordinary walk through
   the node's groups (egress), both ACLs, the route and the target's groups (ingress);
   what blocks it is reported with ``segment`` saying which target and which leg.

The flow is reachable only when every part passes for every target: a target the load
balancer cannot reach, or cannot health-check, fails the requests sent to it (or is
taken out as unhealthy). Targets outside the inventory (on-premises IPs, Lambda
functions, ALBs behind an NLB) are noted, not judged. Nodes come from
``model.balancing.balancer_nodes``: the real ENIs where collected, else stand-ins with
one address of their subnet (so a rule must admit the subnet, or the group, for them).
"""

from netmend.reach.balancer.checks import (
    BalancerPath,
    HealthCheckLeg,
    TargetCheck,
    preserves_client_ip,
    target_address,
)
from netmend.reach.balancer.hop import Balancers

__all__ = [
    "BalancerPath",
    "Balancers",
    "HealthCheckLeg",
    "TargetCheck",
    "preserves_client_ip",
    "target_address",
]
