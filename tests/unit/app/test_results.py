"""The core's results are their JSON contracts: ``model_dump(mode="json")`` is the document
``--output json`` prints (DESIGN.md), and the objects the text views need stay out of it.

Built on the playbook tests' hand-made estate (tcp 8443 from i-client to eni-server is
blocked by the server's groups: missing-ingress) and the real evaluator, classifier and
proposer; no AWS.
"""

from __future__ import annotations

from netmend.app.diagnosis import Diagnosis, diagnose
from netmend.app.fixing import FixResult
from netmend.reach.flow import make_flow
from netmend.run.result import RunResult, Verification
from netmend.store.records import RunStatus
from tests.unit.playbook.estate import build_inventory
from tests.unit.playbook.planning import plan_for


def _blocked() -> Diagnosis:
    inventory = build_inventory()
    return diagnose(inventory, make_flow(inventory, "i-client", "eni-server", port=8443))


def test_a_diagnosis_dumps_to_the_diagnose_contract() -> None:
    """reachable, explanations [{code, component, direction}], root_causes [{playbook,
    resource, summary}] (DESIGN.md), plus flow, path, ephemeral, tracked, conntrack and
    notes, in that order; the evaluation and the raw causes are not in it."""
    document = _blocked().model_dump(mode="json")
    assert list(document) == [
        "reachable",
        "flow",
        "explanations",
        "root_causes",
        "path",
        "ephemeral",
        "tracked",
        "conntrack_allowance_exceeded",
        "notes",
    ]
    assert document["reachable"] is False
    (explanation,) = document["explanations"]
    assert (explanation["code"], explanation["component"], explanation["direction"]) == (
        "ENI_SG_RULES_MISMATCH",
        "sg-server",
        "ingress",
    )
    (cause,) = document["root_causes"]
    assert (cause["playbook"], cause["resource"]) == ("missing-ingress", "sg-server")
    assert "position" not in cause  # an ordering detail of the classifier
    assert set(document["path"]) == {"forward", "return"}
    assert document["flow"]["destination"] == "eni-server"
    assert document["flow"]["port"] == 8443


def test_a_fix_result_is_the_run_result_plus_causes_and_notes() -> None:
    """A dry run's verification is {method, reachable: null}; root causes carry playbook,
    resource and summary only; the plan itself is not in the document."""
    found = _blocked()
    plan = plan_for(build_inventory(), found.evaluation.flow)
    planned = RunResult(run_id=plan.run_id, status=RunStatus.PLANNED, playbooks=plan.playbooks)
    document = FixResult.of(planned, plan, found, "auto").model_dump(mode="json")
    assert document["verification"] == {"method": "auto", "reachable": None}
    assert document["status"] == "planned"
    assert document["playbook"] == "missing-ingress"
    assert document["root_causes"] == [
        {
            "playbook": "missing-ingress",
            "resource": "sg-server",
            "summary": found.causes[0].summary,
        }
    ]
    assert document["notes"] == list(plan.notes)
    assert not {"plan", "diagnosis", "verify_method"} & set(document)


def test_a_verified_fix_keeps_its_verification_and_a_saved_plan_has_no_causes() -> None:
    """Applied and verified: the run's own verification; applied by run id (no
    diagnosis): no root causes."""
    found = _blocked()
    plan = plan_for(build_inventory(), found.evaluation.flow)
    checked = Verification(method="local", reachable=True, passed=True)
    applied = RunResult(run_id=plan.run_id, status=RunStatus.APPLIED, verification=checked)
    document = FixResult.of(applied, plan, None, "auto").model_dump(mode="json")
    assert document["verification"]["method"] == "local"
    assert document["verification"]["passed"] is True
    assert document["root_causes"] == []
