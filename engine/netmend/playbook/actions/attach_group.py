"""Attaching the group someone wrote for an interface and forgot to attach (sg-not-attached).

The detector picks the group: the one named with ``--group``; else the only candidate;
else the only candidate whose name or tags point at the instance. Several candidates
with no clear winner are listed and the run stops until ``--group`` picks one: attaching
the wrong group would admit traffic nobody asked for.

The action adds the group to the interface's list. ModifyNetworkInterfaceAttribute
``Groups=[...]`` replaces the whole list, so it sends every current group too, within the
groups-per-interface quota; its undo sends back the exact list the interface had.
"""

from __future__ import annotations

from typing import Any

from netmend.model import NetworkInterface, SecurityGroup
from netmend.model.change import Change, ChangeKind
from netmend.model.rules import rule_text
from netmend.playbook.actions.eni import invert_group_change
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import EniId, GroupRef, Params
from netmend.playbook.registry import Action, NoParams, action, detector
from netmend.playbook.sg.redundancy import covers
from netmend.playbook.sg.rules import is_world

__all__ = ["AttachGroup", "AttachGroupParams", "choose_group"]

_API = "ModifyNetworkInterfaceAttribute"
_GROUPS_QUOTA_CODE = "L-2AFB9258"
_CAUSE = "sg-not-attached"


def _listing(candidates: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{c['group_id']} ({c.get('group_name', '?')}"
        + (", named for this instance" if c.get("points_at_instance") else "")
        + ")"
        for c in candidates
    )


def choose_group(candidates: list[dict[str, Any]], wanted: str | None) -> tuple[str, str]:
    """``(group_id, why)`` among the classifier's candidates (best first), or a refusal."""
    ids = [str(c["group_id"]) for c in candidates]
    if wanted is not None:
        if wanted in ids:
            return wanted, f"{wanted} was chosen with --group"
        raise ProposalRefusedError(
            f"--group {wanted} is not a group that would admit the flow; the candidates are: "
            f"{_listing(candidates)}"
        )
    if len(ids) == 1:
        return ids[0], f"{ids[0]} is the only unattached group of the VPC that admits the flow"
    pointing = [c for c in candidates if c.get("points_at_instance")]
    if len(pointing) == 1:
        chosen = str(pointing[0]["group_id"])
        return chosen, f"{chosen} is the only candidate whose name or tags point at the instance"
    raise ProposalRefusedError(
        f"{len(ids)} unattached groups would admit the flow and none is clearly meant for this "
        f"instance: {_listing(candidates)}. Choose one with --group, e.g. --group {ids[0]}"
    )


@detector("sg.attach-candidate")
def attach_candidate(ctx: StepContext, params: NoParams) -> dict[str, Any] | None:
    """The unattached group to attach (sg-not-attached); refuses when several fit alike."""
    cause = (
        ctx.cause
        if ctx.cause is not None and ctx.cause.playbook == _CAUSE
        else next((c for c in ctx.causes if c.playbook == _CAUSE), None)
    )
    if cause is None:
        return None
    candidates = [c for c in cause.evidence.get("candidate_groups") or [] if "group_id" in c]
    if not candidates:
        return None
    if ctx.group is not None and ctx.group in (cause.evidence.get("current_groups") or []):
        raise ProposalRefusedError(
            f"--group {ctx.group} is already attached to {cause.evidence.get('eni_id')}; the "
            f"groups that would admit the flow are: {_listing(candidates)}"
        )
    chosen, why = choose_group(candidates, ctx.group)
    return {
        "attach_group": chosen,
        "attach_reason": why,
        "attach_candidates": [str(c["group_id"]) for c in candidates],
    }


class AttachGroupParams(Params):
    eni: EniId
    group: GroupRef  # an sg- id, or a group an earlier step creates (sg.create-group)


def _brings(
    ctx: StepContext, eni: NetworkInterface, group: SecurityGroup
) -> tuple[list[str], bool]:
    """Rules of ``group`` the interface's groups do not already cover; any world-open?"""
    current = [
        rule
        for group_id in eni.group_ids
        if (held := ctx.current(group_id)) is not None and isinstance(held, SecurityGroup)
        for rule in held.rules
    ]
    new = [r for r in group.rules if not any(covers(c, r) for c in current)]
    words = [rule_text(r) for r in new]
    return words, any(is_world(r) for r in new)


@action(
    "eni.attach-group",
    params=AttachGroupParams,
    permissions=("ec2:ModifyNetworkInterfaceAttribute",),
    rollback_permissions=("ec2:ModifyNetworkInterfaceAttribute",),
    example="""
- use: eni.attach-group
  with:
    eni: "{{ evidence.eni_id }}"
    group: "{{ evidence.attach_group }}"   # kept: every group the interface has now
""",
)
class AttachGroup(Action[AttachGroupParams]):
    """Attach one more security group to an interface, keeping every group it has."""

    def propose(self, ctx: StepContext, params: AttachGroupParams) -> list[Change]:
        eni = ctx.current_eni(params.eni)
        group = ctx.current_group(params.group)
        if group.group_id in eni.group_ids:
            ctx.note(f"{eni.network_interface_id} already carries {group.group_id}")
            return []
        if group.vpc_id is not None and group.vpc_id != eni.vpc_id:
            raise ProposalRefusedError(
                f"{group.group_id} belongs to {group.vpc_id}, but {eni.network_interface_id} "
                f"is in {eni.vpc_id}: a group attaches only inside its own VPC"
            )
        quota = ctx.inventory.quotas.security_groups_per_interface
        if len(eni.group_ids) + 1 > quota:
            raise ProposalRefusedError(
                f"{eni.network_interface_id} already carries {len(eni.group_ids)} security "
                f"groups ({', '.join(eni.group_ids)}) and the quota ({_GROUPS_QUOTA_CODE}, "
                f"service code vpc) is {quota}: attaching {group.group_id} needs one of them "
                "to go (merge groups) or a quota increase"
            )
        groups = [*eni.group_ids, group.group_id]
        brings, world = _brings(ctx, eni, group)
        kept = ", ".join(eni.group_ids) or "none"
        warnings = [
            f"modify-network-interface-attribute replaces the whole list: the current groups "
            f"({kept}) are sent again and stay"
        ]
        if brings:
            warnings.append(
                f"{group.group_id} ({group.group_name}) adds to {eni.network_interface_id}: "
                + "; ".join(brings)
            )
        kinds = [ChangeKind.ENI_GROUPS]
        if world:
            kinds.append(ChangeKind.WIDENING)
        return [
            Change(
                action=self.name,
                api=_API,
                resource=eni.network_interface_id,
                params={"NetworkInterfaceId": eni.network_interface_id, "Groups": groups},
                kinds=tuple(kinds),
                summary=(
                    f"{eni.network_interface_id}: attach {group.group_id} ({group.group_name}) "
                    f"beside {kept} (groups become {', '.join(groups)})"
                ),
                before=eni,
                after=eni.model_copy(update={"group_ids": tuple(groups)}),
                warnings=tuple(warnings),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        return invert_group_change(change)
