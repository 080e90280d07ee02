"""Network-ACL entry actions: create, replace, delete (never the default 32767/32768).

ACLs are stateless and enforced per packet: a change applies to existing connections at
once. Entries cannot be edited in place, only replaced by rule number and direction.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, model_validator

from netmend.model import AclEntry, NetworkAcl
from netmend.model.change import Change, ChangeKind
from netmend.model.network import AclRuleAction
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP, protocol_number
from netmend.model.rules import acl_entry_text
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import AclId, AclRuleNumber, Cidr, Params, PortRange, ProtocolName
from netmend.playbook.registry import Action, action

__all__ = [
    "CreateEntry",
    "DeleteEntry",
    "DeleteEntryParams",
    "EntryParams",
    "ReplaceEntry",
    "entry_api_params",
    "invert_created_entry",
]

_ACL_QUOTA_CODE = "L-2AEEBF1A"
_STATELESS = "network ACLs are stateless: the change applies to existing connections at once"


class EntryParams(Params):
    acl: AclId
    rule_number: AclRuleNumber
    egress: bool
    protocol: ProtocolName
    ports: PortRange | None = None
    icmp_type: int | None = Field(default=None, ge=-1, le=255)
    icmp_code: int | None = Field(default=None, ge=-1, le=255)
    cidr: Cidr
    rule_action: Literal["allow", "deny"] = "allow"

    @model_validator(mode="after")
    def _fits_protocol(self) -> EntryParams:
        icmp_given = self.icmp_type is not None or self.icmp_code is not None
        if self.protocol in (TCP, UDP):
            if self.ports is None:
                raise ValueError(f"{self.protocol} needs ports: a port or a from-to range")
            if icmp_given:
                raise ValueError("icmp_type and icmp_code apply to icmp only")
        elif self.ports is not None:
            raise ValueError(f"protocol {self.protocol} takes no ports")
        elif icmp_given and self.protocol not in (ICMP, ICMPV6):
            raise ValueError("icmp_type and icmp_code apply to icmp only")
        return self

    def entry(self) -> AclEntry:
        icmp = self.protocol in (ICMP, ICMPV6)
        return AclEntry(
            rule_number=self.rule_number,
            egress=self.egress,
            protocol=self.protocol,
            rule_action=AclRuleAction(self.rule_action),
            cidr=self.cidr,
            port_from=self.ports[0] if self.ports else None,
            port_to=self.ports[1] if self.ports else None,
            icmp_type=(-1 if self.icmp_type is None else self.icmp_type) if icmp else None,
            icmp_code=(-1 if self.icmp_code is None else self.icmp_code) if icmp else None,
        )


class DeleteEntryParams(Params):
    acl: AclId
    rule_number: AclRuleNumber
    egress: bool


def entry_api_params(acl_id: str, entry: AclEntry) -> dict[str, Any]:
    """Create/ReplaceNetworkAclEntry parameters for one entry (protocol as a number)."""
    params: dict[str, Any] = {
        "NetworkAclId": acl_id,
        "RuleNumber": entry.rule_number,
        "Protocol": protocol_number(entry.protocol),
        "RuleAction": entry.rule_action.value,
        "Egress": entry.egress,
        ("Ipv6CidrBlock" if entry.is_ipv6 else "CidrBlock"): entry.cidr,
    }
    if entry.port_from is not None:
        to = entry.port_to if entry.port_to is not None else entry.port_from
        params["PortRange"] = {"From": entry.port_from, "To": to}
    if entry.icmp_type is not None:
        code = entry.icmp_code if entry.icmp_code is not None else -1
        params["IcmpTypeCode"] = {"Type": entry.icmp_type, "Code": code}
    return params


def _find(acl: NetworkAcl, rule_number: int, egress: bool) -> AclEntry | None:
    return next(
        (e for e in acl.entries if e.rule_number == rule_number and e.egress == egress), None
    )


def _overlaps(a: AclEntry, b: AclEntry) -> bool:
    if a.is_ipv6 != b.is_ipv6:
        return False
    if not ipaddress.ip_network(a.cidr).overlaps(ipaddress.ip_network(b.cidr)):
        return False
    if ALL not in (a.protocol, b.protocol) and a.protocol != b.protocol:
        return False
    if a.port_from is None or b.port_from is None:
        return True
    a_to = a.port_to if a.port_to is not None else a.port_from
    b_to = b.port_to if b.port_to is not None else b.port_from
    return a.port_from <= b_to and b.port_from <= a_to


def _kinds(acl: NetworkAcl, new: AclEntry, old: AclEntry | None) -> tuple[ChangeKind, ...]:
    if new.rule_action is AclRuleAction.DENY:
        return (ChangeKind.REVOCATION,)
    overrides = (old is not None and old.rule_action is AclRuleAction.DENY) or any(
        e.rule_action is AclRuleAction.DENY
        and e.egress == new.egress
        and e.rule_number > new.rule_number
        and not e.is_default_deny
        and _overlaps(e, new)
        for e in acl.entries
    )
    return (ChangeKind.DENY_OVERRIDE,) if overrides else (ChangeKind.ADDITION,)


def _with(acl: NetworkAcl, entry: AclEntry | None, drop: AclEntry | None) -> NetworkAcl:
    """The ACL with ``drop`` replaced by ``entry`` in place, removed, or ``entry`` added."""
    entries: list[AclEntry] = []
    for current in acl.entries:
        if drop is not None and current == drop:
            if entry is not None:
                entries.append(entry)
            continue
        entries.append(current)
    if drop is None and entry is not None:
        entries.append(entry)
    return acl.model_copy(update={"entries": tuple(entries)})


def _check_quota(ctx: StepContext, acl: NetworkAcl, new: AclEntry) -> None:
    same = [e for e in acl.entries if e.egress == new.egress and e.is_ipv6 == new.is_ipv6]
    quota = ctx.inventory.quotas.rules_per_network_acl
    if len(same) + 1 > quota:
        raise ProposalRefusedError(
            f"{acl.network_acl_id} already holds {len(same)} entries that way (default deny "
            f"included) and the quota ({_ACL_QUOTA_CODE}) is {quota}: replace an entry instead"
        )


def _entry_key(change: Change) -> tuple[int, bool]:
    return int(change.params["RuleNumber"]), bool(change.params["Egress"])


def invert_created_entry(change: Change) -> Change:
    """Delete the entry a CreateNetworkAclEntry change made (its rule number, direction)."""
    number, egress = _entry_key(change)
    return Change(
        action="acl.delete-entry",
        api="DeleteNetworkAclEntry",
        resource=change.resource,
        params={"NetworkAclId": change.resource, "RuleNumber": number, "Egress": egress},
        kinds=(ChangeKind.REVOCATION,),
        summary=f"undo: {change.summary}",
        before=change.after,
        after=change.before,
        warnings=(_STATELESS,),
    )


@action(
    "acl.create-entry",
    params=EntryParams,
    permissions=("ec2:CreateNetworkAclEntry",),
    rollback_permissions=("ec2:DeleteNetworkAclEntry",),
    example="""
