"""IPv6-only interfaces take part in the flows netmend builds between interfaces.

An ENI in an IPv6-only subnet has no private IPv4 address (``primary_ip`` is empty): the
flows that local verification re-checks after a fix (verify/run.py) and the flows a
rule is relied on by (playbook/sg/reliance.py) use its IPv6 address instead, and an
IPv4-only ENI is never paired with an IPv6-only one (no packet goes between them).
"""

from __future__ import annotations

from netmend.model import Inventory, SgRule
from netmend.model.change import Change
from netmend.playbook.sg.reliance import flows_relying_on
from netmend.reach import evaluate
from netmend.reach.flow import endpoints_between
from netmend.run.plan import Plan
from netmend.verify.run import _candidate_flows
from tests.unit.reach.builders import Estate, egress, ingress


def _estate() -> Inventory:
    """Two IPv6-only interfaces (client, server) and one dual-stack, one IPv4-only."""
    estate = Estate(with_default_vpc=False)
    estate.vpc("vpc-1", "10.0.0.0/16", ipv6_cidr="2600:1f18::/56")
    estate.subnet("subnet-6", "10.0.1.0/24", ipv6_cidr="2600:1f18:0:1::/64")
    estate.group("sg-client", ingress("tcp", (1024, 65535), "::/0"), egress("tcp", 443, "::/0"))
    estate.group("sg-server", ingress("tcp", 443, "::/0"), egress("tcp", 9000, "::/0"))
    estate.eni("eni-client", "subnet-6", "", "sg-client", ipv6=("2600:1f18:0:1::10",))
    estate.eni("eni-server", "subnet-6", "", "sg-server", ipv6=("2600:1f18:0:1::20",))
    estate.eni("eni-dual", "subnet-6", "10.0.1.30", "sg-client", ipv6=("2600:1f18:0:1::30",))
    estate.eni("eni-four", "subnet-6", "10.0.1.40", "sg-client")
    return estate.build()


def test_endpoints_use_the_ipv6_address_when_there_is_no_ipv4() -> None:
    inventory = _estate()
    enis = {e.network_interface_id: e for e in inventory.network_interfaces}
    ends = endpoints_between(enis["eni-client"], enis["eni-server"])
    assert ends is not None
    assert (ends[0].address, ends[1].address) == ("2600:1f18:0:1::10", "2600:1f18:0:1::20")
    dual = endpoints_between(enis["eni-dual"], enis["eni-four"])
    assert dual is not None
    assert (dual[0].address, dual[1].address) == ("10.0.1.30", "10.0.1.40")
    mixed = endpoints_between(enis["eni-dual"], enis["eni-client"])
    assert mixed is not None
    assert mixed[0].address == "2600:1f18:0:1::30"
    assert endpoints_between(enis["eni-four"], enis["eni-client"]) is None


def test_a_rule_ipv6_only_interfaces_rely_on_is_found() -> None:
    """The server sends tcp 9000 to ::/0; only the client's inbound 1024-65535 from ::/0
    admits it: the IPv6-only flow server -> client relies on that rule."""
    inventory = _estate()
    group = inventory.security_group("sg-client")
    assert group is not None
    rule: SgRule = next(r for r in group.ingress)
    relied = [
        (f.source.eni_id, f.destination.eni_id, f.destination.address)
        for f in flows_relying_on(inventory, rule)
    ]
    assert ("eni-server", "eni-client", "2600:1f18:0:1::10") in relied


def test_local_verification_checks_flows_of_ipv6_only_interfaces() -> None:
    """A plan touching sg-server re-checks tcp 443 and 9000 with the IPv6-only client,
    by IPv6 address, and every candidate evaluates (no mixed-family flow)."""
    inventory = _estate()
    server = inventory.security_group("sg-server")
    assert server is not None
    change = Change(
        action="sg.authorize-ingress",
        api="AuthorizeSecurityGroupIngress",
        resource="sg-server",
        params={},
        before=server,
        after=server,
    )
    flows = list(_candidate_flows(Plan(changes=(change,)), inventory, None))
    pairs = {(f.source.eni_id, f.destination.eni_id, f.port) for f in flows}
    assert ("eni-client", "eni-server", 443) in pairs
    assert ("eni-server", "eni-client", 9000) in pairs
    assert not any(
        f.source.eni_id == "eni-four" and f.destination.eni_id == "eni-server" for f in flows
    )
    https = next(
        f
        for f in flows
        if (f.source.eni_id, f.destination.eni_id, f.port) == ("eni-client", "eni-server", 443)
    )
    assert https.destination.address == "2600:1f18:0:1::20"
    assert evaluate(inventory, https).reachable
