"""Property test: the indexed evaluator agrees with the slow reference evaluator.

Random small estates (one VPC, 1-3 subnets, 2-4 ENIs, 1-3 groups with random rules over a
few ports, CIDRs, protocols, group and self references and prefix lists; random ACLs with
allow and deny entries; route tables with local, internet, NAT and blackhole routes;
stopped instances and detached ENIs now and then) and random flows between ENIs and
outside addresses. Real-account shapes: interfaces without groups, groups missing from
the inventory, an unowned address inside the VPC's CIDR and its DNS resolver; and, in
``gateway_estates``, flows of every protocol out through a NAT gateway (whose subnet's
random ACL is crossed both ways) or to an appliance ENI whose source/destination check
is on or off.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from netmend.model import AclEntry, Inventory, NetworkAcl
from netmend.reach import Flow, evaluate, make_flow
from netmend.reach.acl import CompiledAcl, walk
from netmend.reach.packet import Packet, parse_address

from . import reference
from .builders import Estate, egress, ingress, route
from .builders import _entry as acl_entry
from .reference import reference_evaluate

PORTS: list[Any] = [
    22,
    80,
    443,
    8080,
    (80, 443),
    (0, 65535),
    (1024, 65535),
    (32768, 65535),
    (49152, 65535),
    (1024, 32767),
    (40000, 50000),
    (33000, 33000),
]
ICMP: list[Any] = [None, 8, (8, 0), (8, 5), 0, (3, 4), 13]
CIDRS = [
    "10.0.0.0/16",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "10.0.2.0/24",
    "10.0.3.0/24",
    "10.0.1.10/32",
    "0.0.0.0/0",
    "0.0.0.0/0",
    "0.0.0.0/0",
    "192.168.0.0/16",
    "203.0.113.0/24",
    "8.8.8.0/24",
]
# Return-path ACL entries mostly open parts of the ephemeral range.
EPHEMERAL: list[Any] = [
    (1024, 65535),
    (32768, 65535),
    (49152, 65535),
    (1024, 32767),
    (40000, 50000),
    (32768, 60999),
    (0, 65535),
    443,
]
PROTOCOLS = ["tcp", "udp", "icmp", "-1", "47"]
# 10.0.3.99 is inside the VPC's CIDR and owned by nothing; 10.0.0.2 is its DNS resolver.
OUTSIDE = ["203.0.113.5", "8.8.8.8", "10.0.3.99", "10.0.0.2"]


def _ports(draw: st.DrawFn, protocol: str, *, ephemeral: bool = False) -> Any:
    if protocol in ("tcp", "udp"):
        return draw(st.sampled_from(EPHEMERAL if ephemeral else PORTS))
    if protocol == "icmp":
        return draw(st.sampled_from(ICMP))
    return None


@st.composite
def estates(draw: st.DrawFn) -> Inventory:
    estate = Estate()
    subnets = [
        estate.subnet(f"subnet-{i}", f"10.0.{i + 1}.0/24") for i in range(draw(st.integers(1, 3)))
    ]
    groups = [f"sg-{i}" for i in range(draw(st.integers(1, 3)))]
    for group_id in groups:
        specs = [egress("-1")] if draw(st.booleans()) else []
        for _ in range(draw(st.integers(0, 5))):
            protocol = draw(st.sampled_from(PROTOCOLS))
            peer = draw(
                st.one_of(
                    st.sampled_from(CIDRS),
                    st.sampled_from(groups),
                    st.sampled_from(["pl-known", "pl-unknown"]),
                )
            )
            make = egress if draw(st.booleans()) else ingress
            specs.append(make(protocol, _ports(draw, protocol), peer))
        estate.group(group_id, *specs)
    estate.prefix_list("pl-known", "10.0.1.0/24", "203.0.113.0/24")

    def entries() -> list[AclEntry]:
        found = []
        for out in (False, True):
            numbers = draw(
                st.lists(
                    st.sampled_from([10, 50, 100, 110, 120, 200, 300]), unique=True, max_size=5
                )
            )
            for number in numbers:
                protocol = draw(st.sampled_from([*PROTOCOLS, "tcp", "tcp"]))
                action = draw(st.sampled_from(["allow", "allow", "deny"]))
                ports = _ports(draw, protocol, ephemeral=draw(st.booleans()))
                found.append(
                    acl_entry(action, number, protocol, ports, draw(st.sampled_from(CIDRS)), out)
                )
            if draw(st.booleans()):
                found.append(acl_entry("deny", 32767, "-1", None, "0.0.0.0/0", out))
        return found

    if draw(st.booleans()):
        estate.acl("acl-default", *entries(), default=True)
    for i in range(draw(st.integers(0, 2))):
        chosen = draw(st.lists(st.sampled_from(subnets), unique=True, max_size=len(subnets)))
        estate.acl(f"acl-{i}", *entries(), subnets=tuple(chosen))

    estate.igw("igw-1", *(["vpc-1"] if draw(st.booleans()) else []))
    estate.nat("nat-1", subnets[0], state=draw(st.sampled_from(["available", "failed"])))
    if draw(st.booleans()):
        estate.add_routes("rtb-main", route("0.0.0.0/0", "igw-1"))
    estate.prefix_list("pl-vpc", "10.0.0.0/16")
    extra = draw(
        st.sampled_from(
            ["none", "nat", "blackhole", "igw-narrow", "blackhole-pl", "pl-tie", "middlebox"]
        )
    )
    if extra != "none":
        extra_routes = {
            "nat": route("0.0.0.0/0", "nat-1"),
            "blackhole": route("10.0.2.0/24", "eni-gone", blackhole=True),
            "igw-narrow": route("203.0.113.0/24", "igw-1"),
            "blackhole-pl": route("pl-known", "eni-gone", blackhole=True),
            # same length as the local route: the local route must win
            "pl-tie": route("pl-vpc", "eni-gone", blackhole=True),
            # an appliance: it forwards only with its source/destination check off
            "middlebox": route("203.0.113.0/24", "eni-0"),
        }[extra]
        chosen = draw(st.lists(st.sampled_from(subnets), unique=True, min_size=1))
        estate.route_table("rtb-custom", route("10.0.0.0/16"), extra_routes, subnets=tuple(chosen))

    for i in range(draw(st.integers(2, 4))):
        subnet = draw(st.sampled_from(subnets))
        octet = int(subnet.split("-")[1]) + 1
        mine = draw(st.lists(st.sampled_from(groups), unique=True, min_size=1, max_size=2))
        kind = draw(st.sampled_from(["interface"] * 8 + ["network_load_balancer", "gone"]))
        if kind == "network_load_balancer":
            mine = []  # a service interface without groups: not filtered by groups
        elif kind == "gone":
            mine.append("sg-gone")  # a group the inventory lacks: the verdict is unknown
        estate.eni(
            f"eni-{i}",
            subnet,
            f"10.0.{octet}.{10 + i}",
            *mine,
            public_ip=f"54.0.0.{i}" if draw(st.booleans()) else None,
            instance=f"i-{i}",
            state=draw(st.sampled_from(["running"] * 9 + ["stopped"])),
            attachment_status=draw(st.sampled_from(["attached"] * 19 + ["detached"])),
            interface_type="network_load_balancer"
            if kind == "network_load_balancer"
            else "interface",
        )
    return estate.build()


@st.composite
def cases(draw: st.DrawFn) -> tuple[Inventory, Flow]:
    inventory = draw(estates())
    return inventory, draw(flows(inventory))


@st.composite
def flows(draw: st.DrawFn, inventory: Inventory, *, outside: bool = True) -> Flow:
    enis = [e.network_interface_id for e in inventory.network_interfaces]
    ends = draw(st.sampled_from(["eni-eni"] * 3 + (["out-eni", "eni-out"] if outside else [])))
    source = (
        draw(st.sampled_from(enis)) if ends.startswith("eni") else draw(st.sampled_from(OUTSIDE))
    )
    others = [e for e in enis if e != source]
    if draw(st.integers(0, 9)) == 0:
        others = enis  # now and then, an interface talking to itself
    destination = (
        draw(st.sampled_from(others)) if ends.endswith("eni") else draw(st.sampled_from(OUTSIDE))
    )
    protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "icmp", "-1", "47"]))
    kwargs: dict[str, Any] = {"protocol": protocol}
    if protocol in ("tcp", "udp"):
        kwargs["port"] = draw(st.sampled_from([22, 80, 443, 8080, 33000]))
    if protocol == "icmp":
        kwargs["icmp_type"] = draw(st.sampled_from([8, 8, 3, 13]))
        kwargs["icmp_code"] = draw(st.sampled_from([None, None, 0, 4]))
    return make_flow(inventory, source, destination, **kwargs)


def _compare(inventory: Inventory, flow: Flow) -> None:
    evaluation = evaluate(inventory, flow)
    expected = reference_evaluate(inventory, flow)
    got = [
        (e.code, e.component, e.leg.value, e.direction.value if e.direction else None)
        for e in evaluation.explanations
    ]
    event(f"first block: {got[0][0]} ({got[0][2]})" if got else "reachable")
    for code, _, leg, _ in set(got):
        event(f"blocks somewhere: {code} ({leg})")
    assert evaluation.reachable == (not expected.blocks)
    assert got[:1] == expected.blocks[:1]
    assert got == expected.blocks
    assert evaluation.tracked == expected.tracked


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_engine_agrees_with_reference(case: tuple[Inventory, Flow]) -> None:
    """Reachability, every blocking point (code, component, leg, direction) and tracking
    agree between the indexed evaluator and the slow reference scan."""
    _compare(*case)


FOCUSED_PORTS: list[Any] = [
    443,
    443,
    (0, 65535),
    (80, 443),
    (1024, 65535),
    (32768, 65535),
    (1024, 32767),
    (49152, 65535),
    (40000, 50000),
]


@st.composite
def acl_estates(draw: st.DrawFn) -> tuple[Inventory, Flow]:
    """Two ENIs in two subnets with open groups; each subnet has its own random ACL."""
    estate = Estate()
    estate.group("sg-open", ingress("-1"), egress("-1"))
    estate.igw("igw-1", "vpc-1")
    estate.add_routes("rtb-main", route("0.0.0.0/0", "igw-1"))
    for i in range(2):
        subnet = estate.subnet(f"subnet-{i}", f"10.0.{i + 1}.0/24")
        estate.eni(f"eni-{i}", subnet, f"10.0.{i + 1}.10", "sg-open", public_ip=f"54.0.0.{i}")
        entries = []
        for out in (False, True):
            numbers = draw(st.lists(st.integers(1, 9), unique=True, max_size=6))
            for number in numbers:
                protocol = draw(st.sampled_from(["tcp", "tcp", "tcp", "udp", "-1", "icmp"]))
                ports = (
                    draw(st.sampled_from(FOCUSED_PORTS))
                    if protocol in ("tcp", "udp")
                    else _ports(draw, protocol)
                )
                cidr = draw(
                    st.sampled_from(
                        ["0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "203.0.113.0/24"]
                    )
                )
                action = draw(st.sampled_from(["allow", "allow", "deny"]))
                entries.append(acl_entry(action, number * 10, protocol, ports, cidr, out))
        estate.acl(f"acl-{i}", *entries, subnets=(subnet,))
    inventory = estate.build()
    return inventory, draw(flows(inventory))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acl_estates())
def test_acl_paths_agree_with_reference(case: tuple[Inventory, Flow]) -> None:
    """With open groups, the two subnets' ACLs alone decide: forward, ephemeral return
    and all-traffic flows agree with the reference."""
    _compare(*case)


@st.composite
def gateway_estates(draw: st.DrawFn) -> tuple[Inventory, Flow]:
    """A client subnet routing the internet through a NAT gateway and 203.0.113.0/24 to
    an appliance ENI; the NAT subnet has a random ACL; flows leave from the client."""
    estate = Estate()
    estate.group("sg-open", ingress("-1"), egress("-1"))
    public = estate.subnet("subnet-public", "10.0.1.0/24")
    app = estate.subnet("subnet-app", "10.0.2.0/24")
    box = draw(st.booleans())
    estate.eni("eni-box", public, "10.0.1.5", "sg-open", source_dest_check=box)
    estate.eni("eni-app", app, "10.0.2.10", "sg-open")
    estate.igw("igw-1", "vpc-1")
    estate.nat("nat-1", public, state=draw(st.sampled_from(["available"] * 4 + ["failed"])))
    estate.route_table(
        "rtb-public", route("10.0.0.0/16"), route("0.0.0.0/0", "igw-1"), subnets=(public,)
    )
    estate.route_table(
        "rtb-app",
        route("10.0.0.0/16"),
        route("0.0.0.0/0", "nat-1"),
        route("203.0.113.0/24", "eni-box"),
        subnets=(app,),
    )
    entries = []
    for out in (False, True):
        for number in draw(st.lists(st.integers(1, 9), unique=True, max_size=4)):
            protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "-1", "icmp"]))
            ports = (
                draw(st.sampled_from(FOCUSED_PORTS))
                if protocol in ("tcp", "udp")
                else _ports(draw, protocol)
            )
            cidr = draw(st.sampled_from(["0.0.0.0/0", "10.0.2.0/24", "8.8.8.0/24"]))
            action = draw(st.sampled_from(["allow", "allow", "deny"]))
            entries.append(acl_entry(action, number * 10, protocol, ports, cidr, out))
    estate.acl("acl-public", *entries, subnets=(public,))
    inventory = estate.build()
    protocol = draw(st.sampled_from(["tcp", "udp", "icmp", "-1", "47"]))
    kwargs: dict[str, Any] = {"protocol": protocol}
    if protocol in ("tcp", "udp"):
        kwargs["port"] = draw(st.sampled_from([53, 443, 33000]))
    destination = draw(st.sampled_from(["8.8.8.8", "203.0.113.5"]))
    return inventory, make_flow(inventory, "eni-app", destination, **kwargs)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gateway_estates())
def test_gateway_paths_agree_with_reference(case: tuple[Inventory, Flow]) -> None:
    """NAT gateway protocols and its subnet's ACL both ways, and appliance routes with the
    source/destination check on or off, agree with the reference."""
    _compare(*case)


@st.composite
def ephemeral_estates(draw: st.DrawFn) -> tuple[Inventory, Flow]:
    """Two subnets whose ACLs admit the forward flow and a few ephemeral ranges back."""
    estate = Estate()
    estate.group("sg-open", ingress("-1"), egress("-1"))
    for i in range(2):
        subnet = estate.subnet(f"subnet-{i}", f"10.0.{i + 1}.0/24")
        estate.eni(f"eni-{i}", subnet, f"10.0.{i + 1}.10", "sg-open")
        entries = [acl_entry("allow", 200, "tcp", 443, "10.0.0.0/16", out) for out in (False, True)]
        for out in (False, True):
            numbers = draw(st.lists(st.integers(1, 9), unique=True, min_size=1, max_size=3))
            for number in numbers:
                ports = draw(st.sampled_from(EPHEMERAL[:-2]))
                action = draw(st.sampled_from(["allow", "allow", "allow", "deny"]))
                entries.append(acl_entry(action, number * 10, "tcp", ports, "10.0.0.0/16", out))
        estate.acl(f"acl-{i}", *entries, subnets=(subnet,))
    inventory = estate.build()
    source = draw(st.sampled_from(["eni-0", "eni-1"]))
    destination = "eni-1" if source == "eni-0" else "eni-0"
    return inventory, make_flow(inventory, source, destination, protocol="tcp", port=443)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ephemeral_estates())
def test_ephemeral_return_agrees_with_reference(case: tuple[Inventory, Flow]) -> None:
    """Which return-path ACL blocks a reply (none of 1024-65535 back, or the two ACLs
    admitting disjoint parts of it) agrees with the reference's port samples."""
    _compare(*case)


