"""Security-group rule actions: authorize ingress or egress, revoke one rule."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from netmend.model import SecurityGroup, SgRule
from netmend.model.change import Change, ChangeKind
from netmend.model.protocol import ALL, ICMP, ICMPV6, TCP, UDP
from netmend.model.rules import rule_text, sg_rule_key
from netmend.playbook.context import StepContext
from netmend.playbook.errors import ProposalRefusedError
from netmend.playbook.params import (
    GroupRef,
    Params,
    Peer,
    PortRange,
    ProtocolName,
    RuleId,
    SgId,
    peer_kind,
)
from netmend.playbook.registry import Action, action
from netmend.playbook.sg.rules import (
    check_rule_quota,
    ip_permission,
    is_world,
    tracking_warning,
)

__all__ = [
    "AuthorizeEgress",
    "AuthorizeIngress",
    "AuthorizeParams",
    "RevokeParams",
    "RevokeRule",
    "reauthorize_removed",
]

_PERMISSIONS = {
    False: ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"),
    True: ("AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"),
}


class AuthorizeParams(Params):
    group: GroupRef  # an sg- id, or a group an earlier step creates (sg.create-group)
    protocol: ProtocolName
    ports: PortRange | None = None
    icmp_type: int | None = Field(default=None, ge=-1, le=255)
    icmp_code: int | None = Field(default=None, ge=-1, le=255)
    peer: Peer
    description: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _fits_protocol(self) -> AuthorizeParams:
        icmp_given = self.icmp_type is not None or self.icmp_code is not None
        if self.protocol in (TCP, UDP):
            if self.ports is None:
                raise ValueError(f"{self.protocol} needs ports: a port or a from-to range")
            if icmp_given:
                raise ValueError("icmp_type and icmp_code apply to icmp only")
        elif self.protocol in (ICMP, ICMPV6):
            if self.ports is not None:
                raise ValueError("icmp takes icmp_type and icmp_code, not ports")
            if self.icmp_type in (None, -1) and self.icmp_code not in (None, -1):
                raise ValueError("an ICMP code needs an ICMP type")
        elif self.ports is not None or icmp_given:
            raise ValueError(f"protocol {self.protocol} admits every port: leave ports out")
        return self

    def port_fields(self) -> tuple[int | None, int | None]:
        """FromPort/ToPort as AWS stores them for this protocol."""
        if self.protocol in (TCP, UDP) and self.ports is not None:
            return self.ports
        if self.protocol in (ICMP, ICMPV6):
            icmp_type = -1 if self.icmp_type is None else self.icmp_type
            code = -1 if icmp_type == -1 or self.icmp_code is None else self.icmp_code
            return icmp_type, code
        return None, None


def _peer_fields(peer: str) -> dict[str, str]:
    kind = peer_kind(peer)
    field = {
        "group": "referenced_group_id",
        "prefix-list": "prefix_list_id",
        "ipv4": "cidr_ipv4",
        "ipv6": "cidr_ipv6",
    }[kind]
    return {field: peer}


def _without_descriptions(perm: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [{k: v for k, v in peer.items() if k != "Description"} for peer in value]
        if isinstance(value, list)
        else value
        for key, value in perm.items()
    }


def _without(group: SecurityGroup, removed: list[SgRule]) -> SecurityGroup:
    return group.model_copy(update={"rules": tuple(r for r in group.rules if r not in removed)})


class _Authorize(Action[AuthorizeParams]):
    egress: bool = False

    def propose(self, ctx: StepContext, params: AuthorizeParams) -> list[Change]:
        group = ctx.current_group(params.group)
        from_port, to_port = params.port_fields()
        rule = SgRule(
            group_id=group.group_id,
            egress=self.egress,
            protocol=params.protocol,
            from_port=from_port,
            to_port=to_port,
            description=ctx.rule_description(params.description),
            **_peer_fields(params.peer),
        )
        words = rule_text(rule)
        if any(sg_rule_key(r) == sg_rule_key(rule) for r in group.rules):
            ctx.note(f"{group.group_id} already allows {words}: nothing to add")
            return []
        check_rule_quota(ctx.inventory, group, rule)
        warnings: list[str] = []
        kinds = [ChangeKind.ADDITION]
        if (
            is_world(rule)
            or rule.protocol == ALL
            or (rule.protocol in (TCP, UDP) and rule.all_ports)
        ):
            kinds = [ChangeKind.WIDENING]
            warnings.append(f"wide rule: {words} admits far more than one flow")
        if rule.referenced_group_id and ctx.inventory.security_group(rule.peer) is None:
            warnings.append(f"{rule.peer} is not in the inventory (another VPC or account?)")
        api = _PERMISSIONS[self.egress][0]
        return [
            Change(
                action=self.name,
                api=api,
                resource=group.group_id,
                params={"GroupId": group.group_id, "IpPermissions": [ip_permission(rule)]},
                kinds=tuple(kinds),
                summary=f"allow {words} on {group.group_id}",
                before=group,
                after=group.model_copy(update={"rules": (*group.rules, rule)}),
                warnings=tuple(warnings),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        # The new rule's sgr- id exists only once AWS made it, so the undo revokes by
        # the exact permission (without its description, which AWS does not match on).
        perms = [_without_descriptions(perm) for perm in change.params["IpPermissions"]]
        return Change(
            action="sg.revoke-rule",
            api=_PERMISSIONS[self.egress][1],
            resource=change.resource,
            params={"GroupId": change.params["GroupId"], "IpPermissions": perms},
            kinds=(ChangeKind.REVOCATION,),
            summary=f"undo: {change.summary}",
            before=change.after,
            after=change.before,
        )


_AUTHORIZE_EXAMPLE = """
- use: {name}
  with:
    group: "{{{{ evidence.group_id }}}}"
    protocol: "{{{{ flow.protocol }}}}"
    ports: "{{{{ flow.port }}}}"
    peer: "{{{{ evidence.peer }}}}"     # a CIDR (v4/v6), an sg- id or a pl- id
    description: {words}
