"""``diagnose --target-health``: why a target group's targets are unhealthy, for any face.

``diagnose_target_health`` returns a ``TargetHealthResult``: its
``model_dump(mode="json")`` is what ``--output json`` prints (each target, its
health-check flows from the load balancer's nodes and where they are dropped, and the
root causes); the evaluator's report rides along, out of the JSON, for the text view.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field

from netmend.app.diagnosis import CauseView
from netmend.app.requests import Target
from netmend.reach.balancer.checks import HealthCheckLeg
from netmend.reach.result import Direction
from netmend.reach.target_health import TargetHealthReport, TargetVerdict

__all__ = [
    "HealthCheckView",
    "TargetHealthResult",
    "TargetView",
    "diagnose_target_health",
]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HealthExplanation(_View):
    code: str
    component: str
    direction: Direction | None
    detail: str


class HealthCheckView(_View):
    """One health check, from one load balancer node to the target."""

    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)

    from_address: str = Field(serialization_alias="from")
    node: str
    reachable: bool
    explanations: tuple[HealthExplanation, ...]

    @classmethod
    def of(cls, leg: HealthCheckLeg) -> HealthCheckView:
        return cls(
            from_address=leg.node.primary_ip,
            node=leg.node.network_interface_id,
            reachable=leg.evaluation.reachable,
            explanations=tuple(
                HealthExplanation(
                    code=e.code, component=e.component, direction=e.direction, detail=e.detail
                )
                for e in leg.evaluation.explanations
            ),
        )


class TargetView(_View):
    """One registered target: AWS's health state and netmend's verdict on the network."""

    target: str
    port: int | None
    health_check_port: int | None
    load_balancer: str
    network_interface: str | None
    state: str
    reason: str | None
    description: str | None
    network_blocks: bool
    verdict: str
    health_checks: tuple[HealthCheckView, ...]

    @classmethod
    def of(cls, verdict: TargetVerdict) -> TargetView:
        check = verdict.check
        health = check.target.health
        return cls(
            target=check.target.target_id,
            port=check.port,
            health_check_port=check.health_port,
            load_balancer=check.load_balancer.name,
            network_interface=check.eni.network_interface_id if check.eni else None,
            state=health.state,
            reason=health.reason,
            description=health.description,
            network_blocks=verdict.network_blocks,
            verdict=verdict.verdict,
            health_checks=tuple(HealthCheckView.of(leg) for leg in check.health_checks),
        )


class HealthCheckSettings(_View):
    protocol: str | None
    port: str
    path: str | None


class TargetHealthResult(BaseModel):
    """The JSON of ``diagnose --target-health``; ``report`` is the evaluator's own."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    report: TargetHealthReport = Field(exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def target_group(self) -> str:
        return self.report.target_group.name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def target_group_arn(self) -> str:
        return self.report.target_group.target_group_arn

    @computed_field  # type: ignore[prop-decorator]
    @property
    def load_balancers(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.report.load_balancers)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def health_check(self) -> HealthCheckSettings:
        group = self.report.target_group
        return HealthCheckSettings(
            protocol=group.health_check_protocol,
            port=group.health_check_port,
            path=group.health_check_path,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def network_ok(self) -> bool:
        return self.report.network_ok

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[TargetView, ...]:
        return tuple(TargetView.of(v) for v in self.report.targets)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def root_causes(self) -> tuple[CauseView, ...]:
        return tuple(CauseView.of(c) for c in self.report.causes)


def diagnose_target_health(target: Target, reference: str) -> TargetHealthResult:
    """``netmend diagnose --target-health TG`` for any face: each registered target's
    health-check flow from the load balancer's nodes, and where it is dropped."""
    from netmend.reach.target_health import target_health

    return TargetHealthResult(report=target_health(target.inventory(), reference))
