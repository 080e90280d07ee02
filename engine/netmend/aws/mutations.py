"""The only module that writes to AWS: one planned Change, one API call.

Every call goes through the AWS layer's retry wrapper (throttling and 5xx retry; any
other error becomes ``AwsCallError``). Calls are idempotent where AWS lets them be:
an authorize that finds its rule (``InvalidPermission.Duplicate``), a revoke or delete
that finds nothing to remove (``*.NotFound``) already had its effect, so they count as
done. ``NetworkAclEntryAlreadyExists`` counts as done only if the entry there is the
one wanted; a different entry under that number is a real conflict.

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
from netmend.aws.parse import parse_acl_entry
from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, NetmendError
from netmend.plan import Change, ResourceState
from netmend.restore import acl_entry_content

__all__ = [
    "WRITE_APIS",
    "ChangeOutcome",
    "apply_change",
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
}


class ChangeOutcome(BaseModel):
    """How a call ended when it did not fail: done now, or found already done."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api: str
    resource: str
    status: Literal["ok", "already-done"]
    code: str | None = None     # the AWS code that meant "already done"
    message: str = ""
    created_rule_ids: tuple[str, ...] = ()  # sgr- ids an authorize created


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


def apply_change(clients: AwsClients, change: Change) -> ChangeOutcome:
    """Make the change's API call; raise AwsCallError if it failed for good."""
    allowed = WRITE_APIS.get(change.service, frozenset())
    if change.api not in allowed:
        raise NetmendError(
            f"{change.action}: {change.service} {change.api} is not a write call netmend makes"
        )
    method = getattr(_client(clients, change.service), xform_name(change.api))
    try:
        response: dict[str, Any] = clients.call(method, **change.params)
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
    return ChangeOutcome(
        api=change.api, resource=change.resource, status="ok", created_rule_ids=created
    )


def snapshot_kind(resource_id: str) -> str | None:
    """The kind of resource a snapshot can hold for this id, or None (not restorable)."""
    for prefix, kind in (("sg-", "security-group"), ("acl-", "network-acl"),
                         ("eni-", "network-interface")):
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
