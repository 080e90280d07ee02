"""Describe-call items as AWS returns them (shapes from the EC2 API reference) turned
into the model, including what moto cannot produce: blackhole routes, ICMP type/code
on ACL entries, cross-VPC group references, transit gateways."""

from __future__ import annotations

from typing import Any

import pytest

from netmend.aws.parse import (
    parse_acl_entry,
    parse_instance,
    parse_internet_gateway,
    parse_network_interface,
    parse_peering_connection,
    parse_route,
    parse_route_table,
    parse_sg_rule,
    parse_vpc,
    route_target,
)
from netmend.model import AclRuleAction, RouteState, RouteTargetKind


@pytest.mark.parametrize(
    ("fields", "kind", "target"),
    [
        ({"GatewayId": "local"}, RouteTargetKind.LOCAL, None),
        ({"GatewayId": "igw-1"}, RouteTargetKind.INTERNET_GATEWAY, "igw-1"),
        (
            {"EgressOnlyInternetGatewayId": "eigw-1"},
            RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY,
            "eigw-1",
        ),
        ({"GatewayId": "vgw-1"}, RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY, "vgw-1"),
        ({"GatewayId": "vpce-1"}, RouteTargetKind.VPC_ENDPOINT, "vpce-1"),
        ({"NatGatewayId": "nat-1"}, RouteTargetKind.NAT_GATEWAY, "nat-1"),
        ({"TransitGatewayId": "tgw-1"}, RouteTargetKind.TRANSIT_GATEWAY, "tgw-1"),
        ({"VpcPeeringConnectionId": "pcx-1"}, RouteTargetKind.VPC_PEERING, "pcx-1"),
        ({"CarrierGatewayId": "cagw-1"}, RouteTargetKind.CARRIER_GATEWAY, "cagw-1"),
        ({"LocalGatewayId": "lgw-1"}, RouteTargetKind.LOCAL_GATEWAY, "lgw-1"),
        (
            {"CoreNetworkArn": "arn:aws:networkmanager::1:core-network/cn-1"},
            RouteTargetKind.CORE_NETWORK,
            "arn:aws:networkmanager::1:core-network/cn-1",
        ),
        ({"NetworkInterfaceId": "eni-1"}, RouteTargetKind.NETWORK_INTERFACE, "eni-1"),
        # A route to an instance is stored as a route to its ENI; AWS returns both.
        (
            {"InstanceId": "i-1", "InstanceOwnerId": "1", "NetworkInterfaceId": "eni-1"},
            RouteTargetKind.NETWORK_INTERFACE,
            "eni-1",
        ),
        ({"InstanceId": "i-1"}, RouteTargetKind.INSTANCE, "i-1"),
        ({}, RouteTargetKind.UNKNOWN, None),
    ],
)
def test_route_targets(fields: dict[str, Any], kind: RouteTargetKind, target: str | None) -> None:
    """Each route target field (or GatewayId prefix) maps to its RouteTargetKind and id."""
    assert route_target({"DestinationCidrBlock": "0.0.0.0/0", **fields}) == (kind, target)


def test_blackhole_route_and_prefix_list_destination() -> None:
    """State blackhole is kept; a prefix-list destination is the route's destination."""
    route = parse_route(
        {
            "DestinationPrefixListId": "pl-1",
            "NatGatewayId": "nat-gone",
            "State": "blackhole",
            "Origin": "CreateRoute",
        }
    )
    assert route.state is RouteState.BLACKHOLE
    assert route.destination == "pl-1"
    assert route.target_kind is RouteTargetKind.NAT_GATEWAY
    assert route.origin == "CreateRoute"


def test_route_table_associations() -> None:
    """Main flag and subnet associations count only while associated; a gateway (edge)
    association names no subnet."""
    table = parse_route_table(
        {
            "RouteTableId": "rtb-1",
            "VpcId": "vpc-1",
            "Associations": [
                {"Main": True, "AssociationState": {"State": "associated"}},
                {"SubnetId": "subnet-1", "AssociationState": {"State": "associated"}},
                {"SubnetId": "subnet-2", "AssociationState": {"State": "disassociated"}},
                {"GatewayId": "igw-1", "AssociationState": {"State": "associated"}},
            ],
            "Routes": [
                {
                    "DestinationIpv6CidrBlock": "::/0",
                    "EgressOnlyInternetGatewayId": "eigw-1",
                    "State": "active",
                },
            ],
            "Tags": [{"Key": "Name", "Value": "private"}],
        }
    )
    assert table.is_main
    assert table.subnet_ids == ("subnet-1",)
    assert table.routes[0].destination_ipv6_cidr == "::/0"
    assert table.routes[0].target_kind is RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY
    assert table.tags == {"Name": "private"}


