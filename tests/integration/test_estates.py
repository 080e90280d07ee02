"""The demo estates: each builder leaves the runbook's misconfiguration in EC2, and
fix_by_hand leaves the runbook's fix. Checked with describe calls on a moto server."""

from __future__ import annotations

import ipaddress
import shlex
from typing import Any

import pytest
from botocore.exceptions import ClientError

from netmend.demo.estates import (
    ESTATE_BUILDERS,
    HEALTHY,
    OCTETS,
    ROOT_CAUSES,
    BuiltEstate,
    build_all,
    build_estate,
    fix_by_hand,
)
from netmend.demo.handfix import redundant_ingress_rules
from netmend.demo.scaffold import ESTATE_TAG
from netmend.errors import BadInputError

pytestmark = pytest.mark.integration


@pytest.fixture
def ec2(aws: Any) -> Any:
    """The raw boto3 EC2 client of the shared, freshly reset moto server (tests/conftest.py)."""
    return aws.ec2


Rule = tuple[str, int, int, str]  # protocol, from, to, peer (CIDR or group id)


def _rules(ec2: Any, group_id: str, *, egress: bool) -> list[Rule]:
    found = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]
    return sorted(
        (
            rule["IpProtocol"],
            rule.get("FromPort", -1),
            rule.get("ToPort", -1),
            rule.get("CidrIpv4") or rule["ReferencedGroupInfo"]["GroupId"],
        )
        for rule in found
        if rule["IsEgress"] == egress
    )


def _eni_groups(ec2: Any, eni_id: str) -> set[str]:
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    return {group["GroupId"] for group in eni["Groups"]}


def _acl_entries(ec2: Any, acl_id: str) -> list[tuple[int, bool, str, str, tuple[int, int] | None]]:
    acl = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    return sorted(
        (
            entry["RuleNumber"],
            entry["Egress"],
            entry["Protocol"],
            entry["RuleAction"],
            (entry["PortRange"]["From"], entry["PortRange"]["To"])
            if "PortRange" in entry
            else None,
        )
        for entry in acl["Entries"]
    )


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


@pytest.mark.parametrize("root_cause", list(ESTATE_BUILDERS))
def test_builder_makes_a_tagged_two_tier_estate(ec2: Any, root_cause: str) -> None:
    """Each builder makes its own tagged VPC 10.N.0.0/16 with the client and server in
    different subnets behind one route table, and names a blocking component of that VPC."""
    estate = build_estate(ec2, root_cause)
    assert estate.root_cause == root_cause
    vpc = ec2.describe_vpcs(VpcIds=[estate.vpc_id])["Vpcs"][0]
    assert vpc["CidrBlock"] == f"10.{OCTETS[root_cause]}.0.0/16"
    assert _tags(vpc)[ESTATE_TAG] == root_cause
    assert _tags(vpc)["Name"]

    reservations = ec2.describe_instances(InstanceIds=[estate.source, estate.destination])
    instances = {i["InstanceId"]: i for r in reservations["Reservations"] for i in r["Instances"]}
    client, server = instances[estate.source], instances[estate.destination]
    assert client["VpcId"] == server["VpcId"] == estate.vpc_id
    assert client["SubnetId"] == estate.ids["client_subnet"]
    assert server["SubnetId"] == estate.ids["server_subnet"]
    assert client["SubnetId"] != server["SubnetId"]
    assert client["NetworkInterfaces"][0]["NetworkInterfaceId"] == estate.ids["client_eni"]
    assert server["NetworkInterfaces"][0]["NetworkInterfaceId"] == estate.ids["server_eni"]
    server_net = ipaddress.ip_network(estate.ids["server_cidr"])
    assert ipaddress.ip_address(server["PrivateIpAddress"]) in server_net

    table = ec2.describe_route_tables(RouteTableIds=[estate.ids["route_table"]])["RouteTables"][0]
    associated = {assoc.get("SubnetId") for assoc in table["Associations"]}
    assert {estate.ids["client_subnet"], estate.ids["server_subnet"]} <= associated

    if root_cause == HEALTHY:
        assert estate.expected_component is None
        assert estate.reachable
    elif estate.expected_component.startswith("acl-"):
        acls = ec2.describe_network_acls(NetworkAclIds=[estate.expected_component])
        assert acls["NetworkAcls"][0]["VpcId"] == estate.vpc_id
    else:
        groups = ec2.describe_security_groups(GroupIds=[estate.expected_component])
        assert groups["SecurityGroups"][0]["VpcId"] == estate.vpc_id
        assert not estate.reachable

    words = shlex.split(estate.command())
    assert words[:2] == ["netmend", "diagnose"]
    options = dict(zip(words[2::2], words[3::2], strict=True))
    assert options == {
        "--source": estate.source,
        "--destination": estate.destination,
        "--port": str(estate.port),
        "--protocol": estate.protocol,
    }


