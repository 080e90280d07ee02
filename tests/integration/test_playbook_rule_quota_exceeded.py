"""rule-quota-exceeded on a moto server: room first, then the rule (runbook RC8).

partner-gateway-sg holds 60 inbound rules (the quota), 14 of them covered by another
rule of the group; the batch tier's rule (wrong-cidr's narrowest peer: its group) does
not fit until they go. (The overflow group, tried before any widening, is tested in
test_playbook_rule_quota_overflow.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.aws.collector import collect_inventory
from netmend.demo.estates import BuiltEstate, build_estate
from netmend.demo.handfix import redundant_ingress_rules
from netmend.demo.scaffold import permission
from netmend.model import Inventory
from netmend.reach import evaluate, make_flow
from netmend.reach.result import Code
from tests.cli_runner import run_cli
from tests.conftest import MotoAws
from tests.integration.fix_cycle import run_fix_cycle
from tests.integration.sg_playbook_checks import (
    assert_fine_estate_is_nothing_to_do,
    live_vpc_states,
)

pytestmark = pytest.mark.integration

_SG_DROPS = {Code.ENI_SG_RULES_MISMATCH.value, Code.SG_HAS_NO_RULES.value}
# Partner addresses inside and around every rule of the estate's group.
_PARTNERS = [f"198.51.100.{h}" for h in (0, 9, 10, 15, 21, 22, 255)]
_PARTNERS += [f"203.0.113.{h}" for h in (4, 5, 6, 7, 19, 20, 44, 62, 63)]
_PORTS = (22, 443, 8443)


def _group_admits(inventory: Inventory, destination: str) -> dict[tuple[str, int], bool]:
    """Whether the server's groups admit each partner address on each port.

    Partners are on the internet and the estate has no route there, so the flow itself
    is unreachable either way; the verdict read here is the security groups' own.
    """
    found = {}
    for address in _PARTNERS:
        for port in _PORTS:
            flow = make_flow(inventory, address, destination, protocol="tcp", port=port)
            explanations = evaluate(inventory, flow).explanations
            found[(address, port)] = not any(e.code in _SG_DROPS for e in explanations)
    return found


def _inventory(aws: MotoAws, estate: BuiltEstate) -> Inventory:
    return collect_inventory(aws.clients(), vpc_ids=[estate.vpc_id], quotas=False)


def _ingress_count(aws: MotoAws, group: str) -> int:
    rules = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    return sum(1 for r in rules if not r["IsEgress"])


def test_rule_quota_cycle_frees_room_without_widening(aws: MotoAws, cli_env: Path) -> None:
    """Of the 14 redundant rules (the same ones the runbook's audit finds) only one is
    revoked, as the one new rule needs one slot; then the batch tier's group is admitted
    on 443; what the group admits for every partner is unchanged; verified, nothing
    lost, rolled back to all 60 rules."""
    estate = build_estate(aws.ec2, "rule-quota-exceeded")
    group, client_group = estate.ids["server_sg"], estate.ids["client_sg"]
    redundant = redundant_ingress_rules(aws.ec2, group)
    assert len(redundant) == 14
    admitted_before = _group_admits(_inventory(aws, estate), estate.destination)
    cycle = run_fix_cycle(aws.clients(), estate)

    assert cycle.diagnosis["exit_code"] == 3
    assert [c["playbook"] for c in cycle.diagnosis["root_causes"]] == [
        "wrong-cidr",
        "rule-quota-exceeded",
    ]
    assert cycle.dry_run["status"] == "planned"
    assert cycle.dry_run["state_changes"] == []
    changes = cycle.dry_run["changes"]
    revokes, (add,) = changes[:-1], changes[-1:]
    assert {c["api"] for c in revokes} == {"RevokeSecurityGroupIngress"}
    revoked = [i for c in revokes for i in c["params"]["SecurityGroupRuleIds"]]
    assert len(revoked) == 1
    assert set(revoked) <= set(redundant)
    assert all(c["kinds"] == ["revocation"] for c in revokes)
    assert add["api"] == "AuthorizeSecurityGroupIngress"
    (perm,) = add["params"]["IpPermissions"]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("tcp", 443, 443)
    assert [p["GroupId"] for p in perm["UserIdGroupPairs"]] == [client_group]
    assert add["kinds"] == ["addition"]

    text = " ".join(cycle.dry_run_text.split())
    assert "aws ec2 revoke-security-group-ingress" in text
    assert "aws ec2 authorize-security-group-ingress" in text
    assert "no access change" in text
    assert (
        "aws service-quotas request-service-quota-increase --service-code vpc "
        "--quota-code L-0EA8095F --desired-value 120"
    ) in text
    assert "widening:" not in text

    cycle.assert_fixed_and_restored()
    assert _ingress_count(aws, group) == 60
    assert _group_admits(_inventory(aws, estate), estate.destination) == admitted_before


def test_revocations_admit_the_same_partners(aws: MotoAws, cli_env: Path) -> None:
    """Applied (and not rolled back): 60 rules again (one redundant out, one in), and
    every partner address is admitted on
    exactly the ports it was before; the batch tier now reaches the gateway."""
    estate = build_estate(aws.ec2, "rule-quota-exceeded")
    before = _group_admits(_inventory(aws, estate), estate.destination)
    assert before[("198.51.100.15", 443)]
    assert before[("203.0.113.5", 22)]
    assert not before[("203.0.113.7", 443)]
    applied = run_cli("fix", *estate.flow_args(), "--apply", "--yes", "--output", "json")
    assert applied.exit_code == 0, applied.stderr
    assert applied.json()["status"] == "applied"
    assert _ingress_count(aws, estate.ids["server_sg"]) == 60
    after = _inventory(aws, estate)
    assert _group_admits(after, estate.destination) == before
    flow = make_flow(after, estate.source, estate.destination, protocol="tcp", port=443)
    assert evaluate(after, flow).reachable


def _fill_interface(aws: MotoAws, estate: BuiltEstate) -> None:
    """Give the gateway's interface its fifth group (the quota): no overflow group fits,
    so what is left is a widening, or nothing."""
    extra = [
        aws.ec2.create_security_group(
            GroupName=f"partner-gateway-extra-{n}", Description="extra", VpcId=estate.vpc_id
        )["GroupId"]
        for n in range(4)
    ]
    aws.ec2.modify_network_interface_attribute(
        NetworkInterfaceId=estate.ids["server_eni"], Groups=[estate.ids["server_sg"], *extra]
    )


def _hosts_only(aws: MotoAws, estate: BuiltEstate) -> None:
    """Make the group's 60 rules all distinct hosts on 443: nothing is redundant."""
    group = estate.ids["server_sg"]
    rules = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    broad = [
        r["SecurityGroupRuleId"]
        for r in rules
        if not r["IsEgress"] and (r.get("CidrIpv4") == "198.51.100.0/24" or r.get("FromPort") == 1)
    ]
    aws.ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=broad)
    aws.ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[permission("tcp", 443, cidr=f"203.0.113.{h}/32") for h in (7, 8, 9)],
    )


