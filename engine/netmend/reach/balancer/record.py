"""The load-balancer hop written into a trace: listener, targets, health checks.

Each target leg's hops follow the listener in the flow's own path; what blocks a leg is
copied into the flow's explanations with ``segment`` naming the target and the leg.
"""

from __future__ import annotations

from netmend.reach.balancer.checks import BalancerPath, TargetCheck
from netmend.reach.flow import Flow
from netmend.reach.result import Code, Evaluation, Explanation, Leg
from netmend.reach.trace import Trace

__all__ = ["record_listener", "record_target", "result"]


def result(flow: Flow, trace: Trace, *, tracked: bool | None) -> Evaluation:
    return Evaluation(
        flow=flow,
        reachable=not trace.explanations,
        forward=tuple(trace.forward),
        return_path=tuple(trace.return_path),
        explanations=tuple(trace.explanations),
        ephemeral=tuple(trace.ephemeral),
        tracked=tracked if not trace.explanations else None,
        notes=tuple(trace.notes),
    )


def record_listener(trace: Trace, flow: Flow, found: BalancerPath) -> None:
    balancer = found.load_balancer
    listener = found.listener
    if listener is None:
        ports = ", ".join(f"{x.protocol}:{x.port}" for x in balancer.listeners) or "none"
        detail = (
            f"{balancer.name} has no listener for {flow.service} (listeners: {ports})"
            if found.listener_code is Code.ELBV2_LISTENERS_MISMATCH
            else f"{balancer.name} has no listener on port {flow.port} (listeners: {ports})"
        )
        trace.hop(
            Leg.FORWARD, f"{balancer.name}:{flow.port}", "listener", allowed=False, detail=detail
        )
        trace.block(
            found.listener_code or Code.ELBV2_LISTENER_PORT_RESTRICTION,
            balancer.load_balancer_arn,
            leg=Leg.FORWARD,
            detail=detail,
        )
        return
    action = listener.default_action
    names = ", ".join(a.rsplit("/", 2)[-2] for a in listener.target_group_arns) or "no group"
    trace.hop(
        Leg.FORWARD,
        f"{balancer.name}:{listener.port}",
        "listener",
        detail=f"{listener.protocol}:{listener.port} {action}"
        + (f" to {names}" if action == "forward" else ""),
    )
    if action != "forward":
        trace.note(f"listener {listener.protocol}:{listener.port} answers itself ({action})")
    for arn in found.empty_groups:
        detail = f"target group {arn.rsplit('/', 2)[-2]} has no registered target"
        trace.drop(
            Code.ELBV2_LISTENER_HAS_NO_TG, arn, "target-group", leg=Leg.FORWARD, detail=detail
        )
    for arn in found.missing_groups:
        trace.note(f"target group {arn} is not in the inventory: its targets were not checked")


def _merge(trace: Trace, evaluation: Evaluation, segment: str, *, hops: bool) -> None:
    if hops:
        trace.forward.extend(evaluation.forward)
        trace.return_path.extend(evaluation.return_path)
    for explanation in evaluation.explanations:
        marked: Explanation = explanation.model_copy(
            update={"segment": segment, "detail": f"{segment}: {explanation.detail}"}
        )
        if marked not in trace.explanations:
            trace.explanations.append(marked)
    for note in evaluation.notes:
        trace.note(note)


def record_target(trace: Trace, check: TargetCheck) -> None:
    health = check.target.health
    said = health.state + (f" ({health.reason})" if health.reason else "")
    group = check.target_group
    if check.eni is None:
        trace.hop(
            Leg.FORWARD,
            check.target.target_id,
            "target",
            detail=f"{group.name}: {check.label}, {said}; not in the inventory, not checked",
        )
        trace.note(f"target {check.target.target_id} of {group.name} was not checked")
        return
    via = " (client IP preserved)" if check.client_ip_preserved else ""
    trace.hop(
        Leg.FORWARD,
        check.target.target_id,
        "target",
        allowed=check.reachable,
        detail=f"{group.name}: {check.label} ({check.eni.network_interface_id}), "
        f"AWS says {said}{via}",
    )
    if check.traffic is not None:
        segment = f"target {check.target.target_id} {check.traffic.flow.service}"
        _merge(trace, check.traffic, segment, hops=True)
    if not check.health_checks:
        return
    blocked = check.health_check_blocked
    service = check.health_checks[0].evaluation.flow.service
    if not blocked:
        trace.hop(
            Leg.FORWARD,
            check.target.target_id,
            "health-check",
            detail=f"{service} from every node ({len(check.health_checks)}): allowed",
        )
        return
    for leg in blocked:
        where = leg.evaluation.blocking
        segment = f"health-check {check.target.target_id} {service} from {leg.node.primary_ip}"
        trace.hop(
            Leg.FORWARD,
            where.component if where else check.target.target_id,
            "health-check",
            direction=where.direction if where else None,
            allowed=False,
            detail=f"{service} from {leg.node.primary_ip}: dropped"
            + (f" ({where.code})" if where else ""),
        )
        _merge(trace, leg.evaluation, segment, hops=False)
