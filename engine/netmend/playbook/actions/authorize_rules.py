"""One step that adds several security-group rules, each on its own group and direction.

A root cause may need more than one rule: ``lb-target-blocked`` admits the load balancer
on a target's traffic port and on its health-check port, and from each of its subnets
when it has no group. Each rule is proposed exactly as ``sg.authorize-ingress`` or
``sg.authorize-egress`` would propose it (same quota check, same undo), and staged
before the next, so two rules on one group chain their before/after states.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from netmend.playbook.actions.sg import AuthorizeEgress, AuthorizeIngress, AuthorizeParams
from netmend.playbook.context import StepContext
from netmend.playbook.params import GroupRef, Params, Peer, ProtocolName
from netmend.playbook.registry import Action, action
from netmend.run.plan import Change

__all__ = ["AuthorizeRules", "AuthorizeRulesParams", "RuleSpec"]


class RuleSpec(Params):
    group: GroupRef
    direction: Literal["ingress", "egress"]
    protocol: ProtocolName
    port: int = Field(ge=1, le=65535)
    to_port: int | None = Field(
        default=None, ge=1, le=65535, description="The range's last port (default: port)."
    )
    peer: Peer
    why: str | None = Field(default=None, max_length=100)


class AuthorizeRulesParams(Params):
    rules: list[RuleSpec] = Field(min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=200)


@action(
    "sg.authorize-rules",
    params=AuthorizeRulesParams,
    permissions=("ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"),
    rollback_permissions=("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"),
    example="""
- use: sg.authorize-rules
  with:
    rules: "{{ evidence.rules }}"   # [{group, direction, protocol, port, to_port?, peer, why}]
    description: from the load balancer
""",
)
class AuthorizeRules(Action[AuthorizeRulesParams]):
    """Add several rules (one peer and one port each), inbound or outbound."""

    def propose(self, ctx: StepContext, params: AuthorizeRulesParams) -> list[Change]:
        changes: list[Change] = []
        for spec in params.rules:
            words = " ".join(w for w in (params.description, spec.why) if w) or None
            single = AuthorizeParams(
                group=spec.group,
                protocol=spec.protocol,
                ports=(spec.port, max(spec.port, spec.to_port or spec.port)),
                peer=spec.peer,
                description=words,
            )
            step: Action[AuthorizeParams] = _INGRESS if spec.direction == "ingress" else _EGRESS
            for change in step.propose(ctx, single):
                ctx.stage(change)
                changes.append(change)
        return changes

    def invert(self, change: Change) -> Change | None:
        # The changes carry the single-rule action's name, so its own undo applies.
        step = _EGRESS if change.api == "AuthorizeSecurityGroupEgress" else _INGRESS
        return step.invert(change)


_INGRESS = AuthorizeIngress()
_EGRESS = AuthorizeEgress()
