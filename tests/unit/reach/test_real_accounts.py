"""The evaluator on real-account shapes (issue 9): one test per documented behaviour.

Most run on the estate the real collector builds from the recorded-shape fixture
tests/fixtures/aws/service_interfaces.json (and ipv6_only.json); shapes that need two
VPCs or a switch flipped are built with the test builders.
"""

from __future__ import annotations

from typing import Any

import pytest

from netmend.model import (
    Inventory,
    NatGateway,
    TransitGateway,
    TransitGatewayAttachment,
    VpnConnection,
    VpnGateway,
)
from netmend.reach import Code, Evaluation, evaluate, make_flow
from netmend.reach.causes.classify import classify
from tests.unit.aws.replay import replay_inventory

from .builders import Estate, allow, deny, egress, ingress, route

WEB, NLB, PODS, APPB = (
    "eni-0web000000000001",
    "eni-0nlb000000000001",
    "eni-0pods00000000001",
    "eni-0appb00000000001",
)


@pytest.fixture(scope="module")
def real() -> Inventory:
    return replay_inventory("service_interfaces")[0]


@pytest.fixture(scope="module")
def ipv6() -> Inventory:
    return replay_inventory("ipv6_only")[0]


def run(
    inventory: Inventory, src: str, dst: str, protocol: str = "tcp", port: Any = None, **kw: Any
) -> Evaluation:
    return evaluate(inventory, make_flow(inventory, src, dst, protocol=protocol, port=port, **kw))


def codes(evaluation: Evaluation) -> list[tuple[str, str]]:
    return [(e.code, e.component) for e in evaluation.explanations]


def with_fields(inventory: Inventory, **fields: Any) -> Inventory:
    current = {name: getattr(inventory, name) for name in Inventory.model_fields}
    return Inventory(**(current | fields))


# -- 2. interfaces without security groups ----------------------------------------------


def test_nlb_without_groups_is_not_filtered_by_groups(real: Inventory) -> None:
    """An NLB interface with Groups: [] admits every client; the path says why."""
    result = run(real, WEB, NLB, "tcp", 8080)
    assert result.reachable
    assert any("not filtered by security groups" in n for n in result.notes)


def test_group_missing_from_inventory_is_unknown_not_no_rules(real: Inventory) -> None:
    """The legacy ENI's only group is not in the inventory: UNKNOWN_RESOURCE, no cause."""
    result = run(real, WEB, "eni-0legacy0000000001", "tcp", 443)
    assert codes(result) == [(Code.UNKNOWN_RESOURCE, "sg-0deleted00000001")]
    assert classify(real, result.flow, result) == ()


def test_no_root_cause_names_an_interface_as_a_group(real: Inventory) -> None:
    """Across flows to and from every interface, no cause's resource or group is an ENI."""
    enis = [
        e.network_interface_id for e in real.network_interfaces if e.vpc_id == real.vpcs[0].vpc_id
    ]
    for src in enis:
        for dst in enis:
            if src == dst:
                continue
            flow = make_flow(real, src, dst, protocol="tcp", port=5432)
            for cause in classify(real, flow, evaluate(real, flow)):
                assert not cause.resource.startswith("eni-"), cause
                assert not str(cause.evidence.get("group_id", "")).startswith("eni-"), cause


# -- 3. addresses -------------------------------------------------------------------------


def test_address_resolves_in_the_source_vpc_first(real: Inventory) -> None:
    """10.0.1.20 is the NLB in the source's VPC and another ENI in an unconnected VPC."""
    flow = make_flow(real, WEB, "10.0.1.20", protocol="tcp", port=80)
    assert flow.destination.eni_id == NLB


def test_unowned_address_in_a_vpc_cidr_answers_nothing(real: Inventory) -> None:
    result = run(real, WEB, "10.0.0.77", "tcp", 443)
    assert codes(result) == [(Code.NO_POSSIBLE_DESTINATION, "vpc-0a1b2c3d4e5f60001")]
    assert run(real, WEB, "10.0.0.2", "udp", 53).reachable  # the VPC's DNS resolver


def test_address_in_a_delegated_prefix_is_its_enis(real: Inventory) -> None:
    """10.0.1.70 is in eni-0pods' 10.0.1.64/28: its groups apply (8080 from sg-web only)."""
    assert make_flow(real, WEB, "10.0.1.70", protocol="tcp", port=8080).destination.eni_id == PODS
    assert run(real, WEB, "10.0.1.70", "tcp", 8080).reachable
    blocked = run(real, WEB, "10.0.1.70", "tcp", 9090)
    assert codes(blocked) == [(Code.ENI_SG_RULES_MISMATCH, "sg-0app00000000000001")]


