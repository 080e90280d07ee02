"""Interfaces the evaluator cannot tell apart: one evaluation speaks for all of them.

An estate of thousands of instances is mostly copies (an autoscaling group: same
groups, same subnets). The estate detectors evaluate flows from and to interfaces; two
interfaces with the same ``behaviour`` key give the same verdict on every flow that
names them as an end, so a detector evaluates one representative and reuses the verdict.

What the evaluator reads of an interface is all in the key: its groups (in order: a
block names the first), subnet (its ACL and route table), VPC, zone, status and
attachment, type (some are not filtered by groups), source/destination check, whether
it has a public IP or denies internet traffic, its instance's state, and where its
primary address sits among the CIDRs the estate names. That last part is exact without
comparing addresses: two CIDRs are nested or disjoint, so a CIDR that is not strictly
inside the subnet holds all of the subnet's addresses or none; only the CIDRs strictly
inside it (a /32 rule for one host, a /28 ACL entry) can tell two addresses apart, and
the key lists the ones holding the address.

``tests/unit/scan/test_dedupe.py`` checks the claim: findings on random estates equal
those of a naive path evaluating every interface.
"""

from __future__ import annotations

import ipaddress
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from netmend.model import Inventory, NetworkInterface
from netmend.model.protocol import ALL

__all__ = ["InterfaceClasses", "classes_for"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CACHE_SIZE = 4
_cache: OrderedDict[int, InterfaceClasses] = OrderedDict()
_cache_lock = threading.Lock()


def _cidrs(inventory: Inventory) -> Iterator[str]:
    for group in inventory.security_groups:
        for rule in group.rules:
            if rule.cidr_ipv4:
                yield rule.cidr_ipv4
    for acl in inventory.network_acls:
        for entry in acl.entries:
            yield entry.cidr
    for table in inventory.route_tables:
        for route in table.routes:
            if route.destination_cidr:
                yield route.destination_cidr
    for plist in inventory.prefix_lists:
        for item in plist.entries:
            yield item.cidr


class InterfaceClasses:
    """Built once per inventory; ``behaviour(eni)`` is the interface's class key."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        networks: set[tuple[int, int]] = set()  # (network address, prefix length), IPv4
        for cidr in set(_cidrs(inventory)):
            try:
                net = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                continue
            if isinstance(net, ipaddress.IPv4Network):
                networks.add((int(net.network_address), net.prefixlen))
        # Per subnet: prefix length -> the networks of that length strictly inside it.
        ordered = sorted(networks)
        starts = [address for address, _ in ordered]
        self._inside: dict[str, dict[int, set[int]]] = {}
        for subnet in inventory.subnets:
            if not subnet.cidr_block or ":" in subnet.cidr_block:
                continue
            outer = ipaddress.ip_network(subnet.cidr_block, strict=False)
            low, length = int(outer.network_address), outer.prefixlen
            high = low + outer.num_addresses
            inside: dict[int, set[int]] = {}
            for address, prefix in ordered[bisect_left(starts, low) : bisect_left(starts, high)]:
                if prefix > length:
                    inside.setdefault(prefix, set()).add(address)
            self._inside[subnet.subnet_id] = inside
        self._states = {i.instance_id: i.state for i in inventory.instances}
        self._keys: dict[str, tuple[Any, ...]] = {}
        self._outside: dict[tuple[Any, ...], tuple[bool, bool, frozenset[str]] | None] = {}

    def _narrow(self, eni: NetworkInterface) -> tuple[tuple[int, int], ...]:
        inside = self._inside.get(eni.subnet_id)
        if not inside or not eni.private_ips:
            return ()
        address = int(ipaddress.IPv4Address(eni.private_ips[0]))
        found = []
        for prefix in sorted(inside):
            network = address >> (32 - prefix) << (32 - prefix)
            if network in inside[prefix]:
                found.append((network, prefix))
        return tuple(found)

    def toward_outside(
        self, eni: NetworkInterface, *, egress: bool, protocol: str, port: int, peer: Address
    ) -> tuple[Any, ...]:
        """The class of the interface for one flow with an address outside every VPC.

        Such a flow is decided by the rules of one direction that can admit it from or to
        ``peer`` (group references cannot: the peer carries no group; the reply is
        tracked), by whether that direction has rules at all, by the groups missing from
        the inventory, and by the rest of the class but the interface's own address (ACL
        entries and routes match the far end). A block names the first group (callers
        rename it for each member).
        """
        admits = False
        any_rule = False
        prefix_lists: set[str] = set()
        missing: list[str] = []
        for group_id in eni.group_ids:
            found = self._outside_rules(group_id, egress, protocol, port, peer)
            if found is None:
                missing.append(group_id)
                continue
            admits = admits or found[0]
            any_rule = any_rule or found[1]
            prefix_lists |= found[2]
        own = (bool(eni.group_ids), admits, frozenset(prefix_lists), any_rule, tuple(missing))
        return (*own, *self.behaviour(eni)[1:-1])

    def _outside_rules(
        self, group_id: str, egress: bool, protocol: str, port: int, peer: Address
    ) -> tuple[bool, bool, frozenset[str]] | None:
        """(a rule admits the flow, the direction has rules, prefix lists that may); None
        for a group not in the inventory. Once per group and flow."""
        key = (group_id, egress, protocol, port, peer)
        if key in self._outside:
            return self._outside[key]
        group = self.inventory.security_group(group_id)
        answer: tuple[bool, bool, frozenset[str]] | None = None
        if group is not None:
            admits = False
            prefix_lists: set[str] = set()
            rules = group.egress if egress else group.ingress
            for rule in rules:
                if rule.protocol not in (protocol, ALL):
                    continue
                if rule.protocol != ALL and not rule.all_ports:
                    if rule.from_port is None or rule.to_port is None:
                        continue
                    if not rule.from_port <= port <= rule.to_port:
                        continue
                cidr = rule.cidr_ipv4 if peer.version == 4 else rule.cidr_ipv6
                if rule.prefix_list_id is not None:
                    prefix_lists.add(rule.prefix_list_id)
                elif cidr is not None and peer in ipaddress.ip_network(cidr):
                    admits = True
            answer = (admits, bool(rules), frozenset(prefix_lists))
        self._outside[key] = answer
        return answer

    def behaviour(self, eni: NetworkInterface) -> tuple[Any, ...]:
        """The interface's class: equal keys, equal verdicts on every flow it ends."""
        key = self._keys.get(eni.network_interface_id)
        if key is None:
            # The primary address's own public IP (or Elastic IP) is what the internet
            # gateway translates for the flows the scan evaluates; any other, for the rest.
            public = (
                bool(self.inventory.public_ip_of(eni, None)),
                bool(eni.public_ip or eni.public_ips),
            )
            key = (
                eni.group_ids,
                eni.subnet_id,
                eni.vpc_id,
                eni.availability_zone,
                eni.status,
                eni.attachment_status,
                eni.interface_type,
                eni.requester_managed,
                eni.source_dest_check,
                eni.deny_all_igw_traffic,
                public,
                bool(eni.private_ips),
                bool(eni.ipv6_addresses),
                self._states.get(eni.instance_id) if eni.instance_id else None,
                self._narrow(eni),
            )
            self._keys[eni.network_interface_id] = key
        return key


def classes_for(inventory: Inventory) -> InterfaceClasses:
    """The classes of ``inventory``, shared by the detectors and the grading of one scan
    (the last few inventories, as ``reach.evaluate.evaluator_for`` keeps evaluators)."""
    with _cache_lock:
        found = _cache.get(id(inventory))
        if found is not None and found.inventory is inventory:
            _cache.move_to_end(id(inventory))
            return found
        classes = InterfaceClasses(inventory)
        _cache[id(inventory)] = classes
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return classes
