"""``lb-target-blocked``: a load balancer cannot reach (or health-check) its targets.

The cause comes from the load-balancer hop's own walks (reach/balancer/), not from the
flow's explanations: per target, the traffic leg (the node to the target port) and the
health check (every node to the health-check port). Where a leg stops at the target's
security groups inbound, the target's group (its first purpose-made one) needs a rule;
where it stops at the load balancer's own groups outbound, the load balancer's group
does. One cause per group to change, with every rule it needs:

- inbound on the target's group, from the narrowest peer that stands for the load
  balancer: its security group where it has one, else its subnets' CIDRs (its nodes'
  addresses are somewhere in them); the traffic port from the client's own address
  instead when an NLB preserves client IPs (health checks still come from the nodes);
- outbound on the load balancer's group, to the target's group.

Evidence: load_balancer, load_balancer_arn, load_balancer_type, target_group,
target_group_arn, targets, group_id, direction, protocol, ports, peers, peer_kind,
rules (a list of {group, direction, protocol, port, peer, why}), current_groups.
ACL drops on these legs are reported by their explanations only (no playbook yet).

Beside it, for a load balancer whose nodes are stand-ins (no ENI collected: moto, or a
saved inventory without them): ``missing-ingress`` on the load balancer's group when it
does not admit the client, with the evidence keys of causes/sg.py's missing-ingress.
"""

from __future__ import annotations

from typing import Any

from netmend.model import Inventory, NetworkInterface
from netmend.model.balancing import LoadBalancer
from netmend.reach.balancer import BalancerPath, TargetCheck
from netmend.reach.causes.match import fix_group, host_cidr, narrowest_peer
from netmend.reach.causes.model import PathPosition, RootCause
from netmend.reach.evaluate import evaluator_for
from netmend.reach.flow import Endpoint, Flow
from netmend.reach.result import Code, Direction, Evaluation, Leg

__all__ = ["balancer_causes", "target_causes"]

_SG_CODES = frozenset({Code.ENI_SG_RULES_MISMATCH.value, Code.SG_HAS_NO_RULES.value})


def _balancer_peers(inventory: Inventory, balancer: LoadBalancer) -> tuple[list[str], str]:
    if balancer.security_group_ids:
        return [balancer.security_group_ids[0]], "group"
    cidrs = []
    for zone in balancer.zones:
        subnet = inventory.subnet(zone.subnet_id)
        if subnet is not None and subnet.cidr_block and subnet.cidr_block not in cidrs:
            cidrs.append(subnet.cidr_block)
    return cidrs, "cidr"


def _blocked_at(evaluation: Evaluation, eni: NetworkInterface, *, egress: bool) -> bool:
    blamed = {eni.network_interface_id, *eni.group_ids}
    direction = Direction.EGRESS if egress else Direction.INGRESS
    return any(
        e.code in _SG_CODES
        and e.leg is Leg.FORWARD
        and e.direction is direction
        and e.component in blamed
        for e in evaluation.explanations
    )


def _rules_for(
    inventory: Inventory, check: TargetCheck, client: Endpoint | None
) -> list[dict[str, Any]]:
    eni = check.eni
    if eni is None:
        return []
    balancer = check.load_balancer
    target_group = fix_group(inventory.groups_of_eni(eni.network_interface_id), eni.group_ids)
    peers, _ = _balancer_peers(inventory, balancer)
    node_group = balancer.security_group_ids[0] if balancer.security_group_ids else None
    rules: list[dict[str, Any]] = []
    legs: list[tuple[str, Evaluation, NetworkInterface | None]] = []
    if check.traffic is not None:
        legs.append(("traffic", check.traffic, None))
    legs += [("health-check", h.evaluation, h.node) for h in check.health_check_blocked]
    for why, evaluation, _node in legs:
        if evaluation.reachable or evaluation.flow.port is None:
            continue
        port, protocol = evaluation.flow.port, evaluation.flow.protocol
        if target_group is not None and _blocked_at(evaluation, eni, egress=False):
            sources = peers
            if why == "traffic" and check.client_ip_preserved and client is not None:
                sources = [host_cidr(client.address)]
            for peer in sources:
                rules.append(
                    {
                        "group": target_group,
                        "direction": "ingress",
                        "protocol": protocol,
                        "port": port,
                        "peer": peer,
                        "why": why,
                    }
                )
        if node_group is not None and target_group is not None:
            node = next(iter(check.health_checks), None)
            if node is not None and _blocked_at(evaluation, node.node, egress=True):
                rules.append(
                    {
                        "group": node_group,
                        "direction": "egress",
                        "protocol": protocol,
                        "port": port,
                        "peer": target_group,
                        "why": why,
                    }
                )
    return rules


