"""Recorded-shape describe answers (tests/fixtures/aws/) through the real collector.

Each fixture is validated against botocore's EC2 model (Stubber) and replayed through
``collect_inventory``: collection never crashes on a valid shape, no item is dropped
silently (each is in the inventory, left out for a documented reason, or recorded as
skipped), the fields real accounts need are read, each describe call is made once (one
page each), and the inventory survives a save/load round trip. The placebo_* fixtures are
Cloud Custodian's recordings of real accounts (each answer names its file in ``_source``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.inventory_file import load_inventory, save_inventory
from netmend.model import Inventory, NatGateway, RouteTargetKind, VpcEndpoint
from netmend.reach import evaluate, make_flow

from .replay import FIXTURES, load_fixture, replay_inventory

NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))

# Result key -> (Inventory field, id attribute); items the readers leave out on purpose
# (a NAT gateway being deleted, an EIP on nothing) are counted by the filter beside it.
_READ = {
    "Vpcs": ("vpcs", "vpc_id"),
    "Subnets": ("subnets", "subnet_id"),
    "RouteTables": ("route_tables", "route_table_id"),
    "NetworkAcls": ("network_acls", "network_acl_id"),
    "SecurityGroups": ("security_groups", "group_id"),
    "NetworkInterfaces": ("network_interfaces", "network_interface_id"),
    "NatGateways": ("nat_gateways", "nat_gateway_id"),
    "TransitGatewayVpcAttachments": (
        "transit_gateway_attachments",
        "transit_gateway_attachment_id",
    ),
    "TransitGateways": ("transit_gateways", "transit_gateway_id"),
    "TransitGatewayRouteTables": (
        "transit_gateway_route_tables",
        "transit_gateway_route_table_id",
    ),
    "EgressOnlyInternetGateways": (
        "egress_only_internet_gateways",
        "egress_only_internet_gateway_id",
    ),
    "VpcEndpoints": ("vpc_endpoints", "vpc_endpoint_id"),
    "Addresses": ("elastic_ips", "public_ip"),
    "VpnGateways": ("vpn_gateways", "vpn_gateway_id"),
    "VpnConnections": ("vpn_connections", "vpn_connection_id"),
}
_ID_KEYS = {
    "Vpcs": "VpcId",
    "Subnets": "SubnetId",
    "RouteTables": "RouteTableId",
    "NetworkAcls": "NetworkAclId",
    "SecurityGroups": "GroupId",
    "NetworkInterfaces": "NetworkInterfaceId",
    "NatGateways": "NatGatewayId",
    "TransitGatewayVpcAttachments": "TransitGatewayAttachmentId",
    "TransitGateways": "TransitGatewayId",
    "TransitGatewayRouteTables": "TransitGatewayRouteTableId",
    "EgressOnlyInternetGateways": "EgressOnlyInternetGatewayId",
    "VpcEndpoints": "VpcEndpointId",
    "Addresses": "PublicIp",
    "VpnGateways": "VpnGatewayId",
    "VpnConnections": "VpnConnectionId",
}
_GONE_STATES = frozenset({"deleted", "deleting", "failed"})


@pytest.fixture(scope="module")
def service() -> Inventory:
    return replay_inventory("service_interfaces")[0]


@pytest.fixture(scope="module")
def ipv6() -> Inventory:
    return replay_inventory("ipv6_only")[0]


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_replays_without_losing_an_item(name: str) -> None:
    """No crash; every item is read or recorded as skipped (or gone by its state); one
    call per describe operation, each answered from the fixture."""
    inventory, replay, data = replay_inventory(name)
    assert data["source"]
    skipped = {(s.resource_type, s.resource_id) for s in inventory.skipped}
    for result_key, (field, attribute) in _READ.items():
        for operation, answer in data["responses"].items():
            for raw in answer.get(result_key, ()):
                if raw.get("State") in _GONE_STATES:
                    continue
                item_id = raw[_ID_KEYS[result_key]]
                read = {getattr(i, attribute) for i in getattr(inventory, field)}
                assert item_id in read or (result_key, item_id) in skipped, (operation, item_id)
    assert len(replay.calls) == len(set(replay.calls))  # fewest calls: one page each
    assert set(data["responses"]) <= set(replay.calls)


@pytest.mark.parametrize("name", NAMES)
def test_saved_inventory_round_trips(name: str, tmp_path: Path) -> None:
    """Every new field (prefixes, public IPs per address, gateways, skipped items)
    survives ``inventory save`` and loading the file again."""
    inventory = replay_inventory(name)[0]
    path = save_inventory(inventory, tmp_path / "inventory.json")
    assert load_inventory(path) == inventory


def test_ipv6_only_subnet_and_interface_without_ipv4(ipv6: Inventory) -> None:
    """An IPv6-only subnet has no CidrBlock; an ENI may have no IPv4 address; an ENI item
    without SubnetId is skipped with its id and field, and the rest is collected."""
    (subnet,) = ipv6.subnets
    assert subnet.cidr_block is None
    assert subnet.ipv6_native
    (eni,) = ipv6.network_interfaces
    assert eni.private_ips == ()
    assert eni.ipv6_addresses == ("2600:1f18:aaaa:bb01::10",)
    (skipped,) = ipv6.skipped
    assert (skipped.resource_id, skipped.field) == ("eni-0nosubnet00000001", "SubnetId")
    assert skipped.vpc_id == "vpc-0c62a468000000001"
    (eigw,) = ipv6.egress_only_internet_gateways
    assert eigw.vpc_ids == ("vpc-0c62a468000000001",)


def test_service_interfaces_and_addresses_are_read(service: Inventory) -> None:
    """InterfaceType, RequesterManaged, group-less interfaces, public IPs per private
    address, delegated prefixes, source/dest check."""
    nlb = service.network_interface("eni-0nlb000000000001")
    assert nlb is not None
    assert (nlb.interface_type, nlb.requester_managed, nlb.group_ids) == (
        "network_load_balancer",
        True,
        (),
    )
    assert not nlb.filtered_by_groups
    web = service.network_interface("eni-0web000000000001")
    assert web is not None
    assert web.private_ips == ("10.0.0.10", "10.0.0.11", "10.0.0.12")
    assert web.public_ips == {"10.0.0.10": "203.0.113.12"}
    assert service.public_ip_of(web, "10.0.0.12") == "203.0.113.25"  # its EIP
    assert service.public_ip_of(web, "10.0.0.11") is None
    pods = service.network_interface("eni-0pods00000000001")
    assert pods is not None
    assert pods.ipv4_prefixes == ("10.0.1.64/28",)
    assert service.enis_owning("10.0.1.70") == (pods,)
    firewall = service.network_interface("eni-0firewall000000001")
    assert firewall is not None
    assert firewall.source_dest_check


def test_gateways_routes_and_options_are_read(service: Inventory) -> None:
    """NAT ConnectivityType, route Origin/State, TGW attachment subnets and options, the
    gateway's own options, endpoints, EIPs, VGWs and static VPN routes."""
    nats = {n.nat_gateway_id: (n.connectivity_type, n.state) for n in service.nat_gateways}
    assert nats == {
        "nat-0public0000000001": ("public", "available"),
        "nat-0private000000001": ("private", "available"),
        # kept while deleting: the evaluator says it is not available
        "nat-0a93acc57881d4199": ("public", "deleting"),
    }
    table = service.get("rtb-0appa000000000001")
    assert table is not None
    origins = {r.destination: r.origin for r in table.routes if r.destination == "192.168.0.0/16"}
    assert origins == {"192.168.0.0/16": "EnableVgwRoutePropagation"}
    (attachment,) = service.transit_gateway_attachments
    assert attachment.subnet_ids == ("subnet-0tgw0000000000001",)
    assert attachment.resource_id == "vpc-0a1b2c3d4e5f60001"
    assert not attachment.security_group_referencing_support
    (gateway,) = service.transit_gateways
    assert gateway.security_group_referencing_support
    endpoints = {e.vpc_endpoint_id: e for e in service.vpc_endpoints}
    assert endpoints["vpce-0s3gateway0000001"].route_table_ids == ("rtb-0appa000000000001",)
    assert endpoints["vpce-0iface0000000001"].network_interface_ids == ("eni-0vpce00000000001",)
    assert {e.public_ip for e in service.elastic_ips} == {"203.0.113.25", "203.0.113.0"}
    (vpn,) = service.vpn_connections
    assert vpn.static_routes_only
    assert vpn.static_routes == ("192.168.1.0/24",)
    assert service.vpn_gateways[0].vpc_ids == ("vpc-0a1b2c3d4e5f60001",)


