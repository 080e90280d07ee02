"""Row-level differences between a resource's state before and after a plan.

Rows are compared by a normalised key, never by position: AWS returns rules in no
promised order, and a planner may rebuild a group's rule tuple in another order. The
same differences feed the table, the Terraform and the CloudFormation renderings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from netmend.model import AclEntry, NetworkAcl, NetworkInterface, SecurityGroup, SgRule
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP
from netmend.run.plan import Change, Plan, ResourceState

__all__ = [
    "DiffRow",
    "Mark",
    "ResourceDiff",
    "acl_entry_diff",
    "acl_entry_key",
    "acl_ports_text",
    "eni_group_diff",
    "protocol_text",
    "resource_diffs",
    "sg_row_key",
    "sg_rule_diff",
]

T = TypeVar("T")


class Mark(StrEnum):
    """How a row fares in the plan, as a diff prefix."""

    ADDED = "+"
    REMOVED = "-"
    SAME = " "


@dataclass(frozen=True)
class DiffRow(Generic[T]):
    mark: Mark
    item: T


@dataclass(frozen=True)
class ResourceDiff:
    """One touched resource: its states and row differences (one kind of rows is set)."""

    resource: str
    before: ResourceState | None
    after: ResourceState | None
    sg_rules: tuple[DiffRow[SgRule], ...] = ()
    acl_entries: tuple[DiffRow[AclEntry], ...] = ()
    eni_groups: tuple[DiffRow[str], ...] = ()

    @property
    def state(self) -> ResourceState | None:
        return self.after if self.after is not None else self.before

    @property
    def changed(self) -> bool:
        marks = [r.mark for r in self.sg_rules] + [r.mark for r in self.acl_entries]
        marks += [r.mark for r in self.eni_groups]
        return any(mark is not Mark.SAME for mark in marks)


def protocol_text(protocol: str) -> str:
    """A canonical protocol as people read it: ``tcp``, ``icmp``, ``all``, ``50``."""
    return "all" if protocol == ALL else protocol


def _sg_ports(rule: SgRule) -> tuple[int | None, int | None]:
    # One spelling per meaning: "all ports" has several in AWS's answers.
    if rule.protocol in (TCP, UDP):
        return (0, 65535) if rule.all_ports else (rule.from_port, rule.to_port)
    if rule.protocol in (ICMP, ICMPV6):
        from_port = -1 if rule.from_port is None else rule.from_port
        to_port = -1 if rule.to_port is None or from_port == -1 else rule.to_port
        return from_port, to_port
    return None, None


def sg_row_key(rule: SgRule) -> tuple[Hashable, ...]:
    """A rule's row in a diff: its content, description included, rule id and tags not.

    Not the rule's identity (that is ``netmend.model.rules.sg_rule_key``, which AWS
    uses and which leaves the description out): a diff shows a changed description as a
    changed row, and the Terraform and CloudFormation names are digests of this key, so
    it stays as it is to keep generated names stable.
    """
    from_port, to_port = _sg_ports(rule)
    return (
        rule.egress,
        rule.protocol,
        from_port,
        to_port,
        rule.cidr_ipv4,
        rule.cidr_ipv6,
        rule.referenced_group_id,
        rule.prefix_list_id,
        rule.description or "",
    )


def acl_entry_key(entry: AclEntry) -> tuple[Hashable, ...]:
    """What makes two ACL entries equal, with the fields their protocol ignores dropped."""
    ported = entry.protocol in (TCP, UDP)
    icmp = entry.protocol in (ICMP, ICMPV6)
    return (
        entry.egress,
        entry.rule_number,
        entry.protocol,
        str(entry.rule_action),
        entry.cidr,
        entry.port_from if ported else None,
        entry.port_to if ported else None,
        entry.icmp_type if icmp else None,
        entry.icmp_code if icmp else None,
    )


def acl_ports_text(entry: AclEntry) -> str:
    """Ports or ICMP type/code of an entry: ``8443``, ``1024-65535``, ``type 8``, ``all``."""
    if entry.protocol in (TCP, UDP):
        low, high = entry.port_from, entry.port_to
        if low is None or (low, high) == (0, 65535):
            return "all"
        return str(low) if low == high else f"{low}-{high}"
    if entry.protocol in (ICMP, ICMPV6):
        if entry.icmp_type in (None, -1):
            return "all"
        code = "" if entry.icmp_code in (None, -1) else f" code {entry.icmp_code}"
        return f"type {entry.icmp_type}{code}"
    return "all"


def _diff(
    before: Sequence[T], after: Sequence[T], key: Callable[[T], Hashable]
) -> list[DiffRow[T]]:
    """Before's rows (same or removed, in before's order), then after's additions."""
    after_keys = {key(item) for item in after}
    before_keys = {key(item) for item in before}
    rows = [
        DiffRow(Mark.SAME if key(item) in after_keys else Mark.REMOVED, item) for item in before
    ]
    rows += [DiffRow(Mark.ADDED, item) for item in after if key(item) not in before_keys]
    return rows


