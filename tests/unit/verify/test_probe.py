"""The check a report suggests to prove the application answers (issue 11, item 14).

`nc -zuv` reports success for a UDP port with nothing behind it, so a UDP flow must get
a request in the service's own protocol, and never `nc -u` as proof.
"""

from __future__ import annotations

from rich.console import Console

from netmend.model import Inventory
from netmend.render.intents import render_intent_report
from netmend.verify.probe import application_probe
from netmend.verify.report import check_intents
from tests.unit.verify.test_flow import _intent, _inventory, _rule


def _with_dns_rule() -> Inventory:
    inventory = _inventory()
    groups = []
    for group in inventory.security_groups:
        if group.group_id == "sg-server":
            dns = _rule(
                "sg-server", 9, egress=False, protocol="udp", ports=(53, 53), cidr="10.0.0.0/16"
            )
            groups.append(group.model_copy(update={"rules": (*group.rules, dns)}))
        else:
            groups.append(group)
    # Built anew (not model_copy) so the evaluator's per-inventory index sees the rule.
    return Inventory.model_validate({**dict(inventory), "security_groups": tuple(groups)})


def test_a_dns_intent_is_proved_with_dig_not_nc() -> None:
    """A held udp/53 intent suggests a DNS query to the destination, no `nc -u`."""
    report = check_intents(_with_dns_rule(), [_intent("dns", 53, protocol="udp")])
    console = Console(width=200, record=True)
    console.print(render_intent_report(report))
    text = console.export_text()

    assert report.intents[0].held
    assert "dig @10.0.2.20 -p 53" in text
    assert "nc -zuv" not in text
    assert "nc -u " not in text.replace("(nc -u reports", "")


def test_an_unknown_udp_service_gets_advice_not_a_false_proof() -> None:
    probe = application_probe("udp", "10.0.2.20", 9999)
    assert not probe.startswith("nc")
    assert "reply" in probe
    assert "udp/9999" in probe


def test_tcp_keeps_the_connect_check_and_quotes_the_address() -> None:
    assert application_probe("tcp", "10.0.2.20", 443) == "nc -zv 10.0.2.20 443"
    assert application_probe("tcp", "a b", 1) == "nc -zv 'a b' 1"


def test_the_diagnosis_path_names_groups_beside_ids() -> None:
    """Item 10: each hop shows the group's name beside its id."""
    from netmend.app.diagnosis import diagnose
    from netmend.reach import make_flow
    from netmend.render.diagnosis import render_diagnosis

    inventory = _inventory()
    flow = make_flow(inventory, "i-client", "i-server", protocol="tcp", port=22)
    for width in (80, 160):
        console = Console(width=width, record=True)
        console.print(render_diagnosis(diagnose(inventory, flow)))
        text = console.export_text()
        assert "…" not in text  # folded, never cut
    assert "sg-server (server)" in text
