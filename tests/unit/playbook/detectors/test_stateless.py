"""sg.stateless-rules: the classifier's stateless-thinking rules, weighed for removal."""

from __future__ import annotations

from netmend.playbook import get_detector
from netmend.playbook.registry import NoParams
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import make_flow
from playbook.estate import build_inventory, make_context, sg_rule, with_resources
from playbook.planning import causes_of


def test_no_stateless_rules_means_the_detector_does_not_hold() -> None:
    """An estate without stateless-thinking rules gives None (the playbook does not apply)."""
    detector = get_detector("sg.stateless-rules")
    assert detector is not None
    inventory = build_inventory()
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    ctx = make_context(
        inventory,
        flow=flow,
        evaluation=evaluate(inventory, flow),
        causes=causes_of(inventory, flow),
    )
    assert detector.detect(ctx, NoParams()) is None


def test_reads_the_cause_when_evidence_lacks_it() -> None:
    """Without cause.present before it, the detector finds the stateful cause itself and
    lists its rule as removable, with the tracking verdict."""
    inventory = build_inventory(
        server_rules=(
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=8443,
                to_port=8443,
                referenced_group_id="sg-client",
            ),
        )
    )
    client = inventory.security_group("sg-client")
    assert client is not None
    inventory = with_resources(
        inventory,
        client.model_copy(
            update={
                "rules": (
                    sg_rule(
                        "sg-client",
                        1,
                        protocol="tcp",
                        from_port=32768,
                        to_port=60999,
                        cidr_ipv4="10.0.0.0/16",
                    ),
                )
            }
        ),
    )
    flow = make_flow(inventory, "i-client", "eni-server", protocol="tcp", port=8443)
    ctx = make_context(
        inventory,
        flow=flow,
        evaluation=evaluate(inventory, flow),
        causes=causes_of(inventory, flow),
    )
    detector = get_detector("sg.stateless-rules")
    assert detector is not None
    evidence = detector.detect(ctx, NoParams())
    assert evidence is not None
    assert evidence["removable_rules"] == [{"group": "sg-client", "rule_id": "sgr-client1"}]
    (finding,) = evidence["stateless_findings"]
    assert finding["why"] == "inbound-ephemeral"
    assert finding["untracked"] is False
    assert evidence["kept_rules"] == []
