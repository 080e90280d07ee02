"""The only module that writes to AWS: one planned Change, one API call.

Every call goes through the AWS layer's retry wrapper (throttling and 5xx retry; any
other error becomes ``AwsCallError``). Calls are idempotent where AWS lets them be:
an authorize that finds its rule (``InvalidPermission.Duplicate``), a revoke or delete
that finds nothing to remove (``*.NotFound``) already had its effect, so they count as
done. ``NetworkAclEntryAlreadyExists`` counts as done only if the entry there is the
one wanted; a different entry under that number is a real conflict. A call whose
answer never came (connection reset, read timeout) is not re-sent blindly: it raises
AwsOutcomeUnknownError, which the runner resolves by reading the resource back
(``netmend.run.unknown``).

CreateSecurityGroup is made for a group a plan creates (an overflow group); its answer's
GroupId is returned so the runner can name the group in later calls. DeleteSecurityGroup
is not a general write: netmend deletes only a group it created (tagged
``netmend:created-by=netmend``) or one ``unused-security-group`` found unused
(``sg.delete-group``), and only when nothing uses it, read again here before the call
(``netmend.aws.group_use``; AWS refuses to delete an attached group, moto does not).

Also here: re-reading touched resources by id (the collector's readers), for the drift
check, the snapshot and the final "live equals the snapshot" check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from botocore import xform_name
from pydantic import BaseModel, ConfigDict

from netmend.aws.collector import (
    collect_network_acls,
    collect_network_interfaces,
    collect_security_groups,
)
from netmend.aws.created import groups_tagged, groups_tagged_for_run
from netmend.aws.group_use import group_users
from netmend.aws.parse import parse_acl_entry
from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, NetmendError
from netmend.model.change import Change, ResourceState
from netmend.model.created import (
    CREATE_GROUP_API,
    CREATED_BY_TAG,
    CREATED_BY_VALUE,
    DELETE_GROUP_API,
    DELETE_UNUSED_GROUP_ACTION,
    RECREATED_FROM_TAG,
    RUN_ID_TAG,
    has_placeholder,
)
from netmend.model.rules import acl_entry_content

__all__ = [
    "WRITE_APIS",
    "ChangeOutcome",
    "apply_change",
    "created_group_of",
    "read_resource",
    "read_resources",
    "snapshot_kind",
]

# The write calls netmend makes, by service; anything else is a bug in a playbook action.
WRITE_APIS: dict[str, frozenset[str]] = {
    "ec2": frozenset(
        {
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "ModifySecurityGroupRules",
            "UpdateSecurityGroupRuleDescriptionsIngress",
            "UpdateSecurityGroupRuleDescriptionsEgress",
            "CreateNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "DeleteNetworkAclEntry",
            "ModifyNetworkInterfaceAttribute",
            "CreateSecurityGroup",
        }
    ),
    "service-quotas": frozenset({"RequestServiceQuotaIncrease"}),
}

# Error codes that mean "the call's effect is already there".
_DONE_CODES: dict[str, frozenset[str]] = {
    "AuthorizeSecurityGroupIngress": frozenset({"InvalidPermission.Duplicate"}),
    "AuthorizeSecurityGroupEgress": frozenset({"InvalidPermission.Duplicate"}),
    "RevokeSecurityGroupIngress": frozenset(
        {"InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound"}
    ),
    "RevokeSecurityGroupEgress": frozenset(
        {"InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound"}
    ),
    "DeleteNetworkAclEntry": frozenset({"InvalidNetworkAclEntry.NotFound"}),
    DELETE_GROUP_API: frozenset({"InvalidGroup.NotFound"}),
}


class ChangeOutcome(BaseModel):
    """How a call ended when it did not fail: done now, or found already done."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api: str
    resource: str
    status: Literal["ok", "already-done"]
    code: str | None = None  # the AWS code that meant "already done"
    message: str = ""
    created_rule_ids: tuple[str, ...] = ()  # sgr- ids an authorize created
    created_id: str | None = None  # the GroupId CreateSecurityGroup answered


def _client(clients: AwsClients, service: str) -> Any:
    if service == "ec2":
        return clients.ec2
    if service == "service-quotas":
        return clients.service_quotas
    raise NetmendError(f"netmend does not write to the {service!r} service")


def _existing_entry_is_wanted(clients: AwsClients, params: dict[str, Any]) -> bool:
    acls = collect_network_acls(clients, [str(params["NetworkAclId"])])
    if not acls:
        return False
    wanted = parse_acl_entry(params)
    for entry in acls[0].entries:
        if (entry.egress, entry.rule_number) == (wanted.egress, wanted.rule_number):
            return acl_entry_content(entry) == acl_entry_content(wanted)
    return False


