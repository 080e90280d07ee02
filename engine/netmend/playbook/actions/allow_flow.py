"""``acl.allow-flow``: the network-ACL entries one flow needs, in both directions.

ACLs are stateless, so the runbook's fix is always a pair: the service port in (and out
of the client's subnet) for the request, the client's ephemeral ports for the reply.
This action walks every ACL check on the flow's path (see ``acl_crossings``) and adds an
allow entry only where that check does not already pass, so an ACL that lets the replies
out already gets no second entry for them.
"""

from __future__ import annotations

from pydantic import Field

from netmend.model import NetworkAcl
from netmend.model.change import Change, ChangeKind
from netmend.model.rules import acl_entry_text
from netmend.playbook.acl_crossings import (
    EPHEMERAL_PORTS,
    Crossing,
    Scope,
    admits,
    crossings,
    entry_for,
    overridden_denies,
    place_entry,
    room_in_direction,
)
from netmend.playbook.actions.acl import entry_api_params, invert_created_entry
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import Params, PortRange
from netmend.playbook.registry import Action, action
from netmend.reach.result import Leg

__all__ = ["AllowFlow", "AllowFlowParams"]

_ACL_QUOTA_CODE = "L-2AEEBF1A"
_STATELESS = "network ACLs are stateless: the change applies to existing connections at once"


class AllowFlowParams(Params):
    scope: Scope = Field(
        default="host",
        description="host: the far end's own address (/32, /128), exactly this flow; "
        "subnet: the far end's subnet CIDR.",
    )
    return_ports: PortRange = Field(
        default=EPHEMERAL_PORTS,
        description="The clients' ephemeral ports the replies go to (1024-65535 fits all).",
    )


def _why(crossing: Crossing) -> str:
    way = "going out" if crossing.egress else "coming in"
    if crossing.leg is Leg.FORWARD:
        return f"the request {way}"
    return f"the replies {way} (to the client's ephemeral ports)"


def _check_room(ctx: StepContext, acl: NetworkAcl, crossing: Crossing, ipv6: bool) -> None:
    used = room_in_direction(acl, crossing.egress, ipv6)
    quota = ctx.inventory.quotas.rules_per_network_acl
    if used + 1 > quota:
        way = "outbound" if crossing.egress else "inbound"
        raise ProposalRefusedError(
            f"{acl.network_acl_id} already holds {used} {way} "
            f"{'IPv6' if ipv6 else 'IPv4'} entries (the default entry included) and the quota "
            f"({_ACL_QUOTA_CODE}) is {quota}: merge entries (acl.replace-entry) or request an "
            "increase (at most 40)"
        )


@action(
    "acl.allow-flow",
    params=AllowFlowParams,
    permissions=("ec2:CreateNetworkAclEntry",),
    rollback_permissions=("ec2:DeleteNetworkAclEntry",),
    example="""
- use: acl.allow-flow
  with:
    scope: host                      # the far end's /32; "subnet" for its subnet CIDR
    return_ports: 1024-65535         # every client's ephemeral ports
""",
)
class AllowFlow(Action[AllowFlowParams]):
    """Add the ACL allow entries the flow needs, both ways, where an ACL drops it."""

    def propose(self, ctx: StepContext, params: AllowFlowParams) -> list[Change]:
        flow = ctx.flow
        if flow is None:
            raise ProposalRefusedError("acl.allow-flow needs a flow to allow")
        changes: list[Change] = []
        # ACLs an earlier cause of this flow already fixed in this plan: no repeated notes.
        touched = set(ctx.staged)
        for crossing in crossings(ctx.inventory, flow, return_ports=params.return_ports):
            acl = ctx.current_acl(crossing.acl_id)
            passing = admits(acl, crossing)
            if passing is not None:
                if not acl.is_default and crossing.acl_id not in touched:
                    ctx.note(
                        f"{acl.network_acl_id} already passes {_why(crossing)}: "
                        f"{passing}; nothing to add there"
                    )
                continue
            change = self._entry_change(ctx, acl, crossing, params.scope)
            ctx.stage(change)  # a second entry on the same ACL starts from this one
            changes.append(change)
        return changes

    def _entry_change(
        self, ctx: StepContext, acl: NetworkAcl, crossing: Crossing, scope: Scope
    ) -> Change:
        template = entry_for(crossing, 1, scope)
        _check_room(ctx, acl, crossing, template.is_ipv6)
        number = place_entry(acl, template)
        if number is None:
            raise ProposalRefusedError(
                f"{acl.network_acl_id} has no free rule number ahead of the denies that "
                f"would shadow an {acl_entry_text(template, numbered=False)}: renumber or replace "
                "an entry"
            )
        entry = entry_for(crossing, number, scope)
        overridden = overridden_denies(acl, entry)
        warnings = [_STATELESS]
        warnings += [
            f"overrides someone's explicit deny on {acl.network_acl_id}: "
            f"{acl_entry_text(deny)} comes after rule {entry.rule_number}, so it no longer "
            f"blocks {entry.cidr} there; approval required"
            for deny in overridden
        ]
        kinds = (ChangeKind.DENY_OVERRIDE,) if overridden else (ChangeKind.ADDITION,)
        return Change(
            action=self.name,
            api="CreateNetworkAclEntry",
            resource=acl.network_acl_id,
            params=entry_api_params(acl.network_acl_id, entry),
            kinds=kinds,
            summary=(
                f"{acl.network_acl_id} ({crossing.subnet_id}): add {acl_entry_text(entry)} "
                f"for {_why(crossing)}"
            ),
            before=acl,
            after=acl.model_copy(update={"entries": (*acl.entries, entry)}),
            warnings=tuple(warnings),
        )

    def invert(self, change: Change) -> Change | None:
        return invert_created_entry(change)
