"""Making room in a full security group: drop redundant rules, or fold host rules.

``sg.revoke-redundant`` removes rules another rule of the same group already covers
(playbook.sg.redundancy): no access changes, so each change says so. ``sg.consolidate-hosts``
rewrites one host rule into a covering prefix (ModifySecurityGroupRules, in place, so no
host loses access for a moment and no free slot is needed) and removes the other host
rules it now covers: a widening, whose warning lists every address it adds.

One call per rule: a rule already gone (NotFound, counted as done) cannot hide another.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from netmend.model import SecurityGroup, SgRule
from netmend.model.change import Change, ChangeKind
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.model.rules import rule_service, rule_text
from netmend.playbook.actions.sg import reauthorize_removed
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import Params, SgId
from netmend.playbook.registry import Action, action
from netmend.playbook.sg.consolidate import DEFAULT_MAX_ADDED, consolidation
from netmend.playbook.sg.redundancy import redundant_rules
from netmend.playbook.sg.rules import ip_permission

__all__ = [
    "ConsolidateHosts",
    "ConsolidateParams",
    "RevokeRedundant",
    "RevokeRedundantParams",
]

_REVOKE = {False: "RevokeSecurityGroupIngress", True: "RevokeSecurityGroupEgress"}
_MODIFY = "ModifySecurityGroupRules"

Direction = Literal["ingress", "egress"]
Family = Literal["ipv4", "ipv6"]


def _words(rule: SgRule) -> str:
    named = f" ({rule.rule_id})" if rule.rule_id else ""
    return f"{rule_text(rule)}{named}"


def _revoke(
    name: str, group: SecurityGroup, rule: SgRule, summary: str, warning: str
) -> tuple[Change, SecurityGroup]:
    """The revocation of one rule, and the group as it leaves it."""
    params: dict[str, Any] = {"GroupId": group.group_id}
    if rule.rule_id:
        params["SecurityGroupRuleIds"] = [rule.rule_id]
    else:
        params["IpPermissions"] = [ip_permission(rule, description=False)]
    after = group.model_copy(update={"rules": tuple(r for r in group.rules if r != rule)})
    change = Change(
        action=name,
        api=_REVOKE[rule.egress],
        resource=group.group_id,
        params=params,
        kinds=(ChangeKind.REVOCATION,),
        summary=summary,
        before=group,
        after=after,
        warnings=(warning,),
    )
    return change, after


class RevokeRedundantParams(Params):
    group: SgId
    direction: Direction
    family: Family | None = Field(default=None, description="Only rules of this family.")
    at_most: int | None = Field(default=None, ge=1, description="Remove at most this many.")


@action(
    "sg.revoke-redundant",
    params=RevokeRedundantParams,
    permissions=("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"),
    rollback_permissions=(
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
    ),
    example="""
- use: sg.revoke-redundant
  with:
    group: "{{ evidence.group_id }}"
    direction: "{{ evidence.direction }}"   # ingress or egress
    family: ipv4                            # AWS counts IPv4 and IPv6 rules apart
""",
)
class RevokeRedundant(Action[RevokeRedundantParams]):
    """Remove the rules another rule of the same group covers (no access change)."""

    def propose(self, ctx: StepContext, params: RevokeRedundantParams) -> list[Change]:
        group = ctx.current_group(params.group)
        found = redundant_rules(
            ctx.inventory, group, egress=params.direction == "egress", family=params.family
        )
        if params.at_most is not None:
            found = found[: params.at_most]
        if not found:
            ctx.note(f"{group.group_id} has no redundant {params.direction} rule to remove")
            return []
        changes: list[Change] = []
        for item in found:
            cover = _words(item.covered_by)
            change, group = _revoke(
                self.name,
                group,
                item.rule,
                f"revoke {_words(item.rule)} on {group.group_id}: redundant, {cover} "
                "admits all of it",
                "no access change: each removed redundant rule is covered by a rule of the "
                "same group that stays (named in its line), so the same traffic is admitted "
                "and its connections keep flowing",
            )
            changes.append(change)
        return changes

    def invert(self, change: Change) -> Change | None:
        return reauthorize_removed(change)


class ConsolidateParams(Params):
    group: SgId
    direction: Direction
    family: Family = "ipv4"
    free: int = Field(ge=1, description="How many rules the consolidation must free.")
    max_added_addresses: int = Field(
        default=DEFAULT_MAX_ADDED,
        ge=1,
        description="Refuse a prefix that admits more new addresses than this.",
    )


def _rule_request(rule: SgRule) -> dict[str, Any]:
    """A SecurityGroupRuleRequest (ModifySecurityGroupRules) for ``rule``."""
    if rule.protocol in (TCP, UDP):
        ports = (rule.from_port, rule.to_port)
    elif rule.protocol in (ICMP, ICMPV6):
        ports = (
            -1 if rule.from_port is None else rule.from_port,
            -1 if rule.to_port is None else rule.to_port,
        )
    else:
        ports = (-1, -1)
    request: dict[str, Any] = {
        "IpProtocol": rule.protocol,
        "FromPort": ports[0],
        "ToPort": ports[1],
    }
    if rule.cidr_ipv4 is not None:
        request["CidrIpv4"] = rule.cidr_ipv4
    elif rule.cidr_ipv6 is not None:
        request["CidrIpv6"] = rule.cidr_ipv6
    if rule.description:
        request["Description"] = rule.description
    return request


def _modify(
    name: str,
    group: SecurityGroup,
    old: SgRule,
    new: SgRule,
    summary: str,
    kinds: tuple[ChangeKind, ...],
    warnings: tuple[str, ...],
) -> tuple[Change, SecurityGroup]:
    """Rewrite ``old`` as ``new`` in place (same rule id), and the group it leaves."""
    after = group.model_copy(update={"rules": tuple(new if r == old else r for r in group.rules)})
    change = Change(
        action=name,
        api=_MODIFY,
        resource=group.group_id,
        params={
            "GroupId": group.group_id,
            "SecurityGroupRules": [
                {"SecurityGroupRuleId": old.rule_id, "SecurityGroupRule": _rule_request(new)}
            ],
        },
        kinds=kinds,
        summary=summary,
        before=group,
        after=after,
        warnings=warnings,
    )
    return change, after


@action(
    "sg.consolidate-hosts",
    params=ConsolidateParams,
    permissions=(
        "ec2:ModifySecurityGroupRules",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
    ),
    rollback_permissions=(
        "ec2:ModifySecurityGroupRules",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
    ),
    example="""
