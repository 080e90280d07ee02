"""Property test on real-account shapes (issue 9): the evaluator agrees with the reference.

Random estates of three VPCs: vpc-1 (10.0.0.0/16 and IPv6) and vpc-2 (10.1.0.0/16)
joined by nothing, a peering connection or a transit gateway (its options and each
attachment's referencing switch, state and subnets drawn), and vpc-3 reusing vpc-1's
10.0.0.0/16 unconnected. Interfaces carry secondary addresses with or without their own
public IP, Elastic IPs (DescribeAddresses only), delegated prefixes, IPv6 addresses,
DenyAllIgwTraffic, a source/dest check; one may be an NLB without groups; a NAT
gateway (public or private, routing on to the internet, a transit or a virtual private
gateway) with its interface; an egress-only gateway; a VGW whose VPN is static, BGP or
absent; and identical prefixes static and propagated.

Flows are given as users give them (ENI ids, instance ids, private, secondary, delegated,
public and Elastic IPs, outside addresses, unowned addresses inside a VPC's CIDR), so
the reference resolves the ends itself: resolution must agree before the verdict does.
Covered: hairpins through public IPs, public IPs per private address, EIPs in and out,
egress-only gateways, transit-gateway zones and referencing, VPN static/BGP, static over
propagated, delegated prefixes, resolution near the other end, unowned addresses as
destination and as source, NAT gateways, source/dest check.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from netmend.errors import BadInputError
from netmend.model import (
    EgressOnlyInternetGateway,
    ElasticIp,
    Inventory,
    NatGateway,
    Route,
    TransitGateway,
    TransitGatewayAttachment,
    TransitGatewayRoute,
    TransitGatewayRouteTable,
    VpnConnection,
    VpnGateway,
)
from netmend.reach import Flow, evaluate, make_flow

from .builders import Estate, allow, egress, ingress, route
from .reference import reference_evaluate, reference_resolve

V6 = "2600:1f18::/56"
OUTSIDE = [
    "8.8.8.8",
    "192.168.1.10",  # a static VPN route covers it
    "192.168.2.10",  # no static route covers it
    "100.64.0.10",  # static and propagated routes of the same prefix
    "100.64.0.10",
    "10.0.1.99",  # inside vpc-1 (and vpc-3), owned by nothing
    "10.1.1.99",  # inside vpc-2, owned by nothing
    "10.0.0.2",  # vpc-1's DNS resolver
    "2001:db8::1",
]
PEERS = ["0.0.0.0/0", "10.0.0.0/16", "10.1.0.0/16", "54.0.0.0/24", "::/0", "8.8.8.0/24"]


def _rules(draw: st.DrawFn, groups: list[str]) -> list[Any]:
    style = draw(st.sampled_from(["open", "references", "random", "random"]))
    if style == "open":
        return [
            ingress("-1"),
            ingress("-1", None, "::/0"),
            egress("-1"),
            egress("-1", None, "::/0"),
        ]
    if style == "references":
        peers = draw(st.lists(st.sampled_from(groups), unique=True, min_size=1, max_size=2))
        specs = [ingress("tcp", 443, g) for g in peers] + [ingress("icmp", None, "0.0.0.0/0")]
        return (
            specs
            + [egress("tcp", 443, g) for g in peers]
            + ([egress("-1"), egress("-1", None, "::/0")] if draw(st.booleans()) else [])
        )
    specs: list[Any] = [egress("-1")] if draw(st.booleans()) else []
    if draw(st.booleans()):
        specs.append(egress("-1", None, "::/0"))
    for _ in range(draw(st.integers(0, 4))):
        protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "icmp", "-1"]))
        ports = (
            draw(st.sampled_from([443, (0, 65535), 22]))
            if protocol in ("tcp", "udp")
            else (None if protocol == "-1" else draw(st.sampled_from([None, 8])))
        )
        peer = draw(st.sampled_from(PEERS + groups))
        if protocol == "icmp" and ":" in peer:
            peer = "0.0.0.0/0"
        make = egress if draw(st.booleans()) else ingress
        specs.append(make(protocol, ports, peer))
    return specs


def _with(inventory: Inventory, **fields: Any) -> Inventory:
    current = {name: getattr(inventory, name) for name in Inventory.model_fields}
    return Inventory(**(current | fields))


@st.composite
def real_estates(draw: st.DrawFn, link: str | None = None, default: str | None = None) -> Inventory:
    """``link`` (vpc-1 to vpc-2) and ``default`` (vpc-1's default route) fixed, or drawn."""
    estate = Estate(with_default_vpc=False)
    estate.vpc("vpc-1", "10.0.0.0/16", ipv6_cidr=V6)
    estate.vpc("vpc-2", "10.1.0.0/16")
    estate.vpc("vpc-3", "10.0.0.0/16")
    estate.subnet("subnet-n", "10.0.0.0/24")
    estate.subnet("subnet-a", "10.0.1.0/24", ipv6_cidr="2600:1f18:0:1::/64")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.subnet("subnet-d", "10.1.1.0/24", vpc="vpc-2")
    estate.subnet("subnet-c", "10.0.1.0/24", vpc="vpc-3")
    zones = {"subnet-n": "az-a", "subnet-a": "az-a", "subnet-b": "az-b", "subnet-c": "az-a"}
    zones["subnet-d"] = draw(st.sampled_from(["az-a", "az-b"]))

    groups = ["sg-a", "sg-b", "sg-d"]
    estate.group("sg-a", *_rules(draw, groups))
    estate.group("sg-b", *_rules(draw, groups))
    estate.group("sg-d", *_rules(draw, groups), vpc="vpc-2")
    estate.group("sg-c", ingress("-1"), egress("-1"), vpc="vpc-3")
    if draw(st.booleans()):
        estate.acl(
            "acl-n",
            allow(100, "tcp", (1024, 65535)),
            allow(110, "-1", None, draw(st.sampled_from(["10.0.0.0/16", "0.0.0.0/0"]))),
            allow(100, "-1", None, draw(st.sampled_from(["0.0.0.0/0", "10.0.0.0/16"])), out=True),
            subnets=("subnet-n",),
        )

    eips: list[ElasticIp] = []
    for i, subnet in enumerate(
        draw(st.lists(st.sampled_from(["subnet-a", "subnet-b"]), min_size=2, max_size=3))
    ):
        octet = (subnet[-1] == "a" and 1) or 2
        primary = f"10.0.{octet}.{10 + i}"
        secondary = f"10.0.{octet}.{50 + i}"
        kind = draw(st.sampled_from(["interface"] * 6 + ["network_load_balancer", "scrubbed"]))
        mine = draw(
            st.lists(st.sampled_from(["sg-a", "sg-b"]), unique=True, min_size=1, max_size=2)
        )
        second = draw(st.sampled_from(["none", "public", "private", "eip"]))
        estate.eni(
            f"eni-{i}",
            subnet,
            primary,
            # an NLB without groups is not filtered by groups; an instance's interface
            # listed without any (a scrubbed recording) is unknown
            *([] if kind in ("network_load_balancer", "scrubbed") else mine),
            public_ip=f"54.0.0.{i}" if draw(st.booleans()) else None,
            ipv6=(f"2600:1f18:0:1::{i + 10}",) if octet == 1 and draw(st.integers(0, 3)) else (),
            instance=f"i-{i}",
            state=draw(st.sampled_from(["running"] * 9 + ["stopped"])),
            interface_type="interface" if kind == "scrubbed" else kind,
            source_dest_check=draw(st.booleans()),
            secondary={}
            if second == "none"
            else {secondary: f"54.0.1.{i}" if second == "public" else None},
            prefixes=(f"10.0.{octet}.{64 + 16 * i}/28",) if draw(st.booleans()) else (),
            zone=zones[subnet],
        )
        if second == "eip":
            eips.append(
                ElasticIp(
                    public_ip=f"203.0.113.{i}",
                    network_interface_id=f"eni-{i}",
                    private_ip=secondary,
                )
            )
    estate.eni("eni-d", "subnet-d", "10.1.1.10", "sg-d", instance="i-d", zone=zones["subnet-d"])
    # vpc-3 reuses 10.0.0.0/16: 10.0.1.10 is also eni-c's there (resolved near the other end).
    estate.eni("eni-c", "subnet-c", "10.0.1.10", "sg-c", public_ip="54.0.3.1", zone="az-a")
    estate.eni("eni-c2", "subnet-c", "10.0.1.77", "sg-c", zone="az-a")
    estate.eni(
        "eni-nat",
        "subnet-n",
        "10.0.0.5",
        interface_type="nat_gateway",
        attachment_status=None,
        zone="az-a",
    )

    # vpc-1 <-> vpc-2
    link = link or draw(st.sampled_from(["none", "peering", "peering-down", "tgw", "tgw"]))
    to_2: list[Route] = []
    to_1: list[Route] = []
    if link.startswith("peering"):
        estate.peering(
            "pcx-1",
            "vpc-1",
            "vpc-2",
            status="active" if link == "peering" else "pending-acceptance",
        )
        to_2, to_1 = [route("10.1.0.0/16", "pcx-1")], [route("10.0.0.0/16", "pcx-1")]
    elif link == "tgw":
        to_2, to_1 = [route("10.1.0.0/16", "tgw-1")], [route("10.0.0.0/16", "tgw-1")]

    default = default or draw(
        st.sampled_from(["igw-1", "igw-1", "nat-1", "vgw-1", "tgw-1", "eni-0", "none"])
    )
    v6 = draw(st.sampled_from(["eigw-1", "igw-1", "none"]))
    table_1 = [route("10.0.0.0/16"), route(V6), *to_2]
    if default != "none":
        table_1.append(route("0.0.0.0/0", default))
    if v6 != "none":
        table_1.append(route("::/0", v6))
    table_1.append(route("192.168.0.0/16", "vgw-1"))
    tie = draw(st.sampled_from(["none", "static-igw", "static-tgw", "static-vgw"]))
    if tie != "none":
        target = {"static-igw": "igw-1", "static-tgw": "tgw-1", "static-vgw": "vgw-1"}[tie]
        table_1.append(route("100.64.0.0/16", target))
    propagated = Route(
        destination_cidr="100.64.0.0/16",
        target_kind="virtual-private-gateway",
        target_id="vgw-1",
        origin="EnableVgwRoutePropagation",
    )
    if draw(st.booleans()):
        table_1.insert(draw(st.integers(0, len(table_1))), propagated)
    estate.route_table("rtb-1", *table_1, subnets=("subnet-a", "subnet-b"), vpc="vpc-1")
    nat_out = draw(st.sampled_from(["igw-1", "igw-1", "tgw-1", "vgw-1", "none"]))
    estate.route_table(
        "rtb-n",
        route("10.0.0.0/16"),
        *([route("0.0.0.0/0", nat_out)] if nat_out != "none" else []),
        *to_2,
        subnets=("subnet-n",),
        vpc="vpc-1",
    )
    estate.route_table(
        "rtb-2",
        route("10.1.0.0/16"),
        *to_1,
        route("0.0.0.0/0", "igw-2"),
        subnets=("subnet-d",),
        vpc="vpc-2",
    )
    estate.route_table(
        "rtb-3",
        route("10.0.0.0/16"),
        route("0.0.0.0/0", "igw-3"),
        subnets=("subnet-c",),
        vpc="vpc-3",
    )
    estate.igw("igw-1", *(["vpc-1"] if draw(st.integers(0, 5)) else []))
    estate.igw("igw-2", "vpc-2")
    estate.igw("igw-3", "vpc-3")
    inventory = estate.build()

    subnets = tuple(
        s.model_copy(update={"availability_zone": zones[s.subnet_id]}) for s in inventory.subnets
    )
    nat = NatGateway(
        nat_gateway_id="nat-1",
        vpc_id="vpc-1",
        subnet_id="subnet-n",
        state=draw(st.sampled_from(["available"] * 5 + ["failed"])),
        connectivity_type=draw(st.sampled_from(["public", "public", "private"])),
        private_ips=("10.0.0.5",),
        public_ips=("198.51.100.7",),
    )
    attachments = []
    if link == "tgw":
        attachments = [
            TransitGatewayAttachment(
                transit_gateway_attachment_id="tgw-attach-1",
                transit_gateway_id="tgw-1",
                resource_id="vpc-1",
                state=draw(st.sampled_from(["available"] * 5 + ["pending"])),
                subnet_ids=draw(st.sampled_from([("subnet-n",), ("subnet-n", "subnet-b"), ()])),
                security_group_referencing_support=draw(st.booleans()),
            ),
            TransitGatewayAttachment(
                transit_gateway_attachment_id="tgw-attach-2",
                transit_gateway_id="tgw-1",
                resource_id="vpc-2",
                subnet_ids=("subnet-d",),
                security_group_referencing_support=draw(st.booleans()),
            ),
        ]
    tgw_tables = _tgw_tables(draw) if link == "tgw" else ()
    vpn = draw(st.sampled_from(["static", "static", "bgp", "none"]))
    connections = (
        ()
        if vpn == "none"
        else (
            VpnConnection(
                vpn_connection_id="vpn-1",
                vpn_gateway_id="vgw-1",
                static_routes_only=vpn == "static",
                static_routes=("192.168.1.0/24", "100.64.0.0/16") if vpn == "static" else (),
            ),
        )
    )
    return _with(
        inventory,
        subnets=subnets,
        nat_gateways=(nat,),
        transit_gateway_attachments=tuple(attachments),
        transit_gateway_route_tables=tgw_tables,
        transit_gateways=(
            TransitGateway(
                transit_gateway_id="tgw-1", security_group_referencing_support=draw(st.booleans())
            ),
        )
        if link == "tgw"
        else (),
        egress_only_internet_gateways=(
            EgressOnlyInternetGateway(egress_only_internet_gateway_id="eigw-1", vpc_ids=("vpc-1",)),
        ),
        vpn_gateways=(VpnGateway(vpn_gateway_id="vgw-1", vpc_ids=("vpc-1",)),),
        vpn_connections=connections,
        elastic_ips=tuple(eips),
        network_interfaces=tuple(
            e.model_copy(update={"deny_all_igw_traffic": draw(st.integers(0, 9)) == 0})
            for e in inventory.network_interfaces
        ),
    )


def _tgw_tables(draw: st.DrawFn) -> tuple[TransitGatewayRouteTable, ...]:
    """None (routing unknown), or one table: each attachment associated or not, routes
    to each VPC's attachment missing, blackholed, misdirected or shadowed."""
    if draw(st.booleans()):
        return ()
    routes = []
    for cidr, mine, other in (
        ("10.0.0.0/16", "tgw-attach-1", "tgw-attach-2"),
        ("10.1.0.0/16", "tgw-attach-2", "tgw-attach-1"),
    ):
        shape = draw(
            st.sampled_from(["ok", "ok", "ok", "none", "blackhole", "wrong", "propagated"])
        )
        if shape == "none":
            continue
        routes.append(
            TransitGatewayRoute(
                destination_cidr=cidr,
                state="blackhole" if shape == "blackhole" else "active",
                route_type="propagated" if shape == "propagated" else "static",
                attachment_ids=()
                if shape == "blackhole"
                else (other if shape == "wrong" else mine,),
            )
        )
        if shape == "propagated":
            # same prefix, static, to the wrong attachment: the static route wins
            routes.insert(0, TransitGatewayRoute(destination_cidr=cidr, attachment_ids=(other,)))
    if draw(st.booleans()):
        routes.append(
            TransitGatewayRoute(destination_cidr="10.1.1.0/24", attachment_ids=("tgw-attach-2",))
        )
    associated = draw(
        st.sampled_from(
            [("tgw-attach-1", "tgw-attach-2")] * 3 + [("tgw-attach-2",), ("tgw-attach-1",)]
        )
    )
    return (
        TransitGatewayRouteTable(
            transit_gateway_route_table_id="tgw-rtb-1",
            transit_gateway_id="tgw-1",
            associations=associated,
            routes=tuple(routes),
            routes_complete=draw(st.integers(0, 5)) > 0,
        ),
    )


def _names(inventory: Inventory) -> list[str]:
    """What a user may type for an end: ids and every kind of address."""
    found: list[str] = []
    for eni in inventory.network_interfaces:
        found.append(eni.network_interface_id)
        found += list(eni.private_ips) + list(eni.ipv6_addresses) + list(eni.public_ips.values())
        if eni.public_ip:
            found.append(eni.public_ip)
        found += [
            p.replace("/28", "").rsplit(".", 1)[0] + f".{int(p.split('.')[3].split('/')[0]) + 3}"
            for p in eni.ipv4_prefixes
        ]
    found += [e.public_ip for e in inventory.elastic_ips]
    found += [i.instance_id for i in inventory.instances]
    return [n for n in found if n != "eni-nat"]


@st.composite
def real_cases(draw: st.DrawFn, focus: str = "") -> tuple[Inventory, Flow]:
    """``focus``: "transit" (vpc-1 to vpc-2 over a transit gateway, mostly to eni-d) or
    "nat" (vpc-1 out through its NAT gateway to the internet); "" draws everything."""
    inventory = draw(
        real_estates(
            link="tgw" if focus == "transit" else None,
            default="nat-1" if focus == "nat" else None,
        )
    )
    v6 = draw(st.integers(0, 4)) == 0 and focus != "nat"
    names = [n for n in _names(inventory) if (":" in n) == v6 or (not v6 and "-" in n)]
    outside = [n for n in OUTSIDE if (":" in n) == v6]
    source = draw(st.sampled_from(names + outside[:6]))
    often = 3 if focus == "transit" else 0
    across = ["eni-d", "i-d", "10.1.1.10"] if not v6 and draw(st.integers(0, 3)) <= often else []
    if focus == "nat":
        v6, across = False, ["8.8.8.8", "192.168.2.10"]
        source = draw(st.sampled_from([n for n in names if n.startswith(("eni-", "i-"))]))
    destination = draw(
        st.sampled_from(across or names + outside + ([] if v6 else ["198.51.100.7"]))
    )
    protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "icmp", "-1", "47"]))
    kwargs: dict[str, Any] = {"protocol": protocol}
    if protocol in ("tcp", "udp"):
        kwargs["port"] = draw(st.sampled_from([22, 443, 443, 8080]))
    if protocol == "icmp" and v6:
        protocol = kwargs["protocol"] = "icmpv6"
    if protocol in ("icmp", "icmpv6"):
        kwargs["icmp_type"] = 8 if protocol == "icmp" else 128
    try:
        flow = make_flow(inventory, source, destination, **kwargs)
    except BadInputError:
        assume(False)
        raise
    return inventory, flow