def test_acl_entries() -> None:
    """ACL protocols arrive as numbers and become canonical names; ICMP type/code and
    IPv6 CIDRs are kept; CIDRs are canonicalised."""
    icmp = parse_acl_entry(
        {
            "RuleNumber": 110,
            "Protocol": "1",
            "RuleAction": "allow",
            "Egress": False,
            "CidrBlock": "10.0.1.7/24",
            "IcmpTypeCode": {"Type": 8, "Code": -1},
        }
    )
    assert (icmp.protocol, icmp.icmp_type, icmp.icmp_code, icmp.cidr) == (
        "icmp",
        8,
        -1,
        "10.0.1.0/24",
    )
    ipv6 = parse_acl_entry(
        {
            "RuleNumber": 120,
            "Protocol": "6",
            "RuleAction": "deny",
            "Egress": True,
            "Ipv6CidrBlock": "2001:db8::/32",
            "PortRange": {"From": 1024, "To": 65535},
        }
    )
    assert (ipv6.protocol, ipv6.rule_action, ipv6.cidr, ipv6.port_from, ipv6.port_to) == (
        "tcp",
        AclRuleAction.DENY,
        "2001:db8::/32",
        1024,
        65535,
    )
    assert ipv6.is_ipv6
    other = parse_acl_entry(
        {
            "RuleNumber": 32768,
            "Protocol": "-1",
            "RuleAction": "deny",
            "Egress": False,
            "Ipv6CidrBlock": "::/0",
        }
    )
    assert other.is_default_deny
    assert other.all_traffic


def test_sg_rule_with_cross_vpc_group_reference() -> None:
    """ReferencedGroupInfo fills the referenced group, account, VPC and peering status."""
    rule = parse_sg_rule(
        {
            "SecurityGroupRuleId": "sgr-1",
            "GroupId": "sg-1",
            "GroupOwnerId": "111122223333",
            "IsEgress": False,
            "IpProtocol": "tcp",
            "FromPort": 5432,
            "ToPort": 5432,
            "ReferencedGroupInfo": {
                "GroupId": "sg-9",
                "UserId": "444455556666",
                "VpcId": "vpc-9",
                "VpcPeeringConnectionId": "pcx-1",
                "PeeringStatus": "active",
            },
            "Description": "db from peer",
            "Tags": [{"Key": "owner", "Value": "data"}],
        }
    )
    assert rule.referenced_group_id == "sg-9"
    assert rule.referenced_user_id == "444455556666"
    assert rule.referenced_vpc_id == "vpc-9"
    assert rule.peering_status == "active"
    assert rule.description == "db from peer"
    assert rule.tags == {"owner": "data"}
    assert not rule.is_self_reference


@pytest.mark.parametrize(
    ("protocol", "ports", "expected"),
    [
        ("-1", (-1, -1), ("-1", None, None)),
        ("50", (-1, -1), ("50", None, None)),  # ESP: no ports, all of it admitted
        ("58", (-1, -1), ("icmpv6", -1, -1)),
        ("icmp", (3, 4), ("icmp", 3, 4)),
        ("tcp", (0, 65535), ("tcp", 0, 65535)),
    ],
)
def test_sg_rule_ports_only_where_the_protocol_has_them(
    protocol: str, ports: tuple[int, int], expected: tuple[Any, ...]
) -> None:
    """AWS reports -1/-1 for all traffic and portless protocols; those become None."""
    rule = parse_sg_rule(
        {
            "SecurityGroupRuleId": "sgr-1",
            "GroupId": "sg-1",
            "IsEgress": True,
            "IpProtocol": protocol,
            "FromPort": ports[0],
            "ToPort": ports[1],
            "CidrIpv6": "::/0",
        }
    )
    assert (rule.protocol, rule.from_port, rule.to_port) == expected


def test_network_interface() -> None:
    """The primary private IP comes first, tags come from TagSet, the public IP from the
    association; groups keep their order."""
    eni = parse_network_interface(
        {
            "NetworkInterfaceId": "eni-1",
            "SubnetId": "subnet-1",
            "VpcId": "vpc-1",
            "PrivateIpAddress": "10.0.1.10",
            "PrivateIpAddresses": [
                {"PrivateIpAddress": "10.0.1.11", "Primary": False},
                {"PrivateIpAddress": "10.0.1.10", "Primary": True},
            ],
            "Ipv6Addresses": [{"Ipv6Address": "2001:db8::10"}],
            "Association": {"PublicIp": "203.0.113.5"},
            "Groups": [{"GroupId": "sg-2", "GroupName": "b"}, {"GroupId": "sg-1"}],
            "Attachment": {"InstanceId": "i-1", "Status": "attached", "DeviceIndex": 0},
            "Status": "in-use",
            "InterfaceType": "interface",
            "SourceDestCheck": False,
            "TagSet": [{"Key": "Name", "Value": "web"}],
        }
    )
    assert eni.private_ips == ("10.0.1.10", "10.0.1.11")
    assert eni.ipv6_addresses == ("2001:db8::10",)
    assert eni.public_ip == "203.0.113.5"
    assert eni.group_ids == ("sg-2", "sg-1")
    assert (eni.instance_id, eni.attachment_status, eni.device_index) == ("i-1", "attached", 0)
    assert not eni.source_dest_check
    assert eni.tags == {"Name": "web"}


