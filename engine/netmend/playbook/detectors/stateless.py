"""Detector for rules written for a stateless firewall: which of them may go, and why not.

The classifier (``reach.causes.stateful``) lists them beside a blocked egress: inbound
client-ephemeral ranges opened "for the replies", outbound rules mirroring inbound
service rules. Here each one is weighed before anyone proposes removing it: a rule that
a known flow relies on stays (with a note naming the flow), and every rule gets the
connection-tracking verdict its removal would carry (``playbook.sg.reliance``).
"""

from __future__ import annotations

from typing import Any

from netmend.model import SgRule
from netmend.model.rules import rule_text
from netmend.playbook.context import StepContext
from netmend.playbook.registry import NoParams, detector
from netmend.playbook.sg.reliance import (
    flows_relying_on,
    inventory_with,
    removal_tracking_warning,
)
from netmend.reach.causes.model import PathPosition

__all__: list[str] = []


def _listed(ctx: StepContext) -> list[dict[str, Any]]:
    listed = ctx.evidence.get("stateless_rules")
    if not listed:
        cause = next(
            (c for c in ctx.causes if c.playbook == "stateful-misunderstanding"),
            None,
        )
        listed = cause.evidence.get("stateless_rules") if cause is not None else None
    return [item for item in listed or [] if isinstance(item, dict)]


def _egress_fixed_by(ctx: StepContext) -> str | None:
    """The playbook of another cause at the client's egress hop, when it runs too.

    The classifier reports stateful-misunderstanding beside the cause whose fix is the
    outbound rule (missing-egress, wrong-protocol, sg-not-attached, ...). In a full run
    that playbook proposes the fix, so this one must not add a second outbound rule;
    with ``--playbook stateful-misunderstanding`` it runs alone and adds it itself.
    """
    if ctx.requested is not None:
        return None
    sibling = next(
        (
            c
            for c in ctx.causes
            if c.position == PathPosition.SOURCE_SG_EGRESS
            and c.playbook != "stateful-misunderstanding"
        ),
        None,
    )
    return sibling.playbook if sibling is not None else None


@detector("sg.stateless-rules")
def stateless_rules(ctx: StepContext, params: NoParams) -> dict[str, Any] | None:
    """The client's stateless-thinking rules, split into removable and relied on.

    ``egress_fixed_by`` names the sibling cause's playbook that proposes the outbound
    rule in this run (None when this playbook must propose it).
    """
    listed = _listed(ctx)
    if not listed:
        return None
    state = inventory_with(ctx.inventory, ctx.staged.values())
    removable: list[dict[str, str]] = []
    findings: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in listed:
        group = state.security_group(str(item.get("group_id")))
        rule_id = str(item.get("rule_id"))
        rule: SgRule | None = (
            next((r for r in group.rules if r.rule_id == rule_id), None) if group else None
        )
        if group is None or rule is None or rule_id in seen:
            continue
        seen.add(rule_id)
        relied = [
            f"{f.service} from {f.source.label} to {f.destination.label}"
            for f in flows_relying_on(state, rule)
        ]
        tracking = removal_tracking_warning(state, rule)
        findings.append(
            {
                "group_id": group.group_id,
                "rule_id": rule_id,
                "rule": rule_text(rule),
                "why": item.get("why"),
                "tracking": tracking,
                "untracked": tracking.startswith("untracked"),
                "relied_on": relied,
                "removable": not relied,
            }
        )
        if relied:
            ctx.note(
                f"{ctx.playbook_id}: kept {group.group_id}'s {rule_text(rule)} ({rule_id}): "
                f"{'; '.join(relied)} relies on it, so removing it would break a working flow"
            )
        else:
            removable.append({"group": group.group_id, "rule_id": rule_id})
    if not findings:
        return None
    return {
        "egress_fixed_by": _egress_fixed_by(ctx),
        "stateless_findings": findings,
        "removable_rules": removable,
        "kept_rules": [f for f in findings if not f["removable"]],
    }
