"""Instances Session Manager cannot reach: outbound 443 to the SSM endpoints is blocked.

The SSM agent on an instance connects out, on TCP 443, to ssm, ssmmessages and
ec2messages (the runbook's FAQ: "Session Manager cannot connect"). When the VPC has all
three interface endpoints, the agent talks to them (their interfaces, inside the VPC);
otherwise to the regional public endpoints. netmend evaluates that flow from each
running instance's primary interface and reports a block by its groups or ACLs (a
missing route is a different problem, said in the evidence but not reported here).

Speed: one evaluation per class of alike interfaces (``alike.InterfaceClasses``: same
groups, subnet and ACL, VPC, ...) and endpoint, reused for every instance of the class.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Any

from netmend.model import Inventory, NetworkInterface
from netmend.model.protocol import TCP
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.alike import InterfaceClasses, classes_for
from netmend.playbook.detectors.estate.base import finding, findings_or_none, signal
from netmend.playbook.params import Params
from netmend.playbook.registry import detector
from netmend.reach.evaluate import evaluator_for
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.reach.result import Code, Direction

__all__ = ["SSM_SERVICES", "SSM_STANDIN", "SsmCheck", "ssm_findings"]

SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")
# An address outside every VPC standing for ssm.REGION.amazonaws.com (an AWS public
# range); rules naming a specific public range are judged against this one address.
SSM_STANDIN = "52.94.0.10"

_FILTERING = {Code.ENI_SG_RULES_MISMATCH, Code.SG_HAS_NO_RULES, Code.SUBNET_ACL_RESTRICTION}
_SSM_ADDRESS = ipaddress.ip_address(SSM_STANDIN)


def _endpoint_eni(inventory: Inventory, vpc_id: str, endpoints: Any) -> NetworkInterface | None:
    """The ssm endpoint's interface when the VPC has all three endpoints, else None."""
    by_service = endpoints.get(vpc_id) if isinstance(endpoints, dict) else None
    if not isinstance(by_service, dict) or not all(by_service.get(s) for s in SSM_SERVICES):
        return None
    for eni_id in by_service["ssm"]:
        found = inventory.network_interface(str(eni_id))
        if found is not None and found.private_ips:
            return found
    return None


@dataclass(frozen=True)
class _Block:
    """What the scan keeps of one explanation of a blocked SSM flow."""

    code: str
    component: str
    direction: Direction | None


