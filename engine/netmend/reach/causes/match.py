"""Rule matching for root-cause classification: does one rule admit one part of a flow?

The evaluator answers "is the flow allowed"; classification needs the parts separately
(peer, protocol, port) to tell a near miss from no rule at all, so it matches rules field
by field here. These are plain scans: they run once per blocked hop, not per flow.
"""

from __future__ import annotations

import ipaddress

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP
from netmend.reach.flow import Endpoint, Flow
from netmend.reach.packet import forward_packet, sg_rule_keys

__all__ = [
    "address_in",
    "canonical_address",
    "endpoint_eni",
    "fix_group",
    "host_cidr",
    "narrowest_peer",
    "peer_admits",
    "ports_cover",
    "protocol_matches",
    "rule_admits",
    "rule_family",
    "rule_weight",
]


def canonical_address(address: str) -> str:
    return str(ipaddress.ip_address(address))


def address_in(cidr: str, address: str) -> bool:
    """True when ``address`` lies in ``cidr`` (False across address families)."""
    network = ipaddress.ip_network(cidr, strict=False)
    ip = ipaddress.ip_address(address)
    return ip.version == network.version and ip in network


def host_cidr(address: str) -> str:
    """The address as a one-host network: /32 for IPv4, /128 for IPv6."""
    ip = ipaddress.ip_address(address)
    return f"{ip}/{ip.max_prefixlen}"


def endpoint_eni(inventory: Inventory, endpoint: Endpoint) -> NetworkInterface | None:
    return inventory.network_interface(endpoint.eni_id) if endpoint.eni_id else None


def peer_admits(
    inventory: Inventory, rule: SgRule, address: str, eni: NetworkInterface | None
) -> bool:
    """Does the rule's peer cover the other end of the flow (``address``, on ``eni``)?

    A group reference matches only the private addresses of ENIs that carry the group.
    """
    if rule.cidr_ipv4 is not None:
        return address_in(rule.cidr_ipv4, address)
    if rule.cidr_ipv6 is not None:
        return address_in(rule.cidr_ipv6, address)
    if rule.referenced_group_id is not None:
        if eni is None or rule.referenced_group_id not in eni.group_ids:
            return False
        own = {canonical_address(a) for a in (*eni.private_ips, *eni.ipv6_addresses)}
        return canonical_address(address) in own
    if rule.prefix_list_id is not None:
        plist = inventory.prefix_list(rule.prefix_list_id)
        return plist is not None and any(address_in(e.cidr, address) for e in plist.entries)
    return False


def protocol_matches(rule: SgRule, flow: Flow) -> bool:
    """The rule's protocol carries the flow (``-1`` carries all; an all-traffic flow needs -1)."""
    if rule.protocol == ALL:
        return True
    return flow.protocol != ALL and rule.protocol == flow.protocol


def ports_cover(rule: SgRule, flow: Flow) -> bool:
    """The rule's port range (or ICMP type and code) covers the flow's, protocol aside.

    Ports and ICMP type/code compare as the evaluator's keys (packet.py): a flow given
    without an ICMP code stands for every code of its type.
    """
    if rule.all_ports:
        return True
    same_space = (flow.protocol in (TCP, UDP) and rule.protocol in (TCP, UDP)) or (
        flow.protocol in (ICMP, ICMPV6) and rule.protocol in (ICMP, ICMPV6)
    )
    if not same_space:
        return False
    wanted_lo, wanted_hi = forward_packet(flow).keys
    lo, hi = sg_rule_keys(rule)
    return lo <= wanted_lo and wanted_hi <= hi


def rule_admits(
    inventory: Inventory,
    rule: SgRule,
    flow: Flow,
    address: str,
    eni: NetworkInterface | None,
) -> bool:
    return (
        protocol_matches(rule, flow)
        and ports_cover(rule, flow)
        and peer_admits(inventory, rule, address, eni)
    )


def fix_group(groups: tuple[SecurityGroup, ...], group_ids: tuple[str, ...]) -> str | None:
    """The group that should take a new rule: the ENI's first non-default group.

    Rules belong on a purpose-made group; the default group is a last resort (AWS's
    advice is to leave it unused), taken only when the ENI carries nothing else.
    """
    for group in groups:
        if not group.is_default:
            return group.group_id
    if groups:
        return groups[0].group_id
    return group_ids[0] if group_ids else None


def narrowest_peer(inventory: Inventory, peer: Endpoint, vpc_id: str | None) -> tuple[str, str]:
    """The narrowest peer that admits ``peer``: ``(value, kind)``, kind ``group`` or ``cidr``.

    A reference to the peer's own non-default group when the peer is an ENI in the same
    VPC (group references do not reach other VPCs without peering); else its /32 (/128).
    """
    eni = endpoint_eni(inventory, peer)
    if eni is not None and vpc_id is not None and eni.vpc_id == vpc_id:
        for group_id in eni.group_ids:
            group = inventory.security_group(group_id)
            if group is not None and not group.is_default:
                return group_id, "group"
    return host_cidr(peer.address), "cidr"


def rule_family(inventory: Inventory, rule: SgRule) -> str:
    """``ipv6`` or ``ipv4``: AWS counts the two families separately against the rule quota."""
    if rule.cidr_ipv6 is not None:
        return "ipv6"
    if rule.prefix_list_id is not None:
        plist = inventory.prefix_list(rule.prefix_list_id)
        if plist is not None and plist.address_family.lower() == "ipv6":
            return "ipv6"
    return "ipv4"


def rule_weight(inventory: Inventory, rule: SgRule) -> int:
    """How much the rule weighs against the rules-per-group quota (L-0EA8095F).

    A prefix-list rule counts as the list's MaxEntries (its weight, for AWS-managed lists),
    not its current entries; any other rule counts 1.
    """
    if rule.prefix_list_id is None:
        return 1
    plist = inventory.prefix_list(rule.prefix_list_id)
    if plist is None:
        return 1
    if plist.max_entries is not None:
        return plist.max_entries
    return max(1, len(plist.entries))