def test_public_ips_belong_to_private_addresses(real: Inventory) -> None:
    """10.0.0.11 has no public IP of its own: the IGW refuses it; 10.0.0.12 has an EIP."""
    out = run(real, "10.0.0.11", "8.8.8.8", "tcp", 443)
    assert codes(out) == [(Code.IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS, "igw-0inet000000000001")]
    assert run(real, "10.0.0.12", "8.8.8.8", "tcp", 443).reachable
    assert run(real, "8.8.8.8", "203.0.113.25", "tcp", 443).reachable  # EIP on 10.0.0.12


def test_public_ip_and_eip_are_destinations(real: Inventory) -> None:
    """From the internet to an instance's public IP: translated, then its ACL and groups;
    a NAT gateway's EIP takes nothing unsolicited."""
    flow = make_flow(real, "8.8.8.8", "203.0.113.12", protocol="tcp", port=443)
    assert (flow.destination.eni_id, flow.destination.address) == (WEB, "10.0.0.10")
    assert evaluate(real, flow).reachable
    assert codes(run(real, "8.8.8.8", "203.0.113.12", "tcp", 22)) == [
        (Code.ENI_SG_RULES_MISMATCH, "sg-0web00000000000001")
    ]
    nat = run(real, "8.8.8.8", "198.51.100.7", "tcp", 443)
    assert codes(nat) == [(Code.NO_POSSIBLE_DESTINATION, "eni-0nat000000000001")]


