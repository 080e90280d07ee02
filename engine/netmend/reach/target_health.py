"""Why a target group's targets are unhealthy: the network, or the application?

For each registered target, the health check is a flow of its own: from every node of
each load balancer the group is attached to, to the target on the health-check port
(TCP, whatever the health-check protocol: HTTP and HTTPS ride on it). Where the
network drops it, that is why the target is unhealthy, and ``lb-target-blocked`` fixes
it. Where the network admits it and AWS still says unhealthy, the fault is on the host,
read with AWS's reason code as the runbook's FAQ reads ``nc``: a timeout with an open
path points at an OS firewall or a process that does not answer; a failed (refused)
connection at nothing listening on the port; a response-code mismatch at the
application or the health-check path.
"""

from __future__ import annotations

from dataclasses import dataclass

from netmend.errors import BadInputError
from netmend.model import Inventory, LoadBalancer, TargetGroup
from netmend.reach.balancer import TargetCheck
from netmend.reach.causes.balancer import target_causes
from netmend.reach.causes.model import RootCause
from netmend.reach.evaluate import evaluator_for

__all__ = ["TargetHealthReport", "TargetVerdict", "find_target_group", "target_health"]

# AWS's target health reason codes (Elastic Load Balancing guide, "Target health status").
_HOST_FAULTS = {
    "Target.Timeout": "the network admits the health check, yet it times out: an OS "
    "firewall (iptables, Windows Firewall) drops it, or the process does not answer in time",
    "Target.FailedHealthChecks": "the network admits the health check, yet it fails: "
    "nothing listens on the port (connection refused) or the application closes it",
    "Target.ResponseCodeMismatch": "the application answers, with the wrong HTTP code: "
    "check the health-check path and the expected codes (matcher)",
}
_STATES = {
    "Target.NotRegistered": "the target is not registered in the group",
    "Target.NotInUse": "the group is not used by any load balancer, or the target's zone "
    "is not enabled on it",
    "Target.InvalidState": "the target is stopped or terminated",
    "Target.IpUnusable": "the target's IP address is in use by a load balancer",
    "Target.DeregistrationInProgress": "the target is being deregistered",
    "Target.HealthCheckDisabled": "health checks are disabled for the group",
    "Elb.InitialHealthChecking": "the first health checks are still running",
    "Elb.RegistrationInProgress": "the target is being registered",
    "Elb.InternalError": "Elastic Load Balancing had an internal error",
}


@dataclass(frozen=True)
class TargetVerdict:
    check: TargetCheck
    network_blocks: bool  # the health check (or the traffic) is dropped on the way
    verdict: str  # one sentence: where it is dropped, or what the host must be doing

    @property
    def unhealthy(self) -> bool:
        return self.check.target.health.state not in ("healthy", "initial", "draining")


@dataclass(frozen=True)
class TargetHealthReport:
    target_group: TargetGroup
    load_balancers: tuple[LoadBalancer, ...]
    targets: tuple[TargetVerdict, ...]
    causes: tuple[RootCause, ...]

    @property
    def network_ok(self) -> bool:
        return not any(t.network_blocks for t in self.targets)


def find_target_group(inventory: Inventory, reference: str) -> TargetGroup:
    """A target group by ARN or name; BadInputError (exit 2) when there is none."""
    wanted = reference.strip()
    for group in inventory.target_groups:
        if wanted in (group.target_group_arn, group.name):
            return group
    raise BadInputError(f"unknown target group {reference!r} in {inventory.region}")


def _verdict(check: TargetCheck) -> TargetVerdict:
    health = check.target.health
    if check.eni is None:
        return TargetVerdict(
            check,
            False,
            "the target is not in the inventory (another VPC, on-premises, "
            "Lambda): its path was not checked",
        )
    blocked = check.health_check_blocked
    if blocked:
        where = blocked[0].evaluation.blocking
        at = f"{where.code} at {where.component}" if where else "on the way"
        nodes = ", ".join(h.node.primary_ip for h in blocked)
        return TargetVerdict(
            check,
            True,
            f"the health check tcp/{check.health_port} from {nodes} is dropped ({at}): "
            "it times out, so the target is unhealthy whatever the application does",
        )
    if check.traffic is not None and not check.traffic.reachable:
        where = check.traffic.blocking
        at = f"{where.code} at {where.component}" if where else "on the way"
        return TargetVerdict(check, True, f"traffic to port {check.port} is dropped ({at})")
    if not check.health_checks:
        return TargetVerdict(check, False, "health checks are disabled: nothing to judge")
    reason = health.reason or ""
    if health.state == "unhealthy":
        said = _HOST_FAULTS.get(
            reason,
            "the network admits the health check: the application or the host is at fault",
        )
        return TargetVerdict(check, False, said)
    if reason in _STATES:
        return TargetVerdict(check, False, f"the network admits it; {_STATES[reason]}")
    return TargetVerdict(check, False, f"{health.state}; the network admits the health check")


def target_health(inventory: Inventory, reference: str) -> TargetHealthReport:
    """Every target of the group named by ``reference``, judged (see the module docstring)."""
    group = find_target_group(inventory, reference)
    evaluator = evaluator_for(inventory)
    balancers = tuple(
        b for arn in group.load_balancer_arns if isinstance(b := inventory.get(arn), LoadBalancer)
    )
    checks: list[TargetCheck] = []
    for balancer in balancers:
        checks.extend(evaluator.balancers.target_checks(evaluator, balancer, group))
    verdicts = tuple(_verdict(c) for c in checks)
    return TargetHealthReport(
        target_group=group,
        load_balancers=balancers,
        targets=verdicts,
        causes=tuple(target_causes(inventory, tuple(checks))),
    )