def _agree(inventory: Inventory, flow: Flow) -> None:
    """Resolution of both ends, every blocking point and tracking agree."""
    (src, src_addr, _), (dst, dst_addr, public) = reference_resolve(
        inventory, flow.source.given, flow.destination.given
    )
    assert (flow.source.eni_id, flow.source.address) == (
        src.network_interface_id if src else None,
        src_addr,
    )
    assert (flow.destination.eni_id, flow.destination.address) == (
        dst.network_interface_id if dst else None,
        dst_addr,
    )
    assert bool(flow.destination.public_address) == public
    evaluation = evaluate(inventory, flow)
    expected = reference_evaluate(inventory, flow)
    got = [
        (e.code, e.component, e.leg.value, e.direction.value if e.direction else None)
        for e in evaluation.explanations
    ]
    event(f"first block: {got[0][0]} ({got[0][2]})" if got else "reachable")
    for code in {g[0] for g in got}:
        event(f"blocks somewhere: {code}")
    if public and src is not None:
        event("hairpin")
    assert got == expected.blocks, (got, expected.blocks)
    assert evaluation.reachable == (not expected.blocks)
    assert evaluation.tracked == expected.tracked


_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much]


@settings(max_examples=200, deadline=None, suppress_health_check=_QUIET)
@given(real_cases())
def test_real_account_shapes_agree_with_reference(case: tuple[Inventory, Flow]) -> None:
    """Resolution of both ends, reachability, every blocking point and tracking agree
    between the evaluator and the reference on real-account shapes."""
    _agree(*case)


@settings(max_examples=80, deadline=None, suppress_health_check=_QUIET)
@given(real_cases("transit"))
def test_transit_gateway_paths_agree_with_reference(case: tuple[Inventory, Flow]) -> None:
    """Across a transit gateway: attachment states and zones, referencing on the gateway
    and each attachment (inbound only), and its route tables agree with the reference."""
    _agree(*case)


@settings(max_examples=60, deadline=None, suppress_health_check=_QUIET)
@given(real_cases("nat"))
def test_nat_gateway_paths_agree_with_reference(case: tuple[Inventory, Flow]) -> None:
    """Out through a public or private NAT gateway (TCP/UDP/ICMP only, its subnet's ACL
    both ways, on to an internet, transit or virtual private gateway) agree."""
    _agree(*case)
