"""The return path and the client's ephemeral ports: which part comes back, and whose
clients fail."""

from __future__ import annotations

from netmend.model import AclEntry, Inventory
from netmend.reach import Code, Direction, Leg, evaluate
from netmend.reach.ephemeral import failing_clients, summary

from .builders import Estate, allow, deny, egress, flow, ingress


def _estate(
    server_out: tuple[AclEntry, ...], client_in: tuple[AclEntry, ...] | None = None
) -> Inventory:
    """Client eni-a (subnet-a), server eni-b (subnet-b); the server ACL admits 443 in and
    ``server_out`` out; the client ACL admits everything out and ``client_in`` in."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open")
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-open")
    estate.acl("acl-b", allow(100, "tcp", 443, "10.0.0.0/16"), *server_out, subnets=("subnet-b",))
    if client_in is not None:
        estate.acl("acl-a", allow(100, out=True), *client_in, subnets=("subnet-a",))
    return estate.build()


def _out(number: int, ports: tuple[int, int]) -> AclEntry:
    return allow(number, "tcp", ports, "10.0.0.0/16", out=True)


def test_summary_names_the_clients_that_fail() -> None:
    """32768-65535 back: ELB/NAT/Lambda fail but Linux and Windows work; 49152-65535: Linux
    fails too; everything and nothing say so."""
    assert summary(((32768, 65535),)) == (
        "only 32768-65535 comes back: ELB, NAT gateway and Lambda clients (1024-65535) fail"
    )
    assert failing_clients(((49152, 65535),)) == [
        "Linux clients (32768-60999)",
        "ELB, NAT gateway and Lambda clients (1024-65535)",
    ]
    assert summary(((1024, 65535),)) == "all of 1024-65535 comes back: every client works"
    assert summary(()) == "none of 1024-65535 comes back: every client fails"


def test_partial_return_is_reachable_with_coverage_and_a_note() -> None:
    """The server ACL lets out 32768-65535 only: the flow is reachable, the coverage lists
    the interval, and a note says ELB/NAT/Lambda clients fail."""
    result = evaluate(
        inv := _estate((_out(100, (32768, 65535)),)), flow(inv, "eni-a", "eni-b", "tcp", 443)
    )
    assert result.reachable
    coverage = [c for c in result.ephemeral if c.network_acl_id == "acl-b"]
    assert len(coverage) == 1
    assert coverage[0].allowed == ((32768, 65535),)
    assert coverage[0].direction is Direction.EGRESS
    assert coverage[0].subnet_id == "subnet-b"
    assert "ELB, NAT gateway and Lambda clients (1024-65535) fail" in coverage[0].summary
    assert any("32768-65535" in n for n in result.notes)


def test_no_ephemeral_port_back_blocks_the_return_leg() -> None:
    """The server ACL lets out only 443 (a common mistake): no reply port comes back, so
    the return leg is blocked at acl-b egress."""
    result = evaluate(
        inv := _estate((allow(100, "tcp", 443, "10.0.0.0/16", out=True),)),
        flow(inv, "eni-a", "eni-b", "tcp", 443),
    )
    assert not result.reachable
    assert [(e.code, e.component, e.direction, e.leg) for e in result.explanations] == [
        (Code.SUBNET_ACL_RESTRICTION, "acl-b", Direction.EGRESS, Leg.RETURN)
    ]
    assert result.ephemeral[0].allowed == ()


def test_deny_inside_the_range_is_walked_as_intervals() -> None:
    """Deny 40000-40100 before allow 1024-65535: two intervals come back; Linux and ELB
    clients are named as failing (their ranges hold the hole), Windows clients are not."""
    result = evaluate(
        inv := _estate((deny(90, "tcp", (40000, 40100), out=True), _out(100, (1024, 65535)))),
        flow(inv, "eni-a", "eni-b", "tcp", 443),
    )
    assert result.reachable
    coverage = result.ephemeral[0]
    assert coverage.allowed == ((1024, 39999), (40101, 65535))
    assert "Linux clients" in coverage.summary
    assert "Windows" not in coverage.summary


def test_server_and_client_acls_admitting_disjoint_parts_block_at_the_client() -> None:
    """Server lets out 1024-32767, client lets in 32768-65535: each admits some reply
    ports, none passes both; the block is where the last ports die, the client's ACL."""
    result = evaluate(
        inv := _estate(
            (_out(100, (1024, 32767)),), (allow(100, "tcp", (32768, 65535), "10.0.0.0/16"),)
        ),
        flow(inv, "eni-a", "eni-b", "tcp", 443),
    )
    assert [(e.component, e.direction, e.leg) for e in result.explanations] == [
        ("acl-a", Direction.INGRESS, Leg.RETURN)
    ]
    assert [c.network_acl_id for c in result.ephemeral] == ["acl-b", "acl-a"]


def test_explicit_client_range_must_come_back_whole() -> None:
    """With client_ephemeral=(1024, 65535) (say, an ELB), 32768-65535 is not enough; a
    Linux range passes."""
    inventory = _estate((_out(100, (32768, 65535)),))
    elb = flow(inventory, "eni-a", "eni-b", "tcp", 443)
    blocked = evaluate(inventory, elb, client_ephemeral=(1024, 65535))
    assert [(e.code, e.component, e.leg) for e in blocked.explanations] == [
        (Code.SUBNET_ACL_RESTRICTION, "acl-b", Leg.RETURN)
    ]
    assert evaluate(inventory, elb, client_ephemeral=(32768, 60999)).reachable
