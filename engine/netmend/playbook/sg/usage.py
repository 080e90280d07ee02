"""Who uses a security group, as far as one inventory can tell.

A group is in use when an interface of any type carries it (instances, Lambda, load
balancers, endpoints, RDS, ECS: each is an ENI; a load balancer's groups count even when
its ENIs were not collected), or when a rule of another group references it (any VPC of
the account and region, peered ones included), or when AWS says a VPC elsewhere (a
peered VPC of another account) references it (DescribeSecurityGroupReferences, a scan
signal). ``unused-security-group`` reports the groups nobody uses, and its fix
(``sg.delete-group``) refuses a group somebody does; the same answer serves both, so the
finding and the fix cannot disagree. The live re-check just before the delete call is
aws/'s (``netmend.aws.group_use``).

What one account's inventory cannot see is said, not guessed: interfaces of other
accounts (a participant's in a shared subnet carrying a shared group) and, when the
signal was not collected, references from other accounts' peered VPCs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netmend.model import Inventory

__all__ = ["UNSEEN_OTHER_ACCOUNTS", "GroupUse", "external_references"]

UNSEEN_OTHER_ACCOUNTS = (
    "interfaces of other accounts (a shared subnet's participants carrying a shared "
    "group) are not visible from this account"
)


def external_references(signal: Any) -> dict[str, list[dict[str, str]]]:
    """The ``security_group_references`` signal as group id -> [{vpc, peering}] (or {})."""
    if not isinstance(signal, Mapping):
        return {}
    found: dict[str, list[dict[str, str]]] = {}
    for group_id, references in signal.items():
        if isinstance(references, Sequence) and not isinstance(references, str) and references:
            found[str(group_id)] = [dict(r) for r in references if isinstance(r, Mapping)]
    return found


class GroupUse:
    """Built once per inventory; ``users(group_id)`` says who uses a group (empty: nobody)."""

    def __init__(
        self, inventory: Inventory, references: Mapping[str, list[dict[str, str]]] | None = None
    ) -> None:
        self.inventory = inventory
        self.carried: dict[str, list[str]] = {}
        for eni in inventory.network_interfaces:
            for group_id in eni.group_ids:
                owner = eni.instance_id or eni.network_interface_id
                self.carried.setdefault(group_id, []).append(owner)
        # A load balancer's groups are in use even when its ENIs were not collected (moto,
        # or a describe page that left them out): DescribeLoadBalancers names them.
        for balancer in inventory.load_balancers:
            for group_id in balancer.security_group_ids:
                self.carried.setdefault(group_id, []).append(f"load balancer {balancer.name}")
        self.referenced: dict[str, list[str]] = {}
        for group in inventory.security_groups:
            for rule in group.rules:
                target = rule.referenced_group_id
                if target is not None and target != group.group_id:
                    by = self.referenced.setdefault(target, [])
                    if group.group_id not in by:
                        by.append(group.group_id)
        self.external = dict(references or {})

    def users(self, group_id: str) -> tuple[str, ...]:
        """One phrase per user of the group: what carries it, what references it."""
        found: list[str] = []
        carriers = list(dict.fromkeys(self.carried.get(group_id, ())))
        if carriers:
            found.append(f"carried by {', '.join(carriers)}")
        referencing = self.referenced.get(group_id, ())
        if referencing:
            found.append(f"referenced by the rules of {', '.join(referencing)}")
        for reference in self.external.get(group_id, ()):
            vpc = reference.get("vpc") or "another VPC"
            via = reference.get("peering")
            found.append(f"referenced from {vpc}" + (f" across {via}" if via else ""))
        return tuple(found)
