"""Security groups and network ACLs, rule by rule and entry by entry, per concrete packet."""

from __future__ import annotations

from netmend.model import (
    AclEntry,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    SgRule,
)
from netmend.reach.flow import Flow

from .common import (
    ANY,
    FIXED,
    ICMPS,
    PORTED,
    Pkt,
    _contains,
)

__all__ = [
    "_acl_admits",
    "_acl_admits_flow",
    "_acl_entry_matches",
    "_all_traffic_samples",
    "_flow_packets",
    "_rules_of",
    "_samples",
    "_sg_allows",
    "_sg_peer_matches",
    "_sg_rule_admits",
]

# -- security groups ---------------------------------------------------------------------


def _sg_peer_matches(
    inv: Inventory, rule: SgRule, address: str, peer: NetworkInterface | None
) -> bool:
    if rule.cidr_ipv4 is not None:
        return _contains(rule.cidr_ipv4, address)
    if rule.cidr_ipv6 is not None:
        return _contains(rule.cidr_ipv6, address)
    if rule.referenced_group_id is not None:
        return peer is not None and rule.referenced_group_id in peer.group_ids
    plist = inv.prefix_list(rule.prefix_list_id or "")
    return plist is not None and any(_contains(e.cidr, address) for e in plist.entries)


def _sg_rule_admits(rule: SgRule, pkt: Pkt) -> bool:
    protocol, value = pkt
    if rule.protocol == ANY:
        return True
    if rule.protocol != protocol:
        return False
    if protocol in PORTED:
        if rule.from_port is None or rule.from_port == -1:
            return True
        assert isinstance(value, int)
        return rule.from_port <= value <= (rule.to_port if rule.to_port is not None else 65535)
    if protocol in ICMPS:
        assert isinstance(value, tuple)
        icmp_type, icmp_code = value
        if rule.from_port is None or rule.from_port == -1:
            return True
        if rule.from_port != icmp_type:
            return False
        return rule.to_port is None or rule.to_port in (-1, icmp_code)
    return True


def _rules_of(inv: Inventory, eni: NetworkInterface, egress: bool) -> list[SgRule]:
    found = []
    for group_id in eni.group_ids:
        group = inv.security_group(group_id)
        if group is not None:
            found += [r for r in group.rules if r.egress == egress]
    return found


def _sg_allows(
    inv: Inventory,
    eni: NetworkInterface,
    flow: Flow,
    egress: bool,
    peer: NetworkInterface | None,
    address: str,
) -> tuple[bool, list[SgRule]]:
    """(allowed, the rules that admit some packet of the flow); ``address`` is the other
    end's as the packet carries it; ``peer`` (None: references match nothing) its ENI."""
    rules = [r for r in _rules_of(inv, eni, egress) if _sg_peer_matches(inv, r, address, peer)]
    if flow.protocol == ANY:
        admitting = [r for r in rules if r.protocol == ANY]
        return bool(admitting), admitting
    packets = _flow_packets(flow)
    admitting = [r for r in rules if any(_sg_rule_admits(r, p) for p in packets)]
    ok = all(any(_sg_rule_admits(r, p) for r in rules) for p in packets)
    return ok, admitting


def _flow_packets(flow: Flow) -> list[Pkt]:
    if flow.protocol in PORTED:
        return [(flow.protocol, flow.port)]
    if flow.protocol in ICMPS:
        code = flow.icmp_code
        if code is None and flow.icmp_type in FIXED[flow.protocol]:
            code = 0  # echo, timestamp, ... always carry code 0
        codes = range(256) if code is None else [code]
        return [(flow.protocol, (flow.icmp_type, c)) for c in codes]
    return [(flow.protocol, None)]


# -- network ACLs ------------------------------------------------------------------------


def _acl_entry_matches(entry: AclEntry, pkt: Pkt, address: str) -> bool:
    if not _contains(entry.cidr, address):
        return False
    protocol, value = pkt
    if entry.protocol not in (ANY, protocol):
        return False
    if entry.protocol in PORTED:
        if entry.port_from is None or entry.port_to is None:
            return True
        assert isinstance(value, int)
        return entry.port_from <= value <= entry.port_to
    if entry.protocol in ICMPS:
        assert isinstance(value, tuple)
        if entry.icmp_type is None or entry.icmp_type == -1:
            return True
        if entry.icmp_type != value[0]:
            return False
        return entry.icmp_code is None or entry.icmp_code == -1 or entry.icmp_code == value[1]
    return True


def _acl_admits(acl: NetworkAcl, egress: bool, pkt: Pkt, address: str) -> bool:
    for entry in sorted(acl.entries, key=lambda e: e.rule_number):
        if entry.egress == egress and _acl_entry_matches(entry, pkt, address):
            return entry.rule_action.value == "allow"
    return False  # the default * deny


def _samples(values: list[int], low: int, high: int) -> list[int]:
    points = {low, high}
    for v in values:
        points.update({v - 1, v, v + 1})
    return sorted(p for p in points if low <= p <= high)


def _all_traffic_samples(acl: NetworkAcl) -> list[Pkt]:
    """One packet of each region of (protocol, keys) where an entry's match can change."""
    named = {e.protocol for e in acl.entries if e.protocol != ANY}
    unnamed = next(str(n) for n in range(200, 256) if str(n) not in named)
    packets: list[Pkt] = [(unnamed, None)]
    for protocol in named:
        mine = [e for e in acl.entries if e.protocol == protocol]
        if protocol in PORTED:
            ends = [x for e in mine for x in (e.port_from, e.port_to) if x is not None]
            packets += [(protocol, p) for p in _samples(ends, 0, 65535)]
        elif protocol in ICMPS:
            types = _samples([e.icmp_type for e in mine if e.icmp_type is not None], 0, 255)
            codes = _samples([e.icmp_code for e in mine if e.icmp_code is not None], 0, 255)
            packets += [(protocol, (t, c)) for t in types for c in codes]
        else:
            packets.append((protocol, None))
    return packets


def _acl_admits_flow(
    acl: NetworkAcl, egress: bool, packets: list[Pkt] | None, address: str
) -> bool:
    """``packets`` None: all traffic."""
    todo = _all_traffic_samples(acl) if packets is None else packets
    return all(_acl_admits(acl, egress, p, address) for p in todo)
