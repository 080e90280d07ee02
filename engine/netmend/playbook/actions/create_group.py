"""Creating a security group mid-run: ``sg.create-group`` (an overflow group for a full one).

The plan names the new group by a placeholder (``netmend.run.new_resources``) until AWS answers
with its id; later steps (the rule it takes, the interface it joins) name the same
placeholder. AWS gives every new group an allow-all outbound rule (IPv4, and IPv6 too in a
VPC with an IPv6 block): the action revokes it at once, before anything attaches the
group, so an interface that gets the group gains no outbound access.

The group is tagged ``netmend:created-by=netmend`` and ``netmend:run-id=<run>``: a rollback
finds it by its journalled id, or by the tag when the run died before the id was
journalled, and deletes it once no interface carries it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from netmend.model import SecurityGroup, SgRule
from netmend.model.change import Change, ChangeKind
from netmend.model.created import (
    CREATE_GROUP_API,
    CREATED_BY_TAG,
    CREATED_BY_VALUE,
    DELETE_GROUP_API,
    RUN_ID_TAG,
    is_placeholder,
)
from netmend.playbook.context import StepContext, sanitize_description
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import Params, SgId
from netmend.playbook.registry import Action, action
from netmend.playbook.sg.rules import ip_permission

__all__ = ["OVERFLOW_OF_TAG", "CreateGroup", "CreateGroupParams", "undo_group_creation"]

OVERFLOW_OF_TAG = "netmend:overflow-of"
_EGRESS = ("RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress")
# What AWS accepts in a VPC security group's name (and description).
_NAME = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$")


def _placeholder(value: Any) -> Any:
    if not isinstance(value, str) or not is_placeholder(value.strip()):
        raise ValueError(f"{value!r} is not a placeholder for a new group (new-sg:RUN:N)")
    return value.strip()


def _vpc(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"vpc-[0-9a-zA-Z]+", value.strip()):
        raise ValueError(f"{value!r} is not a VPC id (vpc-...)")
    return value.strip()


NewGroupRef = Annotated[str, BeforeValidator(_placeholder)]
VpcId = Annotated[str, BeforeValidator(_vpc)]


def _name(value: str) -> str:
    if value.lower().startswith("sg-"):
        raise ValueError(f"{value!r}: AWS refuses a group name that starts with sg-")
    if not _NAME.match(value):
        raise ValueError(
            f"{value!r} is not a group name AWS accepts: 1-255 characters among a-z A-Z "
            "0-9, space and ._-:/()#,@[]+=&;{}!$*"
        )
    return value


class CreateGroupParams(Params):
    ref: NewGroupRef = Field(description="The placeholder later steps name the group by.")
    name: Annotated[str, AfterValidator(_name)]
    vpc: VpcId
    purpose: str | None = Field(
        default=None, max_length=150, description="Why the group exists (its description)."
    )
    overflow_of: SgId | None = Field(
        default=None, description="The full group whose rule it takes."
    )
    keep_default_egress: bool = Field(
        default=False, description="Keep AWS's allow-all outbound rule (default: revoke it)."
    )

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str | None) -> str | None:
        return sanitize_description(value) if value else value


def _default_egress(group_id: str, ipv6: bool) -> tuple[SgRule, ...]:
    """The allow-all outbound rules AWS puts in every new VPC security group."""
    rules = [SgRule(group_id=group_id, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0")]
    if ipv6:
        rules.append(SgRule(group_id=group_id, egress=True, protocol="-1", cidr_ipv6="::/0"))
    return tuple(rules)


def _create_params(group: SecurityGroup) -> dict[str, Any]:
    return {
        "GroupName": group.group_name,
        "Description": group.description,
        "VpcId": group.vpc_id,
        "TagSpecifications": [
            {
                "ResourceType": "security-group",
                "Tags": [{"Key": k, "Value": v} for k, v in group.tags.items()],
            }
        ],
    }


def _create(name: str, group: SecurityGroup, summary: str, warnings: tuple[str, ...]) -> Change:
    return Change(
        action=name,
        api=CREATE_GROUP_API,
        resource=group.group_id,
        params=_create_params(group),
        kinds=(ChangeKind.ADDITION,),
        summary=summary,
        before=None,
        after=group,
        warnings=warnings,
    )


def _egress_change(
    name: str,
    group: SecurityGroup,
    rule: SgRule,
    revoke: bool,
    summary: str,
    warnings: tuple[str, ...] = (),
) -> tuple[Change, SecurityGroup]:
    if revoke:
        after = group.model_copy(update={"rules": tuple(r for r in group.rules if r != rule)})
    else:
        after = group.model_copy(update={"rules": (*group.rules, rule)})
    change = Change(
        action=name,
        api=_EGRESS[0] if revoke else _EGRESS[1],
        resource=group.group_id,
        params={
            "GroupId": group.group_id,
            "IpPermissions": [ip_permission(rule, description=False)],
        },
        kinds=(ChangeKind.REVOCATION,) if revoke else (ChangeKind.ADDITION,),
        summary=summary,
        before=group,
        after=after,
        warnings=warnings,
    )
    return change, after


def undo_group_creation(action_name: str, change: Change) -> Change | None:
    """The deletion that undoes ``change`` when it creates a group (else None)."""
    if change.api != CREATE_GROUP_API or not isinstance(change.after, SecurityGroup):
        return None
    return Change(
        action=action_name,
        api=DELETE_GROUP_API,
        resource=change.resource,
        params={"GroupId": change.resource},
        kinds=(ChangeKind.REVOCATION,),
        summary=f"undo: {change.summary}",
        before=change.after,
        after=None,
    )


@action(
    "sg.create-group",
    params=CreateGroupParams,
    permissions=("ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:RevokeSecurityGroupEgress"),
    rollback_permissions=("ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupEgress"),
    example="""
