"""``stateful-misunderstanding``: a client whose groups were written for a stateless firewall.

Security groups track connections: a reply passes whatever the other direction's rules
say, and the client needs an outbound rule for the service, not inbound ephemeral ports.
Two tell-tale shapes on the client's groups, reported beside the blocked egress:

- an inbound TCP/UDP rule covering a client ephemeral range (1024-65535, Linux's
  32768-60999 or Windows' 49152-65535), opened "for the replies";
- an outbound rule mirroring an inbound service rule of the same group (egress 443 to the
  peer that inbound 443 admits), added "because traffic goes both ways". The peer must
  match too: egress 443 to another network is the client's own traffic, not a mirror.
"""

from __future__ import annotations

from typing import Any

from netmend.model import SecurityGroup, SgRule
from netmend.model.protocol import TCP, UDP
from netmend.model.rules import rule_text
from netmend.reach.causes.model import RootCause
from netmend.reach.causes.sg import SgSide, base_evidence, flow_words, make_cause
from netmend.reach.flow import Flow
from netmend.reach.result import Direction

__all__ = ["stateful_cause"]

# Client ephemeral ranges (Linux, Windows/NLB): an inbound rule containing one of them,
# on a client, was written for a stateless firewall.
_CLIENT_RANGES = ((32768, 60999), (49152, 65535))


def _ephemeral_shaped(rule: SgRule) -> bool:
    if rule.protocol not in (TCP, UDP) or rule.from_port is None or rule.to_port is None:
        return False
    if rule.from_port < 1024:  # 0-65535 trusts the peer wholesale; not an ephemeral rule
        return False
    return any(rule.from_port <= low and high <= rule.to_port for low, high in _CLIENT_RANGES)


_Stateless = tuple[SecurityGroup, SgRule, str, SgRule | None]


def _stateless_rules(groups: tuple[SecurityGroup, ...]) -> list[_Stateless]:
    found: list[_Stateless] = []
    for group in groups:
        inbound = {(r.protocol, r.from_port, r.to_port, r.peer): r for r in group.ingress}
        for rule in group.ingress:
            if _ephemeral_shaped(rule):
                found.append((group, rule, "inbound-ephemeral", None))
        for rule in group.egress:
            mirrored = inbound.get((rule.protocol, rule.from_port, rule.to_port, rule.peer))
            if (
                mirrored is not None
                and rule.protocol in (TCP, UDP)
                and not rule.all_ports
                and not _ephemeral_shaped(rule)
            ):
                found.append((group, rule, "egress-mirrors-inbound", mirrored))
    return found


def _evidence(found: _Stateless) -> dict[str, Any]:
    group, rule, why, mirrored = found
    return {
        "group_id": group.group_id,
        "rule_id": rule.rule_id,
        "direction": "egress" if rule.egress else "ingress",
        "protocol": rule.protocol,
        "ports": rule.ports_text,
        "peer": rule.peer,
        "why": why,
        "mirrors_rule_id": mirrored.rule_id if mirrored is not None else None,
    }


def stateful_cause(flow: Flow, side: SgSide, egress_cause: RootCause) -> RootCause | None:
    """``stateful-misunderstanding`` beside a blocked egress, when the source's groups show
    stateless thinking (inbound ephemeral ports, outbound rules mirroring inbound ones)."""
    if side.direction is not Direction.EGRESS:
        return None
    found = _stateless_rules(side.groups)
    if not found:
        return None
    group_id = str(egress_cause.evidence["group_id"])
    shown = "; ".join(
        rule_text(rule, group=True) + (" mirroring inbound" if mirrored is not None else "")
        for _, rule, _, mirrored in found
    )
    summary = (
        f"{side.endpoint.label} is the client here, yet its groups hold rules for a "
        f"stateless firewall ({shown}) and no outbound rule for {flow_words(flow)}: replies "
        f"come back by themselves, the outbound rule is what {group_id} needs."
    )
    evidence = {
        **base_evidence(flow, side),
        "group_id": group_id,
        "peer": egress_cause.evidence.get("peer"),
        "peer_kind": egress_cause.evidence.get("peer_kind"),
        "stateless_rules": [_evidence(f) for f in found],
    }
    return make_cause("stateful-misunderstanding", group_id, summary, evidence, side)
