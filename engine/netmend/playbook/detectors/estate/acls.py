"""Custom network ACLs that let a service in but not its replies out (stateless ACLs).

For each inbound allow of a TCP or UDP service port, the reply leaves the subnet to the
client's ephemeral port: the outbound entries must let back 1024-65535 to the same
peer. netmend walks the outbound entries (first match wins) for the reply and says
which clients fail (Linux 32768-60999, Windows and NLB 49152-65535, ELB, NAT gateways
and Lambda anywhere in 1024-65535). A peer is judged by one address of it (the first
of its CIDR, or a public address standing for 0.0.0.0/0); entries naming only part of
a wide peer are seen as that address sees them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from netmend.model import AclEntry, AclRuleAction, NetworkAcl
from netmend.model.protocol import TCP, UDP
from netmend.playbook.acl_crossings import place_entry
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.base import finding, findings_or_none
from netmend.playbook.params import Params
from netmend.playbook.registry import detector
from netmend.reach.acl import CompiledAcl, walk
from netmend.reach.ephemeral import ANY_CLIENT, failing_clients
from netmend.reach.intervals import text
from netmend.reach.packet import Packet, parse_address

__all__ = ["return_blocked"]

# Stand-ins for "anyone on the internet" (documentation ranges, RFC 5737 / RFC 3849).
_WORLD_STANDIN = {4: "198.51.100.10", 6: "2001:db8::10"}


def _peer_address(cidr: str) -> str:
    network = ipaddress.ip_network(cidr, strict=False)
    if network.prefixlen == 0:
        return _WORLD_STANDIN[network.version]
    return str(network.network_address)


def _inside(family: int) -> str:
    # The subnet's own address does not matter: ACL entries match the peer's address.
    return "10.0.0.10" if family == 4 else "fd00::10"


def return_blocked(acl: NetworkAcl, entry: AclEntry) -> dict[str, Any] | None:
    """What the reply to ``entry``'s service fails on, or None when every client is let back."""
    compiled = CompiledAcl(acl)
    peer = parse_address(_peer_address(entry.cidr))
    inside = parse_address(_inside(peer.family))
    port = entry.port_from if entry.port_from is not None else 0
    request = Packet(entry.protocol, (port, port), peer, inside)
    if not walk(compiled, request, egress=False).complete:
        return None  # an earlier entry denies the service itself: not this problem
    reply = Packet(entry.protocol, ANY_CLIENT, inside, peer)
    verdict = walk(compiled, reply, egress=True)
    failing = failing_clients(verdict.admitted)
    if not failing:
        return None
    return {
        "service": f"{entry.protocol}/{port}",
        "peer": entry.cidr,
        "let_back": text(verdict.admitted) or "nothing",
        "failing_clients": failing,
        "denied_by": list(verdict.denying),
    }


@detector("acl.blocks-return")
def blocks_return(ctx: StepContext, params: Params) -> dict[str, Any] | None:
    """ACLs that allow a service port in but block its ephemeral return range out."""
    found: list[dict[str, Any]] = []
    for acl in ctx.inventory.network_acls:
        for entry in sorted(acl.entries, key=lambda e: e.rule_number):
            if (
                entry.egress
                or entry.rule_action is not AclRuleAction.ALLOW
                or entry.protocol not in (TCP, UDP)
                or entry.port_from is None
                or entry.port_from >= ANY_CLIENT[0]
            ):
                continue
            blocked = return_blocked(acl, entry)
            if blocked is None:
                continue
            template = AclEntry(
                rule_number=1,
                egress=True,
                protocol=entry.protocol,
                rule_action=AclRuleAction.ALLOW,
                cidr=entry.cidr,
                port_from=ANY_CLIENT[0],
                port_to=ANY_CLIENT[1],
            )
            found.append(
                finding(
                    acl.network_acl_id,
                    vpc=acl.vpc_id,
                    acl_id=acl.network_acl_id,
                    subnets=list(acl.subnet_ids),
                    inbound_entry=entry.rule_number,
                    protocol=entry.protocol,
                    rule_number=place_entry(acl, template),
                    **blocked,
                )
            )
            break  # one finding per ACL: the first service it breaks (the fix adds one entry)
    return findings_or_none(found)
