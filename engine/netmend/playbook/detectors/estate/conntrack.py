"""Instances dropping packets at the connection-tracking allowance (seed 002).

ENA counts, per interface, packets dropped because the instance tracked as many
connections as its type allows (``conntrack_allowance_exceeded``); the CloudWatch
agent's ethtool plugin publishes it. Those packets are dropped although every rule
allows them, so no diagnosis of groups or ACLs finds them. The scan reads the metric
(when it exists: otherwise this check says nothing) and passes, per instance, how much
it rose in the last hour.
"""

from __future__ import annotations

from typing import Any

from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import finding, findings_or_none, signal
from netmend.playbook.params import Params
from netmend.playbook.registry import detector

__all__ = ["CONNTRACK_SIGNAL"]

CONNTRACK_SIGNAL = "conntrack_allowance_exceeded"


@detector("metrics.conntrack-allowance-exceeded")
def conntrack_allowance_exceeded(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Instances whose conntrack_allowance_exceeded metric rose in the last hour."""
    rises = signal(ctx.evidence, CONNTRACK_SIGNAL)
    if not isinstance(rises, dict):
        return None  # the metric is not published in this account and region
    found: list[dict[str, Any]] = []
    for instance in ctx.inventory.instances:
        rise = rises.get(instance.instance_id)
        if not isinstance(rise, int | float) or rise <= 0:
            continue
        enis = ctx.inventory.enis_of_instance(instance.instance_id)
        found.append(
            finding(
                instance.instance_id,
                vpc=instance.vpc_id,
                enis=[e.network_interface_id for e in enis],
                instance_id=instance.instance_id,
                dropped=int(rise),
            )
        )
    return findings_or_none(found)