def test_wrong_port_opens_8080_and_fix_opens_8443(ec2: Any) -> None:
    """RC1: the server group opens 22 and 8080 (not 8443) to the VPC; the runbook's fix
    adds 8443 and removes 8080, keeping 22."""
    estate = build_estate(ec2, "wrong-port")
    cidr, group = estate.ids["vpc_cidr"], estate.ids["server_sg"]
    assert estate.port == 8443
    assert estate.expected_component == group
    assert _rules(ec2, group, egress=False) == [("tcp", 22, 22, cidr), ("tcp", 8080, 8080, cidr)]
    fix_by_hand(ec2, estate)
    assert _rules(ec2, group, egress=False) == [("tcp", 22, 22, cidr), ("tcp", 8443, 8443, cidr)]


def test_wrong_cidr_admits_the_wrong_subnet_and_fix_widens_it(ec2: Any) -> None:
    """RC2: 443 is open to 10.N.1.0/24 while the client sends from 10.N.2.0/24; the fix
    replaces the /24 with the VPC CIDR."""
    estate = build_estate(ec2, "wrong-cidr")
    group = estate.ids["server_sg"]
    client = ec2.describe_instances(InstanceIds=[estate.source])["Reservations"][0]["Instances"][0]
    (rule,) = _rules(ec2, group, egress=False)
    assert rule[:3] == ("tcp", 443, 443)
    assert ipaddress.ip_address(client["PrivateIpAddress"]) not in ipaddress.ip_network(rule[3])
    assert ipaddress.ip_address(client["PrivateIpAddress"]) in ipaddress.ip_network(
        estate.ids["client_cidr"]
    )
    fix_by_hand(ec2, estate)
    assert _rules(ec2, group, egress=False) == [("tcp", 443, 443, estate.ids["vpc_cidr"])]


def test_missing_egress_leaves_only_https_out_and_fix_adds_5432(ec2: Any) -> None:
    """RC3: the client's group has no default egress, only tcp 443 to 10.N.3.0/24, while the
    database admits 5432 from the VPC; the fix adds egress 5432 to the database subnet."""
    estate = build_estate(ec2, "missing-egress")
    client_sg, n = estate.ids["client_sg"], OCTETS["missing-egress"]
    assert estate.expected_component == client_sg
    assert _rules(ec2, client_sg, egress=True) == [("tcp", 443, 443, f"10.{n}.3.0/24")]
    assert _rules(ec2, estate.ids["server_sg"], egress=False) == [
        ("tcp", 5432, 5432, estate.ids["vpc_cidr"])
    ]
    fix_by_hand(ec2, estate)
    assert ("tcp", 5432, 5432, f"10.{n}.4.0/24") in _rules(ec2, client_sg, egress=True)


def test_stateful_misunderstanding_has_stateless_rules_and_fix_adds_egress_only(ec2: Any) -> None:
    """RC4: the client's group carries inbound 1024-65535 and an egress 443 mirroring its
    inbound 443, but no egress for 5432; the fix adds egress 5432 and touches nothing else."""
    estate = build_estate(ec2, "stateful-misunderstanding")
    client_sg, cidr = estate.ids["client_sg"], estate.ids["vpc_cidr"]
    ingress = _rules(ec2, client_sg, egress=False)
    assert ingress == [("tcp", 443, 443, cidr), ("tcp", 1024, 65535, cidr)]
    egress = _rules(ec2, client_sg, egress=True)
    assert ("tcp", 443, 443, cidr) in egress
    assert not [rule for rule in egress if rule[1] <= 5432 <= rule[2] or rule[0] == "-1"]
    fix_by_hand(ec2, estate)
    after = _rules(ec2, client_sg, egress=True)
    assert sorted([*egress, ("tcp", 5432, 5432, estate.ids["server_cidr"])]) == after
    assert _rules(ec2, client_sg, egress=False) == ingress