@st.composite
def group_estates(draw: st.DrawFn) -> tuple[Inventory, Flow]:
    """Open ACLs; 2-3 ENIs carrying random groups whose rules come from small pools."""
    estate = Estate()
    subnets = [
        estate.subnet(f"subnet-{i}", f"10.0.{i + 1}.0/24") for i in range(draw(st.integers(1, 2)))
    ]
    groups = [f"sg-{i}" for i in range(draw(st.integers(1, 3)))]
    estate.prefix_list("pl-known", "10.0.1.0/24")
    for group_id in groups:
        specs = []
        for _ in range(draw(st.integers(0, 4))):
            protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "icmp", "icmp", "-1", "47"]))
            ports = (
                draw(st.sampled_from([443, (0, 65535), (80, 443)]))
                if protocol in ("tcp", "udp")
                else draw(st.sampled_from([None, 8, (8, 0)]))
                if protocol == "icmp"
                else None
            )
            peer = draw(
                st.sampled_from(
                    [
                        "0.0.0.0/0",
                        "0.0.0.0/0",
                        "0.0.0.0/0",
                        "10.0.0.0/16",
                        "10.0.1.0/24",
                        "pl-known",
                        "pl-unknown",
                        *groups,
                    ]
                )
            )
            make = egress if draw(st.booleans()) else ingress
            specs.append(make(protocol, ports, peer))
        estate.group(group_id, *specs)
    for i in range(draw(st.integers(2, 3))):
        subnet = draw(st.sampled_from(subnets))
        octet = int(subnet.split("-")[1]) + 1
        mine = draw(st.lists(st.sampled_from(groups), unique=True, min_size=1, max_size=2))
        kind = draw(st.sampled_from(["interface"] * 8 + ["network_load_balancer", "gone"]))
        if kind == "network_load_balancer":
            mine = []  # a service interface without groups: not filtered by groups
        elif kind == "gone":
            mine.append("sg-gone")  # a group the inventory lacks: the verdict is unknown
        estate.eni(f"eni-{i}", subnet, f"10.0.{octet}.{10 + i}", *mine)
    inventory = estate.build()
    return inventory, draw(flows(inventory, outside=False))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(group_estates())
