"""Plans from the built-in playbooks on a hand-built estate, for the playbook tests.

The flow is evaluated and classified by the real evaluator and classifier, and the plan
is proposed by the real playbooks in ``playbooks/``, exactly as ``netmend fix`` does.
"""

from __future__ import annotations

from typing import Any

from netmend.model import Inventory, NetworkInterface, SecurityGroup, SgRule
from netmend.playbook import load_playbooks, propose_plan
from netmend.reach.causes.classify import RootCause, classify
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import Flow
from netmend.run.plan import Plan
from playbook.estate import RUN_ID, with_resources

__all__ = ["add_interface", "applied", "causes_of", "plan_for", "reachable", "rules_of"]


def causes_of(inventory: Inventory, flow: Flow) -> tuple[RootCause, ...]:
    return classify(inventory, flow, evaluate(inventory, flow))


def plan_for(inventory: Inventory, flow: Flow, **options: Any) -> Plan:
    """The plan ``netmend fix`` would propose (``only=`` is ``--playbook``)."""
    evaluation = evaluate(inventory, flow)
    causes = classify(inventory, flow, evaluation)
    return propose_plan(
        inventory,
        flow,
        evaluation,
        causes,
        load_playbooks(),
        run_id=RUN_ID,
        change_id="CHG42",
        **options,
    )


def applied(inventory: Inventory, plan: Plan) -> Inventory:
    """The estate as the plan leaves it."""
    return with_resources(inventory, *(s for s in map(plan.after, plan.resources) if s))


def reachable(inventory: Inventory, flow: Flow) -> bool:
    return evaluate(inventory, flow).reachable


def rules_of(state: Any) -> tuple[SgRule, ...]:
    assert isinstance(state, SecurityGroup)
    return state.rules


def add_interface(inventory: Inventory, eni: NetworkInterface, *groups: SecurityGroup) -> Inventory:
    """The inventory with one more interface (and the groups it brings)."""
    data = inventory.model_dump()
    data["network_interfaces"] = [*data["network_interfaces"], eni.model_dump()]
    data["security_groups"] = [*data["security_groups"], *(g.model_dump() for g in groups)]
    return Inventory.model_validate(data)
