"""Batch verdicts (reach/batch.py): exactly the one-by-one answers, with the work shared.

The property test draws the random estates of test_property.py and a batch of flows
over them (pairs of tier-mates repeat), and compares every verdict with a fresh
one-by-one evaluation; the examples pin down what may and may not be shared.
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from netmend.model import Inventory
from netmend.reach import Endpoint, Evaluator, Flow, evaluate_flows

from .builders import Estate, allow, deny, egress, flow, ingress
from .test_property import estates, flows, group_estates


def _assert_same(inventory: Inventory, batch: list[Flow]) -> None:
    verdicts = Evaluator(inventory).verdicts(batch)
    one_by_one = Evaluator(inventory)
    assert [v.flow for v in verdicts] == batch
    shared = 0
    for verdict in verdicts:
        expected = one_by_one.evaluate(verdict.flow)
        shared += not verdict.walked
        assert verdict.reachable == expected.reachable
        assert verdict.explanations == expected.explanations
        assert verdict.evaluation() == expected
    event(f"decided without a walk: {'none' if not shared else 'some'}")


def _with_clones(inventory: Inventory, hosts: list[int]) -> Inventory:
    """The estate with copies of its first interface (same subnet, groups and instance)
    at other addresses of its subnet: tier-mates, whose flows share kept verdicts."""
    first = inventory.network_interfaces[0]
    prefix = first.private_ips[0].rsplit(".", 1)[0]
    clones = [
        first.model_copy(
            update={"network_interface_id": f"eni-clone{i}", "private_ips": (f"{prefix}.{host}",)}
        )
        for i, host in enumerate(hosts)
    ]
    fields = {name: getattr(inventory, name) for name in Inventory.model_fields}
    fields["network_interfaces"] = (*inventory.network_interfaces, *clones)
    return Inventory(**fields)


@st.composite
def batches(draw: st.DrawFn) -> tuple[Inventory, list[Flow]]:
    inventory = draw(st.one_of(estates(), group_estates().map(lambda case: case[0])))
    hosts = draw(st.lists(st.sampled_from([60, 61, 99, 200, 250]), unique=True, max_size=3))
    inventory = _with_clones(inventory, hosts)
    drawn = draw(st.lists(flows(inventory), min_size=1, max_size=8))
    # every pair of interfaces on one or two services, as intents between tiers are
    enis = [e.network_interface_id for e in inventory.network_interfaces]
    for protocol, port in draw(
        st.lists(
            st.sampled_from([("tcp", 443), ("tcp", 22), ("udp", 33000), ("-1", None)]),
            min_size=1,
            max_size=2,
            unique=True,
        )
    ):
        drawn += [flow(inventory, a, b, protocol, port) for a in enis for b in enis if a != b]
    # and repeat some flows, as intents files and scans do
    return inventory, drawn + draw(st.lists(st.sampled_from(drawn), max_size=6))


HOSTS = [10, 11, 60, 127, 128, 200]
PEERS = ["0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/25", "10.0.2.0/24", "10.0.1.11/32", "sg-a", "sg-b"]


@st.composite
def tier_batches(draw: st.DrawFn) -> tuple[Inventory, list[Flow]]:
    """Tiers: 3-7 interfaces in two subnets carrying one of two group sets; permissive
    groups and ACLs whose entries and peers cut the subnets (a /25, a /32), so that many
    flows are reachable, verdicts are shared, and neighbouring addresses fall on either
    side of a cut."""
    estate = Estate()
    estate.subnet("subnet-1", "10.0.1.0/24")
    estate.subnet("subnet-2", "10.0.2.0/24")
    for group_id in ("sg-a", "sg-b"):
        specs = [egress()] if draw(st.booleans()) else []
        for _ in range(draw(st.integers(1, 3))):
            make = ingress if draw(st.integers(0, 3)) else egress
            protocol = draw(st.sampled_from(["tcp", "tcp", "udp", "-1"]))
            ports = draw(st.sampled_from([443, (0, 65535), 22])) if protocol != "-1" else None
            specs.append(make(protocol, ports, draw(st.sampled_from(PEERS))))
        estate.group(group_id, *specs)
    for subnet in ("subnet-1", "subnet-2"):
        if draw(st.booleans()):
            entries = []
            for number in draw(st.lists(st.sampled_from([10, 20, 30]), unique=True, max_size=2)):
                cidr = draw(st.sampled_from(["10.0.1.128/25", "10.0.1.11/32", "10.0.2.0/24"]))
                out = draw(st.booleans())
                entries.append(deny(number, "tcp", 443, cidr, out=out))
            estate.acl(
                f"acl-{subnet}", *entries, allow(100), allow(100, out=True), subnets=(subnet,)
            )
    sets = [("sg-a",), ("sg-b",), ("sg-a", "sg-b")]
    taken: set[str] = set()
    for i in range(draw(st.integers(3, 7))):
        subnet = draw(st.sampled_from(["subnet-1", "subnet-2"]))
        address = f"10.0.{subnet[-1]}.{draw(st.sampled_from(HOSTS))}"
        if address in taken:
            continue
        taken.add(address)
        estate.eni(f"eni-{i}", subnet, address, *draw(st.sampled_from(sets[:2] if i % 2 else sets)))
    inventory = estate.build()
    enis = [e.network_interface_id for e in inventory.network_interfaces]
    batch = [
        flow(inventory, a, b, protocol, port)
        for protocol, port in (("tcp", 443), ("tcp", 22), ("udp", 443))
        for a in enis
        for b in enis
        if a != b
    ]
    return inventory, draw(st.permutations(batch))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tier_batches())
def test_tier_batches_keep_every_verdict(
    case: tuple[Inventory, list[Flow]],
) -> None:
    """Permissive tiers cut by /25 and /32 peers and ACL entries: each verdict, decided
    from kept verdicts or walked, is exactly the one-by-one verdict."""
    _assert_same(*case)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_batch_verdicts_are_the_one_by_one_verdicts(case: tuple[Inventory, list[Flow]]) -> None:
    """On random estates, each batch verdict has the reachability and the explanations
    (codes, components, rules, details) of the flow evaluated alone, and its full
    Evaluation is the one-by-one Evaluation."""
    _assert_same(*case)


def _tiers() -> Estate:
    """Four web ENIs and three db ENIs, each tier sharing one group set; the db group
    admits 5432 from 10.0.1.0/25 only, and the db subnet's ACL denies one web address."""
    estate = Estate()
    estate.subnet("subnet-web", "10.0.1.0/24")
    estate.subnet("subnet-db", "10.0.2.0/24")
    estate.group("sg-web", egress())
    estate.group("sg-db", ingress("tcp", 5432, "10.0.1.0/25"))
    for i, host in enumerate((10, 11, 12, 200)):
        estate.eni(f"eni-web{i}", "subnet-web", f"10.0.1.{host}", "sg-web")
    for i in range(3):
        estate.eni(f"eni-db{i}", "subnet-db", f"10.0.2.{10 + i}", "sg-db")
    estate.acl(
        "acl-db",
        deny(50, "tcp", (5432, 5432), "10.0.1.12/32"),
        allow(100),
        allow(100, out=True),
        subnets=("subnet-db",),
    )
    return estate


