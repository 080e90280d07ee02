"""Estates for ``netmend scan`` on the moto server: one per hygiene problem, and a clean one.

Each ``plant_*`` builds one problem in its own VPC with boto3 directly and returns the
findings the scan must report for it, as (playbook, resource) pairs. ``tidy_account``
closes the default groups moto gives every VPC (including its default VPC), so a clean
estate has nothing to report; every group a builder makes is attached to an instance
(or referenced), so no problem shows up as an unused group by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.runner_estate import MOTO_IMAGE

Expected = set[tuple[str, str]]


@dataclass
class Net:
    ec2: Any
    vpc: str
    subnet: str
    cidr: str


def new_net(ec2: Any, second_octet: int) -> Net:
    cidr = f"10.{second_octet}.0.0/16"
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.1.0/24")["Subnet"][
        "SubnetId"
    ]
    return Net(ec2, vpc, subnet, cidr)


def group(net: Net, name: str, *, keep_egress: bool = True) -> str:
    group_id = net.ec2.create_security_group(GroupName=name, Description=name, VpcId=net.vpc)[
        "GroupId"
    ]
    if not keep_egress:
        net.ec2.revoke_security_group_egress(
            GroupId=group_id,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
    return str(group_id)


def allow_in(net: Net, group_id: str, port: int | tuple[int, int], peer: str) -> str:
    low, high = (port, port) if isinstance(port, int) else port
    permission: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": low, "ToPort": high}
    if peer.startswith("sg-"):
        permission["UserIdGroupPairs"] = [{"GroupId": peer}]
    elif ":" in peer:
        permission["Ipv6Ranges"] = [{"CidrIpv6": peer}]
    else:
        permission["IpRanges"] = [{"CidrIp": peer}]
    answer = net.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
    return str(answer["SecurityGroupRules"][0]["SecurityGroupRuleId"])


def launch(net: Net, *groups: str, public: bool = False) -> tuple[str, str]:
    """(instance id, primary ENI id) of a new instance in the net's subnet."""
    if public:
        spec = {
            "NetworkInterfaces": [
                {
                    "DeviceIndex": 0,
                    "SubnetId": net.subnet,
                    "Groups": list(groups),
                    "AssociatePublicIpAddress": True,
                }
            ]
        }
    else:
        spec = {"SubnetId": net.subnet, "SecurityGroupIds": list(groups)}
    instance = net.ec2.run_instances(ImageId=MOTO_IMAGE, MinCount=1, MaxCount=1, **spec)[
        "Instances"
    ][0]
    return str(instance["InstanceId"]), str(instance["NetworkInterfaces"][0]["NetworkInterfaceId"])


def internet_route(net: Net) -> None:
    igw = net.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    net.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
    table = net.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [net.vpc]}])[
        "RouteTables"
    ][0]["RouteTableId"]
    net.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)


def default_group(ec2: Any, vpc: str) -> str:
    return str(
        ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"][0]["GroupId"]
    )


def close_default_group(ec2: Any, vpc: str) -> None:
    group_id = default_group(ec2, vpc)
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    for rule in rules["SecurityGroupRules"]:
        revoke = (
            ec2.revoke_security_group_egress
            if rule["IsEgress"]
            else (ec2.revoke_security_group_ingress)
        )
        revoke(GroupId=group_id, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])


def tidy_account(ec2: Any, expected: Expected = frozenset()) -> None:
    """Close every VPC's default group, but those ``expected`` reports: what a clean
    account does (moto gives every VPC, its default VPC too, AWS's default rules)."""
    keep = {resource for playbook, resource in expected if playbook == "default-sg-in-use"}
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        if default_group(ec2, vpc["VpcId"]) not in keep:
            close_default_group(ec2, vpc["VpcId"])


# -- one problem each ----------------------------------------------------------------


def plant_world_open(ec2: Any) -> Expected:
    """SSH open to the world on a public instance behind an IGW (exposed) and on a
    private one (open in rules only)."""
    net = new_net(ec2, 11)
    internet_route(net)
    exposed = group(net, "bastion")
    exposed_rule = allow_in(net, exposed, 22, "0.0.0.0/0")
    _, exposed_eni = launch(net, exposed, public=True)
    private = group(net, "db")
    private_rule = allow_in(net, private, 5432, "0.0.0.0/0")
    _, private_eni = launch(net, private)
    # Seed 002: a world-open inbound rule beside AWS's all-traffic egress rule is
    # untracked, so the interfaces are reported by untracked-flow as well.
    return {
        ("world-open-sensitive-port", exposed_rule),
        ("world-open-sensitive-port", private_rule),
        ("untracked-flow", exposed_eni),
        ("untracked-flow", private_eni),
    }


def plant_default_group(ec2: Any) -> Expected:
    """An instance launched into the VPC's default group (its rules left as AWS made
    them), and a VPC with no interface whose default group keeps its rules (low)."""
    net = new_net(ec2, 12)
    launch(net, default_group(ec2, net.vpc))
    empty = new_net(ec2, 23)
    return {
        ("default-sg-in-use", default_group(ec2, net.vpc)),
        ("default-sg-in-use", default_group(ec2, empty.vpc)),
    }


def plant_unused_group(ec2: Any) -> Expected:
    net = new_net(ec2, 13)
    unused = group(net, "leftover")
    allow_in(net, unused, 443, net.cidr)
    return {("unused-security-group", unused)}


def plant_stale_reference(ec2: Any) -> Expected:
    """A rule referencing a group that was deleted afterwards (moto lets it be deleted)."""
    net = new_net(ec2, 14)
    app = group(net, "app")
    gone = group(net, "old-lb")
    rule = allow_in(net, app, 8080, gone)
    ec2.delete_security_group(GroupId=gone)
    launch(net, app)
    return {("stale-reference", rule)}


