"""Root causes at a security-group hop: which rule came close, or that none did.

At the destination's inbound groups a near miss is a rule that gets two of the three
parts right: peer and port under another protocol (``wrong-protocol``), peer and
protocol with another port (``wrong-port``), port and protocol with another peer
(``wrong-cidr``). With none, the rule is simply missing (``missing-ingress``). At the
source's outbound groups only the protocol near miss is told apart; anything else is
``missing-egress`` (causes/stateful.py adds ``stateful-misunderstanding`` beside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP
from netmend.model.rules import rule_text
from netmend.reach.causes.match import (
    endpoint_eni,
    fix_group,
    narrowest_peer,
    peer_admits,
    ports_cover,
    rule_admits,
)
from netmend.reach.causes.model import PathPosition, RootCause
from netmend.reach.flow import Endpoint, Flow
from netmend.reach.result import Direction, Leg

__all__ = [
    "RULE_PLAYBOOKS",
    "SgSide",
    "base_evidence",
    "flow_words",
    "make_cause",
    "rule_cause",
    "sg_side",
]

# The causes whose fix is a new rule in ``evidence["group_id"]`` (in ``direction``).
RULE_PLAYBOOKS = frozenset(
    {
        "wrong-port",
        "wrong-cidr",
        "wrong-protocol",
        "missing-ingress",
        "missing-egress",
    }
)

# A wrong port is a typo or a mix-up (8080 for 8443, 22 for 2222, 3306 for 33060), not
# any other rule from the same peer: SSH on 22 is no near miss for a service on 8443.
_NEAR_PORT_DISTANCE = 1000


@dataclass(frozen=True)
class SgSide:
    """One end's security groups as the flow meets them: outbound at the source,
    inbound at the destination; ``peer`` is the other end."""

    direction: Direction
    endpoint: Endpoint
    eni: NetworkInterface
    groups: tuple[SecurityGroup, ...]
    peer: Endpoint
    peer_eni: NetworkInterface | None

    @property
    def position(self) -> PathPosition:
        if self.direction is Direction.EGRESS:
            return PathPosition.SOURCE_SG_EGRESS
        return PathPosition.DESTINATION_SG_INGRESS

    def rules(self) -> list[tuple[SecurityGroup, SgRule]]:
        egress = self.direction is Direction.EGRESS
        return [(g, r) for g in self.groups for r in g.rules if r.egress == egress]


def sg_side(inventory: Inventory, flow: Flow, direction: Direction) -> SgSide | None:
    """The side whose groups filter the forward leg in ``direction``; None off-inventory."""
    if direction is Direction.EGRESS:
        endpoint, peer = flow.source, flow.destination
    else:
        endpoint, peer = flow.destination, flow.source
    eni = endpoint_eni(inventory, endpoint)
    if eni is None:
        return None
    return SgSide(
        direction=direction,
        endpoint=endpoint,
        eni=eni,
        groups=inventory.groups_of_eni(eni.network_interface_id),
        peer=peer,
        peer_eni=endpoint_eni(inventory, peer),
    )


def flow_words(flow: Flow) -> str:
    """The flow's service as the runbook says it: ``tcp 8443``, ``icmp type 8``."""
    if flow.protocol == ALL:
        return "all traffic"
    if flow.protocol in (ICMP, ICMPV6):
        code = "" if flow.icmp_code is None else f" code {flow.icmp_code}"
        return f"{flow.protocol} type {flow.icmp_type}{code}"
    if flow.port is None:
        return f"protocol {flow.protocol}"
    return f"{flow.protocol} {flow.port}"


def base_evidence(flow: Flow, side: SgSide) -> dict[str, Any]:
    return {
        "direction": side.direction.value,
        "eni_id": side.eni.network_interface_id,
        "instance_id": side.eni.instance_id,
        "current_groups": [g.group_id for g in side.groups] or list(side.eni.group_ids),
        "protocol": flow.protocol,
        "port": flow.port,
        "icmp_type": flow.icmp_type,
        "icmp_code": flow.icmp_code,
        "service": flow_words(flow),
        "source_address": flow.source.address,
        "destination_address": flow.destination.address,
    }


def _port_distance(rule: SgRule, port: int) -> int:
    low = rule.from_port if rule.from_port is not None else 0
    high = rule.to_port if rule.to_port is not None else 65535
    return max(low - port, port - high, 0)


