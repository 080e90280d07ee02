"""Network-interface actions: which security groups an ENI carries.

ModifyNetworkInterfaceAttribute ``Groups=[...]`` REPLACES the whole list, so every action
here sends the full list it wants, existing groups included, and the undo sends back the
list the ENI had.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from netmend.model import NetworkInterface
from netmend.model.change import Change, ChangeKind
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import EniId, Params, SgId
from netmend.playbook.registry import Action, action

__all__ = ["AddGroup", "AddGroupParams", "SetGroups", "SetGroupsParams", "invert_group_change"]

_API = "ModifyNetworkInterfaceAttribute"
_GROUPS_QUOTA_CODE = "L-2AFB9258"


class SetGroupsParams(Params):
    eni: EniId
    groups: list[SgId] = Field(min_length=1, max_length=16)

    @field_validator("groups")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a group is listed twice")
        return value


class AddGroupParams(Params):
    eni: EniId
    group: SgId


def _change(ctx: StepContext, name: str, eni: NetworkInterface, groups: list[str]) -> Change:
    quota = ctx.inventory.quotas.security_groups_per_interface
    if len(groups) > quota:
        raise ProposalRefusedError(
            f"{eni.network_interface_id} would carry {len(groups)} security groups and the "
            f"quota ({_GROUPS_QUOTA_CODE}, service code vpc) is {quota}: merge groups or "
            "request an increase"
        )
    for group_id in groups:
        group = ctx.inventory.security_group(group_id)
        if group is None:
            raise ProposalRefusedError(
                f"unknown security group {group_id} for {eni.network_interface_id}"
            )
        if group.vpc_id is not None and group.vpc_id != eni.vpc_id:
            raise ProposalRefusedError(
                f"{group_id} belongs to {group.vpc_id}, but {eni.network_interface_id} is in "
                f"{eni.vpc_id}: a group attaches only inside its own VPC"
            )
    added = [g for g in groups if g not in eni.group_ids]
    dropped = [g for g in eni.group_ids if g not in groups]
    words = "; ".join(
        part
        for part in (
            f"add {', '.join(added)}" if added else "",
            f"remove {', '.join(dropped)}" if dropped else "",
        )
        if part
    )
    kinds = [ChangeKind.ENI_GROUPS]
    if dropped:
        kinds.append(ChangeKind.REVOCATION)
    return Change(
        action=name,
        api=_API,
        resource=eni.network_interface_id,
        params={"NetworkInterfaceId": eni.network_interface_id, "Groups": list(groups)},
        kinds=tuple(kinds),
        summary=f"{eni.network_interface_id}: {words} (groups become {', '.join(groups)})",
        before=eni,
        after=eni.model_copy(update={"group_ids": tuple(groups)}),
    )


def invert_group_change(change: Change) -> Change | None:
    """Put an ENI's group list back as it was before ``change`` (any group-list change)."""
    before = change.before
    if not isinstance(before, NetworkInterface):
        return None
    return Change(
        action="eni.set-groups",
        api=_API,
        resource=change.resource,
        params={"NetworkInterfaceId": change.resource, "Groups": list(before.group_ids)},
        kinds=(ChangeKind.ENI_GROUPS,),
        summary=f"undo: {change.summary}",
        before=change.after,
        after=before,
    )


@action(
    "eni.set-groups",
    params=SetGroupsParams,
    permissions=("ec2:ModifyNetworkInterfaceAttribute",),
    rollback_permissions=("ec2:ModifyNetworkInterfaceAttribute",),
    example="""
- use: eni.set-groups
  with:
    eni: "{{ flow.destination_eni }}"
    groups: ["{{ evidence.group_id }}", sg-0123456789abcdef0]   # the full list it keeps
""",
)
class SetGroups(Action[SetGroupsParams]):
    """Set the exact list of security groups a network interface carries."""

    def propose(self, ctx: StepContext, params: SetGroupsParams) -> list[Change]:
        eni = ctx.current_eni(params.eni)
        if list(eni.group_ids) == params.groups:
            ctx.note(f"{eni.network_interface_id} already carries exactly {params.groups}")
            return []
        return [_change(ctx, self.name, eni, params.groups)]

    def invert(self, change: Change) -> Change | None:
        return invert_group_change(change)


@action(
    "eni.add-group",
    params=AddGroupParams,
    permissions=("ec2:ModifyNetworkInterfaceAttribute",),
    rollback_permissions=("ec2:ModifyNetworkInterfaceAttribute",),
    example="""
- use: eni.add-group
  with:
    eni: "{{ evidence.eni_id }}"
    group: "{{ evidence.group_id }}"
""",
)
class AddGroup(Action[AddGroupParams]):
    """Attach one more security group to a network interface, keeping the ones it has."""

    def propose(self, ctx: StepContext, params: AddGroupParams) -> list[Change]:
        eni = ctx.current_eni(params.eni)
        if params.group in eni.group_ids:
            ctx.note(f"{eni.network_interface_id} already carries {params.group}")
            return []
        return [_change(ctx, self.name, eni, [*eni.group_ids, params.group])]

    def invert(self, change: Change) -> Change | None:
        return invert_group_change(change)