- use: acl.create-entry
  with:
    acl: "{{ evidence.acl_id }}"
    rule_number: 90                  # before the deny it must override
    egress: false
    protocol: tcp
    ports: "{{ flow.port }}"
    cidr: "{{ flow.source_address }}/32"
    rule_action: allow
""",
)
class CreateEntry(Action[EntryParams]):
    """Add a network-ACL entry under a free rule number."""

    def propose(self, ctx: StepContext, params: EntryParams) -> list[Change]:
        acl = ctx.current_acl(params.acl)
        entry = params.entry()
        taken = _find(acl, entry.rule_number, entry.egress)
        if taken == entry:
            ctx.note(f"{acl.network_acl_id} already has {acl_entry_text(entry)}: nothing to add")
            return []
        if taken is not None:
            raise ProposalRefusedError(
                f"{acl.network_acl_id} already has {acl_entry_text(taken)}: use acl.replace-entry "
                "or another rule number"
            )
        _check_quota(ctx, acl, entry)
        return [
            Change(
                action=self.name,
                api="CreateNetworkAclEntry",
                resource=acl.network_acl_id,
                params=entry_api_params(acl.network_acl_id, entry),
                kinds=_kinds(acl, entry, None),
                summary=f"{acl.network_acl_id}: add {acl_entry_text(entry)}",
                before=acl,
                after=_with(acl, entry, None),
                warnings=(_STATELESS,),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        return invert_created_entry(change)


@action(
    "acl.replace-entry",
    params=EntryParams,
    permissions=("ec2:ReplaceNetworkAclEntry",),
    rollback_permissions=("ec2:ReplaceNetworkAclEntry",),
    example="""