def _port_is_near(rule: SgRule, port: int) -> bool:
    if _port_distance(rule, port) <= _NEAR_PORT_DISTANCE:
        return True
    wanted = str(port)
    for edge in {rule.from_port, rule.to_port} - {None}:
        text = str(edge)
        shorter, longer = sorted((text, wanted), key=len)
        if len(shorter) >= 2 and shorter in longer:  # 22/2222, 3306/33060, 443/8443
            return True
    return False


def _other_protocol_covers(rule: SgRule, flow: Flow) -> bool:
    """The rule would carry the flow's port (or ICMP message) under another protocol."""
    if rule.protocol == ALL:
        return False
    if flow.protocol in (TCP, UDP):
        if rule.protocol not in (TCP, UDP) or rule.protocol == flow.protocol:
            return False
        low = rule.from_port if rule.from_port is not None else 0
        high = rule.to_port if rule.to_port is not None else 65535
        return flow.port is not None and low <= flow.port <= high
    if flow.protocol in (ICMP, ICMPV6):
        # Another ICMP type (echo reply for echo request), or TCP/UDP from the peer where
        # ping was meant.
        if rule.protocol == flow.protocol:
            # A rule for the flow's own type is never "another protocol".
            same_type = rule.from_port is not None and rule.from_port == flow.icmp_type
            return not same_type and not ports_cover(rule, flow)
        return rule.protocol in (TCP, UDP, ICMP, ICMPV6)
    # All traffic needs -1; a rule for one protocol carries only part. A numbered
    # protocol needs its own number.
    return rule.protocol != flow.protocol


def _specificity(rule: SgRule) -> int:
    if rule.all_ports or rule.from_port is None or rule.to_port is None:
        return 1 << 17
    return abs(rule.to_port - rule.from_port)


def _wrong_protocol(
    inventory: Inventory, flow: Flow, side: SgSide
) -> tuple[SecurityGroup, SgRule] | None:
    peers = [
        (g, r)
        for g, r in side.rules()
        if peer_admits(inventory, r, side.peer.address, side.peer_eni)
    ]
    if flow.protocol in (ICMP, ICMPV6) and any(
        r.protocol == flow.protocol and r.from_port == flow.icmp_type for _, r in peers
    ):
        return None  # an ICMP rule for the flow's own type exists: not the wrong protocol
    found = [(g, r) for g, r in peers if _other_protocol_covers(r, flow)]
    found.sort(key=lambda gr: _specificity(gr[1]))  # tcp 53 before tcp 0-1023
    return found[0] if found else None


def _wrong_port(
    inventory: Inventory, flow: Flow, side: SgSide
) -> tuple[SecurityGroup, SgRule] | None:
    port = flow.port
    if flow.protocol not in (TCP, UDP) or port is None:
        return None
    found = [
        (g, r)
        for g, r in side.rules()
        if r.protocol == flow.protocol
        and not ports_cover(r, flow)
        and peer_admits(inventory, r, side.peer.address, side.peer_eni)
        and _port_is_near(r, port)
    ]
    found.sort(key=lambda gr: (_port_distance(gr[1], port), _specificity(gr[1])))
    return found[0] if found else None


def _wrong_cidr(
    inventory: Inventory, flow: Flow, side: SgSide
) -> tuple[SecurityGroup, SgRule] | None:
    # Only rules written for this service: an all-traffic or all-ports rule trusts its
    # peer wholesale (a default group's self-reference, a bastion's group) and is no
    # mistyped CIDR for the flow's port.
    found = [
        (g, r)
        for g, r in side.rules()
        if r.protocol == flow.protocol
        and flow.protocol != ALL
        and not (r.protocol in (TCP, UDP) and r.all_ports)
        and ports_cover(r, flow)
        and not peer_admits(inventory, r, side.peer.address, side.peer_eni)
    ]
    found.sort(key=lambda gr: _specificity(gr[1]))
    return found[0] if found else None


def _rule_facts(rule: SgRule) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "rule_protocol": rule.protocol,
        "rule_ports": rule.ports_text,
        "rule_peer": rule.peer,
        "rule_description": rule.description,
    }