def test_nacl_override_associates_a_443_only_acl_and_fix_adds_8443(ec2: Any) -> None:
    """RC5: a custom ACL on the server subnet (not the client's) allows inbound 443 only and
    outbound ephemeral ports; the groups allow 8443; the fix adds inbound rule 110 for 8443."""
    estate = build_estate(ec2, "nacl-override")
    acl_id = estate.ids["network_acl"]
    assert estate.expected_component == acl_id
    associated = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [estate.ids["server_subnet"]]}]
    )["NetworkAcls"]
    assert [acl["NetworkAclId"] for acl in associated] == [acl_id]
    client_acl = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [estate.ids["client_subnet"]]}]
    )["NetworkAcls"][0]
    assert client_acl["IsDefault"]
    before = _acl_entries(ec2, acl_id)
    assert [e for e in before if e[3] == "allow"] == [
        (100, False, "6", "allow", (443, 443)),
        (100, True, "6", "allow", (1024, 65535)),
    ]
    assert ("tcp", 8443, 8443, estate.ids["vpc_cidr"]) in _rules(
        ec2, estate.ids["server_sg"], egress=False
    )
    fix_by_hand(ec2, estate)
    assert _acl_entries(ec2, acl_id) == sorted([*before, (110, False, "6", "allow", (8443, 8443))])


def test_wrong_protocol_opens_tcp_53_and_fix_opens_udp_53(ec2: Any) -> None:
    """RC6: the DNS forwarder's group opens tcp 53, the flow is udp 53; the fix adds an
    inbound udp 53 rule from the VPC."""
    estate = build_estate(ec2, "wrong-protocol")
    group, cidr = estate.ids["server_sg"], estate.ids["vpc_cidr"]
    assert (estate.protocol, estate.port) == ("udp", 53)
    assert _rules(ec2, group, egress=False) == [("tcp", 53, 53, cidr)]
    fix_by_hand(ec2, estate)
    assert _rules(ec2, group, egress=False) == [("tcp", 53, 53, cidr), ("udp", 53, 53, cidr)]


def test_sg_not_attached_leaves_the_server_on_default_and_fix_attaches(ec2: Any) -> None:
    """RC7: the group built for the server admits 8443 from the client's group but is on no
    ENI; the server carries only the VPC's default group; the fix attaches both."""
    estate = build_estate(ec2, "sg-not-attached")
    unattached, default = estate.ids["unattached_sg"], estate.ids["default_sg"]
    group = ec2.describe_security_groups(GroupIds=[unattached])["SecurityGroups"][0]
    assert _tags(group)["Service"] == "inventory-api"
    assert _rules(ec2, unattached, egress=False) == [("tcp", 8443, 8443, estate.ids["client_sg"])]
    users = ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [unattached]}])[
        "NetworkInterfaces"
    ]
    assert users == []
    default_group = ec2.describe_security_groups(GroupIds=[default])["SecurityGroups"][0]
    assert default_group["GroupName"] == "default"
    assert _eni_groups(ec2, estate.ids["server_eni"]) == {default}
    assert estate.expected_component == default
    fix_by_hand(ec2, estate)
    assert _eni_groups(ec2, estate.ids["server_eni"]) == {default, unattached}