def test_reachable_plain_flows_are_not_walked_and_blocked_ones_are() -> None:
    """web0 and web1 to any db: decided from the kept group and ACL verdicts, not walked.
    web2 is denied by the ACL's /32 and web3 (10.0.1.200) is outside the group's /25:
    walked, with their own explanations naming their own addresses."""
    inventory = _tiers().build()
    batch = [
        flow(inventory, f"eni-web{w}", f"eni-db{d}", "tcp", 5432)
        for w in range(4)
        for d in range(3)
    ]
    verdicts = evaluate_flows(inventory, batch)
    reachable = {(v.flow.source.eni_id, v.reachable) for v in verdicts}
    assert reachable == {
        ("eni-web0", True),
        ("eni-web1", True),
        ("eni-web2", False),
        ("eni-web3", False),
    }
    assert not any(v.walked for v in verdicts if v.reachable)
    assert all(v.walked for v in verdicts if not v.reachable)
    web2 = next(v for v in verdicts if v.flow.source.eni_id == "eni-web2")
    assert [e.component for e in web2.explanations] == ["acl-db"]
    web3 = next(v for v in verdicts if v.flow.source.eni_id == "eni-web3")
    assert "10.0.1.200" in web3.explanations[0].detail
    for verdict in verdicts:
        assert verdict.explanations == Evaluator(inventory).evaluate(verdict.flow).explanations


def test_ends_named_by_address_or_by_id_get_their_own_flow_and_the_same_verdict() -> None:
    """eni-web0 named by its address and by its id: two flows, two verdicts (each with
    its own flow), reachable alike; web3 by address is blocked with its own words."""
    inventory = _tiers().build()
    batch = [
        flow(inventory, "eni-web0", "eni-db0", "tcp", 5432),
        flow(inventory, "10.0.1.10", "10.0.2.10", "tcp", 5432),
        flow(inventory, "10.0.1.200", "eni-db0", "tcp", 5432),
    ]
    verdicts = evaluate_flows(inventory, batch)
    assert [v.flow for v in verdicts] == batch
    assert [v.reachable for v in verdicts] == [True, True, False]
    alone = Evaluator(inventory)
    assert [v.evaluation() for v in verdicts] == [alone.evaluate(f) for f in batch]


def test_the_same_flow_twice_is_evaluated_once() -> None:
    """A repeated flow gets the very same verdict object, blocked or not."""
    inventory = _tiers().build()
    blocked = flow(inventory, "eni-web3", "eni-db0", "tcp", 5432)
    first, second = Evaluator(inventory).verdicts([blocked, blocked])
    assert first is second
    assert not first.reachable


def test_another_port_or_a_stopped_end_is_not_taken_for_a_reachable_one() -> None:
    """Port 5433 is not admitted; a stopped db instance blocks its
    flows (BAD_STATE) even after flows to its running tier-mates were found reachable."""
    estate = _tiers()
    estate.eni("eni-db9", "subnet-db", "10.0.2.99", "sg-db", instance="i-db9", state="stopped")
    inventory = estate.build()
    batch = [
        flow(inventory, "eni-web0", "eni-db0", "tcp", 5432),
        flow(inventory, "eni-web1", "eni-db1", "tcp", 5433),
        flow(inventory, "eni-web1", "eni-db9", "tcp", 5432),
    ]
    verdicts = evaluate_flows(inventory, batch)
    assert [v.reachable for v in verdicts] == [True, False, False]
    assert [e.code for e in verdicts[2].explanations] == ["BAD_STATE"]


def test_the_batch_keys_cover_every_field_of_a_flow() -> None:
    """flow_verdicts keys flows by their fields (cheaper than hashing the model): a field
    added to Flow or Endpoint must be added to those keys (reach/batch.py) too."""
    assert set(Flow.model_fields) == {
        "source",
        "destination",
        "protocol",
        "port",
        "icmp_type",
        "icmp_code",
    }
    assert set(Endpoint.model_fields) == {
        "kind",
        "address",
        "eni_id",
        "instance_id",
        "given",
        "load_balancer_arn",
        "public_address",
    }