def _check_group_deletable(clients: AwsClients, change: Change) -> bool:
    """Whether the group exists; raise unless it may go and nothing uses it now.

    A group this run is asked to delete as unused (``sg.delete-group``) must not be a
    default group; any other delete is of a group netmend created. Either way the
    interfaces and referencing rules are read again here, just before the call
    (``netmend.aws.group_use``): AWS's DependencyViolation is not a check (moto has
    none, and a reference across a peering does not stop AWS).
    """
    group_id = str(change.params.get("GroupId", ""))
    found = collect_security_groups(clients, [group_id]) if group_id.startswith("sg-") else ()
    if not found:
        return False
    group = found[0]
    unused = change.action == DELETE_UNUSED_GROUP_ACTION
    if unused and group.is_default:
        raise NetmendError(f"{group_id} is its VPC's default group: AWS never deletes one")
    if not unused and group.tags.get(CREATED_BY_TAG) != CREATED_BY_VALUE:
        raise NetmendError(
            f"{change.action}: {change.service} {change.api} is not a write call netmend makes "
            f"on {group_id}: it deletes only a group it created (tag {CREATED_BY_TAG}="
            f"{CREATED_BY_VALUE}) or one found unused (unused-security-group)"
        )
    users = group_users(clients, group_id, other_vpcs=unused)
    if users:
        detach = " (an attached group cannot be deleted; detach it first)" if not unused else ""
        raise NetmendError(
            f"{group_id} is still {'; '.join(users)}: not deleted{detach}"
            if not unused
            else f"{group_id} is in use now: {'; '.join(users)}: not deleted (netmend checks "
            "before deleting and never relies on AWS's DependencyViolation)"
        )
    return True


def apply_change(clients: AwsClients, change: Change) -> ChangeOutcome:
    """Make the change's API call; raise AwsCallError if it failed for good."""
    allowed = WRITE_APIS.get(change.service, frozenset())
    deleting_group = change.service == "ec2" and change.api == DELETE_GROUP_API
    if change.api not in allowed and not deleting_group:
        raise NetmendError(
            f"{change.action}: {change.service} {change.api} is not a write call netmend makes"
        )
    if has_placeholder(change.params):
        raise NetmendError(
            f"{change.action}: {change.api} names a group that was not created (a "
            "placeholder is left in its parameters): nothing was sent"
        )
    if deleting_group and not _check_group_deletable(clients, change):
        return ChangeOutcome(
            api=change.api,
            resource=change.resource,
            status="already-done",
            code="InvalidGroup.NotFound",
            message="the group is gone",
        )
    return _send(clients, change)


def _send(clients: AwsClients, change: Change) -> ChangeOutcome:
    method = getattr(_client(clients, change.service), xform_name(change.api))
    try:
        response: dict[str, Any] = clients.call.write(method, **change.params)
    except AwsCallError as error:
        done = error.code in _DONE_CODES.get(change.api, frozenset()) or (
            change.api == "CreateNetworkAclEntry"
            and error.code == "NetworkAclEntryAlreadyExists"
            and _existing_entry_is_wanted(clients, change.params)
        )
        if not done:
            raise
        return ChangeOutcome(
            api=change.api,
            resource=change.resource,
            status="already-done",
            code=error.code,
            message=error.aws_message,
        )
    created = tuple(
        str(r["SecurityGroupRuleId"])
        for r in response.get("SecurityGroupRules") or ()
        if r.get("SecurityGroupRuleId")
    )
    new_id = response.get("GroupId") if change.api == CREATE_GROUP_API else None
    return ChangeOutcome(
        api=change.api,
        resource=change.resource,
        status="ok",
        created_rule_ids=created,
        created_id=str(new_id) if new_id else None,
    )


def created_group_of(clients: AwsClients, change: Change) -> str | None:
    """The group a CreateSecurityGroup change made, found by its run tag (or, re-created
    by a rollback, its ``netmend:recreated-from`` tag) and name, if any (how a create
    whose answer was lost is resolved)."""
    tags = {
        t["Key"]: t["Value"]
        for spec in change.params.get("TagSpecifications", ())
        for t in spec.get("Tags", ())
    }
    run_id = tags.get(RUN_ID_TAG)
    recreated_from = tags.get(RECREATED_FROM_TAG)
    if recreated_from:  # a rollback re-creating a deleted group: found by that tag
        ids = groups_tagged(clients, RECREATED_FROM_TAG, recreated_from)
    elif run_id:
        ids = groups_tagged_for_run(clients, run_id)
    else:
        return None
    for group in collect_security_groups(clients, list(ids)) if ids else ():
        if group.group_name == change.params.get("GroupName"):
            return group.group_id
    return None


def snapshot_kind(resource_id: str) -> str | None:
    """The kind of resource a snapshot can hold for this id, or None (not restorable)."""
    for prefix, kind in (
        ("sg-", "security-group"),
        ("acl-", "network-acl"),
        ("eni-", "network-interface"),
    ):
        if resource_id.startswith(prefix):
            return kind
    return None


def read_resources(clients: AwsClients, resource_ids: Iterable[str]) -> dict[str, ResourceState]:
    """The live state of security groups, ACLs and ENIs by id; gone ones are absent.

    Other ids (a quota code, a route table) are ignored: a snapshot cannot hold them.
    """
    ids = sorted(set(resource_ids))
    found: dict[str, ResourceState] = {}
    groups = [i for i in ids if i.startswith("sg-")]
    acls = [i for i in ids if i.startswith("acl-")]
    enis = [i for i in ids if i.startswith("eni-")]
    if groups:
        found |= {g.group_id: g for g in collect_security_groups(clients, groups)}
    if acls:
        found |= {a.network_acl_id: a for a in collect_network_acls(clients, acls)}
    if enis:
        found |= {e.network_interface_id: e for e in collect_network_interfaces(clients, enis)}
    return found


def read_resource(clients: AwsClients, resource_id: str) -> ResourceState | None:
    """One resource's live state, or None if it no longer exists."""
    return read_resources(clients, [resource_id]).get(resource_id)