def _mark_order(mark: Mark) -> int:
    return {Mark.REMOVED: 0, Mark.SAME: 1, Mark.ADDED: 2}[mark]


def _sortable(key: tuple[Hashable, ...]) -> tuple[tuple[bool, str], ...]:
    # None sorts first; numbers sort as numbers (zero-padded), not as text.
    def part(value: Hashable) -> tuple[bool, str]:
        if value is None:
            return (False, "")
        if isinstance(value, int) and not isinstance(value, bool):
            return (True, f"{value + 1:06d}")
        return (True, str(value))

    return tuple(part(v) for v in key)


def sg_rule_diff(
    before: SecurityGroup | None, after: SecurityGroup | None
) -> list[DiffRow[SgRule]]:
    """Rules of a group before vs after: ingress first, then by protocol, ports and peer."""
    old = before.rules if before is not None else ()
    new = after.rules if after is not None else ()
    rows = _diff(old, new, sg_row_key)
    rows.sort(key=lambda r: (_sortable(sg_row_key(r.item)), _mark_order(r.mark)))
    return rows


def acl_entry_diff(before: NetworkAcl | None, after: NetworkAcl | None) -> list[DiffRow[AclEntry]]:
    """Entries in evaluation order per direction (ingress first); the ``*`` entries come last."""
    old = before.entries if before is not None else ()
    new = after.entries if after is not None else ()
    rows = _diff(old, new, acl_entry_key)
    # A replaced entry keeps its number: the old row shows just above the new one.
    rows.sort(key=lambda r: (r.item.egress, r.item.rule_number, _mark_order(r.mark)))
    return rows


def eni_group_diff(
    before: NetworkInterface | None, after: NetworkInterface | None
) -> list[DiffRow[str]]:
    """Groups on an interface: kept and removed in their old order, then the added ones."""
    old = before.group_ids if before is not None else ()
    new = after.group_ids if after is not None else ()
    return _diff(old, new, lambda group_id: group_id)


def _states(changes: Sequence[Change]) -> tuple[ResourceState | None, ResourceState | None]:
    # The first recorded "before" and the last recorded "after": changes without a state
    # (a quota request naming the group it is for) must not hide the group's states.
    before = next((c.before for c in changes if c.before is not None), None)
    after = next((c.after for c in reversed(changes) if c.after is not None), None)
    return before, after


def resource_diffs(plan: Plan) -> list[ResourceDiff]:
    """One diff per touched resource that has a recorded state, in the plan's order.

    A side that was not recorded is taken to equal the other one, so nothing is shown as
    added or removed without evidence.
    """
    diffs: list[ResourceDiff] = []
    for resource in plan.resources:
        before, after = _states([c for c in plan.changes if c.resource == resource])
        state = after if after is not None else before
        if isinstance(state, SecurityGroup):
            old_sg = before if isinstance(before, SecurityGroup) else state
            new_sg = after if isinstance(after, SecurityGroup) else state
            if resource in plan.deleted:  # deleted: every rule goes with the group
                new_sg = old_sg.model_copy(update={"rules": ()})
            rules = tuple(sg_rule_diff(old_sg, new_sg))
            diffs.append(ResourceDiff(resource, old_sg, new_sg, sg_rules=rules))
        elif isinstance(state, NetworkAcl):
            old_acl = before if isinstance(before, NetworkAcl) else state
            new_acl = after if isinstance(after, NetworkAcl) else state
            entries = tuple(acl_entry_diff(old_acl, new_acl))
            diffs.append(ResourceDiff(resource, old_acl, new_acl, acl_entries=entries))
        elif isinstance(state, NetworkInterface):
            old_eni = before if isinstance(before, NetworkInterface) else state
            new_eni = after if isinstance(after, NetworkInterface) else state
            groups = tuple(eni_group_diff(old_eni, new_eni))
            diffs.append(ResourceDiff(resource, old_eni, new_eni, eni_groups=groups))
    return diffs
