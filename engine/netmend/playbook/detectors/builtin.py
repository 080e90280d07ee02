"""Built-in detectors: thin tests over (inventory, flow, evaluation, causes).

Each returns an evidence dict (plain JSON-able values the playbook's templates read) when
it holds, else None. Diagnosis proper lives in ``netmend.reach``; these only ask it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from netmend.playbook.context import StepContext
from netmend.playbook.params import Params
from netmend.playbook.registry import NoParams, detector
from netmend.playbook.schema import SLUG
from netmend.reach.causes.match import endpoint_eni, fix_group, narrowest_peer
from netmend.reach.causes.sg import sg_side
from netmend.reach.result import Code, Direction, Leg

__all__ = ["CausePresentParams", "NarrowestPeerParams"]

_SG_CODES = frozenset({Code.ENI_SG_RULES_MISMATCH.value, Code.SG_HAS_NO_RULES.value})


class CausePresentParams(Params):
    id: str = Field(pattern=SLUG, description="The root-cause playbook id, e.g. missing-ingress.")


@detector("cause.present", params=CausePresentParams)
def cause_present(ctx: StepContext, params: CausePresentParams) -> dict[str, Any] | None:
    """The classifier found this root cause; evidence is that cause's evidence."""
    if ctx.cause is not None and ctx.cause.playbook == params.id:
        return dict(ctx.cause.evidence)
    found = next((c for c in ctx.causes if c.playbook == params.id), None)
    return dict(found.evidence) if found is not None else None


def _sg_blocks(ctx: StepContext, direction: Direction) -> dict[str, Any] | None:
    flow, evaluation = ctx.flow, ctx.evaluation
    if flow is None or evaluation is None or evaluation.reachable:
        return None
    side = sg_side(ctx.inventory, flow, direction)
    if side is None:
        return None
    blamed = {side.eni.network_interface_id, *side.eni.group_ids}
    if not any(
        e.code in _SG_CODES
        and e.leg is Leg.FORWARD
        and (e.direction is direction or (e.direction is None and e.component in blamed))
        for e in evaluation.explanations
    ):
        return None
    group_id = fix_group(side.groups, side.eni.group_ids)
    group = ctx.inventory.security_group(group_id) if group_id else None
    peer, kind = narrowest_peer(ctx.inventory, side.peer, group.vpc_id if group else None)
    return {
        "direction": direction.value,
        "eni_id": side.eni.network_interface_id,
        "current_groups": list(side.eni.group_ids),
        "group_id": group_id,
        "peer": peer,
        "peer_kind": kind,
    }


@detector("sg.ingress-blocks-flow")
def ingress_blocks_flow(ctx: StepContext, params: NoParams) -> dict[str, Any] | None:
    """The destination's security groups drop the flow inbound."""
    return _sg_blocks(ctx, Direction.INGRESS)


@detector("sg.egress-blocks-flow")
def egress_blocks_flow(ctx: StepContext, params: NoParams) -> dict[str, Any] | None:
    """The source's security groups drop the flow outbound."""
    return _sg_blocks(ctx, Direction.EGRESS)


@detector("sg.near-miss-port")
def near_miss_port(ctx: StepContext, params: NoParams) -> dict[str, Any] | None:
    """An inbound rule admits the peer on a nearby or look-alike port (wrong-port)."""
    found = next((c for c in ctx.causes if c.playbook == "wrong-port"), None)
    if found is None:
        return None
    keys = ("group_id", "rule_id", "near_miss_port", "near_miss_from", "near_miss_to")
    evidence = {k: found.evidence.get(k) for k in keys}
    evidence["near_miss_unused"] = bool(found.evidence.get("near_miss_unused", False))
    return evidence


class NarrowestPeerParams(Params):
    toward: Literal["source", "destination"] = Field(
        default="source",
        description="Whose address the new rule names: source (inbound) or destination.",
    )


@detector("flow.narrowest-peer", params=NarrowestPeerParams)
def flow_narrowest_peer(ctx: StepContext, params: NarrowestPeerParams) -> dict[str, Any] | None:
    """The narrowest peer admitting one end: its group if it has one here, else its /32."""
    flow = ctx.flow
    if flow is None:
        return None
    peer_end, rule_end = (
        (flow.source, flow.destination)
        if params.toward == "source"
        else (flow.destination, flow.source)
    )
    rule_eni = endpoint_eni(ctx.inventory, rule_end)
    peer, kind = narrowest_peer(ctx.inventory, peer_end, rule_eni.vpc_id if rule_eni else None)
    return {"peer": peer, "peer_kind": kind}