- use: sg.consolidate-hosts
  when: "{{ evidence.strategy == 'consolidate' }}"
  with:
    group: "{{ evidence.group_id }}"
    direction: "{{ evidence.direction }}"
    free: "{{ evidence.consolidate_free }}"   # rules to free
    max_added_addresses: 256                  # refuse a wider prefix
""",
)
class ConsolidateHosts(Action[ConsolidateParams]):
    """Fold host rules (/32, /128) of one service into a covering prefix (a widening)."""

    def propose(self, ctx: StepContext, params: ConsolidateParams) -> list[Change]:
        group = ctx.current_group(params.group)
        egress = params.direction == "egress"
        found = consolidation(
            ctx.inventory,
            group,
            egress=egress,
            family=params.family,
            free=params.free,
            max_added=params.max_added_addresses,
        )
        if found is None:
            raise ProposalRefusedError(
                f"no prefix folds enough {params.direction} host rules of {group.group_id} to "
                f"free {params.free} rule(s) while adding at most {params.max_added_addresses} "
                "address(es)"
            )
        first, rest = found.hosts[0], found.hosts[1:]
        if any(r.rule_id is None for r in found.hosts):
            raise ProposalRefusedError(
                f"{group.group_id}: the host rules have no rule ids (an inventory without "
                "them?): collect the estate again"
            )
        peer_field = "cidr_ipv4" if first.cidr_ipv4 is not None else "cidr_ipv6"
        description = ctx.rule_description(f"{len(found.hosts)} host rules consolidated")
        new = first.model_copy(update={peer_field: found.prefix, "description": description})
        hosts = ", ".join(r.peer for r in found.hosts)
        service = rule_service(first)
        widening = (
            f"widening: {found.prefix} admits {found.added_count} address(es) on {service} "
            f"that {group.group_id} did not admit before: {found.added_text()}"
        )
        change, group = _modify(
            self.name,
            group,
            first,
            new,
            f"rewrite {_words(first)} on {group.group_id} as {found.prefix}, covering {hosts}",
            (ChangeKind.WIDENING,),
            (widening, f"frees {found.freed} rule(s): {len(found.hosts)} host rules become one"),
        )
        changes = [change]
        for rule in rest:
            revoke, group = _revoke(
                self.name,
                group,
                rule,
                f"revoke {_words(rule)} on {group.group_id}: {found.prefix} now admits it",
                f"no access change for the folded hosts: {found.prefix} ({first.rule_id}) "
                "admits each of them",
            )
            changes.append(revoke)
        return changes

    def invert(self, change: Change) -> Change | None:
        if change.api != _MODIFY:
            return reauthorize_removed(change)
        before, after = change.before, change.after
        if not isinstance(before, SecurityGroup) or not isinstance(after, SecurityGroup):
            return None
        rule_id = change.params["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        old = next((r for r in before.rules if r.rule_id == rule_id), None)
        new = next((r for r in after.rules if r.rule_id == rule_id), None)
        if old is None or new is None:
            return None
        undo, _ = _modify(
            "sg.consolidate-hosts",
            after,
            new,
            old,
            f"undo: {change.summary}",
            (ChangeKind.REVOCATION,),
            (),
        )
        return undo
