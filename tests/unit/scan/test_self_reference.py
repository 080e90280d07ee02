"""missing-self-reference's fix admits every blocked range, and only those, offline.

The estate is written by hand in the collector's shape: a group serving TCP 443, TCP
8000-8100 (two overlapping rules), UDP 53 and TCP 22 to a load balancer's subnet, and
TCP 22 also to the members' own subnet (so members reach each other on 22 already).
"""

from __future__ import annotations

from netmend.model import (
    AclEntry,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from netmend.model.network import Route
from netmend.playbook import load_playbooks
from netmend.scan import propose_finding_fix, scan_estate

VPC = "vpc-0selfref00000001"
GROUP = "sg-0selfref00000001"
PLAYBOOK = "missing-self-reference"


def _rule(n: int, protocol: str, low: int, high: int, cidr: str, *, egress: bool = False) -> SgRule:
    return SgRule(
        group_id=GROUP,
        egress=egress,
        protocol=protocol,
        from_port=low,
        to_port=high,
        cidr_ipv4=cidr,
        rule_id=f"sgr-0selfref0000000{n}",
    )


def _estate() -> Inventory:
    lb_subnet = "10.7.9.0/24"
    rules = (
        _rule(1, "tcp", 443, 443, lb_subnet),
        _rule(2, "tcp", 8000, 8050, lb_subnet),
        _rule(3, "tcp", 8040, 8100, lb_subnet),
        _rule(4, "udp", 53, 53, lb_subnet),
        _rule(5, "tcp", 22, 22, "10.7.1.0/24"),  # the members' subnet: 22 already works
        SgRule(group_id=GROUP, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0"),
    )
    members = tuple(
        NetworkInterface(
            network_interface_id=f"eni-0selfref0000000{n}",
            subnet_id="subnet-0selfref00000001",
            vpc_id=VPC,
            private_ips=(f"10.7.1.{10 + n}",),
            group_ids=(GROUP,),
        )
        for n in range(3)
    )
    allow_all = tuple(
        AclEntry(rule_number=100, egress=e, protocol="-1", rule_action="allow", cidr="0.0.0.0/0")
        for e in (False, True)
    )
    return Inventory(
        region="eu-west-1",
        vpcs=(Vpc(vpc_id=VPC, cidr_blocks=("10.7.0.0/16",)),),
        subnets=(
            Subnet(subnet_id="subnet-0selfref00000001", vpc_id=VPC, cidr_block="10.7.1.0/24"),
        ),
        security_groups=(SecurityGroup(group_id=GROUP, group_name="web", vpc_id=VPC, rules=rules),),
        network_interfaces=members,
        network_acls=(
            NetworkAcl(
                network_acl_id="acl-0selfref0001", vpc_id=VPC, is_default=True, entries=allow_all
            ),
        ),
        route_tables=(
            RouteTable(
                route_table_id="rtb-0selfref0001",
                vpc_id=VPC,
                is_main=True,
                routes=(Route(destination_cidr="10.7.0.0/16", target_kind="local"),),
            ),
        ),
    )


def test_every_blocked_range_gets_one_self_referencing_rule() -> None:
    """The finding names tcp/443, tcp/8000-8100 (merged) and udp/53, not tcp/22 (already
    admitted); the plan adds exactly those three rules, each from the group itself, and
    the estate as it leaves it has no finding."""
    inventory = _estate()
    playbooks = load_playbooks()
    (found,) = scan_estate(inventory, playbooks, only=[PLAYBOOK]).findings
    assert found.evidence["ports"] == ["tcp/443", "tcp/8000-8100", "udp/53"]
    plan = propose_finding_fix(inventory, playbooks, PLAYBOOK, GROUP, run_id="test-run").plan
    added = []
    for change in plan.changes:
        assert change.api == "AuthorizeSecurityGroupIngress"
        (permission,) = change.params["IpPermissions"]
        assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [GROUP]
        assert "IpRanges" not in permission or not permission["IpRanges"]
        added.append((permission["IpProtocol"], permission["FromPort"], permission["ToPort"]))
    assert sorted(added) == [("tcp", 443, 443), ("tcp", 8000, 8100), ("udp", 53, 53)]
    assert not any("still finds" in note for note in plan.notes), plan.notes
