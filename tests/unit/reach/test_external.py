"""Outside endpoints: the internet in through an internet gateway, out through an
internet or NAT gateway, and the ACLs and routes of the one side that is ours."""

from __future__ import annotations

from netmend.model import Inventory
from netmend.reach import Code, Direction, Evaluation, Leg, evaluate

from .builders import Estate, allow, egress, flow, ingress, route


def _public(
    *,
    public_ip: str | None = "54.1.1.1",
    igw_attached: bool = True,
    acl_in: tuple[int, int] | None = None,
) -> Inventory:
    """eni-web (sg-web: 443 from anywhere) in a public subnet routed to igw-1."""
    estate = Estate()
    estate.subnet("subnet-pub", "10.0.0.0/24")
    estate.igw("igw-1", *(["vpc-1"] if igw_attached else []))
    estate.add_routes("rtb-main", route("0.0.0.0/0", "igw-1"))
    estate.group("sg-web", ingress("tcp", 443), egress())
    estate.eni("eni-web", "subnet-pub", "10.0.0.10", "sg-web", public_ip=public_ip)
    if acl_in is not None:
        estate.acl(
            "acl-pub",
            allow(100, "tcp", 443),
            allow(100, out=True),
            allow(110, "tcp", acl_in),
            subnets=("subnet-pub",),
        )
    return estate.build()


def _private_with_nat(nat_state: str = "available", nat_route: bool = True) -> Inventory:
    """eni-app (no public IP) in subnet-app routed to nat-1, which sits in subnet-pub."""
    estate = Estate()
    estate.subnet("subnet-pub", "10.0.0.0/24")
    estate.subnet("subnet-app", "10.0.1.0/24")
    estate.igw("igw-1", "vpc-1")
    if nat_route:
        estate.add_routes("rtb-main", route("0.0.0.0/0", "igw-1"))
    estate.nat("nat-1", "subnet-pub", state=nat_state)
    estate.route_table(
        "rtb-app", route("10.0.0.0/16"), route("0.0.0.0/0", "nat-1"), subnets=("subnet-app",)
    )
    estate.group("sg-app", ingress("tcp", 443), egress())
    estate.eni("eni-app", "subnet-app", "10.0.1.10", "sg-app")
    return estate.build()


def _run(inventory: Inventory, source: str, destination: str, port: int = 443) -> Evaluation:
    return evaluate(inventory, flow(inventory, source, destination, "tcp", port))


def _blocks(evaluation: Evaluation) -> list[tuple[str, str, str]]:
    return [(e.code, e.component, e.leg) for e in evaluation.explanations]


def test_internet_reaches_a_public_interface_through_the_internet_gateway() -> None:
    """Public IP, IGW route, open group: reachable, entering through igw-1."""
    result = _run(_public(), "198.51.100.9", "eni-web")
    assert result.reachable
    assert result.forward[0].kind == "external"
    assert result.forward[1].component == "igw-1"


def test_interface_without_public_ip_is_not_reachable_from_the_internet() -> None:
    """No public IP: IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS at igw-1, ingress, forward."""
    result = _run(_public(public_ip=None), "198.51.100.9", "eni-web")
    assert [(e.code, e.component, e.direction) for e in result.explanations] == [
        (Code.IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS, "igw-1", Direction.INGRESS)
    ]


def test_detached_internet_gateway_is_bad_state_attachment() -> None:
    """A route to an IGW that is not attached to the VPC goes nowhere."""
    assert _blocks(_run(_public(igw_attached=False), "198.51.100.9", "eni-web")) == [
        (Code.BAD_STATE_ATTACHMENT, "igw-1", Leg.FORWARD)
    ]


def test_nat_gateway_takes_no_inbound_connections() -> None:
    """A private subnet behind a NAT gateway cannot be reached from the internet."""
    result = _run(_private_with_nat(), "198.51.100.9", "eni-app")
    assert _blocks(result) == [(Code.IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS, "igw-1", Leg.FORWARD)]


def test_no_route_back_to_an_outside_client_blocks_the_return_leg() -> None:
    """A subnet with only the local route answers nobody outside the VPC."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.group("sg-web", ingress("tcp", 443), egress())
    estate.eni("eni-web", "subnet-a", "10.0.1.10", "sg-web", public_ip="54.1.1.1")
    assert _blocks(_run(estate.build(), "198.51.100.9", "eni-web")) == [
        (Code.NO_ROUTE_TO_DESTINATION, "rtb-main", Leg.RETURN)
    ]


def test_outbound_through_the_internet_gateway_needs_a_public_ip() -> None:
    """No public IP and a direct IGW route: IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS."""
    result = _run(_public(public_ip=None), "eni-web", "8.8.8.8")
    assert [(e.code, e.component, e.direction) for e in result.explanations] == [
        (Code.IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS, "igw-1", Direction.EGRESS)
    ]
    assert _run(_public(), "eni-web", "8.8.8.8").reachable


def test_outbound_through_a_nat_gateway_reaches_and_is_tracked() -> None:
    """A private instance reaches the internet through an available NAT gateway whose
    subnet routes to the IGW; NAT-gateway flows are always tracked."""
    result = _run(_private_with_nat(), "eni-app", "8.8.8.8")
    assert result.reachable
    assert result.tracked is True
    assert any(h.component == "nat-1" for h in result.forward)


def test_failed_nat_gateway_is_bad_state() -> None:
    """A NAT gateway that is not available drops the flow."""
    assert _blocks(_run(_private_with_nat("failed"), "eni-app", "8.8.8.8")) == [
        (Code.BAD_STATE, "nat-1", Leg.FORWARD)
    ]


def test_nat_gateway_subnet_without_internet_route_is_no_route() -> None:
    """The NAT gateway's own subnet has no IGW route: NO_ROUTE_TO_DESTINATION at its table."""
    assert _blocks(_run(_private_with_nat(nat_route=False), "eni-app", "8.8.8.8")) == [
        (Code.NO_ROUTE_TO_DESTINATION, "rtb-main", Leg.FORWARD)
    ]


def test_reply_from_the_internet_needs_the_clients_acl_ingress() -> None:
    """Outbound to the internet: the client subnet's ACL admits replies on 32768-65535 only:
    reachable, and the coverage says ELB/NAT/Lambda-style clients would fail."""
    result = _run(_public(acl_in=(32768, 65535)), "eni-web", "8.8.8.8")
    assert result.reachable
    assert [(c.network_acl_id, c.direction, c.allowed) for c in result.ephemeral] == [
        ("acl-pub", Direction.INGRESS, ((32768, 65535),))
    ]


def test_ipv6_leaves_through_an_egress_only_gateway_without_public_ip() -> None:
    """IPv6 to the internet via an egress-only IGW needs no public IPv4."""
    estate = Estate(with_default_vpc=False)
    estate.vpc("vpc-1", "10.0.0.0/16", ipv6_cidr="2600:1f18::/56")
    estate.subnet("subnet-a", "10.0.1.0/24", ipv6_cidr="2600:1f18::/64")
    estate.add_routes("rtb-main", route("::/0", "eigw-1"))
    estate.group("sg-a", egress("-1", None, "::/0"))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a", ipv6=("2600:1f18::10",))
    inventory = estate.build()
    result = evaluate(inventory, flow(inventory, "2600:1f18::10", "2001:db8::1", "tcp", 443))
    assert result.reachable