def plant_missing_self_reference(ec2: Any) -> Expected:
    """Two cluster members served on 7000 to the clients' group but not to each other."""
    net = new_net(ec2, 15)
    clients = group(net, "cluster-clients")
    cluster = group(net, "cluster")
    allow_in(net, cluster, 7000, clients)
    launch(net, cluster)
    launch(net, cluster)
    launch(net, clients)
    return {("missing-self-reference", cluster)}


def plant_redundant_rule(ec2: Any) -> Expected:
    net = new_net(ec2, 16)
    web = group(net, "web")
    allow_in(net, web, 443, "10.16.0.0/16")
    allow_in(net, web, 443, "10.16.1.25/32")
    launch(net, web)
    return {("redundant-rule", web)}


def plant_stateless_rules(ec2: Any) -> Expected:
    net = new_net(ec2, 17)
    client = group(net, "batch-client")
    allow_in(net, client, (1024, 65535), "10.17.0.0/16")
    launch(net, client)
    return {("stateless-rules", client)}


def plant_nacl_blocks_return(ec2: Any) -> Expected:
    """A custom ACL: https in from anywhere, replies out only to Linux's range."""
    net = new_net(ec2, 18)
    acl = ec2.create_network_acl(VpcId=net.vpc)["NetworkAcl"]["NetworkAclId"]
    for egress, ports in ((False, (443, 443)), (True, (32768, 60999))):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": ports[0], "To": ports[1]},
        )
    association = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [net.subnet]}]
    )["NetworkAcls"][0]["Associations"]
    current = next(a for a in association if a["SubnetId"] == net.subnet)
    ec2.replace_network_acl_association(
        AssociationId=current["NetworkAclAssociationId"], NetworkAclId=acl
    )
    return {("nacl-blocks-return", str(acl))}


def plant_rule_quota_near_limit(ec2: Any) -> Expected:
    """50 inbound IPv4 rules in one group (the default quota is 60: 83%)."""
    net = new_net(ec2, 19)
    busy = group(net, "partners")
    permissions = [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "IpRanges": [{"CidrIp": f"192.0.{i}.0/24"} for i in range(50)],
        }
    ]
    ec2.authorize_security_group_ingress(GroupId=busy, IpPermissions=permissions)
    launch(net, busy)
    return {("rule-quota-near-limit", busy)}


def plant_ssm_egress_blocked(ec2: Any) -> Expected:
    """An instance whose only group has no outbound rule at all."""
    net = new_net(ec2, 20)
    sealed = group(net, "sealed", keep_egress=False)
    allow_in(net, sealed, 443, net.cidr)
    instance, _ = launch(net, sealed)
    return {("ssm-egress-blocked", instance)}


def plant_untracked_flow(ec2: Any) -> Expected:
    """All traffic from 0.0.0.0/0 in, and AWS's all-traffic egress out: untracked. The same
    inbound rule opens SSH to the world, which world-open-sensitive-port reports too."""
    net = new_net(ec2, 21)
    wide = group(net, "wide-open")
    answer = ec2.authorize_security_group_ingress(
        GroupId=wide, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    rule = str(answer["SecurityGroupRules"][0]["SecurityGroupRuleId"])
    _, eni = launch(net, wide)
    return {("untracked-flow", eni), ("world-open-sensitive-port", rule)}


def plant_conntrack(ec2: Any, cloudwatch: Any, *, rising: bool = True) -> Expected:
    """The CloudWatch agent's ethtool metric for one instance, rising (or flat)."""
    net = new_net(ec2, 22)
    quiet = group(net, "streaming")
    allow_in(net, quiet, 443, net.cidr)
    instance, _ = launch(net, quiet)
    now = datetime.now(UTC)
    for minutes, value in ((40, 100.0), (10, 142.0 if rising else 100.0)):
        cloudwatch.put_metric_data(
            Namespace="CWAgent",
            MetricData=[
                {
                    "MetricName": "ethtool_conntrack_allowance_exceeded",
                    "Dimensions": [
                        {"Name": "InstanceId", "Value": instance},
                        {"Name": "driver", "Value": "ena"},
                        {"Name": "interface", "Value": "eth0"},
                    ],
                    "Timestamp": now - timedelta(minutes=minutes),
                    "Value": value,
                }
            ],
        )
    return {("conntrack-allowance-exceeded", instance)} if rising else set()


def plant_clean(ec2: Any) -> Expected:
    """A tidy two-tier VPC: a web group served to the VPC, an app group served to the web
    group, a self-reference where members talk, no world-open port, egress to 443."""
    net = new_net(ec2, 30)
    web = group(net, "web")
    app = group(net, "app")
    allow_in(net, web, 443, net.cidr)
    allow_in(net, app, 8080, web)
    allow_in(net, app, 8080, app)
    launch(net, web)
    launch(net, app)
    launch(net, app)
    return set()


PLANTERS: dict[str, Callable[[Any], Expected]] = {
    "world-open-sensitive-port": plant_world_open,
    "default-sg-in-use": plant_default_group,
    "unused-security-group": plant_unused_group,
    "stale-reference": plant_stale_reference,
    "missing-self-reference": plant_missing_self_reference,
    "redundant-rule": plant_redundant_rule,
    "stateless-rules": plant_stateless_rules,
    "nacl-blocks-return": plant_nacl_blocks_return,
    "rule-quota-near-limit": plant_rule_quota_near_limit,
    "ssm-egress-blocked": plant_ssm_egress_blocked,
    "untracked-flow": plant_untracked_flow,
}
