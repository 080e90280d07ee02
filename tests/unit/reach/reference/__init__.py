"""A small, slow, obviously correct evaluator to check netmend.reach against.

Written apart from the engine: no index, no interval algebra, nothing imported from
netmend.reach but the Flow it is given (of which it reads the protocol and what the user
typed for each end: it resolves the ends itself). Rules and entries are scanned one by
one for each concrete packet; a flow that stands for many packets (every code of an ICMP
type, all traffic, a reply to any ephemeral port) is checked packet by packet over a set
of sample packets that contains one packet of every region where the answer can change
(each entry's range ends and their neighbours), so the scan is exhaustive in effect.

It returns every blocking point as (code, component, leg, direction), in path order.

Real-account semantics, written from AWS's documentation (issue 9;
/work/shared/reference/aws-facts.md section 7), not from the engine:

- addresses: an IP is resolved among the interfaces owning it (private, IPv6 or in a
  delegated prefix) in the other end's VPC first, then the VPCs peered (active) or on a
  transit gateway (available attachments) with it, then anywhere; a public IP or Elastic
  IP is the private address it is translated to; an address inside a VPC's CIDR that no
  interface owns answers nothing (NO_POSSIBLE_DESTINATION), except the DNS resolver at
  base + 2, and sends nothing (NO_PATH);
- public IPs are per private address (the ENI's association, DescribeAddresses): the
  internet gateway lets out or in only an address that has one; a flow from inside to a
  public address is a hairpin: out by the source's route, then in from the address it
  left as (its public IP, or the NAT gateway's), so group references do not match it;
- interfaces without groups are not filtered by groups; a group missing from the
  inventory makes the verdict unknown (UNKNOWN_RESOURCE); DenyAllIgwTraffic takes
  nothing in from an internet gateway; a NAT gateway's interface takes nothing in;
- egress-only internet gateway: IPv6 out only, nothing in (NO_PATH);
- NAT gateway: TCP, UDP and ICMP only, its subnet's ACL crossed both ways (replies
  arrive on its ports 1024-65535), on to an internet gateway (public only), a transit
  or a virtual private gateway;
- an appliance ENI a route names forwards only with its source/destination check off;
- transit gateway: both VPCs attached (available), an attachment subnet in the
  sender's AZ (either leg), group references only inbound and only with referencing on
  the gateway and both attachments; when the gateway's route tables are known, the
  sender's attachment's table must route the destination to an attachment (TGW_RTB_*);
- virtual private gateway: static VPN routes only; BGP is beyond the API
  (UNKNOWN_DESTINATION);
- identical prefixes: local, then CIDR over prefix list, then a static route to a
  listed target over a propagated one, over a static one to another target;
- echo requests carry code 0 (and the other fixed-code query types).
"""

from __future__ import annotations

from .addresses import reference_resolve
from .common import Block, RefResult
from .filters import _acl_admits, _acl_admits_flow, _samples
from .path import reference_evaluate

__all__ = [
    "Block",
    "RefResult",
    "_acl_admits",
    "_acl_admits_flow",
    "_samples",
    "reference_evaluate",
    "reference_resolve",
]
