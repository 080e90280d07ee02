"""Routes: longest prefix, main-table fallback, blackholes, peering, transit gateways,
and the route back."""

from __future__ import annotations

from netmend.model import Inventory
from netmend.reach import Code, Evaluation, Leg, evaluate
from netmend.reach.packet import parse_address
from netmend.reach.routes import RouteIndex

from .builders import Estate, egress, flow, ingress, route


def _two_vpcs() -> Estate:
    """vpc-1 (10.0.0.0/16, eni-a) and vpc-2 (10.1.0.0/16, eni-b), open groups, no link."""
    estate = Estate()
    estate.vpc("vpc-2", "10.1.0.0/16")
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.1.1.0/24", vpc="vpc-2")
    estate.group("sg-a", ingress(), egress())
    estate.group("sg-b", ingress(), egress(), vpc="vpc-2")
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a")
    estate.eni("eni-b", "subnet-b", "10.1.1.20", "sg-b")
    return estate


def _run(inventory: Inventory, source: str = "eni-a", destination: str = "eni-b") -> Evaluation:
    return evaluate(inventory, flow(inventory, source, destination, "tcp", 443))


def _blocks(evaluation: Evaluation) -> list[tuple[str, str, str]]:
    return [(e.code, e.component, e.leg) for e in evaluation.explanations]


def test_longest_prefix_wins_and_local_wins_a_tie() -> None:
    """/24 beats /16; a prefix list of the same length as the local route loses to it."""
    estate = Estate()
    estate.prefix_list("pl-vpc", "10.0.0.0/16")
    estate.add_routes(
        "rtb-main", route("10.0.2.0/24", "eni-appliance"), route("pl-vpc", "eni-other")
    )
    inventory = estate.build()
    table = next(t for t in inventory.route_tables if t.route_table_id == "rtb-main")
    index = RouteIndex(inventory)
    chosen = index.lookup(table, parse_address("10.0.2.5"))
    assert chosen is not None
    assert chosen.target_id == "eni-appliance"
    local = index.lookup(table, parse_address("10.0.3.5"))
    assert local is not None
    assert local.target_id == "local"
    assert index.lookup(table, parse_address("8.8.8.8")) is None


def test_no_route_between_unlinked_vpcs() -> None:
    """vpc-1's main table has only its local route: NO_ROUTE_TO_DESTINATION at rtb-main
    forward; vpc-2 has no route back either (return leg)."""
    result = _run(_two_vpcs().build())
    assert _blocks(result) == [
        (Code.NO_ROUTE_TO_DESTINATION, "rtb-main", Leg.FORWARD),
        (Code.NO_ROUTE_TO_DESTINATION, "rtb-main-vpc-2", Leg.RETURN),
    ]


def test_active_peering_with_routes_both_ways_reaches() -> None:
    """Routes to pcx-1 on both sides and an active connection: reachable, through pcx-1."""
    estate = _two_vpcs()
    estate.peering("pcx-1", "vpc-1", "vpc-2")
    estate.add_routes("rtb-main", route("10.1.0.0/16", "pcx-1"))
    estate.add_routes("rtb-main-vpc-2", route("10.0.0.0/16", "pcx-1"))
    result = _run(estate.build())
    assert result.reachable
    assert any(h.component == "pcx-1" for h in result.forward)
    assert any(h.component == "pcx-1" for h in result.return_path)


def test_peering_without_the_route_back_is_blocked_on_the_return_leg() -> None:
    """Only vpc-1 routes to the peer: the reply has no way home."""
    estate = _two_vpcs()
    estate.peering("pcx-1", "vpc-1", "vpc-2")
    estate.add_routes("rtb-main", route("10.1.0.0/16", "pcx-1"))
    assert _blocks(_run(estate.build())) == [
        (Code.NO_ROUTE_TO_DESTINATION, "rtb-main-vpc-2", Leg.RETURN)
    ]


def test_inactive_peering_is_bad_state() -> None:
    """A pending-acceptance connection carries nothing."""
    estate = _two_vpcs()
    estate.peering("pcx-1", "vpc-1", "vpc-2", status="pending-acceptance")
    estate.add_routes("rtb-main", route("10.1.0.0/16", "pcx-1"))
    estate.add_routes("rtb-main-vpc-2", route("10.0.0.0/16", "pcx-1"))
    assert _blocks(_run(estate.build()))[0] == (Code.BAD_STATE, "pcx-1", Leg.FORWARD)


