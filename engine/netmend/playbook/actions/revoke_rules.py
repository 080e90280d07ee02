"""Revoke several security-group rules, one change (and one approval item) per rule.

Each change says what removing its rule does to connections it admitted (tracked ones
survive until they idle out, untracked ones are cut at once: seed 002) and which new
connections are refused from then on, so whoever approves sees both.
"""

from __future__ import annotations

from pydantic import Field

from netmend.model import SgRule
from netmend.model.change import Change, ChangeKind
from netmend.model.rules import rule_text
from netmend.playbook.actions.sg import reauthorize_removed
from netmend.playbook.context import StepContext
from netmend.playbook.params import Params, RuleId, SgId
from netmend.playbook.registry import Action, action
from netmend.playbook.sg.reliance import inventory_with, removal_tracking_warning

__all__ = ["RevokeRules", "RevokeRulesParams", "RuleRef"]

_REVOKE_API = {False: "RevokeSecurityGroupIngress", True: "RevokeSecurityGroupEgress"}


class RuleRef(Params):
    """One rule to remove: its group and its sgr- id."""

    group: SgId
    rule_id: RuleId


class RevokeRulesParams(Params):
    rules: list[RuleRef] = Field(
        default_factory=list, description="The rules to remove; an empty list removes nothing."
    )
    reason: str | None = Field(
        default=None, max_length=200, description="Why, in a few words, for each summary."
    )


def _refused_words(ctx: StepContext, rule: SgRule) -> str:
    holders = ctx.inventory.enis_of_group(rule.group_id)
    where = ", ".join(e.instance_id or e.network_interface_id for e in holders) or "no interface"
    refused = f"new connections only {rule_text(rule)} admitted are refused"
    if rule.egress:
        return f"{refused} from {where} from now on"
    return (
        f"{refused} on {where} from now on; replies to its own connections still "
        "come back (security groups track them)"
    )


@action(
    "sg.revoke-rules",
    params=RevokeRulesParams,
    permissions=("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"),
    rollback_permissions=(
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
    ),
    example="""
- use: sg.revoke-rules
  when: "{{ run.playbook == 'stateful-misunderstanding' }}"   # opt-in
  with:
    rules: "{{ evidence.removable_rules }}"   # [{group: sg-..., rule_id: sgr-...}, ...]
    reason: rule written for a stateless firewall
""",
)
class RevokeRules(Action[RevokeRulesParams]):
    """Remove several rules by id, one revocation change per rule (each needs approval)."""

    def propose(self, ctx: StepContext, params: RevokeRulesParams) -> list[Change]:
        changes: list[Change] = []
        seen: set[str] = set()
        for ref in params.rules:
            if ref.rule_id in seen:
                continue
            seen.add(ref.rule_id)
            group = ctx.current_group(ref.group)
            rule = next((r for r in group.rules if r.rule_id == ref.rule_id), None)
            if rule is None:
                ctx.note(
                    f"{ctx.playbook_id}: {group.group_id} has no rule {ref.rule_id} "
                    "any more: nothing to remove"
                )
                continue
            state = inventory_with(ctx.inventory, ctx.staged.values())
            why = f": {params.reason}" if params.reason else ""
            after = group.model_copy(
                update={"rules": tuple(r for r in group.rules if r.rule_id != ref.rule_id)}
            )
            change = Change(
                action=self.name,
                api=_REVOKE_API[rule.egress],
                resource=group.group_id,
                params={"GroupId": group.group_id, "SecurityGroupRuleIds": [ref.rule_id]},
                kinds=(ChangeKind.REVOCATION,),
                summary=f"revoke {rule_text(rule)} ({ref.rule_id}) on {group.group_id}{why}",
                before=group,
                after=after,
                warnings=(removal_tracking_warning(state, rule), _refused_words(ctx, rule)),
            )
            ctx.stage(change)  # the next rule of the same group starts from this state
            changes.append(change)
        return changes

    def invert(self, change: Change) -> Change | None:
        return reauthorize_removed(change)