def test_transit_gateway_route_tables_are_read_with_the_fewest_calls() -> None:
    """DescribeTransitGatewayRouteTables, every attachment's association from one
    DescribeTransitGatewayAttachments call (not one call per table), the routes from
    SearchTransitGatewayRoutes (propagations are the propagated routes' attachments);
    a fixture without route tables asks for none of the rest."""
    links, replay, _ = replay_inventory("transit_links")
    (table,) = links.transit_gateway_route_tables
    assert table.transit_gateway_id == "tgw-0links000000000001"
    assert table.associations == (
        "tgw-attach-0hub0000000001",
        "tgw-attach-0spoke000000001",
        "tgw-attach-0iso0000000001",
    )
    assert table.propagations == ("tgw-attach-0hub0000000001", "tgw-attach-0spoke000000001")
    assert [(r.destination_cidr, r.route_type, r.attachment_ids) for r in table.routes] == [
        ("10.0.0.0/16", "propagated", ("tgw-attach-0hub0000000001",)),
        ("10.1.0.0/16", "propagated", ("tgw-attach-0spoke000000001",)),
    ]
    assert table.routes_complete
    assert links.tgw_route_table_of("tgw-attach-0iso0000000001") == table
    tgw_calls = [c for c in replay.calls if "TransitGateway" in c]
    assert sorted(tgw_calls) == [
        "DescribeTransitGatewayAttachments",
        "DescribeTransitGatewayRouteTables",
        "DescribeTransitGatewayVpcAttachments",
        "DescribeTransitGateways",
        "SearchTransitGatewayRoutes",
    ]
    service, replayed, _ = replay_inventory("service_interfaces")
    assert service.transit_gateway_route_tables == ()
    assert "DescribeTransitGatewayAttachments" not in replayed.calls
    assert "SearchTransitGatewayRoutes" not in replayed.calls


