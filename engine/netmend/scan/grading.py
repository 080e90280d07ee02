"""Grading a rule open to the world by what is really reachable from the internet.

Static scanners stop at "the rule admits 0.0.0.0/0". netmend evaluates a connection from
an internet address to each interface that carries the rule's group, through everything
the evaluator knows (internet-gateway route and its public-IP translation, the subnet's
ACL both ways, the interface's other groups, the return route). One that gets through
makes the finding **exposed** (critical); none does: **open in rules only** (one step
below the playbook's severity: it becomes exposed the day the instance gets a public IP
or its subnet a route to an internet gateway).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netmend.model import Inventory
from netmend.reach.evaluate import Evaluator
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.scan.findings import SEVERITIES, Exposure, Severity, severity_rank

__all__ = ["INTERNET_STANDIN", "grade_exposure", "graded_severity"]

# Any address outside every VPC is "the internet" to the evaluator; documentation
# ranges (RFC 5737, RFC 3849) are never a VPC's.
INTERNET_STANDIN = {4: "198.51.100.77", 6: "2001:db8::77"}


def _destination(inventory: Inventory, eni_id: str, family: int) -> Endpoint | None:
    eni = inventory.network_interface(eni_id)
    if eni is None:
        return None
    addresses = eni.private_ips if family == 4 else eni.ipv6_addresses
    if not addresses:
        return None
    return Endpoint(
        kind=EndpointKind.ENI,
        address=addresses[0],
        eni_id=eni.network_interface_id,
        instance_id=eni.instance_id,
        given=eni.instance_id or eni.network_interface_id,
    )


def grade_exposure(evaluator: Evaluator, enis: list[str], exposure: Mapping[str, Any]) -> Exposure:
    """Evaluate internet → each ENI on each port of ``exposure`` ({protocol, ports, family})."""
    inventory = evaluator.inventory
    family = int(exposure.get("family") or 4)
    protocol = str(exposure.get("protocol") or "tcp")
    ports = [int(p) for p in exposure.get("ports") or ()]
    source = Endpoint(
        kind=EndpointKind.EXTERNAL, address=INTERNET_STANDIN[family], given="the internet"
    )
    exposed: list[str] = []
    closed: list[str] = []
    reasons: list[str] = []
    for eni_id in enis:
        destination = _destination(inventory, eni_id, family)
        if destination is None:
            closed.append(eni_id)
            continue
        reached = []
        why = ""
        for port in ports:
            flow = Flow(source=source, destination=destination, protocol=protocol, port=port)
            result = evaluator.evaluate(flow)
            if result.reachable:
                reached.append(port)
            elif not why and result.explanations:
                first = result.explanations[0]
                why = f"{eni_id}: {first.code} at {first.component}"
        if reached:
            exposed.append(eni_id)
            reasons.append(
                f"{eni_id} reachable from the internet on {protocol}/"
                + ",".join(str(p) for p in reached)
            )
        else:
            closed.append(eni_id)
            if why:
                reasons.append(why)
    return Exposure(
        grade="exposed" if exposed else "open-in-rules-only",
        exposed_enis=tuple(exposed),
        closed_enis=tuple(closed),
        detail="; ".join(reasons) or "no interface carries the group",
    )


def graded_severity(base: Severity, exposure: Exposure) -> Severity:
    """Critical when exposed; one step below ``base`` when open in rules only."""
    if exposure.grade == "exposed":
        return "critical"
    return SEVERITIES[max(0, severity_rank(base) - 1)]
