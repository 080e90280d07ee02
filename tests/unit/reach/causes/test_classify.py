"""Root-cause classification of blocked flows (netmend.reach.causes.classify).

Each test builds a small estate by hand (two instances in two subnets of one VPC), runs
the real evaluator on a flow and classifies what it found.
"""

from __future__ import annotations

from typing import Any

from netmend.model import (
    AclEntry,
    Instance,
    Inventory,
    ManagedPrefixList,
    NetworkAcl,
    NetworkInterface,
    PrefixListEntry,
    Quotas,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from netmend.reach.causes.classify import PathPosition, RootCause, classify
from netmend.reach.evaluate import evaluate
from netmend.reach.flow import make_flow
from netmend.reach.result import Code, Direction, Evaluation, Explanation, Leg

VPC = "vpc-0a"
CLIENT_IP = "10.0.1.10"
SERVER_IP = "10.0.2.20"
VPC_CIDR = "10.0.0.0/16"
WORLD = "0.0.0.0/0"

# -- builders ---------------------------------------------------------------------------


def _rule(
    egress: bool, protocol: str, ports: Any, peer: str, rule_id: str | None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"egress": egress, "protocol": protocol, "rule_id": rule_id}
    if isinstance(ports, tuple):
        spec["from_port"], spec["to_port"] = ports
    elif isinstance(ports, int):
        spec["from_port"] = spec["to_port"] = ports
    if peer.startswith("sg-"):
        spec["referenced_group_id"] = peer
    elif peer.startswith("pl-"):
        spec["prefix_list_id"] = peer
    elif ":" in peer:
        spec["cidr_ipv6"] = peer
    else:
        spec["cidr_ipv4"] = peer
    return spec


def inbound(protocol: str, ports: Any, peer: str, rule_id: str | None = None) -> dict[str, Any]:
    """An ingress rule; ``ports`` is a port, a (from, to) pair (ICMP: type, code) or None."""
    return _rule(False, protocol, ports, peer, rule_id)


def outbound(protocol: str, ports: Any, peer: str, rule_id: str | None = None) -> dict[str, Any]:
    return _rule(True, protocol, ports, peer, rule_id)


def open_egress() -> dict[str, Any]:
    """What every new group starts with: all traffic out to anywhere."""
    return outbound("-1", None, WORLD)


def sg(
    group_id: str,
    *specs: dict[str, Any],
    name: str | None = None,
    tags: dict[str, str] | None = None,
) -> SecurityGroup:
    rules = tuple(
        SgRule(group_id=group_id, **{**spec, "rule_id": spec["rule_id"] or f"sgr-{group_id}-{i}"})
        for i, spec in enumerate(specs)
    )
    return SecurityGroup(
        group_id=group_id,
        group_name=name or group_id.removeprefix("sg-"),
        vpc_id=VPC,
        rules=rules,
        tags=tags or {},
    )


def default_group() -> SecurityGroup:
    """The VPC's default group: inbound from itself, outbound anywhere."""
    return sg("sg-default", inbound("-1", None, "sg-default"), open_egress(), name="default")


def entry(
    number: int, egress: bool, protocol: str, action: str, cidr: str, *, ports: Any = None
) -> AclEntry:
    port_from, port_to = ports if isinstance(ports, tuple) else (ports, ports)
    return AclEntry(
        rule_number=number,
        egress=egress,
        protocol=protocol,
        rule_action=action,
        cidr=cidr,
        port_from=port_from,
        port_to=port_to,
    )


def acl(acl_id: str, subnet_id: str, *entries: AclEntry) -> NetworkAcl:
    """A custom ACL on one subnet; AWS's "*" deny entries are added in both directions."""
    defaults = (entry(32767, False, "-1", "deny", WORLD), entry(32767, True, "-1", "deny", WORLD))
    return NetworkAcl(
        network_acl_id=acl_id, vpc_id=VPC, entries=(*entries, *defaults), subnet_ids=(subnet_id,)
    )


def estate(
    client_groups: tuple[str, ...],
    server_groups: tuple[str, ...],
    *groups: SecurityGroup,
    acls: tuple[NetworkAcl, ...] = (),
    prefix_lists: tuple[ManagedPrefixList, ...] = (),
    quotas: Quotas | None = None,
) -> Inventory:
    """i-client (10.0.1.10, subnet-a) and i-server "web-server-1" (10.0.2.20, subnet-b)."""
    default_acl = NetworkAcl(
        network_acl_id="acl-default",
        vpc_id=VPC,
        is_default=True,
        entries=(
            entry(100, False, "-1", "allow", WORLD),
            entry(100, True, "-1", "allow", WORLD),
            entry(32767, False, "-1", "deny", WORLD),
            entry(32767, True, "-1", "deny", WORLD),
        ),
    )
    if not any(g.group_id == "sg-default" for g in groups):
        groups = (*groups, default_group())
    return Inventory(
        region="eu-west-1",
        vpcs=(Vpc(vpc_id=VPC, cidr_blocks=(VPC_CIDR,)),),
        subnets=(
            Subnet(subnet_id="subnet-a", vpc_id=VPC, cidr_block="10.0.1.0/24"),
            Subnet(subnet_id="subnet-b", vpc_id=VPC, cidr_block="10.0.2.0/24"),
        ),
        route_tables=(
            RouteTable(
                route_table_id="rtb-main",
                vpc_id=VPC,
                is_main=True,
                routes=(
                    Route(
                        destination_cidr=VPC_CIDR,
                        target_kind=RouteTargetKind.LOCAL,
                        target_id="local",
                    ),
                ),
            ),
        ),
        network_acls=(default_acl, *acls),
        security_groups=groups,
        network_interfaces=(
            NetworkInterface(
                network_interface_id="eni-client",
                subnet_id="subnet-a",
                vpc_id=VPC,
                private_ips=(CLIENT_IP,),
                group_ids=client_groups,
                instance_id="i-client",
                attachment_status="attached",
                device_index=0,
            ),
            NetworkInterface(
                network_interface_id="eni-server",
                subnet_id="subnet-b",
                vpc_id=VPC,
                private_ips=(SERVER_IP,),
                group_ids=server_groups,
                instance_id="i-server",
                attachment_status="attached",
                device_index=0,
            ),
        ),
        instances=(
            Instance(
                instance_id="i-client",
                vpc_id=VPC,
                subnet_id="subnet-a",
                private_ip=CLIENT_IP,
                network_interface_ids=("eni-client",),
                tags={"Name": "client"},
            ),
            Instance(
                instance_id="i-server",
                vpc_id=VPC,
                subnet_id="subnet-b",
                private_ip=SERVER_IP,
                network_interface_ids=("eni-server",),
                tags={"Name": "web-server-1"},
            ),
        ),
        prefix_lists=prefix_lists,
        quotas=quotas or Quotas(),
    )


def client_group(*specs: dict[str, Any]) -> SecurityGroup:
    """The client's group: open egress unless rules are given."""
    return sg("sg-client", *(specs or (open_egress(),)))


def diagnose(
    inventory: Inventory, protocol: str = "tcp", port: int | None = None, **kw: Any
) -> tuple[Evaluation, tuple[RootCause, ...]]:
    source = kw.pop("source", "i-client")
    destination = kw.pop("destination", "i-server")
    client_ephemeral = kw.pop("client_ephemeral", None)
    flow = make_flow(inventory, source, destination, protocol=protocol, port=port, **kw)
    evaluation = evaluate(inventory, flow, client_ephemeral=client_ephemeral)
    return evaluation, classify(inventory, flow, evaluation)


def ids(causes: tuple[RootCause, ...]) -> list[str]:
    return [c.playbook for c in causes]


# -- wrong-port ------------------------------------------------------------------------


def test_wrong_port_names_the_nearest_near_miss_rule() -> None:
    """8080 and 9000 open to the VPC, the service on 8443: wrong-port, nearest rule (8080)."""
    web = sg(
        "sg-web",
        inbound("tcp", 22, VPC_CIDR),
        inbound("tcp", 9000, VPC_CIDR, "sgr-9000"),
        inbound("tcp", 8080, VPC_CIDR, "sgr-8080"),
        open_egress(),
    )
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    evaluation, causes = diagnose(inventory, port=8443)
    assert not evaluation.reachable
    assert ids(causes) == ["wrong-port"]
    cause = causes[0]
    assert cause.resource == "sg-web"
    assert cause.evidence["group_id"] == "sg-web"
    assert cause.evidence["rule_id"] == "sgr-8080"
    assert cause.evidence["near_miss_port"] == "8080"
    assert cause.evidence["peer"] == VPC_CIDR
    assert cause.evidence["port"] == 8443
    assert cause.evidence["near_miss_unused"] is False
    assert (cause.leg, cause.direction) == (Leg.FORWARD, Direction.INGRESS)
    assert cause.position == PathPosition.DESTINATION_SG_INGRESS
    # The summary names the near-miss rule in the one rule wording (model.rules.rule_text).
    assert cause.summary == (
        "The group sg-web allows inbound tcp 8080 from 10.0.0.0/16; the service listens on 8443."
    )


def test_look_alike_port_is_a_near_miss_but_an_unrelated_one_is_not() -> None:
    """22 for 2222 is a near miss (sshd moved); SSH's 22 is no near miss for 8443."""
    web = sg("sg-web", inbound("tcp", 22, VPC_CIDR, "sgr-ssh"), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    _, moved = diagnose(inventory, port=2222)
    assert ids(moved) == ["wrong-port"]
    assert moved[0].evidence["rule_id"] == "sgr-ssh"
    _, unrelated = diagnose(inventory, port=8443)
    assert ids(unrelated) == ["missing-ingress"]


# -- wrong-cidr ------------------------------------------------------------------------


def test_wrong_cidr_suggests_the_source_group_as_the_narrowest_peer() -> None:
    """tcp 443 open to 10.0.3.0/24 while the client is 10.0.1.10: wrong-cidr, peer sg-client."""
    web = sg("sg-web", inbound("tcp", 443, "10.0.3.0/24", "sgr-443"), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    _, causes = diagnose(inventory, port=443)
    assert ids(causes) == ["wrong-cidr"]
    evidence = causes[0].evidence
    assert causes[0].resource == "sg-web"
    assert evidence["rule_id"] == "sgr-443"
    assert evidence["rule_peer"] == "10.0.3.0/24"
    assert evidence["source_address"] == CLIENT_IP
    assert (evidence["peer"], evidence["peer_kind"]) == ("sg-client", "group")
    assert causes[0].summary == (
        "The group sg-web allows inbound tcp 443 from 10.0.3.0/24, but the traffic comes from "
        "i-client (10.0.1.10); sg-client would admit it."
    )


def test_wrong_cidr_falls_back_to_the_source_host_address() -> None:
    """A client carrying only the default group is admitted by its /32, not by 'default'."""
    web = sg("sg-web", inbound("tcp", 443, "10.0.3.0/24"), open_egress())
    inventory = estate(("sg-default",), ("sg-web",), web)
    _, causes = diagnose(inventory, port=443)
    assert ids(causes) == ["wrong-cidr"]
    assert causes[0].evidence["peer"] == f"{CLIENT_IP}/32"
    assert causes[0].evidence["peer_kind"] == "cidr"


def test_an_all_traffic_rule_for_another_peer_is_not_a_wrong_cidr() -> None:
    """The default group's self-reference trusts its members wholesale: missing-ingress."""
    inventory = estate(("sg-client",), ("sg-default",), client_group())
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["missing-ingress"]


# -- wrong-protocol --------------------------------------------------------------------


def test_same_port_other_protocol_is_wrong_protocol_and_not_wrong_port() -> None:
    """DNS over udp/53 with tcp/53 open (and udp/123 from the same peer): wrong-protocol only."""
    dns = sg(
        "sg-dns",
        inbound("udp", 123, VPC_CIDR, "sgr-ntp"),
        inbound("tcp", 53, VPC_CIDR, "sgr-tcp53"),
        open_egress(),
    )
    inventory = estate(("sg-client",), ("sg-dns",), client_group(), dns)
    _, causes = diagnose(inventory, protocol="udp", port=53)
    assert ids(causes) == ["wrong-protocol"]
    evidence = causes[0].evidence
    assert causes[0].resource == "sg-dns"
    assert evidence["rule_id"] == "sgr-tcp53"
    assert evidence["near_miss_protocol"] == "tcp"
    assert evidence["protocol"] == "udp"
    assert evidence["peer"] == VPC_CIDR
    assert causes[0].summary == (
        "The group sg-dns allows inbound tcp 53 from 10.0.0.0/16; the flow is udp 53."
    )


def test_icmp_rule_for_another_type_is_wrong_protocol() -> None:
    """Ping (echo request, type 8) against a group that admits only echo reply (type 0)."""
    web = sg("sg-web", inbound("icmp", (0, -1), VPC_CIDR, "sgr-reply"), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    _, causes = diagnose(inventory, protocol="icmp")
    assert ids(causes) == ["wrong-protocol"]
    assert causes[0].evidence["rule_id"] == "sgr-reply"
    assert causes[0].evidence["near_miss_port"] == "type 0"


def test_outbound_rule_under_the_other_protocol_is_wrong_protocol_on_egress() -> None:
    """The client may send tcp/53 but the query is udp/53: wrong-protocol on its egress."""
    client = client_group(outbound("tcp", 53, VPC_CIDR, "sgr-out-tcp53"))
    dns = sg("sg-dns", inbound("udp", 53, VPC_CIDR), open_egress())
    inventory = estate(("sg-client",), ("sg-dns",), client, dns)
    _, causes = diagnose(inventory, protocol="udp", port=53)
    assert ids(causes) == ["wrong-protocol"]
    cause = causes[0]
    assert (cause.resource, cause.direction) == ("sg-client", Direction.EGRESS)
    assert cause.position == PathPosition.SOURCE_SG_EGRESS
    assert cause.evidence["rule_id"] == "sgr-out-tcp53"
    assert cause.summary == (
        "The group sg-client allows outbound tcp 53 to 10.0.0.0/16; the flow is udp 53."
    )


# -- missing-egress, stateful-misunderstanding -----------------------------------------


def test_missing_egress_names_the_client_group_and_the_server_group_as_peer() -> None:
    """Outbound only tcp 443 to another subnet; the client needs 5432: missing-egress."""
    client = client_group(outbound("tcp", 443, "10.0.3.0/24"))
    db = sg("sg-db", inbound("tcp", 5432, "sg-client"), open_egress())
    inventory = estate(("sg-client",), ("sg-db",), client, db)
    _, causes = diagnose(inventory, port=5432)
    assert ids(causes) == ["missing-egress"]
    cause = causes[0]
    assert cause.resource == "sg-client"
    assert cause.direction is Direction.EGRESS
    assert (cause.evidence["peer"], cause.evidence["peer_kind"]) == ("sg-db", "group")


def test_stateless_thinking_on_the_client_adds_stateful_misunderstanding() -> None:
    """Inbound 1024-65535 and egress 443 mirroring inbound 443 (same peer), no egress 5432:
    missing-egress and stateful-misunderstanding, which lists the stateless rules only."""
    client = client_group(
        inbound("tcp", (1024, 65535), VPC_CIDR, "sgr-ephemeral"),
        inbound("tcp", 443, VPC_CIDR, "sgr-in-443"),
        outbound("tcp", 443, VPC_CIDR, "sgr-out-443"),
        outbound("tcp", 443, "10.0.3.0/24", "sgr-out-shared"),  # its own https: no mirror
    )
    db = sg("sg-db", inbound("tcp", 5432, "sg-client"), open_egress())
    inventory = estate(("sg-client",), ("sg-db",), client, db)
    _, causes = diagnose(inventory, port=5432)
    assert ids(causes) == ["missing-egress", "stateful-misunderstanding"]
    stateful = causes[1]
    assert stateful.resource == "sg-client"
    assert stateful.position == PathPosition.SOURCE_SG_EGRESS
    found = {(r["rule_id"], r["direction"], r["why"]) for r in stateful.evidence["stateless_rules"]}
    assert found == {
        ("sgr-ephemeral", "ingress", "inbound-ephemeral"),
        ("sgr-out-443", "egress", "egress-mirrors-inbound"),
    }
    assert (
        "(sg-client inbound tcp 1024-65535 from 10.0.0.0/16; sg-client outbound tcp 443 to "
        "10.0.0.0/16 mirroring inbound)"
    ) in stateful.summary


# -- nacl-override ---------------------------------------------------------------------


def test_explicit_acl_deny_on_the_server_subnet_is_nacl_override() -> None:
    """Rule 90 denies the client's subnet on 8443 before rule 100 allows all: nacl-override."""
    web = sg("sg-web", inbound("tcp", 8443, VPC_CIDR), open_egress())
    guard = acl(
        "acl-b",
        "subnet-b",
        entry(90, False, "tcp", "deny", "10.0.1.0/24", ports=(8443, 8443)),
        entry(100, False, "-1", "allow", WORLD),
        entry(100, True, "-1", "allow", WORLD),
    )
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web, acls=(guard,))
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["nacl-override"]
    cause = causes[0]
    evidence = cause.evidence
    assert cause.resource == "acl-b"
    assert (cause.leg, cause.direction) == (Leg.FORWARD, Direction.INGRESS)
    assert cause.position == PathPosition.DESTINATION_ACL_INGRESS
    assert evidence["subnet_id"] == "subnet-b"
    assert evidence["rule_number"] == 90
    assert evidence["explicit_deny"] is True
    assert evidence["default_deny"] is False
    assert evidence["cidr"] == f"{CLIENT_IP}/32"
    assert evidence["suggested_rule_number"] < 90


def test_acl_denying_replies_is_nacl_override_on_the_return_leg() -> None:
    """Rule 90 denies every reply port towards the client's subnet: return-leg
    nacl-override on the server's subnet, an explicit deny, nothing let back."""
    web = sg("sg-web", inbound("tcp", 8443, VPC_CIDR), open_egress())
    guard = acl(
        "acl-b",
        "subnet-b",
        entry(90, True, "tcp", "deny", "10.0.1.0/24", ports=(1024, 65535)),
        entry(100, False, "-1", "allow", WORLD),
        entry(100, True, "-1", "allow", WORLD),
    )
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web, acls=(guard,))
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["nacl-override"]
    cause = causes[0]
    evidence = cause.evidence
    assert cause.resource == "acl-b"
    assert (cause.leg, cause.direction) == (Leg.RETURN, Direction.EGRESS)
    assert cause.position == PathPosition.DESTINATION_ACL_EGRESS
    assert evidence["rule_number"] == 90
    assert evidence["explicit_deny"] is True
    assert evidence["ephemeral"]["allowed"] == []
    assert (evidence["port_from"], evidence["port_to"]) == (1024, 65535)
    assert evidence["suggested_rule_number"] < 90


def test_default_deny_of_the_client_range_reports_the_ephemeral_coverage() -> None:
    """Replies let out only to 1024-2047 miss a Linux client's 32768-60999: the default
    rule 32767 blocks, and the evidence says which ports do get back."""
    web = sg("sg-web", inbound("tcp", 8443, VPC_CIDR), open_egress())
    guard = acl(
        "acl-b",
        "subnet-b",
        entry(100, False, "tcp", "allow", VPC_CIDR, ports=(8443, 8443)),
        entry(100, True, "tcp", "allow", VPC_CIDR, ports=(1024, 2047)),
    )
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web, acls=(guard,))
    _, causes = diagnose(inventory, port=8443, client_ephemeral=(32768, 60999))
    assert ids(causes) == ["nacl-override"]
    evidence = causes[0].evidence
    assert causes[0].leg is Leg.RETURN
    assert evidence["rule_number"] == 32767
    assert evidence["default_deny"] is True
    assert evidence["explicit_deny"] is False
    assert evidence["ephemeral"]["allowed"] == [[1024, 2047]]
    assert evidence["suggested_rule_number"] == 110


# -- sg-not-attached -------------------------------------------------------------------


def test_unattached_group_that_would_admit_the_flow_is_sg_not_attached() -> None:
    """The server (web-server-1) carries only 'default'; a ready group named after it
    (web-server-https) lies unattached and comes before another candidate."""
    ready = sg(
        "sg-ready", inbound("tcp", 8443, "sg-client"), open_egress(), name="web-server-https"
    )
    other = sg("sg-other", inbound("tcp", 8443, VPC_CIDR), open_egress(), name="aaa-other")
    inventory = estate(("sg-client",), ("sg-default",), client_group(), other, ready)
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["sg-not-attached"]  # attaching replaces adding a rule
    cause = causes[0]
    evidence = cause.evidence
    assert cause.resource == "eni-server"
    assert cause.position == PathPosition.DESTINATION_SG_INGRESS
    assert evidence["group_id"] == "sg-ready"
    assert [c["group_id"] for c in evidence["candidate_groups"]] == ["sg-ready", "sg-other"]
    assert evidence["candidate_groups"][0]["points_at_instance"] is True
    assert evidence["current_groups"] == ["sg-default"]
    assert evidence["has_room"] is True


def test_full_interface_is_reported_without_room() -> None:
    """An ENI at its groups-per-interface quota has no room for the missing group."""
    ready = sg("sg-ready", inbound("tcp", 8443, "sg-client"), open_egress())
    inventory = estate(
        ("sg-client",),
        ("sg-default",),
        client_group(),
        ready,
        quotas=Quotas(security_groups_per_interface=1),
    )
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["sg-not-attached"]
    assert causes[0].evidence["has_room"] is False


def test_unattached_group_for_egress_is_sg_not_attached_on_the_client() -> None:
    """No egress on the client; an unattached group allowing 5432 out exists. A fresh group
    (default open egress only) is no candidate."""
    client = sg("sg-client")
    fresh = sg("sg-fresh", open_egress())
    egress_db = sg("sg-to-db", outbound("tcp", 5432, "sg-db"))
    db = sg("sg-db", inbound("tcp", 5432, "sg-client"), open_egress())
    inventory = estate(("sg-client",), ("sg-db",), client, fresh, egress_db, db)
    _, causes = diagnose(inventory, port=5432)
    assert ids(causes) == ["sg-not-attached"]
    cause = causes[0]
    assert (cause.resource, cause.direction) == ("eni-client", Direction.EGRESS)
    assert [c["group_id"] for c in cause.evidence["candidate_groups"]] == ["sg-to-db"]


# -- rule-quota-exceeded ---------------------------------------------------------------


def _far_rules(count: int, peer: str = "172.16.0.0/16") -> list[dict[str, Any]]:
    return [inbound("tcp", 20000 + i, peer) for i in range(count)]


def test_group_at_sixty_rules_adds_rule_quota_exceeded_beside_missing_ingress() -> None:
    """sg-web holds 60 inbound rules: the rule missing-ingress needs will not fit."""
    web = sg("sg-web", *_far_rules(60), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["missing-ingress", "rule-quota-exceeded"]
    quota = causes[1]
    assert quota.resource == "sg-web"
    assert quota.position == causes[0].position == PathPosition.DESTINATION_SG_INGRESS
    assert quota.evidence["rule_count"] == 60
    assert quota.evidence["quota"] == 60
    assert quota.evidence["quota_source"] == "default"
    assert quota.evidence["direction"] == "ingress"


def test_group_below_quota_has_no_quota_cause() -> None:
    """59 rules leave room for one more."""
    web = sg("sg-web", *_far_rules(59), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["missing-ingress"]


def test_prefix_list_rules_weigh_their_max_entries() -> None:
    """Ten rules and one reference to a 55-entry prefix list count 65 against 60."""
    plist = ManagedPrefixList(
        prefix_list_id="pl-office",
        prefix_list_name="office",
        max_entries=55,
        entries=(PrefixListEntry(cidr="192.0.2.0/24"),),
    )
    web = sg("sg-web", *_far_rules(10), inbound("tcp", 443, "pl-office"), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web, prefix_lists=(plist,))
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["missing-ingress", "rule-quota-exceeded"]
    assert causes[1].evidence["rule_count"] == 65
    assert causes[1].evidence["rule_objects"] == 11


def test_ipv6_rules_do_not_count_against_the_ipv4_quota() -> None:
    """AWS counts IPv4 and IPv6 rules apart: 60 IPv6 rules leave room for an IPv4 one."""
    web = sg("sg-web", *_far_rules(60, peer="2001:db8::/32"), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["missing-ingress"]


def test_quota_follows_the_group_wrong_cidr_must_extend() -> None:
    """A near miss whose group is full needs room too: wrong-cidr then rule-quota-exceeded."""
    web = sg("sg-web", inbound("tcp", 443, "10.0.3.0/24"), *_far_rules(59), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    _, causes = diagnose(inventory, port=443)
    assert ids(causes) == ["wrong-cidr", "rule-quota-exceeded"]
    assert causes[1].evidence["for_playbook"] == "wrong-cidr"


# -- missing-ingress, ordering, reachable ----------------------------------------------


def test_missing_ingress_picks_the_first_non_default_group() -> None:
    """Nothing comes near: the rule goes to the server's own group, for the client's group."""
    web = sg("sg-web", inbound("udp", 161, "172.16.0.0/16"), open_egress())
    inventory = estate(("sg-client",), ("sg-default", "sg-web"), client_group(), web)
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["missing-ingress"]
    assert causes[0].resource == "sg-web"
    assert causes[0].evidence["peer"] == "sg-client"
    assert causes[0].evidence["current_groups"] == ["sg-default", "sg-web"]


def test_flow_blocked_in_two_places_yields_both_in_path_order() -> None:
    """Missing egress at the client and an ACL deny at the server: egress first, then ACL."""
    client = client_group(outbound("tcp", 443, "10.0.3.0/24"))
    web = sg("sg-web", inbound("tcp", 8443, VPC_CIDR), open_egress())
    guard = acl(
        "acl-b",
        "subnet-b",
        entry(50, False, "tcp", "deny", WORLD, ports=(8443, 8443)),
        entry(100, False, "-1", "allow", WORLD),
        entry(100, True, "-1", "allow", WORLD),
    )
    inventory = estate(("sg-client",), ("sg-web",), client, web, acls=(guard,))
    evaluation, causes = diagnose(inventory, port=8443)
    assert len(evaluation.explanations) >= 2
    assert ids(causes) == ["missing-egress", "nacl-override"]
    assert [c.position for c in causes] == sorted(c.position for c in causes)


def test_return_leg_block_comes_after_the_forward_leg() -> None:
    """A wrong port on the server and an ACL dropping its replies: forward cause first."""
    web = sg("sg-web", inbound("tcp", 8080, VPC_CIDR), open_egress())
    guard = acl("acl-b", "subnet-b", entry(100, False, "-1", "allow", WORLD))
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web, acls=(guard,))
    _, causes = diagnose(inventory, port=8443)
    assert ids(causes) == ["wrong-port", "nacl-override"]
    assert causes[1].leg is Leg.RETURN


def test_reachable_flow_has_no_root_cause() -> None:
    """A flow every hop admits yields nothing."""
    web = sg("sg-web", inbound("tcp", 8443, "sg-client"), open_egress())
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web)
    evaluation, causes = diagnose(inventory, port=8443)
    assert evaluation.reachable
    assert causes == ()


def test_route_block_has_no_playbook() -> None:
    """No route to an outside address: the evaluator says so, classify adds nothing."""
    inventory = estate(("sg-client",), ("sg-default",), client_group())
    evaluation, causes = diagnose(inventory, port=443, destination="198.51.100.7")
    assert not evaluation.reachable
    assert {e.code for e in evaluation.explanations} <= {
        Code.NO_ROUTE_TO_DESTINATION.value,
        Code.BAD_STATE_ROUTE.value,
    }
    assert causes == ()


# -- explanations from elsewhere (Reachability Analyzer) -------------------------------


def test_classify_places_explanations_without_direction_and_merges_duplicates() -> None:
    """An ENI-level mismatch and a group-level 'no rules' for the same hop, both without a
    direction (as Reachability Analyzer may word them), give one cause at the right hop."""
    web = sg("sg-web", inbound("tcp", 8080, VPC_CIDR), open_egress())
    empty = sg("sg-empty")
    inventory = estate(("sg-client",), ("sg-web", "sg-empty"), client_group(), web, empty)
    flow = make_flow(inventory, "i-client", "i-server", protocol="tcp", port=8443)
    evaluation = Evaluation(
        flow=flow,
        reachable=False,
        explanations=(
            Explanation(code=Code.ENI_SG_RULES_MISMATCH, component="eni-server"),
            Explanation(code=Code.SG_HAS_NO_RULES, component="sg-empty"),
        ),
    )
    causes = classify(inventory, flow, evaluation)
    assert ids(causes) == ["wrong-port"]
    assert causes[0].direction is Direction.INGRESS


def test_root_causes_are_json_able() -> None:
    """Every cause dumps to plain JSON (the diagnose --output json contract)."""
    web = sg("sg-web", *_far_rules(60), open_egress())
    guard = acl("acl-b", "subnet-b", entry(100, False, "-1", "allow", WORLD))
    inventory = estate(("sg-client",), ("sg-web",), client_group(), web, acls=(guard,))
    _, causes = diagnose(inventory, port=8443)
    assert len(causes) == 3
    for cause in causes:
        dumped = cause.model_dump(mode="json")
        assert RootCause.model_validate(dumped) == cause
        assert {"playbook", "resource", "summary"} <= dumped.keys()


def test_classify_orders_causes_by_path_position_whatever_the_explanation_order() -> None:
    """Explanations listed destination-first still give the client's egress cause first."""
    client = client_group(outbound("tcp", 443, "10.0.3.0/24"))
    web = sg("sg-web", inbound("tcp", 8443, VPC_CIDR), open_egress())
    guard = acl("acl-b", "subnet-b", entry(100, True, "-1", "allow", WORLD))
    inventory = estate(("sg-client",), ("sg-web",), client, web, acls=(guard,))
    flow = make_flow(inventory, "i-client", "i-server", protocol="tcp", port=8443)
    evaluation = Evaluation(
        flow=flow,
        reachable=False,
        explanations=(
            Explanation(
                code=Code.SUBNET_ACL_RESTRICTION, component="acl-b", direction=Direction.INGRESS
            ),
            Explanation(
                code=Code.ENI_SG_RULES_MISMATCH, component="sg-client", direction=Direction.EGRESS
            ),
        ),
    )
    causes = classify(inventory, flow, evaluation)
    assert ids(causes) == ["missing-egress", "nacl-override"]
    assert causes[1].evidence["rule_number"] == 32767