def test_hairpin_through_a_public_ip_is_seen_from_the_public_source() -> None:
    """Two members of sg-web: 8443 is open to the group. By private address it passes; by
    the public IP the flow leaves and comes back from the source's public IP, which the
    reference does not match. A default route to a VGW is not the internet."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-web", ingress("tcp", 8443, "sg-web"), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-web", public_ip="54.0.0.1")
    estate.eni("eni-b", "subnet-a", "10.0.1.20", "sg-web", public_ip="54.0.0.2")
    estate.igw("igw-1", "vpc-1")
    estate.add_routes("rtb-main", route("0.0.0.0/0", "igw-1"))
    inventory = estate.build()
    assert run(inventory, "eni-a", "eni-b", "tcp", 8443).reachable
    hairpin = run(inventory, "eni-a", "54.0.0.2", "tcp", 8443)
    assert codes(hairpin) == [(Code.ENI_SG_RULES_MISMATCH, "sg-web")]
    assert any("sees the flow from 54.0.0.1" in n for n in hairpin.notes)
    estate.tables = [t for t in estate.tables if t.route_table_id != "rtb-main"]
    estate.route_table("rtb-vgw", route("10.0.0.0/16"), route("0.0.0.0/0", "vgw-1"), main=True)
    via_vgw = run(estate.build(), "eni-a", "54.0.0.2", "tcp", 8443)
    assert not via_vgw.reachable
    assert codes(via_vgw)[0] == (Code.UNKNOWN_DESTINATION, "vgw-1")


# -- 4. gateways and routes -------------------------------------------------------------


def test_egress_only_gateway_lets_ipv6_out_and_nothing_in(ipv6: Inventory) -> None:
    eni = "eni-0ipv6only00000001"
    assert run(ipv6, eni, "2001:db8::1", "tcp", 443).reachable
    inbound = run(ipv6, "2001:db8::1", eni, "tcp", 443)
    assert codes(inbound) == [(Code.NO_PATH, "eigw-015e0e244e24dfe8a")]


def test_deny_all_igw_traffic_takes_nothing_in_from_the_internet() -> None:
    """DenyAllIgwTraffic: an IPv6 interface behind an internet gateway is unreachable from
    the internet; without the flag the same flow passes."""
    estate = Estate(with_default_vpc=False)
    estate.vpc("vpc-1", "10.0.0.0/16", ipv6_cidr="2600:1f18::/56")
    estate.subnet("subnet-a", "10.0.1.0/24", ipv6_cidr="2600:1f18:0:1::/64")
    estate.group("sg-web", ingress("tcp", 443, "::/0"), egress("-1", None, "::/0"))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-web", ipv6=("2600:1f18:0:1::10",))
    estate.igw("igw-1", "vpc-1")
    estate.add_routes("rtb-main", route("::/0", "igw-1"))
    inventory = estate.build()
    assert run(inventory, "2001:db8::1", "2600:1f18:0:1::10", "tcp", 443).reachable
    enis = tuple(
        e.model_copy(update={"deny_all_igw_traffic": True}) for e in inventory.network_interfaces
    )
    denied = run(
        with_fields(inventory, network_interfaces=enis),
        "2001:db8::1",
        "2600:1f18:0:1::10",
        "tcp",
        443,
    )
    assert codes(denied) == [(Code.IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS, "igw-1")]


def test_nat_gateway_carries_tcp_udp_icmp_only(real: Inventory) -> None:
    assert run(real, PODS, "8.8.8.8", "udp", 53).reachable
    assert run(real, PODS, "8.8.8.8", "icmp").reachable
    gre = run(real, PODS, "8.8.8.8", "47")
    assert codes(gre) == [(Code.PROTOCOL_RESTRICTION, "nat-0public0000000001")]


def _nat_estate(*nat_acl: Any) -> Inventory:
    estate = Estate()
    estate.subnet("subnet-public", "10.0.0.0/24")
    estate.subnet("subnet-app", "10.0.1.0/24")
    estate.group("sg-app", egress())
    estate.eni("eni-app", "subnet-app", "10.0.1.10", "sg-app")
    estate.igw("igw-1", "vpc-1")
    estate.nat("nat-1", "subnet-public")
    estate.route_table(
        "rtb-public", route("10.0.0.0/16"), route("0.0.0.0/0", "igw-1"), subnets=("subnet-public",)
    )
    estate.route_table(
        "rtb-app", route("10.0.0.0/16"), route("0.0.0.0/0", "nat-1"), subnets=("subnet-app",)
    )
    if nat_acl:
        estate.acl("acl-nat", *nat_acl, subnets=("subnet-public",))
    return estate.build()


def test_nat_subnet_acl_applies_both_ways() -> None:
    """The NAT subnet's ACL is crossed in from the client, out to the destination, and
    back (replies reach the NAT gateway on 1024-65535)."""
    assert run(_nat_estate(), "eni-app", "8.8.8.8", "tcp", 443).reachable
    in_only = _nat_estate(
        allow(100, "-1", None, "0.0.0.0/0", out=False),
        allow(100, "tcp", 443, "0.0.0.0/0", out=True),
    )
    result = run(in_only, "eni-app", "8.8.8.8", "tcp", 443)
    assert [(e.code, e.component, e.leg.value) for e in result.explanations] == [
        (Code.SUBNET_ACL_RESTRICTION, "acl-nat", "return")
    ]
    no_out = _nat_estate(
        allow(100, "-1", None, "0.0.0.0/0", out=False),
        deny(100, "tcp", 443, "8.8.8.0/24", out=True),
        allow(200, "-1", None, "0.0.0.0/0", out=True),
    )
    assert codes(run(no_out, "eni-app", "8.8.8.8", "tcp", 443)) == [
        (Code.SUBNET_ACL_RESTRICTION, "acl-nat")
    ]


def test_public_nat_may_send_to_a_transit_gateway_private_never_to_internet(
    real: Inventory,
) -> None:
    inventory = _nat_estate()
    tables = [
        t.model_copy(update={"routes": (route("10.0.0.0/16"), route("0.0.0.0/0", "tgw-1"))})
        if t.route_table_id == "rtb-public"
        else t
        for t in inventory.route_tables
    ]
    to_tgw = with_fields(inventory, route_tables=tuple(tables))
    assert run(to_tgw, "eni-app", "8.8.8.8", "tcp", 443).reachable
    private = with_fields(
        inventory,
        nat_gateways=(
            NatGateway(
                nat_gateway_id="nat-1",
                vpc_id="vpc-1",
                subnet_id="subnet-public",
                connectivity_type="private",
            ),
        ),
    )
    assert codes(run(private, "eni-app", "8.8.8.8", "tcp", 443)) == [
        (Code.NO_ROUTE_TO_DESTINATION, "nat-1")
    ]
    assert codes(run(real, APPB, "8.8.8.8", "tcp", 443)) == [
        (Code.NO_ROUTE_TO_DESTINATION, "nat-0private000000001")
    ]


def test_middlebox_with_source_dest_check_drops_what_it_should_forward(real: Inventory) -> None:
    result = run(real, PODS, "10.99.1.1", "tcp", 443)
    assert codes(result) == [(Code.ENI_SOURCE_DEST_CHECK_RESTRICTION, "eni-0firewall000000001")]
    enis = tuple(
        e.model_copy(update={"source_dest_check": False})
        if e.network_interface_id == "eni-0firewall000000001"
        else e
        for e in real.network_interfaces
    )
    assert run(with_fields(real, network_interfaces=enis), PODS, "10.99.1.1", "tcp", 443).reachable


def test_transit_gateway_needs_an_attachment_subnet_in_the_senders_zone(real: Inventory) -> None:
    assert run(real, PODS, "172.16.0.10", "tcp", 443).reachable  # us-east-1a: attached
    result = run(real, APPB, "172.16.0.10", "tcp", 443)  # us-east-1b: no attachment subnet
    assert codes(result) == [(Code.TGW_ROUTE_AZ_RESTRICTION, "tgw-attach-0core0000000001")]


def _two_vpcs_on_a_tgw(*, gateway: bool, attachments: bool) -> Inventory:
    estate = Estate()
    estate.vpc("vpc-2", "10.1.0.0/16")
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.1.1.0/24", vpc="vpc-2")
    estate.group("sg-client", egress("tcp", 443, "sg-server"), egress("tcp", 80))
    estate.group("sg-server", ingress("tcp", 443, "sg-client"), egress(), vpc="vpc-2")
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-client")
    estate.eni("eni-b", "subnet-b", "10.1.1.10", "sg-server")
    estate.add_routes("rtb-main", route("10.1.0.0/16", "tgw-1"))
    estate.add_routes("rtb-main-vpc-2", route("10.0.0.0/16", "tgw-1"))
    inventory = estate.build()
    return with_fields(
        inventory,
        transit_gateways=(
            TransitGateway(transit_gateway_id="tgw-1", security_group_referencing_support=gateway),
        ),
        transit_gateway_attachments=tuple(
            TransitGatewayAttachment(
                transit_gateway_attachment_id=f"tgw-attach-{vpc}",
                transit_gateway_id="tgw-1",
                resource_id=vpc,
                security_group_referencing_support=attachments,
            )
            for vpc in ("vpc-1", "vpc-2")
        ),
    )


def test_group_references_across_a_transit_gateway() -> None:
    """Inbound references match only with referencing on the gateway and both
    attachments; outbound references never match across a transit gateway."""
    on = _two_vpcs_on_a_tgw(gateway=True, attachments=True)
    result = run(on, "eni-a", "eni-b", "tcp", 443)
    assert codes(result) == [(Code.SG_REFERENCING_SUPPORT, "sg-client")]  # outbound
    open_egress = with_fields(
        on,
        security_groups=tuple(
            g.model_copy(update={"rules": (*g.rules, egress("tcp", 443).rule(g.group_id, 9))})
            for g in on.security_groups
        ),
    )
    assert run(open_egress, "eni-a", "eni-b", "tcp", 443).reachable
    off = with_fields(open_egress, transit_gateways=(TransitGateway(transit_gateway_id="tgw-1"),))
    assert codes(run(off, "eni-a", "eni-b", "tcp", 443)) == [(Code.SG_REFERENCING_SUPPORT, "tgw-1")]


def test_group_references_across_peering_match() -> None:
    estate = Estate()
    estate.vpc("vpc-2", "10.1.0.0/16")
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.1.1.0/24", vpc="vpc-2")
    estate.group("sg-client", egress("tcp", 443, "sg-server"))
    estate.group("sg-server", ingress("tcp", 443, "sg-client"), vpc="vpc-2")
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-client")
    estate.eni("eni-b", "subnet-b", "10.1.1.10", "sg-server")
    estate.peering("pcx-1", "vpc-1", "vpc-2")
    estate.add_routes("rtb-main", route("10.1.0.0/16", "pcx-1"))
    estate.add_routes("rtb-main-vpc-2", route("10.0.0.0/16", "pcx-1"))
    assert run(estate.build(), "eni-a", "eni-b", "tcp", 443).reachable


def test_vgw_static_vpn_routes_and_bgp(real: Inventory) -> None:
    """Static routing forwards only its static routes; BGP routes are beyond the API."""
    assert run(real, PODS, "192.168.1.10", "tcp", 443).reachable
    assert codes(run(real, PODS, "192.168.2.10", "tcp", 443)) == [
        (Code.NO_ROUTE_TO_DESTINATION, "vgw-0vpn000000000001")
    ]
    bgp = with_fields(
        real,
        vpn_connections=(
            VpnConnection(vpn_connection_id="vpn-bgp", vpn_gateway_id="vgw-0vpn000000000001"),
        ),
        vpn_gateways=(VpnGateway(vpn_gateway_id="vgw-0vpn000000000001"),),
    )
    result = run(bgp, PODS, "192.168.2.10", "tcp", 443)
    assert codes(result) == [(Code.UNKNOWN_DESTINATION, "vgw-0vpn000000000001")]
    assert any("BGP" in n for n in result.notes)


def test_static_route_beats_propagated_one_of_the_same_prefix(real: Inventory) -> None:
    """100.64.0.0/16 is static to the transit gateway and propagated to the VGW."""
    result = run(real, PODS, "100.64.0.10", "tcp", 443)
    assert result.reachable
    assert any(h.component == "tgw-0core00000000001" for h in result.forward)


# -- 5. ICMP --------------------------------------------------------------------------------


def test_echo_request_is_code_zero(real: Inventory) -> None:
    """sg-web admits icmp 8/0 from the VPC: the default ping is 8/0, so it passes; a rule
    for the flow's type is never called the wrong protocol."""
    assert run(real, PODS, WEB, "icmp").reachable
    odd = run(real, PODS, WEB, "icmp", icmp_type=8, icmp_code=3)
    assert not odd.reachable
    playbooks = [c.playbook for c in classify(real, odd.flow, odd)]
    assert "wrong-protocol" not in playbooks