def test_detached_interface_has_no_instance() -> None:
    """A detached attachment no longer ties the ENI to an instance."""
    eni = parse_network_interface(
        {
            "NetworkInterfaceId": "eni-1",
            "SubnetId": "subnet-1",
            "VpcId": "vpc-1",
            "PrivateIpAddress": "10.0.1.10",
            "Status": "available",
            "Attachment": {"InstanceId": "i-gone", "Status": "detached", "DeviceIndex": 1},
        }
    )
    assert eni.instance_id is None
    assert eni.private_ips == ("10.0.1.10",)
    assert eni.status == "available"


def test_instance_lists_interfaces_by_device_index() -> None:
    """An instance's ENIs are ordered by device index, primary first."""
    instance = parse_instance(
        {
            "InstanceId": "i-1",
            "State": {"Code": 16, "Name": "running"},
            "VpcId": "vpc-1",
            "SubnetId": "subnet-1",
            "PrivateIpAddress": "10.0.1.10",
            "NetworkInterfaces": [
                {"NetworkInterfaceId": "eni-b", "Attachment": {"DeviceIndex": 1}},
                {"NetworkInterfaceId": "eni-a", "Attachment": {"DeviceIndex": 0}},
            ],
        }
    )
    assert instance.network_interface_ids == ("eni-a", "eni-b")
    assert instance.state == "running"


def test_vpc_keeps_associated_cidrs_primary_first() -> None:
    """Disassociated CIDR blocks are dropped; the primary block comes first."""
    vpc = parse_vpc(
        {
            "VpcId": "vpc-1",
            "CidrBlock": "10.0.0.0/16",
            "CidrBlockAssociationSet": [
                {"CidrBlock": "10.1.0.0/16", "CidrBlockState": {"State": "associated"}},
                {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
                {"CidrBlock": "10.2.0.0/16", "CidrBlockState": {"State": "disassociated"}},
            ],
            "Ipv6CidrBlockAssociationSet": [
                {"Ipv6CidrBlock": "2001:db8::/56", "Ipv6CidrBlockState": {"State": "associated"}},
            ],
            "IsDefault": False,
            "OwnerId": "111122223333",
        }
    )
    assert vpc.cidr_blocks == ("10.0.0.0/16", "10.1.0.0/16")
    assert vpc.ipv6_cidr_blocks == ("2001:db8::/56",)


def test_internet_gateway_counts_live_attachments() -> None:
    """Only available/attached attachments tie an IGW to a VPC."""
    igw = parse_internet_gateway(
        {
            "InternetGatewayId": "igw-1",
            "Attachments": [
                {"VpcId": "vpc-1", "State": "available"},
                {"VpcId": "vpc-2", "State": "detaching"},
            ],
        }
    )
    assert igw.vpc_ids == ("vpc-1",)


def test_peering_connection_cidrs() -> None:
    """Both sides' CIDR sets (IPv4 and IPv6) and the status code are read."""
    peering = parse_peering_connection(
        {
            "VpcPeeringConnectionId": "pcx-1",
            "RequesterVpcInfo": {
                "VpcId": "vpc-1",
                "CidrBlock": "10.0.0.0/16",
                "CidrBlockSet": [{"CidrBlock": "10.0.0.0/16"}, {"CidrBlock": "10.1.0.0/16"}],
            },
            "AccepterVpcInfo": {
                "VpcId": "vpc-2",
                "CidrBlock": "10.9.0.0/16",
                "Ipv6CidrBlockSet": [{"Ipv6CidrBlock": "2001:db8::/56"}],
            },
            "Status": {"Code": "pending-acceptance", "Message": "waiting"},
        }
    )
    assert peering.requester_cidr_blocks == ("10.0.0.0/16", "10.1.0.0/16")
    assert peering.accepter_cidr_blocks == ("10.9.0.0/16", "2001:db8::/56")
    assert peering.status == "pending-acceptance"
