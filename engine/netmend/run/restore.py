"""Snapshot restoration: compare a resource with its snapshot, and the calls that undo.

The rule identity and wording it uses are ``netmend.model.rules``.

Security-group rules are compared by content (direction, protocol, ports, peer): rule
ids change when a rule is re-created and descriptions do not decide traffic, so neither
counts. ACL entries are compared per (direction, rule number); the default "*" entries
(32767/32768) can never change and are left alone. An ENI is its set of groups.

The same normalisation serves three readers: the drift check before a run writes, the
restore after a failure, and the final "live equals the snapshot" check.
"""

from __future__ import annotations

from typing import Any

from netmend.model import AclEntry, NetworkAcl, NetworkInterface, SecurityGroup
from netmend.model.change import Change, ChangeKind, ResourceState
from netmend.model.network import DEFAULT_DENY_RULE_NUMBERS
from netmend.model.rules import (
    acl_entry_content,
    acl_entry_params,
    acl_entry_text,
    resource_id,
    rule_permission,
    rule_text,
    sg_rule_key,
)

__all__ = ["differences", "restore_changes"]


# -- security groups -----------------------------------------------------------------


def _sg_differences(live: SecurityGroup, snapshot: SecurityGroup) -> list[str]:
    live_keys = {sg_rule_key(r) for r in live.rules}
    snap_keys = {sg_rule_key(r) for r in snapshot.rules}
    found = [
        f"{rule_text(r)} is missing" for r in snapshot.rules if sg_rule_key(r) not in live_keys
    ]
    found += [f"{rule_text(r)} is extra" for r in live.rules if sg_rule_key(r) not in snap_keys]
    return found


def _sg_restore(live: SecurityGroup, snapshot: SecurityGroup) -> list[Change]:
    live_keys = {sg_rule_key(r) for r in live.rules}
    snap_keys = {sg_rule_key(r) for r in snapshot.rules}
    changes: list[Change] = []
    group = live.group_id
    # Revoke first: it frees quota for the re-authorized rules. One call per rule, so a
    # rule already gone (NotFound, counted as done) cannot hide another that is not.
    for rule in live.rules:
        if sg_rule_key(rule) in snap_keys:
            continue
        api = "RevokeSecurityGroupEgress" if rule.egress else "RevokeSecurityGroupIngress"
        params: dict[str, Any] = {"GroupId": group}
        if rule.rule_id:
            params["SecurityGroupRuleIds"] = [rule.rule_id]
        else:
            params["IpPermissions"] = [rule_permission(rule, description=False)]
        changes.append(
            Change(
                action="restore.revoke-sg-rule",
                api=api,
                resource=group,
                params=params,
                kinds=(ChangeKind.REVOCATION,),
                summary=f"{group}: revoke {rule_text(rule)} (not in the snapshot)",
                before=live,
                after=snapshot,
            )
        )
    for rule in snapshot.rules:
        if sg_rule_key(rule) in live_keys:
            continue
        api = "AuthorizeSecurityGroupEgress" if rule.egress else "AuthorizeSecurityGroupIngress"
        changes.append(
            Change(
                action="restore.authorize-sg-rule",
                api=api,
                resource=group,
                params={"GroupId": group, "IpPermissions": [rule_permission(rule)]},
                kinds=(ChangeKind.ADDITION,),
                summary=f"{group}: re-authorize {rule_text(rule)} (from the snapshot)",
                before=live,
                after=snapshot,
            )
        )
    return changes


# -- network ACLs ----------------------------------------------------------------------


def _acl_entries(acl: NetworkAcl) -> dict[tuple[bool, int], AclEntry]:
    return {
        (e.egress, e.rule_number): e
        for e in acl.entries
        if e.rule_number not in DEFAULT_DENY_RULE_NUMBERS
    }


def _acl_differences(live: NetworkAcl, snapshot: NetworkAcl) -> list[str]:
    now, then = _acl_entries(live), _acl_entries(snapshot)
    found: list[str] = []
    for key in sorted(set(now) | set(then)):
        if key not in now:
            found.append(f"{acl_entry_text(then[key])} is missing")
        elif key not in then:
            found.append(f"{acl_entry_text(now[key])} is extra")
        elif acl_entry_content(now[key]) != acl_entry_content(then[key]):
            found.append(f"{acl_entry_text(now[key])} should be {acl_entry_text(then[key])}")
    return found