"""


@action(
    "sg.authorize-ingress",
    params=AuthorizeParams,
    permissions=("ec2:AuthorizeSecurityGroupIngress",),
    rollback_permissions=("ec2:RevokeSecurityGroupIngress",),
    example=_AUTHORIZE_EXAMPLE.format(name="sg.authorize-ingress", words="inbound from shop"),
)
class AuthorizeIngress(_Authorize):
    """Add one inbound rule (one peer) to a security group."""

    egress = False


@action(
    "sg.authorize-egress",
    params=AuthorizeParams,
    permissions=("ec2:AuthorizeSecurityGroupEgress",),
    rollback_permissions=("ec2:RevokeSecurityGroupEgress",),
    example=_AUTHORIZE_EXAMPLE.format(name="sg.authorize-egress", words="outbound to db"),
)
class AuthorizeEgress(_Authorize):
    """Add one outbound rule (one peer) to a security group."""

    egress = True


class RevokeParams(Params):
    group: SgId
    rule_id: RuleId


@action(
    "sg.revoke-rule",
    params=RevokeParams,
    permissions=("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"),
    rollback_permissions=(
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
    ),
    example="""
- use: sg.revoke-rule
  when: "{{ evidence.near_miss_unused }}"
  with:
    group: "{{ evidence.group_id }}"
    rule_id: "{{ evidence.rule_id }}"     # an sgr- id; the direction comes from the rule
""",
)
class RevokeRule(Action[RevokeParams]):
    """Remove one rule from a security group by its rule id (inbound or outbound)."""

    def propose(self, ctx: StepContext, params: RevokeParams) -> list[Change]:
        group = ctx.current_group(params.group)
        rule = next((r for r in group.rules if r.rule_id == params.rule_id), None)
        if rule is None:
            raise ProposalRefusedError(f"{group.group_id} has no rule {params.rule_id}")
        return [
            Change(
                action=self.name,
                api=_PERMISSIONS[rule.egress][1],
                resource=group.group_id,
                params={"GroupId": group.group_id, "SecurityGroupRuleIds": [params.rule_id]},
                kinds=(ChangeKind.REVOCATION,),
                summary=(f"revoke {rule_text(rule)} ({params.rule_id}) on {group.group_id}"),
                before=group,
                after=_without(group, [rule]),
                warnings=(tracking_warning(group, rule),),
            )
        ]

    def invert(self, change: Change) -> Change | None:
        return reauthorize_removed(change)


def reauthorize_removed(change: Change) -> Change | None:
    """Undo of a revocation: authorize the rules ``before`` had and ``after`` lacks."""
    before, after = change.before, change.after
    if not isinstance(before, SecurityGroup) or not isinstance(after, SecurityGroup):
        return None
    removed = [r for r in before.rules if r not in after.rules]
    if not removed:
        return None
    egress = removed[0].egress
    perms: list[dict[str, Any]] = [ip_permission(r) for r in removed]
    return Change(
        action="sg.authorize-egress" if egress else "sg.authorize-ingress",
        api=_PERMISSIONS[egress][0],
        resource=change.resource,
        params={"GroupId": change.resource, "IpPermissions": perms},
        kinds=(ChangeKind.ADDITION,),
        summary=f"undo: {change.summary}",
        before=after,
        after=before,
    )
