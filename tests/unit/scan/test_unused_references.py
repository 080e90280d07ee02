"""unused-security-group and the VPCs it cannot see, offline.

The references signal is what ``netmend.aws.group_use.read_group_references`` makes of
DescribeSecurityGroupReferences (group id -> [{vpc, peering}]); the inventory is written
by hand in the collector's shape: one VPC, a group no interface carries.
"""

from __future__ import annotations

from netmend.model import Inventory, SecurityGroup, SgRule, Subnet, Vpc
from netmend.playbook import load_playbooks
from netmend.scan import scan_estate, unused_candidates

GROUP = "sg-0unused000000001"
PLAYBOOK = "unused-security-group"


def _estate() -> Inventory:
    rule = SgRule(
        group_id=GROUP,
        egress=False,
        protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="10.3.0.0/16",
        rule_id="sgr-0unused000000001",
    )
    return Inventory(
        region="eu-west-1",
        vpcs=(Vpc(vpc_id="vpc-0unused000000001", cidr_blocks=("10.3.0.0/16",)),),
        subnets=(
            Subnet(
                subnet_id="subnet-0unused0001",
                vpc_id="vpc-0unused000000001",
                cidr_block="10.3.1.0/24",
            ),
        ),
        security_groups=(
            SecurityGroup(
                group_id=GROUP, group_name="leftover", vpc_id="vpc-0unused000000001", rules=(rule,)
            ),
        ),
    )


def test_a_group_a_peered_vpc_references_is_not_unused() -> None:
    """Asked about (a candidate), referenced from a peered VPC of another account: no
    finding; not asked (signal absent): reported, saying what could not be seen."""
    inventory = _estate()
    playbooks = load_playbooks()
    assert unused_candidates(inventory) == [GROUP]
    referenced = {GROUP: [{"vpc": "vpc-0a1b2c3d4e5f60718", "peering": "pcx-0a1b2c3d4e5f60718"}]}
    seen = scan_estate(
        inventory, playbooks, only=[PLAYBOOK], signals={"security_group_references": referenced}
    )
    assert seen.findings == ()
    (blind,) = scan_estate(inventory, playbooks, only=[PLAYBOOK]).findings
    assert "DescribeSecurityGroupReferences" in blind.summary
    assert "other accounts" in blind.summary
    (read,) = scan_estate(
        inventory, playbooks, only=[PLAYBOOK], signals={"security_group_references": {}}
    ).findings
    assert "DescribeSecurityGroupReferences" not in read.summary
    assert "other accounts" in read.summary  # their interfaces are never visible
