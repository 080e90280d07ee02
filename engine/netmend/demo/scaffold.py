"""Small helpers that create one demo estate's AWS resources through an EC2 client.

Every resource gets a ``Name`` tag and the ``netmend:demo-estate`` tag, so a person
browsing the account (or moto's dashboard) sees which story it belongs to. The client is
passed in: this package never imports boto3 (only ``netmend.aws`` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.literals import ResourceTypeType
    from mypy_boto3_ec2.type_defs import IpPermissionTypeDef, TagSpecificationTypeDef, TagTypeDef

__all__ = [
    "ESTATE_TAG",
    "Scaffold",
    "find_image",
    "permission",
]

ESTATE_TAG = "netmend:demo-estate"

# Amazon Linux 2 is what the runbook's hosts would run; moto ships this name pattern, and
# real AWS answers it too. Any Amazon image will do when the pattern finds nothing.
_IMAGE_NAME = "amzn2-ami-hvm-*-x86_64-gp2"


def permission(
    protocol: str,
    from_port: int,
    to_port: int | None = None,
    *,
    cidr: str | None = None,
    group_id: str | None = None,
    description: str | None = None,
) -> IpPermissionTypeDef:
    """One IpPermission with exactly one peer (a CIDR or a group), as the runbook writes them."""
    if (cidr is None) == (group_id is None):
        raise ValueError("give exactly one peer: cidr or group_id")
    perm: IpPermissionTypeDef = {
        "IpProtocol": protocol,
        "FromPort": from_port,
        "ToPort": from_port if to_port is None else to_port,
    }
    if cidr is not None:
        perm["IpRanges"] = (
            [{"CidrIp": cidr, "Description": description}] if description else [{"CidrIp": cidr}]
        )
    elif group_id is not None:
        perm["UserIdGroupPairs"] = (
            [{"GroupId": group_id, "Description": description}]
            if description
            else [{"GroupId": group_id}]
        )
    return perm


def find_image(ec2: EC2Client) -> str:
    """An Amazon Linux 2 image id in the client's region (the newest one)."""
    images = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": [_IMAGE_NAME]}]
    )["Images"]
    if not images:
        images = ec2.describe_images(Owners=["amazon"])["Images"]
    if not images:
        raise LookupError("no Amazon-owned image in this region to launch demo instances from")
    newest = max(images, key=lambda image: image.get("CreationDate", ""))
    return newest["ImageId"]


class Scaffold:
    """Creates the resources of one estate, tagged with its root cause."""

    def __init__(self, ec2: EC2Client, estate: str) -> None:
        self.ec2 = ec2
        self.estate = estate
        self._image_id: str | None = None

    def _tags(self, resource_type: ResourceTypeType, name: str) -> list[TagSpecificationTypeDef]:
        return [
            {
                "ResourceType": resource_type,
                "Tags": [{"Key": "Name", "Value": name}, {"Key": ESTATE_TAG, "Value": self.estate}],
            }
        ]

    def vpc(self, name: str, cidr: str) -> str:
        vpc = self.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=self._tags("vpc", name))
        return vpc["Vpc"]["VpcId"]

    def subnet(self, vpc_id: str, name: str, cidr: str) -> str:
        subnet = self.ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, TagSpecifications=self._tags("subnet", name)
        )
        return subnet["Subnet"]["SubnetId"]

    def route_table(self, vpc_id: str, name: str, subnet_ids: list[str]) -> str:
        """A route table (only the VPC's local route) explicitly associated with the subnets."""
        table = self.ec2.create_route_table(
            VpcId=vpc_id, TagSpecifications=self._tags("route-table", name)
        )["RouteTable"]["RouteTableId"]
        for subnet_id in subnet_ids:
            self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet_id)
        return table

    def group(
        self,
        vpc_id: str,
        name: str,
        description: str,
        *,
        open_egress: bool = True,
        extra_tags: dict[str, str] | None = None,
    ) -> str:
        """A security group; ``open_egress=False`` removes AWS's default allow-all egress."""
        tags = self._tags("security-group", name)
        extra: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in (extra_tags or {}).items()]
        tags[0]["Tags"] = [*tags[0].get("Tags", []), *extra]
        group_id = self.ec2.create_security_group(
            GroupName=name, Description=description, VpcId=vpc_id, TagSpecifications=tags
        )["GroupId"]
        if not open_egress:
            self.ec2.revoke_security_group_egress(
                GroupId=group_id,
                IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            )
        return group_id

    def ingress(self, group_id: str, *permissions: IpPermissionTypeDef) -> None:
        self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(permissions))

    def egress(self, group_id: str, *permissions: IpPermissionTypeDef) -> None:
        self.ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=list(permissions))

    def default_group(self, vpc_id: str) -> str:
        groups = self.ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        return groups[0]["GroupId"]

    def instance(
        self, name: str, subnet_id: str, group_ids: list[str], private_ip: str
    ) -> tuple[str, str]:
        """Launch one instance at a fixed private IP; returns (instance id, primary ENI id)."""
        if self._image_id is None:
            self._image_id = find_image(self.ec2)
        reservation = self.ec2.run_instances(
            ImageId=self._image_id,
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet_id,
            SecurityGroupIds=group_ids,
            PrivateIpAddress=private_ip,
            TagSpecifications=self._tags("instance", name),
        )
        instance = reservation["Instances"][0]
        return instance["InstanceId"], instance["NetworkInterfaces"][0]["NetworkInterfaceId"]

    def network_acl(self, vpc_id: str, name: str, subnet_id: str) -> str:
        """A custom network ACL (deny-all until entries are added), associated with the subnet."""
        acl_id = self.ec2.create_network_acl(
            VpcId=vpc_id, TagSpecifications=self._tags("network-acl", name)
        )["NetworkAcl"]["NetworkAclId"]
        current = self.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
        )["NetworkAcls"]
        association = next(
            assoc["NetworkAclAssociationId"]
            for acl in current
            for assoc in acl.get("Associations", [])
            if assoc.get("SubnetId") == subnet_id
        )
        self.ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)
        return acl_id

    def acl_entry(
        self,
        acl_id: str,
        rule_number: int,
        *,
        egress: bool,
        cidr: str,
        ports: tuple[int, int],
        protocol: str = "6",
        action: str = "allow",
    ) -> None:
        self.ec2.create_network_acl_entry(
            NetworkAclId=acl_id,
            RuleNumber=rule_number,
            Protocol=protocol,
            RuleAction="allow" if action == "allow" else "deny",
            Egress=egress,
            CidrBlock=cidr,
            PortRange={"From": ports[0], "To": ports[1]},
        )
