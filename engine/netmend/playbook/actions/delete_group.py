"""Deleting a security group nobody uses: ``sg.delete-group`` (unused-security-group's fix).

The plan refuses a group the inventory shows in use (``netmend.playbook.sg.usage``, the
same answer the finding came from); aws/ reads the interfaces and the referencing rules
again just before the call and refuses if anything uses the group by then
(``netmend.aws.group_use``): netmend never relies on AWS's DependencyViolation.

A deleted group cannot come back under its id. The snapshot keeps all of it (name,
description, VPC, tags, every rule); a rollback re-creates it from that, under a new id,
with its rules and tags, and says the id changed (``netmend.run.recreate``).
"""

from __future__ import annotations

from netmend.model import SecurityGroup
from netmend.model.change import Change, ChangeKind
from netmend.model.created import (
    CREATE_GROUP_API,
    DELETE_GROUP_API,
    DELETE_UNUSED_GROUP_ACTION,
    RECREATED_FROM_TAG,
    group_create_params,
)
from netmend.model.rules import rule_text
from netmend.playbook.actions.create_group import undo_group_creation
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import Params, SgId
from netmend.playbook.registry import Action, action
from netmend.playbook.sg.usage import GroupUse

__all__ = ["DeleteGroup", "DeleteGroupParams"]


class DeleteGroupParams(Params):
    group: SgId


@action(
    DELETE_UNUSED_GROUP_ACTION,
    params=DeleteGroupParams,
    # The check before the call reads DescribeSecurityGroupReferences: a read (iam.py).
    permissions=("ec2:DeleteSecurityGroup",),
    rollback_permissions=(
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupEgress",
    ),
    example="""
- use: sg.delete-group
  with:
    group: "{{ evidence.group_id }}"   # refused if anything uses it, now or at the call
""",
)
class DeleteGroup(Action[DeleteGroupParams]):
    """Delete a group no interface carries and no group references (one revocation)."""

    def propose(self, ctx: StepContext, params: DeleteGroupParams) -> list[Change]:
        group = ctx.current_group(params.group)
        if group.is_default:
            raise ProposalRefusedError(f"{group.group_id} is its VPC's default group: AWS keeps it")
        users = GroupUse(ctx.inventory).users(group.group_id)
        if users:
            raise ProposalRefusedError(
                f"{group.group_id} is in use ({'; '.join(users)}): it is not deleted"
            )
        name = f" ({group.group_name})" if group.group_name else ""
        rules = "; ".join(rule_text(r) for r in group.rules) or "no rules"
        tags = ", ".join(f"{k}={v}" for k, v in sorted(group.tags.items())) or "no tags"
        return [
            Change(
                action=self.name,
                api=DELETE_GROUP_API,
                resource=group.group_id,
                params={"GroupId": group.group_id},
                kinds=(ChangeKind.REVOCATION,),
                summary=(
                    f"delete security group {group.group_id}{name} in {group.vpc_id}: no "
                    f"interface carries it and no group references it; its "
                    f"{len(group.rules)} rule(s) go with it"
                ),
                before=group,
                after=None,
                warnings=(
                    f"deletes {group.group_id}{name} with {rules} (tags: {tags})",
                    "netmend reads every interface and every rule referencing the group "
                    "again just before the call and refuses if anything uses it",
                    "a rollback re-creates the group from the snapshot under a NEW id (AWS "
                    f"never reuses one): whatever names {group.group_id} outside this "
                    "account (templates, launch templates, IaC) keeps the old id",
                ),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        """Deleted: re-created from the state before (under a new id, as a rollback
        does: ``netmend.run.recreate``); re-created: deleted again."""
        if change.api == DELETE_GROUP_API and isinstance(change.before, SecurityGroup):
            group = change.before
            tags = {**group.tags, RECREATED_FROM_TAG: group.group_id}
            return Change(
                action=self.name,
                api=CREATE_GROUP_API,
                resource=group.group_id,
                params=group_create_params(group.group_name, group.description, group.vpc_id, tags),
                kinds=(ChangeKind.ADDITION,),
                summary=f"undo: re-create {group.group_id} ({group.group_name}) under a new id",
                before=None,
                after=group,
            )
        return undo_group_creation(self.name, change)
