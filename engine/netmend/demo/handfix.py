"""The runbook's own fix for each demo estate, applied by hand through an EC2 client.

These are the seed runbook's ``aws ec2 ...`` commands translated to boto3 calls, with no
planning, snapshot or verification: the baseline netmend's playbooks are compared with,
and a way to check that a fixed estate diagnoses as reachable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING

from netmend.demo.built import HEALTHY, BuiltEstate
from netmend.demo.scaffold import permission
from netmend.errors import BadInputError

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import SecurityGroupRuleTypeDef

__all__ = ["fix_by_hand", "redundant_ingress_rules"]


def _port(estate: BuiltEstate) -> int:
    if estate.port is None:
        raise BadInputError(f"{estate.name}: the runbook's fix needs a port")
    return estate.port


def _fix_wrong_port(ec2: EC2Client, estate: BuiltEstate) -> None:
    """RC1: add the listening port, then remove the wrong one (8080)."""
    group, cidr = estate.ids["server_sg"], estate.ids["vpc_cidr"]
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[permission(estate.protocol, _port(estate), cidr=cidr)]
    )
    ec2.revoke_security_group_ingress(
        GroupId=group, IpPermissions=[permission("tcp", 8080, cidr=cidr)]
    )


def _fix_wrong_cidr(ec2: EC2Client, estate: BuiltEstate) -> None:
    """RC2: allow the whole VPC CIDR, then remove the too-narrow /24."""
    group, port = estate.ids["server_sg"], _port(estate)
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[permission("tcp", port, cidr=estate.ids["vpc_cidr"])]
    )
    ec2.revoke_security_group_ingress(
        GroupId=group, IpPermissions=[permission("tcp", port, cidr=estate.ids["server_cidr"])]
    )


def _fix_client_egress(ec2: EC2Client, estate: BuiltEstate) -> None:
    """RC3 and RC4: an outbound rule for the database port to the database subnet only."""
    ec2.authorize_security_group_egress(
        GroupId=estate.ids["client_sg"],
        IpPermissions=[permission("tcp", _port(estate), cidr=estate.ids["server_cidr"])],
    )


def _fix_nacl(ec2: EC2Client, estate: BuiltEstate) -> None:
    """RC5: inbound rule 110 for the port, outbound rule 100 for ephemeral return traffic.

    The outbound entry is skipped when rule 100 already exists in that direction (the
    estate already lets the return traffic out): ACL entries cannot be created twice.
    """
    acl, cidr = estate.ids["network_acl"], estate.ids["vpc_cidr"]
    existing = {
        (entry.get("RuleNumber"), entry.get("Egress"))
        for found in ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"]
        for entry in found.get("Entries", [])
    }
    port = _port(estate)
    wanted = [(110, False, (port, port)), (100, True, (1024, 65535))]
    for number, egress, (low, high) in wanted:
        if (number, egress) in existing:
            continue
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol="6",
            RuleAction="allow",
            Egress=egress,
            CidrBlock=cidr,
            PortRange={"From": low, "To": high},
        )


def _fix_wrong_protocol(ec2: EC2Client, estate: BuiltEstate) -> None:
    """RC6: open udp/53 from the VPC on the resolver's group.

    The runbook prints ``authorize-security-group-egress`` here, but the rule it shows is
    inbound and an egress rule would not admit the query: AWS wins, the rule is inbound.
    """
    ec2.authorize_security_group_ingress(
        GroupId=estate.ids["server_sg"],
        IpPermissions=[permission(estate.protocol, _port(estate), cidr=estate.ids["vpc_cidr"])],
    )


def _fix_sg_not_attached(ec2: EC2Client, estate: BuiltEstate) -> None:
    """RC7: set the ENI's groups to the forgotten group plus every group it has now."""
    eni_id = estate.ids["server_eni"]
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    current = [group["GroupId"] for group in eni.get("Groups", []) if "GroupId" in group]
    missing = estate.ids["unattached_sg"]
    wanted = [missing, *(group for group in current if group != missing)]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=wanted)


def _ingress_rules(ec2: EC2Client, group_id: str) -> list[SecurityGroupRuleTypeDef]:
    pages = ec2.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )
    return [
        rule
        for page in pages
        for rule in page.get("SecurityGroupRules", [])
        if not rule.get("IsEgress", False)
    ]


def _covers(outer: SecurityGroupRuleTypeDef, inner: SecurityGroupRuleTypeDef) -> bool:
    """Whether ``outer`` admits everything ``inner`` admits (IPv4 CIDR peers only)."""
    if outer.get("SecurityGroupRuleId") == inner.get("SecurityGroupRuleId"):
        return False
    if "CidrIpv4" not in outer or "CidrIpv4" not in inner:
        return False
    protocol = outer.get("IpProtocol")
    if protocol == "-1":
        services_ok = True
    elif protocol != inner.get("IpProtocol"):
        services_ok = False
    elif protocol in ("tcp", "udp"):
        services_ok = outer.get("FromPort", 0) <= inner.get("FromPort", 0) and inner.get(
            "ToPort", 0
        ) <= outer.get("ToPort", 0)
    else:  # ICMP type/code: -1 is "all", else it must be the same pair
        services_ok = (outer.get("FromPort"), outer.get("ToPort")) in (
            (-1, -1),
            (inner.get("FromPort"), inner.get("ToPort")),
        )
    inner_net = ipaddress.IPv4Network(inner["CidrIpv4"])
    return services_ok and inner_net.subnet_of(ipaddress.IPv4Network(outer["CidrIpv4"]))


def redundant_ingress_rules(ec2: EC2Client, group_id: str) -> list[str]:
    """Ids of inbound rules another rule of the same group already covers."""
    rules = _ingress_rules(ec2, group_id)
    return [
        inner["SecurityGroupRuleId"]
        for inner in rules
        if "SecurityGroupRuleId" in inner and any(_covers(outer, inner) for outer in rules)
    ]


def _fix_rule_quota(ec2: EC2Client, estate: BuiltEstate) -> None:
    """RC8: revoke the redundant rules, then add the one the flow needs (a group reference)."""
    group = estate.ids["server_sg"]
    stale = redundant_ingress_rules(ec2, group)
    if stale:
        ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=stale)
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            permission(
                estate.protocol,
                _port(estate),
                group_id=estate.ids["client_sg"],
                description="partner-batch jobs",
            )
        ],
    )


_FIXES: dict[str, Callable[[EC2Client, BuiltEstate], None]] = {
    "wrong-port": _fix_wrong_port,
    "wrong-cidr": _fix_wrong_cidr,
    "missing-egress": _fix_client_egress,
    "stateful-misunderstanding": _fix_client_egress,
    "nacl-override": _fix_nacl,
    "wrong-protocol": _fix_wrong_protocol,
    "sg-not-attached": _fix_sg_not_attached,
    "rule-quota-exceeded": _fix_rule_quota,
}


def fix_by_hand(ec2: EC2Client, estate: BuiltEstate) -> None:
    """Apply the runbook's fix for the estate's root cause (nothing for the healthy one)."""
    if estate.root_cause == HEALTHY:
        return
    fix = _FIXES.get(estate.root_cause)
    if fix is None:
        raise BadInputError(f"no hand fix for root cause {estate.root_cause!r}")
    fix(ec2, estate)