def test_rule_quota_is_full_refuses_a_61st_rule_and_fix_makes_room(ec2: Any) -> None:
    """RC8: the server group holds 60 inbound rules, none admitting the client; moto refuses
    a 61st with RulesPerSecurityGroupLimitExceeded; the fix revokes the rules another rule
    already covers and adds a rule for the client's group."""
    estate = build_estate(ec2, "rule-quota-exceeded")
    group, client_sg = estate.ids["server_sg"], estate.ids["client_sg"]
    ingress = _rules(ec2, group, egress=False)
    assert len(ingress) == 60
    client_ip = ipaddress.ip_address(
        ec2.describe_instances(InstanceIds=[estate.source])["Reservations"][0]["Instances"][0][
            "PrivateIpAddress"
        ]
    )
    assert all(not rule[3].startswith("sg-") for rule in ingress)
    assert not [r for r in ingress if client_ip in ipaddress.ip_network(r[3])]
    with pytest.raises(ClientError) as refused:
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "UserIdGroupPairs": [{"GroupId": client_sg}],
                }
            ],
        )
    assert refused.value.response["Error"]["Code"] == "RulesPerSecurityGroupLimitExceeded"
    assert len(_rules(ec2, group, egress=False)) == 60

    redundant = redundant_ingress_rules(ec2, group)
    assert len(redundant) == 14
    fix_by_hand(ec2, estate)
    after = _rules(ec2, group, egress=False)
    assert len(after) == 60 - len(redundant) + 1
    assert ("tcp", 443, 443, client_sg) in after
    # What was revoked was covered: everything the old rules admitted is still admitted.
    kept = [r for r in after if not r[3].startswith("sg-")]
    for proto, low, high, cidr in ingress:
        assert any(
            k[0] == proto
            and k[1] <= low
            and high <= k[2]
            and ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network(k[3]))  # type: ignore[arg-type]
            for k in kept
        )


def test_healthy_estate_has_matching_acl_and_fix_by_hand_changes_nothing(ec2: Any) -> None:
    """The control estate admits 443 from the client's group through an ACL that allows 443
    in and ephemeral ports out; fix_by_hand leaves it as it was."""
    estate = build_estate(ec2, HEALTHY)
    group, acl = estate.ids["server_sg"], estate.ids["network_acl"]
    assert _rules(ec2, group, egress=False) == [("tcp", 443, 443, estate.ids["client_sg"])]
    entries = _acl_entries(ec2, acl)
    assert (100, False, "6", "allow", (443, 443)) in entries
    assert (100, True, "6", "allow", (1024, 65535)) in entries
    fix_by_hand(ec2, estate)
    assert _rules(ec2, group, egress=False) == [("tcp", 443, 443, estate.ids["client_sg"])]
    assert _acl_entries(ec2, acl) == entries


def test_build_all_builds_nine_coexisting_estates(ec2: Any) -> None:
    """build_all builds the eight root causes and the healthy estate in one region, each in
    its own VPC with its own CIDR, and every one can then be fixed by hand."""
    estates = build_all(ec2)
    assert [e.root_cause for e in estates] == [*ROOT_CAUSES, HEALTHY]
    assert len({e.vpc_id for e in estates}) == len(estates) == 9
    vpcs = ec2.describe_vpcs(VpcIds=[e.vpc_id for e in estates])["Vpcs"]
    assert len({vpc["CidrBlock"] for vpc in vpcs}) == 9
    tagged = ec2.describe_vpcs(Filters=[{"Name": f"tag:{ESTATE_TAG}", "Values": ["*"]}])["Vpcs"]
    assert {vpc["VpcId"] for vpc in tagged} == {e.vpc_id for e in estates}
    for estate in estates:
        fix_by_hand(ec2, estate)
    quota = next(e for e in estates if e.root_cause == "rule-quota-exceeded")
    assert ("tcp", 443, 443, quota.ids["client_sg"]) in _rules(
        ec2, quota.ids["server_sg"], egress=False
    )


def test_build_estate_rejects_an_unknown_root_cause(ec2: Any) -> None:
    """An unknown root cause is bad input (exit 2) naming the known ones, and builds nothing."""
    before = len(ec2.describe_vpcs()["Vpcs"])
    with pytest.raises(BadInputError, match="wrong-port") as error:
        build_estate(ec2, "no-such-cause")
    assert error.value.exit_code == 2
    assert len(ec2.describe_vpcs()["Vpcs"]) == before


def test_estate_is_frozen_and_round_trips_as_json(ec2: Any) -> None:
    """A BuiltEstate cannot be changed after building and survives a JSON round trip (the
    example script and the demo print it)."""
    estate = build_estate(ec2, "wrong-protocol")
    with pytest.raises(ValueError, match="frozen"):
        estate.port = 54  # type: ignore[misc]
    assert BuiltEstate.model_validate_json(estate.model_dump_json()) == estate