def make_cause(
    playbook: str, resource: str, summary: str, evidence: dict[str, Any], side: SgSide
) -> RootCause:
    """A cause at one end's groups; ``playbook`` is its root-cause id (a string literal
    at each call: tests/unit/playbook/test_root_causes.py reads them)."""
    return RootCause(
        playbook=playbook,
        resource=resource,
        summary=summary,
        evidence=evidence,
        leg=Leg.FORWARD,
        direction=side.direction,
        position=int(side.position),
    )


def _peer_kind(rule: SgRule) -> str:
    if rule.referenced_group_id is not None:
        return "group"
    if rule.prefix_list_id is not None:
        return "prefix-list"
    return "cidr"


def rule_cause(inventory: Inventory, flow: Flow, side: SgSide) -> RootCause | None:
    """The cause at this hop whose fix is a rule; None when an attached rule admits the flow."""
    if any(
        rule_admits(inventory, r, flow, side.peer.address, side.peer_eni) for _, r in side.rules()
    ):
        return None
    base = base_evidence(flow, side)
    outbound = side.direction is Direction.EGRESS
    wanted = flow_words(flow)

    protocol_miss = _wrong_protocol(inventory, flow, side)
    if protocol_miss is not None:
        group, rule = protocol_miss
        evidence = {
            **base,
            **_rule_facts(rule),
            "group_id": group.group_id,
            "peer": rule.peer,
            "peer_kind": _peer_kind(rule),
            "near_miss_protocol": rule.protocol,
            "near_miss_port": rule.ports_text,
        }
        summary = f"The group {group.group_id} allows {rule_text(rule)}; the flow is {wanted}."
        return make_cause("wrong-protocol", group.group_id, summary, evidence, side)

    if not outbound:
        port_miss = _wrong_port(inventory, flow, side)
        if port_miss is not None:
            group, rule = port_miss
            evidence = {
                **base,
                **_rule_facts(rule),
                "group_id": group.group_id,
                "peer": rule.peer,
                "peer_kind": _peer_kind(rule),
                "near_miss_port": rule.ports_text,
                "near_miss_from": rule.from_port,
                "near_miss_to": rule.to_port,
                # netmend cannot see which ports a host listens on, so it never claims
                # the old rule is unused: the fix adds the right port and keeps it.
                "near_miss_unused": False,
            }
            summary = (
                f"The group {group.group_id} allows {rule_text(rule)}; "
                f"the service listens on {flow.port}."
            )
            return make_cause("wrong-port", group.group_id, summary, evidence, side)

        cidr_miss = _wrong_cidr(inventory, flow, side)
        if cidr_miss is not None:
            group, rule = cidr_miss
            peer, kind = narrowest_peer(inventory, side.peer, group.vpc_id)
            evidence = {
                **base,
                **_rule_facts(rule),
                "group_id": group.group_id,
                "peer": peer,
                "peer_kind": kind,
                "near_miss_unused": False,
            }
            summary = (
                f"The group {group.group_id} allows {rule_text(rule)}, "
                f"but the traffic comes from {side.peer.label}; {peer} would admit it."
            )
            return make_cause("wrong-cidr", group.group_id, summary, evidence, side)

    group_id = fix_group(side.groups, side.eni.group_ids)
    if group_id is None:
        # No group to take a rule (a service interface without groups, or groups missing
        # from the inventory): never name the ENI as a group in a cause or a plan.
        return None
    taking = inventory.security_group(group_id)
    vpc_id = taking.vpc_id if taking is not None else side.eni.vpc_id
    peer, kind = narrowest_peer(inventory, side.peer, vpc_id)
    evidence = {**base, "group_id": group_id, "peer": peer, "peer_kind": kind}
    groups_text = ", ".join(base["current_groups"]) or "no group"
    if outbound:
        summary = (
            f"No outbound rule of {groups_text} on {side.endpoint.label} lets {wanted} out to "
            f"{side.peer.label}; {group_id} needs one to {peer}."
        )
        return make_cause("missing-egress", group_id, summary, evidence, side)
    summary = (
        f"No inbound rule of {groups_text} on {side.endpoint.label} comes near {wanted} from "
        f"{side.peer.label}; {group_id} needs one from {peer}."
    )
    return make_cause("missing-ingress", group_id, summary, evidence, side)
