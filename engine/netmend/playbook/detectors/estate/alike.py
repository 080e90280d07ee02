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
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from netmend.model import Inventory, NetworkInterface

__all__ = ["InterfaceClasses"]


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