def test_consolidation_cycle_is_a_listed_widening(aws: MotoAws, cli_env: Path) -> None:
    """No rule is redundant and the interface carries five groups (no overflow group):
    two adjacent hosts fold into their /31 (ModifySecurityGroupRules in place), a
    widening whose warning lists what it adds (nothing here); applied, verified, rolled
    back to the 60 host rules exactly."""
    estate = build_estate(aws.ec2, "rule-quota-exceeded")
    _hosts_only(aws, estate)
    _fill_interface(aws, estate)
    group = estate.ids["server_sg"]
    assert redundant_ingress_rules(aws.ec2, group) == []
    assert _ingress_count(aws, group) == 60
    cycle = run_fix_cycle(aws.clients(), estate)

    changes = cycle.dry_run["changes"]
    assert [c["api"] for c in changes] == [
        "ModifySecurityGroupRules",
        "RevokeSecurityGroupIngress",
        "AuthorizeSecurityGroupIngress",
    ]
    (request,) = changes[0]["params"]["SecurityGroupRules"]
    assert request["SecurityGroupRule"]["CidrIpv4"] == "198.51.100.10/31"
    assert changes[0]["kinds"] == ["widening"]
    assert "widening: 198.51.100.10/31 admits 0 address(es)" in " ".join(cycle.dry_run_text.split())

    cycle.assert_fixed_and_restored()
    assert _ingress_count(aws, group) == 60


def test_no_room_is_refused_with_the_quota_command(aws: MotoAws, cli_env: Path) -> None:
    """60 rules for 60 unrelated /16s and five groups on the interface: no redundancy,
    no overflow group, no small prefix; fix exits 1 saying why, with the exact quota
    increase command, and writes nothing."""
    estate = build_estate(aws.ec2, "rule-quota-exceeded")
    group = estate.ids["server_sg"]
    rules = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    aws.ec2.revoke_security_group_ingress(
        GroupId=group,
        SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"]],
    )
    for start in range(0, 60, 20):
        aws.ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                permission("tcp", 443, cidr=f"100.{64 + n}.0.0/16")
                for n in range(start, start + 20)
            ],
        )
    _fill_interface(aws, estate)
    before = live_vpc_states(aws, estate.vpc_id)

    refused = run_cli("fix", *estate.flow_args(), "--apply", "--yes")
    assert refused.exit_code == 1
    message = " ".join(refused.stderr.split())
    assert (
        "aws service-quotas request-service-quota-increase --service-code vpc "
        "--quota-code L-0EA8095F --desired-value 120"
    ) in message
    assert "already carries 5 security groups and the quota (L-2AFB9258) is 5" in message
    assert live_vpc_states(aws, estate.vpc_id) == before


def test_rule_quota_fixed_by_hand_is_nothing_to_do(aws: MotoAws, cli_env: Path) -> None:
    """After the runbook's cleanup and the batch tier's rule, fix has nothing to do."""
    assert_fine_estate_is_nothing_to_do(aws, build_estate(aws.ec2, "rule-quota-exceeded"))