class SsmCheck:
    """The blocks on one instance's flow to SSM; with ``classes``, the flow is evaluated
    once per (class of alike interfaces, endpoint) and the verdict reused for the other
    members of the class (a block naming the representative's own interface is renamed)."""

    def __init__(
        self, inventory: Inventory, endpoints: Any, classes: InterfaceClasses | None = None
    ) -> None:
        self.inventory = inventory
        self.evaluator = evaluator_for(inventory)
        self.endpoints = endpoints
        self.classes = classes
        self._verdicts: dict[tuple[Any, ...], tuple[NetworkInterface, list[_Block]]] = {}
        self._targets: dict[str, NetworkInterface | None] = {}

    def target(self, vpc_id: str) -> NetworkInterface | None:
        if vpc_id not in self._targets:
            self._targets[vpc_id] = _endpoint_eni(self.inventory, vpc_id, self.endpoints)
        return self._targets[vpc_id]

    def blocks(self, instance_id: str, eni: NetworkInterface) -> list[_Block]:
        target = self.target(eni.vpc_id)
        if self.classes is None:
            return self._evaluate(instance_id, eni, target)
        to = target.network_interface_id if target else None
        behaviour = self.classes.behaviour(eni)
        if target is None:
            # To a public address only the outbound rules that can admit tcp/443 to it
            # decide (group references cannot; the reply is tracked), and the interface's
            # own address is matched by nothing (ACLs and routes match the far end):
            # interfaces whose groups or addresses differ elsewhere share a verdict. A
            # block names the first group: renamed below.
            key: tuple[Any, ...] = self.classes.toward_outside(
                eni, egress=True, protocol=TCP, port=443, peer=_SSM_ADDRESS
            )
        else:
            # The endpoint's own interface reaching itself is no flow between two.
            key = (behaviour, to, to == eni.network_interface_id)
        known = self._verdicts.get(key)
        if known is None:
            self._verdicts[key] = (eni, self._evaluate(instance_id, eni, target))
            return self._verdicts[key][1]
        model, blocks = known
        own = {model.network_interface_id: eni.network_interface_id}
        if model.instance_id and eni.instance_id:
            own[model.instance_id] = eni.instance_id
        if model.group_ids and eni.group_ids:
            own[model.group_ids[0]] = eni.group_ids[0]
        return [replace(b, component=own.get(b.component, b.component)) for b in blocks]

    def _evaluate(
        self, instance_id: str, eni: NetworkInterface, target: NetworkInterface | None
    ) -> list[_Block]:
        if target is not None:
            destination = Endpoint(
                kind=EndpointKind.ENI,
                address=target.primary_ip,
                eni_id=target.network_interface_id,
                given="the ssm interface endpoint",
            )
        else:
            destination = Endpoint(
                kind=EndpointKind.EXTERNAL, address=SSM_STANDIN, given="ssm public endpoint"
            )
        source = Endpoint(
            kind=EndpointKind.ENI,
            address=eni.primary_ip,
            eni_id=eni.network_interface_id,
            instance_id=instance_id,
            given=instance_id,
        )
        result = self.evaluator.evaluate(
            Flow(source=source, destination=destination, protocol=TCP, port=443)
        )
        if result.reachable:
            return []
        return [
            _Block(code=e.code, component=e.component, direction=e.direction)
            for e in result.explanations
            if e.code in _FILTERING
        ]


@detector("reach.ssm-egress-blocked")
def ssm_egress_blocked(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """Running instances whose groups or ACLs block outbound 443 to the SSM endpoints."""
    inventory = ctx.inventory
    check = SsmCheck(inventory, signal(ctx.evidence, "vpc_endpoints"), classes_for(inventory))
    return findings_or_none(ssm_findings(inventory, check))


def ssm_findings(inventory: Inventory, check: SsmCheck) -> list[dict[str, Any]]:
    """One finding per running instance whose flow to SSM a group or ACL blocks."""
    found: list[dict[str, Any]] = []
    for instance in inventory.instances:
        enis = inventory.enis_of_instance(instance.instance_id)
        if instance.state != "running" or not enis or not enis[0].private_ips:
            continue
        eni = enis[0]
        blocks = check.blocks(instance.instance_id, eni)
        if not blocks:
            continue
        target = check.target(eni.vpc_id)
        # Only the source's own outbound rules are fixed here; a block at the endpoint's
        # group (its inbound 443) or at an ACL is reported, for `netmend fix` on the flow.
        source_egress = [
            e
            for e in blocks
            if e.code != Code.SUBNET_ACL_RESTRICTION
            and e.direction is Direction.EGRESS
            and e.component in (*eni.group_ids, eni.network_interface_id)
        ]
        by_group = any(e.code != Code.SUBNET_ACL_RESTRICTION for e in blocks)
        peer = "0.0.0.0/0"
        if target is not None:
            vpc = inventory.vpc(eni.vpc_id)
            peer = vpc.cidr_blocks[0] if vpc and vpc.cidr_blocks else f"{target.primary_ip}/32"
        found.append(
            finding(
                instance.instance_id,
                vpc=eni.vpc_id,
                accept_on=(eni.network_interface_id, *eni.group_ids),
                enis=[eni.network_interface_id],
                instance_id=instance.instance_id,
                eni_id=eni.network_interface_id,
                via="interface endpoints" if target is not None else "public endpoints",
                blocked_at=list(dict.fromkeys(f"{e.code} at {e.component}" for e in blocks)),
                blocked_by="security-group" if by_group else "network-acl",
                fix_group=eni.group_ids[0] if source_egress and eni.group_ids else None,
                egress_peer=peer,
            )
        )
    return found
