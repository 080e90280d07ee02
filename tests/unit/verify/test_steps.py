"""The playbooks' `verify:` steps reach the plan and are run on the verification."""

from __future__ import annotations

from playbook.estate import build_inventory
from playbook.planning import plan_for

from netmend.model import Inventory
from netmend.reach.flow import make_flow
from netmend.run.plan import Plan
from netmend.run.result import Verification
from netmend.verify.steps import run_verify_steps


def _flow_plan(inventory: Inventory, steps: tuple[str, ...]) -> Plan:
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    return Plan(run_id="20260101T000000Z-steps", flow=flow, verify_steps=steps)


def test_a_playbooks_verify_steps_are_carried_by_its_plan() -> None:
    """The proposed plan names the `verify:` steps of the playbook that made it."""
    inventory = build_inventory()
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    plan = plan_for(inventory, flow)
    assert plan.changes
    assert plan.verify_steps == ("reach.flow-allowed",)


def test_flow_allowed_passes_on_a_reachable_flow_and_is_recorded() -> None:
    """reach.flow-allowed holds when the flow was verified reachable; the run says so."""
    plan = _flow_plan(build_inventory(), ("reach.flow-allowed",))
    checked = run_verify_steps(
        plan, plan.flow, Verification(method="local", reachable=True, passed=True)
    )
    assert checked.passed
    assert checked.steps == ("reach.flow-allowed: passed",)


def test_flow_allowed_fails_when_nothing_showed_the_flow_reachable() -> None:
    """A verification that passed without a verdict on the flow fails the step."""
    plan = _flow_plan(build_inventory(), ("reach.flow-allowed",))
    checked = run_verify_steps(
        plan, plan.flow, Verification(method="local", reachable=None, passed=True)
    )
    assert not checked.passed
    assert checked.steps == ("reach.flow-allowed: failed",)
    assert "was not shown to be reachable" in checked.detail


def test_a_step_without_a_check_fails_and_no_steps_change_nothing() -> None:
    """An unknown step name cannot pass silently; a plan without steps is left as it is."""
    plan = _flow_plan(build_inventory(), ("reach.unheard-of",))
    verified = Verification(method="local", reachable=True, passed=True)
    checked = run_verify_steps(plan, plan.flow, verified)
    assert not checked.passed
    assert "no check is registered" in checked.detail
    bare = _flow_plan(build_inventory(), ())
    assert run_verify_steps(bare, bare.flow, verified) == verified
