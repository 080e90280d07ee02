"""Stale references across a peering that is gone, and accepted findings, offline.

moto cannot build a stale cross-VPC reference (it has no peering-aware rule state), so
the inventory here is written by hand in the shape netmend's collector produces from
DescribeSecurityGroupRules: a rule whose ReferencedGroupInfo names a group in another
VPC (its GroupId, UserId and VpcId, as AWS documents for references across a peering),
and the peering connection it relied on, once active and then deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netmend.errors import BadInputError
from netmend.model import (
    Inventory,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
    VpcPeeringConnection,
)
from netmend.playbook import load_playbooks
from netmend.scan import load_baseline, parse_severity, scan_estate, write_baseline

ACCOUNT = "111122223333"


def _estate(peering_status: str, *, tag: str | None = None) -> Inventory:
    app = SecurityGroup(
        group_id="sg-0aaa0000000000001",
        group_name="app",
        vpc_id="vpc-0aaa0000000000001",
        owner_id=ACCOUNT,
        tags={"netmend:accept": tag} if tag else {},
        rules=(
            SgRule(
                group_id="sg-0aaa0000000000001",
                egress=False,
                protocol="tcp",
                from_port=5432,
                to_port=5432,
                rule_id="sgr-0aaa0000000000001",
                referenced_group_id="sg-0bbb0000000000001",
                referenced_user_id="444455556666",
                referenced_vpc_id="vpc-0bbb0000000000001",
            ),
        ),
    )
    return Inventory(
        region="eu-west-1",
        account_id=ACCOUNT,
        vpcs=(Vpc(vpc_id="vpc-0aaa0000000000001", cidr_blocks=("10.1.0.0/16",)),),
        subnets=(
            Subnet(
                subnet_id="subnet-0aaa0000000000001",
                vpc_id="vpc-0aaa0000000000001",
                cidr_block="10.1.1.0/24",
            ),
        ),
        security_groups=(app,),
        peering_connections=(
            VpcPeeringConnection(
                vpc_peering_connection_id="pcx-0aaa0000000000001",
                requester_vpc_id="vpc-0aaa0000000000001",
                accepter_vpc_id="vpc-0bbb0000000000001",
                status=peering_status,
            ),
        ),
    )


def test_reference_across_a_deleted_peering_is_stale() -> None:
    """The group of another account's VPC is not in the inventory; while the peering is
    active the reference is live, once it is deleted the rule is stale."""
    playbooks = load_playbooks()
    live = scan_estate(_estate("active"), playbooks, only=["stale-reference"])
    assert live.findings == ()
    gone = scan_estate(_estate("deleted"), playbooks, only=["stale-reference"])
    (finding,) = gone.findings
    assert finding.resource == "sgr-0aaa0000000000001"
    assert "no active peering connects" in finding.summary


def test_group_deleted_in_a_peered_vpc_of_the_account_is_stale() -> None:
    """The referenced VPC is the account's own (collected): its group is simply gone,
    although the peering is still active."""
    estate = _estate("active")
    fields = {name: getattr(estate, name) for name in Inventory.model_fields}
    rule = estate.security_groups[0].rules[0].model_copy(update={"referenced_user_id": ACCOUNT})
    group = estate.security_groups[0].model_copy(update={"rules": (rule,)})
    fields["security_groups"] = (group,)
    fields["vpcs"] = (
        *estate.vpcs,
        Vpc(vpc_id="vpc-0bbb0000000000001", cidr_blocks=("10.2.0.0/16",), owner_id=ACCOUNT),
    )
    report = scan_estate(Inventory(**fields), load_playbooks(), only=["stale-reference"])
    (finding,) = report.findings
    assert "sg-0bbb0000000000001 no longer exists" in finding.summary


def test_accept_tag_on_the_group_silences_its_rules() -> None:
    """netmend:accept=<id>,<id> on the group covers the rule's finding; another id does not."""
    playbooks = load_playbooks()
    tagged = _estate("deleted", tag="redundant-rule, stale-reference")
    (finding,) = scan_estate(tagged, playbooks, only=["stale-reference"], fail_on="low").findings
    assert finding.accepted is not None
    assert finding.accepted.by == "tag"
    other = _estate("deleted", tag="redundant-rule")
    report = scan_estate(other, playbooks, only=["stale-reference"], fail_on="low")
    assert report.findings[0].accepted is None
    assert report.failed


def test_baseline_round_trip_and_refusals(tmp_path: Path) -> None:
    """A written baseline reads back as the same pairs; a file that is not one is bad input."""
    playbooks = load_playbooks()
    report = scan_estate(_estate("deleted"), playbooks, only=["stale-reference"])
    path = tmp_path / "baseline.json"
    assert write_baseline(path, report.findings, region="eu-west-1") == 1
    assert set(load_baseline(path)) == {("stale-reference", "sgr-0aaa0000000000001")}
    silenced = scan_estate(
        _estate("deleted"),
        playbooks,
        only=["stale-reference"],
        baseline=load_baseline(path),
        fail_on="low",
    )
    assert silenced.findings[0].accepted is not None
    assert not silenced.failed
    (tmp_path / "other.json").write_text(json.dumps({"findings": []}))
    for name in ("other.json", "missing.json"):
        with pytest.raises(BadInputError):
            load_baseline(tmp_path / name)
    with pytest.raises(BadInputError):
        parse_severity("urgent")


def test_a_load_balancers_group_is_not_unused() -> None:
    """A group no collected interface carries is unused, unless a load balancer names it
    (DescribeLoadBalancers' SecurityGroups): then it is in use, ENIs collected or not."""
    from netmend.model.balancing import LoadBalancer

    estate = _estate("active")
    fields = {name: getattr(estate, name) for name in Inventory.model_fields}
    lonely = Inventory(**fields)
    report = scan_estate(lonely, load_playbooks(), only=["unused-security-group"])
    assert [f.resource for f in report.findings] == ["sg-0aaa0000000000001"]
    fields["load_balancers"] = (
        LoadBalancer(
            load_balancer_arn="arn:aws:elasticloadbalancing:eu-west-1:111122223333:"
            "loadbalancer/app/shop/0123456789abcdef",
            name="shop",
            vpc_id="vpc-0aaa0000000000001",
            security_group_ids=("sg-0aaa0000000000001",),
        ),
    )
    used = scan_estate(Inventory(**fields), load_playbooks(), only=["unused-security-group"])
    assert used.findings == ()