def test_peering_carries_only_addresses_of_the_peer_vpc() -> None:
    """A route sending 10.1.0.0/16 to a peering with vpc-3 does not reach vpc-2's ENI."""
    estate = _two_vpcs()
    estate.vpc("vpc-3", "10.2.0.0/16")
    estate.peering("pcx-3", "vpc-1", "vpc-3")
    estate.add_routes("rtb-main", route("10.1.0.0/16", "pcx-3"))
    assert _blocks(_run(estate.build()))[0] == (
        Code.PCX_REQUIRES_ADDRESS_IN_VPC_CIDR,
        "pcx-3",
        Leg.FORWARD,
    )


def test_transit_gateway_needs_available_attachments_of_both_vpcs() -> None:
    """Both VPCs attached and routed to tgw-1: reachable (with a note on the simplification);
    vpc-2's attachment still pending: BAD_STATE_ATTACHMENT."""
    estate = _two_vpcs()
    estate.tgw_attachment("tgw-attach-1", "tgw-1", "vpc-1")
    estate.add_routes("rtb-main", route("10.1.0.0/16", "tgw-1"))
    estate.add_routes("rtb-main-vpc-2", route("10.0.0.0/16", "tgw-1"))
    estate.tgw_attachment("tgw-attach-2", "tgw-1", "vpc-2")
    result = _run(estate.build())
    assert result.reachable
    assert any("transit gateway" in n for n in result.notes)
    estate.attachments[-1] = estate.attachments[-1].model_copy(update={"state": "pending"})
    assert _blocks(_run(estate.build()))[0] == (
        Code.BAD_STATE_ATTACHMENT,
        "tgw-attach-2",
        Leg.FORWARD,
    )


def test_blackhole_route_is_bad_state_route() -> None:
    """A more specific route to a deleted appliance is a blackhole: BAD_STATE_ROUTE."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open")
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-open")
    estate.route_table(
        "rtb-a",
        route("10.0.0.0/16"),
        route("10.0.2.0/24", "eni-gone", blackhole=True),
        subnets=("subnet-a",),
    )
    result = _run(estate.build())
    assert _blocks(result) == [(Code.BAD_STATE_ROUTE, "rtb-a", Leg.FORWARD)]
    assert result.explanations[0].rules == ("rtb-a 10.0.2.0/24 -> eni-gone (blackhole)",)


def test_subnet_without_explicit_association_uses_the_main_table() -> None:
    """subnet-b is not associated: its reply is routed by rtb-main, which here has a
    blackhole for the client's subnet."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open")
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-open")
    estate.route_table("rtb-a", route("10.0.0.0/16"), subnets=("subnet-a",))
    estate.add_routes("rtb-main", route("10.0.1.0/24", "eni-gone", blackhole=True))
    assert _blocks(_run(estate.build())) == [(Code.BAD_STATE_ROUTE, "rtb-main", Leg.RETURN)]


def test_prefix_list_route_destination_is_followed() -> None:
    """0.0.0.0/0 is absent, but a prefix list holding 8.8.8.0/24 routes to the IGW."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open", public_ip="54.1.1.1")
    estate.igw("igw-1", "vpc-1")
    estate.prefix_list("pl-dns", "8.8.8.0/24")
    estate.add_routes("rtb-main", route("pl-dns", "igw-1"))
    inventory = estate.build()
    assert _run(inventory, "eni-a", "8.8.8.8").reachable
    assert _blocks(_run(inventory, "eni-a", "1.1.1.1")) == [
        (Code.NO_ROUTE_TO_DESTINATION, "rtb-main", Leg.FORWARD)
    ]


def test_missing_route_table_leaves_only_the_local_route() -> None:
    """A VPC whose tables were not collected: same-VPC traffic still routes (every table
    has the local route) and a note says what was assumed."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open")
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-open")
    estate.tables = []
    inventory = estate.build()
    result = _run(inventory)
    assert result.reachable
    assert any("no route table is known" in n for n in result.notes)
    assert _blocks(_run(inventory, "eni-a", "8.8.8.8")) == [
        (Code.NO_ROUTE_TO_DESTINATION, "subnet-a", Leg.FORWARD)
    ]
