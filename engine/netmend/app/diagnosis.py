"""A diagnosis: the evaluation of one flow plus its root causes, for people and machines.

``diagnose`` is the whole offline step (evaluate, then classify); ``diagnosis_to_json``
is DESIGN.md's JSON contract. The hop-by-hop text view is ``netmend.render.diagnosis``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netmend.app.requests import DiagnoseRequest, Target
from netmend.model import Inventory
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.reach import Evaluation, Flow, Hop, evaluate
from netmend.reach.causes.classify import classify
from netmend.reach.causes.model import RootCause
from netmend.reach.target_health import TargetHealthReport

__all__ = [
    "BLIND_SPOTS",
    "EXIT_BLOCKED",
    "Diagnosis",
    "diagnose",
    "diagnose_request",
    "diagnose_target_health",
    "diagnosis_to_json",
    "flow_limits",
    "target_health_to_json",
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


@dataclass(frozen=True)
class Diagnosis:
    flow: Flow
    evaluation: Evaluation
    causes: tuple[RootCause, ...]
    # Packets each end's instance dropped at its connection-tracking allowance in the
    # last hour (the ENA metric conntrack_allowance_exceeded, seed 002): dropped although
    # every rule allows them. None when the metric was not read (or is not published).
    conntrack: dict[str, float] | None = None
    # Names beside ids on the path (group names, ACL Name tags): ids alone are opaque.
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def reachable(self) -> bool:
        return self.evaluation.reachable


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
        flow=flow,
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


def diagnose_request(request: DiagnoseRequest) -> Diagnosis:
    """``netmend diagnose`` for any face: the estate (live or saved), the flow, the verdict."""
    estate = request.target.inventory()
    flow = request.flow.flow(estate)
    rises: Mapping[str, float] | None = None
    if request.target.inventory_file is None:
        # Live: the ends' conntrack_allowance_exceeded (CloudWatch), as scan reads it.
        from netmend.aws.signals import read_conntrack_rises

        rises = read_conntrack_rises(request.target.clients())
    return diagnose(estate, flow, conntrack_rises=rises)


def diagnose_target_health(target: Target, reference: str) -> TargetHealthReport:
    """``netmend diagnose --target-health TG`` for any face: each registered target's
    health-check flow from the load balancer's nodes, and where it is dropped."""
    from netmend.reach.target_health import target_health

    return target_health(target.inventory(), reference)


def flow_limits(flow: Flow) -> list[str]:
    notes = []
    if flow.protocol not in (TCP, UDP):
        notes.append(
            "Reachability Analyzer analyses TCP and UDP only: this "
            f"{'ICMP' if flow.protocol in (ICMP, ICMPV6) else flow.protocol} flow was "
            "checked offline only."
        )
    return notes


def _flow_json(flow: Flow) -> dict[str, Any]:
    return {
        "source": flow.source.given,
        "source_address": flow.source.address,
        "destination": flow.destination.given,
        "destination_address": flow.destination.address,
        "protocol": flow.protocol,
        "port": flow.port,
        "icmp_type": flow.icmp_type,
        "icmp_code": flow.icmp_code,
    }


def _hop_json(hop: Hop) -> dict[str, Any]:
    return {
        "component": hop.component,
        "kind": hop.kind,
        "leg": hop.leg.value,
        "direction": hop.direction.value if hop.direction else None,
        "allowed": hop.allowed,
        "detail": hop.detail,
    }


def diagnosis_to_json(diagnosis: Diagnosis) -> dict[str, Any]:
    """DESIGN.md's contract: reachable, explanations, root_causes; plus path and details."""
    ev = diagnosis.evaluation
    return {
        "reachable": ev.reachable,
        "flow": _flow_json(diagnosis.flow),
        "explanations": [
            {
                "code": e.code,
                "component": e.component,
                "direction": e.direction.value if e.direction else None,
                "leg": e.leg.value,
                "rules": list(e.rules),
                "detail": e.detail,
                "segment": e.segment,
            }
            for e in ev.explanations
        ],
        "root_causes": [
            {
                "playbook": c.playbook,
                "resource": c.resource,
                "summary": c.summary,
                "leg": c.leg.value,
                "direction": c.direction.value if c.direction else None,
                "evidence": c.evidence,
            }
            for c in diagnosis.causes
        ],
        "path": {
            "forward": [_hop_json(h) for h in ev.forward],
            "return": [_hop_json(h) for h in ev.return_path],
        },
        "ephemeral": [
            {
                "network_acl_id": c.network_acl_id,
                "subnet_id": c.subnet_id,
                "direction": c.direction.value,
                "allowed": [list(r) for r in c.allowed],
                "summary": c.summary,
            }
            for c in ev.ephemeral
        ],
        "tracked": ev.tracked,
        "conntrack_allowance_exceeded": diagnosis.conntrack,
        "notes": list(ev.notes) + flow_limits(diagnosis.flow),
    }


def _cause_json(cause: RootCause) -> dict[str, Any]:
    return {
        "playbook": cause.playbook,
        "resource": cause.resource,
        "summary": cause.summary,
        "leg": cause.leg.value,
        "direction": cause.direction.value if cause.direction else None,
        "evidence": cause.evidence,
    }


def target_health_to_json(report: TargetHealthReport) -> dict[str, Any]:
    """``diagnose --target-health --output json``: each target, its health-check flow and
    where it is dropped, and the root causes (``lb-target-blocked``)."""
    group = report.target_group
    targets = []
    for verdict in report.targets:
        check = verdict.check
        health = check.target.health
        targets.append(
            {
                "target": check.target.target_id,
                "port": check.port,
                "health_check_port": check.health_port,
                "load_balancer": check.load_balancer.name,
                "network_interface": check.eni.network_interface_id if check.eni else None,
                "state": health.state,
                "reason": health.reason,
                "description": health.description,
                "network_blocks": verdict.network_blocks,
                "verdict": verdict.verdict,
                "health_checks": [
                    {
                        "from": leg.node.primary_ip,
                        "node": leg.node.network_interface_id,
                        "reachable": leg.evaluation.reachable,
                        "explanations": [
                            {
                                "code": e.code,
                                "component": e.component,
                                "direction": e.direction.value if e.direction else None,
                                "detail": e.detail,
                            }
                            for e in leg.evaluation.explanations
                        ],
                    }
                    for leg in check.health_checks
                ],
            }
        )
    return {
        "target_group": group.name,
        "target_group_arn": group.target_group_arn,
        "load_balancers": [b.name for b in report.load_balancers],
        "health_check": {
            "protocol": group.health_check_protocol,
            "port": group.health_check_port,
            "path": group.health_check_path,
        },
        "network_ok": report.network_ok,
        "targets": targets,
        "root_causes": [_cause_json(c) for c in report.causes],
    }
