"""Network ACLs: stateless, per subnet, first match wins, default deny, both legs."""

from __future__ import annotations

from netmend.model import AclEntry, Inventory
from netmend.reach import Code, Direction, Evaluation, Leg, evaluate

from .builders import Estate, allow, deny, egress, flow, ingress

OPEN_OUT = (allow(100, out=True),)
OPEN_IN = (allow(100),)


def _estate(
    client_acl: tuple[AclEntry, ...] | None,
    server_acl: tuple[AclEntry, ...] | None,
    *,
    same_subnet: bool = False,
) -> Inventory:
    """eni-a in subnet-a, eni-b in subnet-b (or subnet-a); open groups; custom ACLs."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-open", ingress(), egress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open")
    estate.eni(
        "eni-b",
        "subnet-a" if same_subnet else "subnet-b",
        "10.0.1.20" if same_subnet else "10.0.2.20",
        "sg-open",
    )
    if client_acl is not None:
        estate.acl("acl-a", *client_acl, subnets=("subnet-a",))
    if server_acl is not None:
        estate.acl("acl-b", *server_acl, subnets=("subnet-b",))
    return estate.build()


def _run(
    inventory: Inventory, protocol: str = "tcp", port: int | None = 443, **icmp: int | None
) -> Evaluation:
    return evaluate(inventory, flow(inventory, "eni-a", "eni-b", protocol, port, **icmp))


def _blocks(evaluation: Evaluation) -> list[tuple[str, str, str | None, str]]:
    return [(e.code, e.component, e.direction, e.leg) for e in evaluation.explanations]


def test_custom_acl_without_entries_denies_both_ways_by_default() -> None:
    """A fresh custom ACL denies everything: inbound 443 and the outbound reply are both
    dropped by the default rule, and the explanation says so."""
    result = _run(_estate(None, ()))
    assert _blocks(result) == [
        (Code.SUBNET_ACL_RESTRICTION, "acl-b", Direction.INGRESS, Leg.FORWARD),
        (Code.SUBNET_ACL_RESTRICTION, "acl-b", Direction.EGRESS, Leg.RETURN),
    ]
    assert result.explanations[0].rules == ("no rule matched: default deny 32767",)


def test_first_match_wins_in_ascending_rule_number() -> None:
    """Deny 443 at #90 beats allow all at #100, whatever order the entries are listed in;
    moving the deny to #110 lets the allow win."""
    denied = _run(_estate(None, (allow(100), deny(90, "tcp", 443), *OPEN_OUT)))
    assert _blocks(denied) == [
        (Code.SUBNET_ACL_RESTRICTION, "acl-b", Direction.INGRESS, Leg.FORWARD)
    ]
    assert denied.explanations[0].rules == ("acl-b #90 deny tcp 443 0.0.0.0/0",)
    allowed = _run(_estate(None, (allow(100), deny(110, "tcp", 443), *OPEN_OUT)))
    assert allowed.reachable
    assert any(h.detail == "acl-b #100 allow all 0.0.0.0/0" for h in allowed.forward)


def test_entries_match_on_cidr_of_the_other_side() -> None:
    """Inbound entries match the source: allow from 10.0.1.0/24 admits the client,
    allow from 10.0.3.0/24 does not."""
    assert _run(_estate(None, (allow(100, "tcp", 443, "10.0.1.0/24"), *OPEN_OUT))).reachable
    assert not _run(_estate(None, (allow(100, "tcp", 443, "10.0.3.0/24"), *OPEN_OUT))).reachable


def test_same_subnet_traffic_does_not_cross_the_acl() -> None:
    """Two ENIs of one subnet talk even when the subnet's ACL denies everything."""
    result = _run(_estate((), None, same_subnet=True))
    assert result.reachable
    assert not any(h.kind == "network-acl" for h in result.forward + result.return_path)


def test_different_subnets_cross_both_acls_on_both_legs() -> None:
    """Client ACL egress and server ACL ingress forward; server egress and client ingress
    on the way back."""
    result = _run(_estate(OPEN_IN + OPEN_OUT, OPEN_IN + OPEN_OUT))
    acl_hops = [
        (h.component, h.direction, h.leg)
        for h in result.forward + result.return_path
        if h.kind == "network-acl"
    ]
    assert acl_hops == [
        ("acl-a", Direction.EGRESS, Leg.FORWARD),
        ("acl-b", Direction.INGRESS, Leg.FORWARD),
        ("acl-b", Direction.EGRESS, Leg.RETURN),
        ("acl-a", Direction.INGRESS, Leg.RETURN),
    ]