- use: sg.create-group
  when: "{{ evidence.strategy == 'overflow' }}"
  with:
    ref: "{{ evidence.overflow_group }}"      # placeholder (new-sg:RUN:N) later steps name
    name: "{{ evidence.overflow_name }}"      # unique in the VPC, not starting with sg-
    vpc: "{{ evidence.overflow_vpc }}"
    overflow_of: "{{ evidence.group_id }}"    # tagged netmend:overflow-of
""",
)
class CreateGroup(Action[CreateGroupParams]):
    """Create a security group (tagged with the run) and revoke AWS's allow-all egress."""

    def propose(self, ctx: StepContext, params: CreateGroupParams) -> list[Change]:
        if ctx.current(params.ref) is not None:
            raise ProposalRefusedError(f"{params.ref} is already created by this plan")
        vpc = ctx.inventory.vpc(params.vpc)
        if vpc is None:
            raise ProposalRefusedError(f"unknown VPC {params.vpc} in {ctx.inventory.region}")
        taken = {g.group_name for g in ctx.inventory.security_groups if g.vpc_id == vpc.vpc_id}
        taken |= {
            s.group_name
            for s in ctx.staged.values()
            if isinstance(s, SecurityGroup) and s.vpc_id == vpc.vpc_id
        }
        if params.name in taken:
            raise ProposalRefusedError(
                f"{vpc.vpc_id} already has a security group named {params.name!r}"
            )
        purpose = params.purpose or (
            f"overflow of {params.overflow_of}" if params.overflow_of else "created"
        )
        tags = {CREATED_BY_TAG: CREATED_BY_VALUE, RUN_ID_TAG: ctx.run_id, "Name": params.name}
        if params.overflow_of:
            tags[OVERFLOW_OF_TAG] = params.overflow_of
        defaults = _default_egress(params.ref, bool(vpc.ipv6_cidr_blocks))
        group = SecurityGroup(
            group_id=params.ref,
            group_name=params.name,
            vpc_id=vpc.vpc_id,
            description=ctx.rule_description(purpose),
            rules=defaults,
            tags=tags,
        )
        changes = [
            _create(
                self.name,
                group,
                f"create security group {params.name} in {vpc.vpc_id} ({purpose})",
                (
                    f"creates a new security group, {params.name}, tagged {CREATED_BY_TAG}="
                    f"{CREATED_BY_VALUE} and {RUN_ID_TAG}={ctx.run_id}: a rollback detaches it "
                    "and deletes it",
                    f"{params.ref} stands for its id until AWS answers; the later calls are sent "
                    "with the real id",
                ),
            )
        ]
        if params.keep_default_egress:
            return changes
        for rule in defaults:
            change, group = _egress_change(
                self.name,
                group,
                rule,
                True,
                f"revoke the allow-all outbound rule (to {rule.peer}) AWS gives the new group "
                f"{params.name}",
                (
                    f"no access change: {params.name} is new and on no interface yet; without "
                    "this, whatever it is attached to could send anything anywhere",
                ),
            )
            changes.append(change)
        return changes

    def invert(self, change: Change) -> Change | None:
        undone = undo_group_creation(self.name, change)
        if undone is not None:
            return undone
        if change.api == DELETE_GROUP_API and isinstance(change.before, SecurityGroup):
            return _create(self.name, change.before, f"undo: {change.summary}", ())
        before, after = change.before, change.after
        if not isinstance(before, SecurityGroup) or not isinstance(after, SecurityGroup):
            return None
        revoked = change.api == _EGRESS[0]
        gone, kept = (before, after) if revoked else (after, before)
        moved = [r for r in gone.rules if r not in kept.rules]
        if len(moved) != 1:
            return None
        # A revoke is undone by authorizing the rule again, and the other way round.
        undo, _ = _egress_change(self.name, after, moved[0], not revoked, f"undo: {change.summary}")
        return undo
