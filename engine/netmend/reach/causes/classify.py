"""Root causes of a blocked flow: which playbook fixes each place the flow is dropped.

``classify`` reads the evaluation's explanations for *where* the flow stops and the
inventory for *why*. Per security-group hop it reports at most one cause whose fix is a
new rule, the nearest miss first:

- ``wrong-protocol``: a rule admits the peer and the port (or ICMP message) under another
  protocol (tcp 53 for udp 53; another ICMP type; tcp/udp where ping was meant). Inbound
  or outbound.
- ``wrong-port`` (inbound): a rule admits the peer under the flow's protocol on a nearby
  or look-alike port (8080 for 8443, 22 for 2222, 3306 for 33060); the nearest wins.
- ``wrong-cidr`` (inbound): a rule written for the flow's protocol and port admits another
  peer.
- ``missing-ingress`` / ``missing-egress``: nothing comes near.

Beside it: ``stateful-misunderstanding`` (blocked egress on a client whose groups hold
inbound ephemeral-port rules or outbound rules mirroring inbound ones, same port and
peer),
``sg-not-attached`` (an unattached group of the VPC would admit the flow; it replaces
missing-ingress/missing-egress, since attaching it is the fix) and
``rule-quota-exceeded`` (the group that must take the new rule is full). An ACL that
drops either leg is ``nacl-override``. A load balancer that cannot reach or
health-check its targets is ``lb-target-blocked`` (causes/balancer.py). Routes have no
playbook here; their explanation stands on its own.

Evidence keys, per playbook (every SG cause also has direction, eni_id, instance_id,
current_groups, protocol, port, icmp_type, icmp_code, service, source_address,
destination_address; ``peer``/``peer_kind`` is always the peer the new rule should name;
``near_miss_unused`` is always False: offline, netmend cannot see what a host listens on,
so a fix keeps the old rule):

- wrong-port: group_id, rule_id, peer, peer_kind, near_miss_port, near_miss_from,
  near_miss_to, near_miss_unused, rule_protocol, rule_ports, rule_peer, rule_description
- wrong-cidr: group_id, rule_id, rule_peer (the rule's), peer (narrowest: the source's
  group, else its /32 or /128), peer_kind, near_miss_unused, rule_protocol, rule_ports
- wrong-protocol: group_id, rule_id, peer, peer_kind, near_miss_protocol, near_miss_port
- missing-ingress / missing-egress: group_id, peer, peer_kind
- stateful-misunderstanding: group_id, peer, peer_kind, stateless_rules
- nacl-override: acl_id, subnet_id, direction, leg, rule_number, explicit_deny,
  default_deny, denied_by, cidr, ports, port_from, port_to, suggested_rule_number,
  entry_count, entry_quota, has_room, ephemeral (return leg: allowed, summary)
- sg-not-attached: eni_id, group_id, candidate_groups, current_groups, groups_after,
  has_room, groups_per_interface_quota, quota_source
- rule-quota-exceeded: group_id, direction, family, rule_count, rule_objects, quota,
  quota_code, quota_source, for_playbook
"""

from __future__ import annotations

from netmend.model import Inventory
from netmend.reach.causes.acl import acl_hop, nacl_cause
from netmend.reach.causes.attach import not_attached_cause
from netmend.reach.causes.balancer import balancer_causes
from netmend.reach.causes.model import PathPosition, RootCause
from netmend.reach.causes.quota import quota_cause
from netmend.reach.causes.sg import RULE_PLAYBOOKS, rule_cause, sg_side
from netmend.reach.causes.stateful import stateful_cause
from netmend.reach.flow import Flow
from netmend.reach.result import Code, Direction, Evaluation, Explanation, Leg

__all__ = ["PathPosition", "RootCause", "classify"]

_SG_CODES = frozenset({Code.ENI_SG_RULES_MISMATCH.value, Code.SG_HAS_NO_RULES.value})
_ACL_CODES = frozenset({Code.SUBNET_ACL_RESTRICTION.value})


def _sg_direction(inventory: Inventory, flow: Flow, explanation: Explanation) -> Direction | None:
    """Which end's groups an SG explanation blames: outbound at the source, inbound at the
    destination (groups are stateful, so the reply never stops at one)."""
    if explanation.leg is not Leg.FORWARD:
        return None
    if explanation.direction is not None:
        return explanation.direction
    for direction, endpoint in (
        (Direction.EGRESS, flow.source),
        (Direction.INGRESS, flow.destination),
    ):
        eni = inventory.network_interface(endpoint.eni_id) if endpoint.eni_id else None
        if eni is not None and explanation.component in (eni.network_interface_id, *eni.group_ids):
            return direction
    return None


def _sg_causes(inventory: Inventory, flow: Flow, direction: Direction) -> list[RootCause]:
    side = sg_side(inventory, flow, direction)
    if side is None:
        return []
    needing = rule_cause(inventory, flow, side)
    if needing is None:  # an attached rule admits the flow after all
        return []
    stateful = stateful_cause(flow, side, needing) if direction is Direction.EGRESS else None
    attach = not_attached_cause(inventory, flow, side)
    # Attaching the ready-made group is the fix when no attached rule came near; a near
    # miss stays beside it (someone meant that rule), and the lead picks per playbook.
    superseded = attach is not None and needing.playbook in (
        "missing-ingress",
        "missing-egress",
    )
    causes = [] if superseded else [needing]
    if stateful is not None:
        causes.append(stateful)
    if attach is not None:
        causes.append(attach)
    if not superseded and needing.playbook in RULE_PLAYBOOKS:
        full = quota_cause(inventory, needing)
        if full is not None:
            causes.append(full)
    return causes


def classify(inventory: Inventory, flow: Flow, evaluation: Evaluation) -> tuple[RootCause, ...]:
    """Every root cause of the flow's block, ordered by where on the path each blocks.

    Forward leg first (source SG egress, source ACL egress, route, destination ACL
    ingress, destination SG ingress), then the return leg; stable within a position.
    A reachable flow has none. Route explanations (NO_ROUTE_TO_DESTINATION,
    BAD_STATE_ROUTE) and codes without a playbook add nothing.
    """
    if evaluation.reachable:
        return ()
    causes: list[RootCause] = []
    seen: set[tuple[str, ...]] = set()
    for explanation in evaluation.explanations:
        if explanation.segment is not None:
            continue  # a load balancer's leg to a target: balancer_causes, below
        if explanation.code in _SG_CODES:
            direction = _sg_direction(inventory, flow, explanation)
            if direction is None or ("sg", direction.value) in seen:
                continue
            seen.add(("sg", direction.value))
            causes.extend(_sg_causes(inventory, flow, direction))
        elif explanation.code in _ACL_CODES:
            hop = acl_hop(inventory, flow, explanation)
            if hop is None:
                continue
            key = ("acl", hop.acl.network_acl_id, hop.leg.value, hop.direction.value)
            if key in seen:
                continue
            seen.add(key)
            causes.append(nacl_cause(inventory, flow, evaluation, hop))
    causes.extend(balancer_causes(inventory, flow, evaluation))
    causes.sort(key=lambda c: c.position)  # stable: explanation order within a position
    return tuple(causes)
