"""A flow from inside to another interface's public IP (or Elastic IP): a hairpin.

The source's own route table decides: through an internet gateway (or a NAT gateway)
the packet leaves the VPC and comes back in through the destination's internet gateway,
so it is two flows, evaluated as such and joined in path order:

1. source -> the public address, as to any outside address (the source needs a public
   IP of its own for that private address, or a NAT gateway);
2. the address it left with (its public IP, or the NAT gateway's) -> the destination's
   private address, as from any outside address: the destination's groups see that
   public source, so a rule that references the source's group does not match it.

Any other way out (a default route to a virtual private gateway, ...) is not the
internet: flow 1 then says where the packet goes, and there is no flow 2.
"""

from __future__ import annotations

from collections.abc import Callable

from netmend.model import Inventory, NatGateway, NetworkInterface, RouteTargetKind
from netmend.reach.flow import Endpoint, EndpointKind, Flow
from netmend.reach.packet import parse_address
from netmend.reach.result import Evaluation, Leg
from netmend.reach.routing import Router

__all__ = ["hairpin"]

Evaluate = Callable[[Flow], Evaluation]


def _left_as(inventory: Inventory, router: Router, src: NetworkInterface, flow: Flow) -> str | None:
    public = flow.destination.public_address or ""
    route = router.route_kind(src, parse_address(public))
    if route is None:
        return None
    if route.target_kind is RouteTargetKind.INTERNET_GATEWAY:
        return inventory.public_ip_of(src, flow.source.address)
    if route.target_kind is RouteTargetKind.NAT_GATEWAY:
        nat = inventory.get(route.target_id or "")
        if isinstance(nat, NatGateway) and nat.public_ips:
            return nat.public_ips[0]
    return None


def hairpin(
    inventory: Inventory, router: Router, src: NetworkInterface, flow: Flow, run: Evaluate
) -> Evaluation:
    public = flow.destination.public_address or ""
    outside = Endpoint(kind=EndpointKind.EXTERNAL, address=public, given=public)
    first = run(flow.model_copy(update={"destination": outside}))
    notes = [
        f"{public} is {flow.destination.eni_id}'s public address: the flow leaves through "
        f"{src.vpc_id}'s route to it and comes back in from the internet"
    ]
    left_as = _left_as(inventory, router, src, flow) if first.reachable else None
    if left_as is None:
        return first.model_copy(update={"flow": flow, "notes": first.notes + tuple(notes)})
    notes.append(
        f"{flow.destination.eni_id} sees the flow from {left_as}, not {flow.source.address}: "
        "rules referencing the source's group do not match it"
    )
    entering = Endpoint(kind=EndpointKind.EXTERNAL, address=left_as, given=left_as)
    destination = flow.destination.model_copy(update={"public_address": None})
    second = run(flow.model_copy(update={"source": entering, "destination": destination}))
    explanations = (
        [e for e in first.explanations if e.leg is Leg.FORWARD]
        + list(second.explanations)
        + [e for e in first.explanations if e.leg is Leg.RETURN]
    )
    tracked = None if explanations else bool(first.tracked and second.tracked)
    return Evaluation(
        flow=flow,
        reachable=not explanations,
        forward=first.forward + second.forward,
        return_path=second.return_path + first.return_path,
        explanations=tuple(explanations),
        ephemeral=second.ephemeral + first.ephemeral,
        tracked=tracked,
        notes=tuple(dict.fromkeys(first.notes + second.notes + tuple(notes))),
    )