# -- public recordings (Cloud Custodian's placebo files) ------------------------------------


def test_placebo_fixtures_name_their_recordings() -> None:
    """Each placebo-based fixture names, per answer, the recording it was copied from."""
    for name in NAMES:
        if name.startswith("placebo_"):
            data = load_fixture(name)
            assert set(data["_source"]) == set(data["responses"])
            assert any("tests/data/placebo/" in where for where in data["_source"].values())


def test_placebo_cross_az_nat_gateways_and_routes_are_read() -> None:
    """A recorded account: NAT gateways with their addresses and ConnectivityType, the
    route tables sending 0.0.0.0/0 to them and prefix lists to a gateway endpoint, and
    the subnets' zones; nothing skipped."""
    inventory, _, data = replay_inventory("placebo_cross_az_nat")
    assert inventory.skipped == ()
    raw_nats = data["responses"]["DescribeNatGateways"]["NatGateways"]
    assert len(inventory.nat_gateways) == len(raw_nats)
    nat = inventory.get("nat-0df07e596f7513ead")
    assert isinstance(nat, NatGateway)
    assert (nat.connectivity_type, nat.private_ips, nat.public_ips) == (
        "public",
        ("10.0.1.169",),
        ("1.1.1.1",),
    )
    kinds = {r.target_kind for t in inventory.route_tables for r in t.routes}
    assert {RouteTargetKind.NAT_GATEWAY, RouteTargetKind.VPC_ENDPOINT} <= kinds
    listed = [r for t in inventory.route_tables for r in t.routes if r.destination_prefix_list_id]
    assert listed
    assert all(r.target_kind is RouteTargetKind.VPC_ENDPOINT for r in listed)
    assert all(r.origin for t in inventory.route_tables for r in t.routes)
    assert all(s.availability_zone for s in inventory.subnets)


def test_placebo_interfaces_addresses_and_groupless_types() -> None:
    """Recorded ENIs and EIPs: a NAT gateway's interface (Groups: []) is not filtered by
    groups; an instance's interface recorded with Groups: [] is unknown, not open; each
    EIP resolves to the private address it is on; an unassociated EIP is kept."""
    inventory, _, _ = replay_inventory("placebo_eip_used_by")
    nat = inventory.network_interface("eni-0d4abd825d8d1a18a")
    instance = inventory.network_interface("eni-0c460249c6f383b28")
    assert nat is not None
    assert instance is not None
    assert (nat.interface_type, nat.filtered_by_groups, nat.groups_unknown) == (
        "nat_gateway",
        False,
        False,
    )
    assert (instance.interface_type, instance.groups_unknown) == ("interface", True)
    assert inventory.public_owner("52.27.14.199") == (instance, "10.0.7.84")
    assert inventory.public_ip_of(nat, "10.0.1.151") == "100.20.250.96"
    assert "35.85.26.59" in {e.public_ip for e in inventory.elastic_ips}
    flow = make_flow(inventory, "eni-0c460249c6f383b28", "8.8.8.8", protocol="tcp", port=443)
    unknown = [e for e in evaluate(inventory, flow).explanations if e.code == "UNKNOWN_RESOURCE"]
    assert [e.component for e in unknown] == ["eni-0c460249c6f383b28"]
    public, _, _ = replay_inventory("placebo_eni_public_subnet")
    assert {e.status for e in public.network_interfaces} == {"available"}
    assert all(e.group_ids for e in public.network_interfaces)


def test_placebo_transit_gateway_attachment_association_and_endpoints() -> None:
    """The recorded transit gateway and its attachment's Association give the route
    table its association; recorded interface endpoints keep their ENIs and groups."""
    inventory, _, _ = replay_inventory("placebo_transit_gateway")
    (gateway,) = inventory.transit_gateways
    assert gateway.transit_gateway_id == "tgw-05e7c047df9e9d1ce"
    (table,) = inventory.transit_gateway_route_tables
    assert table.associations == ("tgw-attach-0aca50c09e4248a85",)
    endpoint = inventory.get("vpce-04a4c8e2145cb966e")
    assert isinstance(endpoint, VpcEndpoint)
    assert endpoint.network_interface_ids == ("eni-009c64280f9096586", "eni-6441605581967e01c")
    assert endpoint.group_ids == ("sg-6c7fa917",)