def target_causes(
    inventory: Inventory, checks: tuple[TargetCheck, ...], client: Endpoint | None = None
) -> list[RootCause]:
    """One ``lb-target-blocked`` cause per security group that must admit the load balancer
    (or, outbound, let it out), from the target checks that fail."""
    by_group: dict[tuple[str, str], dict[str, Any]] = {}
    for check in checks:
        if check.reachable or check.eni is None:
            continue
        for rule in _rules_for(inventory, check, client):
            key = (rule["group"], rule["direction"])
            entry = by_group.setdefault(key, {"rules": [], "check": check, "targets": []})
            short = {k: v for k, v in rule.items() if k != "why"}
            if all({k: v for k, v in r.items() if k != "why"} != short for r in entry["rules"]):
                entry["rules"].append(rule)
            if check.target.target_id not in entry["targets"]:
                entry["targets"].append(check.target.target_id)
    causes: list[RootCause] = []
    for (group_id, direction), entry in by_group.items():
        check = entry["check"]
        balancer, target_group = check.load_balancer, check.target_group
        rules = entry["rules"]
        ports = sorted({r["port"] for r in rules})
        peers = list(dict.fromkeys(r["peer"] for r in rules))
        _, kind = _balancer_peers(inventory, balancer)
        targets = ", ".join(entry["targets"])
        whys = " and ".join(dict.fromkeys(r["why"] for r in rules))
        if direction == "ingress":
            summary = (
                f"{balancer.name} cannot reach {targets} ({whys} on "
                f"{', '.join(str(p) for p in ports)}): {group_id} does not admit "
                f"{'its group' if kind == 'group' else 'its subnets'}"
            )
        else:
            summary = (
                f"{balancer.name}'s group {group_id} does not let its {whys} out to "
                f"{targets} on {', '.join(str(p) for p in ports)}"
            )
        group = inventory.security_group(group_id)
        causes.append(
            RootCause(
                playbook="lb-target-blocked",
                resource=group_id,
                summary=summary,
                evidence={
                    "load_balancer": balancer.name,
                    "load_balancer_arn": balancer.load_balancer_arn,
                    "load_balancer_type": balancer.type,
                    "target_group": target_group.name,
                    "target_group_arn": target_group.target_group_arn,
                    "targets": list(entry["targets"]),
                    "group_id": group_id,
                    "direction": direction,
                    "protocol": rules[0]["protocol"],
                    "ports": ports,
                    "peers": peers,
                    "peer_kind": "group" if direction == "egress" else kind,
                    "rules": rules,
                    "current_groups": [group.group_id] if group else [],
                },
                leg=Leg.FORWARD,
                direction=Direction.INGRESS if direction == "ingress" else Direction.EGRESS,
                position=PathPosition.DESTINATION_SG_INGRESS.value,
            )
        )
    return causes


def _entry_cause(
    inventory: Inventory, flow: Flow, evaluation: Evaluation, balancer: LoadBalancer
) -> RootCause | None:
    """``missing-ingress`` on the load balancer's group when a stand-in node (no ENI in
    the inventory, so the ordinary classifier cannot see it) does not admit the client.
    With the node's real ENI collected, the ordinary classifier names the cause."""
    if flow.destination.eni_id or not balancer.security_group_ids:
        return None
    group_id = balancer.security_group_ids[0]
    if not any(
        e.segment is None
        and e.code in _SG_CODES
        and e.direction is Direction.INGRESS
        and e.component in balancer.security_group_ids
        for e in evaluation.explanations
    ):
        return None
    peer, kind = narrowest_peer(inventory, flow.source, balancer.vpc_id)
    return RootCause(
        playbook="missing-ingress",
        resource=group_id,
        summary=f"{balancer.name}'s group {group_id} admits no {flow.service} from "
        f"{flow.source.label}",
        evidence={
            "direction": Direction.INGRESS.value,
            "eni_id": None,
            "instance_id": None,
            "current_groups": list(balancer.security_group_ids),
            "protocol": flow.protocol,
            "port": flow.port,
            "icmp_type": flow.icmp_type,
            "icmp_code": flow.icmp_code,
            "service": flow.service,
            "source_address": flow.source.address,
            "destination_address": flow.destination.address,
            "group_id": group_id,
            "peer": peer,
            "peer_kind": kind,
            "load_balancer": balancer.name,
        },
        leg=Leg.FORWARD,
        direction=Direction.INGRESS,
        position=PathPosition.DESTINATION_SG_INGRESS.value,
    )


def balancer_causes(inventory: Inventory, flow: Flow, evaluation: Evaluation) -> list[RootCause]:
    """The causes of a flow sent to a load balancer that the ordinary classifier cannot
    name: ``lb-target-blocked`` for its targets, and ``missing-ingress`` on its group
    when its node is a stand-in. None for other flows."""
    if evaluation.reachable:
        return []
    evaluator = evaluator_for(inventory)
    balancer = evaluator.balancers.of_destination(flow)
    if balancer is None:
        return []
    entry = _entry_cause(inventory, flow, evaluation, balancer)
    causes = [entry] if entry is not None else []
    if not any(e.segment for e in evaluation.explanations):
        return causes
    client = None
    if flow.source.eni_id:
        client = inventory.network_interface(flow.source.eni_id)
    found: BalancerPath = evaluator.balancers.path(evaluator, flow, balancer, client)
    return causes + target_causes(inventory, found.checks, flow.source)