- use: acl.replace-entry
  with:
    acl: "{{ evidence.acl_id }}"
    rule_number: "{{ evidence.rule_number }}"
    egress: true
    protocol: tcp
    ports: 1024-65535                # the clients' ephemeral ports, for the return path
    cidr: "{{ flow.source_address }}/32"
    rule_action: allow
""",
)
class ReplaceEntry(Action[EntryParams]):
    """Replace the network-ACL entry at a rule number (and direction) with another."""

    def propose(self, ctx: StepContext, params: EntryParams) -> list[Change]:
        acl = ctx.current_acl(params.acl)
        entry = params.entry()
        old = _find(acl, entry.rule_number, entry.egress)
        if old is None:
            way = "outbound" if entry.egress else "inbound"
            raise ProposalRefusedError(
                f"{acl.network_acl_id} has no {way} rule {entry.rule_number} to replace"
            )
        if old == entry:
            ctx.note(
                f"{acl.network_acl_id} already has {acl_entry_text(entry)}: nothing to replace"
            )
            return []
        return [
            Change(
                action=self.name,
                api="ReplaceNetworkAclEntry",
                resource=acl.network_acl_id,
                params=entry_api_params(acl.network_acl_id, entry),
                kinds=_kinds(acl, entry, old),
                summary=(
                    f"{acl.network_acl_id}: {acl_entry_text(old)} becomes {acl_entry_text(entry)}"
                ),
                before=acl,
                after=_with(acl, entry, old),
                warnings=(_STATELESS,),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        before = change.before
        if not isinstance(before, NetworkAcl):
            return None
        old = _find(before, *_entry_key(change))
        if old is None:
            return None
        return Change(
            action=self.name,
            api="ReplaceNetworkAclEntry",
            resource=change.resource,
            params=entry_api_params(change.resource, old),
            kinds=(ChangeKind.REVOCATION,),
            summary=f"undo: {change.summary}",
            before=change.after,
            after=before,
            warnings=(_STATELESS,),
        )


@action(
    "acl.delete-entry",
    params=DeleteEntryParams,
    permissions=("ec2:DeleteNetworkAclEntry",),
    rollback_permissions=("ec2:CreateNetworkAclEntry",),
    example="""
- use: acl.delete-entry
  with:
    acl: "{{ evidence.acl_id }}"
    rule_number: "{{ evidence.rule_number }}"
    egress: false
""",
)
class DeleteEntry(Action[DeleteEntryParams]):
    """Delete the network-ACL entry at a rule number and direction."""

    def propose(self, ctx: StepContext, params: DeleteEntryParams) -> list[Change]:
        acl = ctx.current_acl(params.acl)
        old = _find(acl, params.rule_number, params.egress)
        if old is None:
            way = "outbound" if params.egress else "inbound"
            raise ProposalRefusedError(
                f"{acl.network_acl_id} has no {way} rule {params.rule_number} to delete"
            )
        kinds = [ChangeKind.REVOCATION]
        if old.rule_action is AclRuleAction.DENY:
            kinds.append(ChangeKind.DENY_OVERRIDE)
        return [
            Change(
                action=self.name,
                api="DeleteNetworkAclEntry",
                resource=acl.network_acl_id,
                params={
                    "NetworkAclId": acl.network_acl_id,
                    "RuleNumber": params.rule_number,
                    "Egress": params.egress,
                },
                kinds=tuple(kinds),
                summary=f"{acl.network_acl_id}: delete {acl_entry_text(old)}",
                before=acl,
                after=_with(acl, None, old),
                warnings=(_STATELESS,),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        before = change.before
        if not isinstance(before, NetworkAcl):
            return None
        old = _find(before, *_entry_key(change))
        if old is None:
            return None
        return Change(
            action="acl.create-entry",
            api="CreateNetworkAclEntry",
            resource=change.resource,
            params=entry_api_params(change.resource, old),
            kinds=_kinds(before, old, None),
            summary=f"undo: {change.summary}",
            before=change.after,
            after=before,
            warnings=(_STATELESS,),
        )