def test_inbound_acl_is_checked_before_the_inbound_group() -> None:
    """Inbound: ACL first, then SG; both block, the ACL's explanation comes first."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-a", egress())
    estate.group("sg-b", ingress("tcp", 22))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a")
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-b")
    estate.acl("acl-b", deny(100, "tcp", 443), allow(200), *OPEN_OUT, subnets=("subnet-b",))
    inventory = estate.build()
    assert [e.code for e in _run(inventory).explanations] == [
        Code.SUBNET_ACL_RESTRICTION,
        Code.ENI_SG_RULES_MISMATCH,
    ]


def test_outbound_group_is_checked_before_outbound_acl() -> None:
    """Outbound: SG first, then ACL."""
    estate = Estate()
    estate.subnet("subnet-a", "10.0.1.0/24")
    estate.subnet("subnet-b", "10.0.2.0/24")
    estate.group("sg-a", egress("tcp", 22))
    estate.group("sg-b", ingress())
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-a")
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-b")
    estate.acl("acl-a", deny(100, "tcp", 443, out=True), *OPEN_IN, subnets=("subnet-a",))
    inventory = estate.build()
    assert [(e.code, e.direction) for e in _run(inventory).explanations] == [
        (Code.ENI_SG_RULES_MISMATCH, Direction.EGRESS),
        (Code.SUBNET_ACL_RESTRICTION, Direction.EGRESS),
    ]


def test_ipv4_entries_do_not_apply_to_ipv6_flows() -> None:
    """An IPv6 flow passes only IPv6 entries: an IPv4 allow-all leaves it to the IPv6
    default deny (32768)."""
    estate = Estate(with_default_vpc=False)
    estate.vpc("vpc-1", "10.0.0.0/16", ipv6_cidr="2600:1f18::/56")
    estate.subnet("subnet-a", "10.0.1.0/24", ipv6_cidr="2600:1f18:0:1::/64")
    estate.subnet("subnet-b", "10.0.2.0/24", ipv6_cidr="2600:1f18:0:2::/64")
    estate.group("sg-open", ingress("-1", None, "::/0"), egress("-1", None, "::/0"))
    estate.eni("eni-a", "subnet-a", "10.0.1.10", "sg-open", ipv6=("2600:1f18:0:1::10",))
    estate.eni("eni-b", "subnet-b", "10.0.2.20", "sg-open", ipv6=("2600:1f18:0:2::20",))
    estate.acl("acl-b", allow(100), allow(100, out=True), subnets=("subnet-b",))
    inventory = estate.build()
    result = evaluate(
        inventory, flow(inventory, "2600:1f18:0:1::10", "2600:1f18:0:2::20", "tcp", 443)
    )
    assert result.explanations[0].rules == ("no rule matched: default deny 32768",)
    estate.acl(
        "acl-b", allow(100, cidr="::/0"), allow(100, cidr="::/0", out=True), subnets=("subnet-b",)
    )
    fixed = estate.build()
    assert evaluate(
        fixed, flow(fixed, "2600:1f18:0:1::10", "2600:1f18:0:2::20", "tcp", 443)
    ).reachable


def test_other_protocol_entries_match_every_port_and_all_traffic_entries_everything() -> None:
    """A protocol 47 allow admits GRE; an all-traffic deny ahead of it drops GRE."""
    gre = _estate(None, (allow(100, "47"), allow(100, "47", out=True)))
    assert _run(gre, "47", None).reachable
    assert not _run(gre, "tcp", 443).reachable
    denied = _estate(None, (deny(50), allow(100, "47"), allow(100, "47", out=True)))
    assert not _run(denied, "47", None).reachable


def test_icmp_entries_match_type_and_the_echo_reply_needs_its_own_entry() -> None:
    """Inbound echo request (type 8) is allowed; the reply is ICMP type 0 and must be let out
    separately: with only type 8 allowed out, the return leg is blocked."""
    only_request = _estate(None, (allow(100, "icmp", 8), allow(100, "icmp", 8, out=True)))
    result = _run(only_request, "icmp", None, icmp_type=8)
    assert _blocks(result) == [(Code.SUBNET_ACL_RESTRICTION, "acl-b", Direction.EGRESS, Leg.RETURN)]
    both = _estate(None, (allow(100, "icmp", 8), allow(100, "icmp", 0, out=True)))
    assert _run(both, "icmp", None, icmp_type=8).reachable


def test_icmp_flow_of_any_code_needs_every_code_admitted() -> None:
    """Allow type 3 code 4 only: a flow of type 3 code 4 passes, a type 3 flow of any code
    does not (its other codes hit the default deny)."""
    inventory = _estate(None, (allow(100, "icmp", (3, 4)), *OPEN_OUT))
    assert _run(inventory, "icmp", None, icmp_type=3, icmp_code=4).reachable
    assert not _run(inventory, "icmp", None, icmp_type=3).reachable


def test_all_traffic_flow_is_blocked_by_any_deny_ahead_of_the_allow_all() -> None:
    """-1 flow: a deny of TCP 22 ahead of allow-all drops part of it; an allow of TCP 22
    ahead of that deny shields it, so all traffic passes."""
    partial = _estate(None, (deny(50, "tcp", 22), allow(100), *OPEN_OUT))
    assert not _run(partial, "-1", None).reachable
    assert _run(partial, "-1", None).explanations[0].rules == ("acl-b #50 deny tcp 22 0.0.0.0/0",)
    shielded = _estate(None, (allow(40, "tcp", 22), deny(50, "tcp", 22), allow(100), *OPEN_OUT))
    assert _run(shielded, "-1", None).reachable


def test_return_leg_blocked_at_the_client_acl_ingress() -> None:
    """The server side is open; the client's ACL lets nothing in: the reply is dropped at
    acl-a, ingress, on the return leg."""
    result = _run(_estate((allow(100, out=True),), None))
    assert _blocks(result) == [
        (Code.SUBNET_ACL_RESTRICTION, "acl-a", Direction.INGRESS, Leg.RETURN)
    ]


def test_explicit_default_entry_is_reported_by_its_number() -> None:
    """When the inventory lists the 32767 entry (as AWS returns it), that is the rule."""
    result = _run(_estate(None, (deny(32767), *OPEN_OUT)))
    assert result.explanations[0].rules == ("acl-b #32767 deny all 0.0.0.0/0",)