def test_group_paths_agree_with_reference(case: tuple[Inventory, Flow]) -> None:
    """With open ACLs, the groups alone decide: CIDR, group, self and prefix-list peers,
    ICMP types and codes, all-traffic rules and tracking agree with the reference."""
    _compare(*case)


@st.composite
def acl_cases(draw: st.DrawFn) -> tuple[NetworkAcl, bool, str, tuple[int, int], str]:
    """A random ACL, a direction, a protocol, a key range and the other side's address."""
    entries = []
    out = draw(st.booleans())
    numbers = draw(st.lists(st.integers(1, 40), unique=True, min_size=1, max_size=8))
    for number in numbers:
        protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "-1", "icmp", "47"]))
        ports = _ports(draw, protocol, ephemeral=draw(st.booleans()))
        entries.append(
            acl_entry(
                draw(st.sampled_from(["allow", "deny"])),
                number,
                protocol,
                ports,
                draw(st.sampled_from(["0.0.0.0/0", "10.0.0.0/16", "192.168.0.0/16"])),
                out,
            )
        )
    acl = NetworkAcl(network_acl_id="acl-x", vpc_id="vpc-1", entries=tuple(entries))
    protocol = draw(st.sampled_from(["tcp", "-1"]))
    low = draw(st.sampled_from([1024, 0, 32768, 443]))
    high = draw(st.sampled_from([65535, 60999, 443]))
    return acl, out, protocol, (min(low, high), max(low, high)), "10.0.1.5"


@settings(max_examples=300, deadline=None)
@given(acl_cases())
def test_acl_interval_walk_agrees_with_port_by_port_scan(
    case: tuple[NetworkAcl, bool, str, tuple[int, int], str],
) -> None:
    """The ACL walk over key intervals admits exactly the ports a first-match scan of each
    port admits, and an all-traffic set only when every sample packet is admitted."""
    acl, out, protocol, keys, address = case
    here, there = parse_address("10.0.9.9"), parse_address(address)
    packet = Packet(protocol, keys, here if out else there, there if out else here)
    verdict = walk(CompiledAcl(acl), packet, egress=out)
    if protocol == "-1":
        assert verdict.complete == reference._acl_admits_flow(acl, out, None, address)
        return
    ends = [x for e in acl.entries for x in (e.port_from, e.port_to) if x is not None]
    for port in reference._samples(ends, *keys):
        inside = any(lo <= port <= hi for lo, hi in verdict.admitted)
        assert inside == reference._acl_admits(acl, out, ("tcp", port), address), port
    assert verdict.complete == all(
        reference._acl_admits(acl, out, ("tcp", p), address)
        for p in reference._samples(ends, *keys)
    )
