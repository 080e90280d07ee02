"""Built-in detectors over the real evaluator and classifier (playbook.detectors.builtin)."""

from __future__ import annotations

from typing import Any

from netmend.model import Inventory
from netmend.playbook import get_detector
from netmend.reach.causes.classify import classify
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import make_flow
from playbook.estate import build_inventory, make_context, sg_rule


def _detect(
    name: str, inventory: Inventory, params: dict[str, Any] | None = None, port: int = 8443
) -> dict[str, Any] | None:
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=port)
    evaluation = evaluate(inventory, flow)
    ctx = make_context(
        inventory, flow=flow, evaluation=evaluation, causes=classify(inventory, flow, evaluation)
    )
    detector = get_detector(name)
    assert detector is not None
    return detector.detect(ctx, detector.params.model_validate(params or {}))


def test_cause_present_returns_the_cause_evidence(inventory: Inventory) -> None:
    """cause.present holds for a cause the classifier found, with that cause's evidence."""
    evidence = _detect("cause.present", inventory, {"id": "missing-ingress"})
    assert evidence is not None
    assert evidence["group_id"] == "sg-server"
    assert evidence["peer"] == "sg-client"
    assert _detect("cause.present", inventory, {"id": "wrong-port"}) is None


def test_ingress_blocks_flow(inventory: Inventory) -> None:
    """sg.ingress-blocks-flow holds at the destination's groups, naming group and peer;
    the source's egress is open, so sg.egress-blocks-flow does not hold."""
    assert _detect("sg.ingress-blocks-flow", inventory) == {
        "direction": "ingress",
        "eni_id": "eni-server",
        "current_groups": ["sg-server", "sg-extra"],
        "group_id": "sg-server",
        "peer": "sg-client",
        "peer_kind": "group",
    }
    assert _detect("sg.egress-blocks-flow", inventory) is None


def test_ingress_blocks_flow_does_not_hold_when_reachable() -> None:
    """A flow the groups admit is not blocked by them."""
    inventory = build_inventory(
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=8443,
                to_port=8443,
                cidr_ipv4="10.0.1.0/24",
            ),
        )
    )
    assert _detect("sg.ingress-blocks-flow", inventory) is None


def test_near_miss_port() -> None:
    """sg.near-miss-port reports the rule that opens a look-alike port for the peer."""
    inventory = build_inventory(
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=8080,
                to_port=8080,
                referenced_group_id="sg-client",
            ),
        )
    )
    evidence = _detect("sg.near-miss-port", inventory)
    assert evidence is not None
    assert evidence["rule_id"] == "sgr-server1"
    assert evidence["near_miss_port"] == "8080"
    assert evidence["near_miss_unused"] is False
    assert _detect("sg.near-miss-port", build_inventory()) is None
