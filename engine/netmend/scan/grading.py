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

import ipaddress
from collections.abc import Mapping
from typing import Any

from netmend.model import Inventory, NetworkInterface
from netmend.playbook.detectors.estate.alike import classes_for
from netmend.reach.evaluate import Evaluator
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.scan.findings import SEVERITIES, Exposure, Severity, severity_rank

__all__ = ["INTERNET_STANDIN", "ExposureCache", "grade_exposure", "graded_severity"]

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


_Block = tuple[str, str] | None  # the first block's (code, component), if blocked


class ExposureCache:
    """Verdicts of internet → interface flows, one per class of alike interfaces.

    From an outside address only the source side of each rule and ACL entry matches
    (the internet's address) and the reply is routed by it: the interface's own address
    decides nothing, and of its groups only the inbound rules that can admit the flow
    (``alike.InterfaceClasses.toward_outside``). A block naming the representative's own
    interface, instance or first group is renamed for each member.
    """

    def __init__(self, inventory: Inventory) -> None:
        self.classes = classes_for(inventory)
        self._verdicts: dict[
            tuple[Any, ...], tuple[NetworkInterface, bool, tuple[str, str] | None]
        ] = {}

    def verdict(
        self, evaluator: Evaluator, eni: NetworkInterface, flow: Flow, family: int
    ) -> tuple[bool, tuple[str, str] | None]:
        """(reachable, the first block's (code, component)) for ``flow`` to ``eni``."""
        port = flow.port if flow.port is not None else 0
        peer = ipaddress.ip_address(flow.source.address)
        key = (
            self.classes.toward_outside(
                eni, egress=False, protocol=flow.protocol, port=port, peer=peer
            ),
            family,
            flow.protocol,
            flow.port,
        )
        known = self._verdicts.get(key)
        if known is None:
            reachable, block = _evaluated(evaluator, flow)
            self._verdicts[key] = (eni, reachable, block)
            return reachable, block
        model, reachable, block = known
        if block is None:
            return reachable, None
        own = {model.network_interface_id: eni.network_interface_id}
        if model.instance_id and eni.instance_id:
            own[model.instance_id] = eni.instance_id
        if model.group_ids and eni.group_ids:
            own[model.group_ids[0]] = eni.group_ids[0]
        return reachable, (block[0], own.get(block[1], block[1]))


def _evaluated(evaluator: Evaluator, flow: Flow) -> tuple[bool, tuple[str, str] | None]:
    result = evaluator.evaluate(flow)
    if result.reachable or not result.explanations:
        return result.reachable, None
    first = result.explanations[0]
    return False, (str(first.code), first.component)


def grade_exposure(
    evaluator: Evaluator,
    enis: list[str],
    exposure: Mapping[str, Any],
    cache: ExposureCache | None = None,
) -> Exposure:
    """Evaluate internet → each ENI on each port of ``exposure`` ({protocol, ports, family});
    with ``cache``, once per class of alike interfaces (the same grade)."""
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
        eni = inventory.network_interface(eni_id)
        for port in ports:
            flow = Flow(source=source, destination=destination, protocol=protocol, port=port)
            if cache is not None and eni is not None:
                reachable, block = cache.verdict(evaluator, eni, flow, family)
            else:
                reachable, block = _evaluated(evaluator, flow)
            if reachable:
                reached.append(port)
            elif not why and block is not None:
                why = f"{eni_id}: {block[0]} at {block[1]}"
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