def _acl_restore(live: NetworkAcl, snapshot: NetworkAcl) -> list[Change]:
    now, then = _acl_entries(live), _acl_entries(snapshot)
    acl = live.network_acl_id
    changes: list[Change] = []

    def change(action: str, api: str, params: dict[str, Any], kind: ChangeKind, text: str) -> None:
        changes.append(
            Change(
                action=action,
                api=api,
                resource=acl,
                params=params,
                kinds=(kind,),
                summary=f"{acl}: {text}",
                before=live,
                after=snapshot,
            )
        )

    for key in sorted(then):
        wanted = then[key]
        if key not in now:
            change(
                "restore.create-acl-entry",
                "CreateNetworkAclEntry",
                acl_entry_params(acl, wanted),
                ChangeKind.ADDITION,
                f"re-create {acl_entry_text(wanted)}",
            )
        elif acl_entry_content(now[key]) != acl_entry_content(wanted):
            change(
                "restore.replace-acl-entry",
                "ReplaceNetworkAclEntry",
                acl_entry_params(acl, wanted),
                ChangeKind.REVOCATION,
                f"put back {acl_entry_text(wanted)}",
            )
    for key in sorted(now):
        if key not in then:
            egress, number = key
            change(
                "restore.delete-acl-entry",
                "DeleteNetworkAclEntry",
                {"NetworkAclId": acl, "RuleNumber": number, "Egress": egress},
                ChangeKind.REVOCATION,
                f"delete {acl_entry_text(now[key])} (not in the snapshot)",
            )
    return changes


# -- network interfaces ----------------------------------------------------------------


def _eni_differences(live: NetworkInterface, snapshot: NetworkInterface) -> list[str]:
    if set(live.group_ids) == set(snapshot.group_ids):
        return []
    return [
        f"groups are {', '.join(sorted(live.group_ids)) or 'none'}, "
        f"snapshot has {', '.join(sorted(snapshot.group_ids)) or 'none'}"
    ]


def _eni_restore(live: NetworkInterface, snapshot: NetworkInterface) -> list[Change]:
    if not _eni_differences(live, snapshot):
        return []
    eni = live.network_interface_id
    return [
        Change(
            action="restore.eni-groups",
            api="ModifyNetworkInterfaceAttribute",
            resource=eni,
            params={"NetworkInterfaceId": eni, "Groups": list(snapshot.group_ids)},
            kinds=(ChangeKind.ENI_GROUPS,),
            summary=f"{eni}: put back groups {', '.join(snapshot.group_ids)}",
            before=live,
            after=snapshot,
        )
    ]


# -- public ------------------------------------------------------------------------------


def _tag_differences(live: ResourceState, other: ResourceState) -> list[str]:
    if live.tags == other.tags:
        return []
    return [f"tags are {live.tags}, expected {other.tags}"]


def differences(
    live: ResourceState | None, expected: ResourceState, *, strict: bool = False
) -> list[str]:
    """How ``live`` differs from ``expected``, one line each; empty when they are equal.

    By default only what decides traffic counts (rules, entries, groups): that is what a
    restore puts back. ``strict`` also compares tags and ACL subnet associations, for the
    drift check (a protected tag added since planning must stop the run).
    """
    rid = resource_id(expected)
    if live is None:
        return [f"{rid}: no longer exists"]
    if type(live) is not type(expected) or resource_id(live) != rid:
        return [f"{rid}: is a different resource ({resource_id(live)})"]
    if isinstance(live, SecurityGroup) and isinstance(expected, SecurityGroup):
        found = _sg_differences(live, expected)
    elif isinstance(live, NetworkAcl) and isinstance(expected, NetworkAcl):
        found = _acl_differences(live, expected)
        if strict and set(live.subnet_ids) != set(expected.subnet_ids):
            found.append(
                f"associated with {', '.join(sorted(live.subnet_ids)) or 'no subnet'}, "
                f"expected {', '.join(sorted(expected.subnet_ids)) or 'no subnet'}"
            )
    elif isinstance(live, NetworkInterface) and isinstance(expected, NetworkInterface):
        found = _eni_differences(live, expected)
    else:  # pragma: no cover - the union has three members
        found = []
    if strict:
        found += _tag_differences(live, expected)
    return [f"{rid}: {line}" for line in found]


def restore_changes(live: ResourceState, snapshot: ResourceState) -> list[Change]:
    """The calls that bring ``live`` back to ``snapshot`` (empty when already equal).

    Raises ValueError when the two are not the same resource.
    """
    if type(live) is not type(snapshot) or resource_id(live) != resource_id(snapshot):
        raise ValueError(
            f"cannot restore {resource_id(live)} from a snapshot of {resource_id(snapshot)}"
        )
    if isinstance(live, SecurityGroup) and isinstance(snapshot, SecurityGroup):
        return _sg_restore(live, snapshot)
    if isinstance(live, NetworkAcl) and isinstance(snapshot, NetworkAcl):
        return _acl_restore(live, snapshot)
    if isinstance(live, NetworkInterface) and isinstance(snapshot, NetworkInterface):
        return _eni_restore(live, snapshot)
    return []  # pragma: no cover
