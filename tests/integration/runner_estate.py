"""A small estate on the moto server and a hand-built three-change plan for runner tests.

Two instances in one subnet: "shop" (group shop-sg) must reach "inventory" (group
inventory-sg) on tcp/8443, and inventory-sg has no inbound rule. The plan opens it with
three writes: two ingress rules on inventory-sg and one egress rule on shop-sg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netmend.aws.collector import collect_inventory
from netmend.aws.session import AwsClients
from netmend.model import SecurityGroup, SgRule
from netmend.model.rules import rule_permission
from netmend.reach.flow import make_flow
from netmend.run.plan import Change, ChangeKind, Plan

# One of the AMIs moto ships; named directly because listing them all is slow.
MOTO_IMAGE = "ami-03cf127a"

WRITE_PREFIXES = ("Authorize", "Revoke", "Create", "Delete", "Replace", "Modify")


@dataclass(frozen=True)
class Estate:
    vpc_id: str
    subnet_id: str
    shop_sg: str
    inventory_sg: str
    shop_instance: str
    inventory_instance: str
    shop_eni: str
    inventory_eni: str


def build_estate(ec2: Any) -> Estate:
    """VPC, subnet, two groups and two instances, built with boto3 directly."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    shop_sg = ec2.create_security_group(GroupName="shop-sg", Description="shop", VpcId=vpc)[
        "GroupId"
    ]
    inventory_sg = ec2.create_security_group(
        GroupName="inventory-sg", Description="inventory", VpcId=vpc
    )["GroupId"]
    image = MOTO_IMAGE

    def launch(group: str, name: str) -> tuple[str, str]:
        instance = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet,
            SecurityGroupIds=[group],
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ],
        )["Instances"][0]
        return instance["InstanceId"], instance["NetworkInterfaces"][0]["NetworkInterfaceId"]

    shop, shop_eni = launch(shop_sg, "shop")
    inventory, inventory_eni = launch(inventory_sg, "inventory")
    return Estate(vpc, subnet, shop_sg, inventory_sg, shop, inventory, shop_eni, inventory_eni)


def _authorize(before: SecurityGroup, rule: SgRule, kinds: tuple[ChangeKind, ...]) -> Change:
    api = "AuthorizeSecurityGroupEgress" if rule.egress else "AuthorizeSecurityGroupIngress"
    return Change(
        action="sg.authorize-egress" if rule.egress else "sg.authorize-ingress",
        api=api,
        resource=before.group_id,
        params={"GroupId": before.group_id, "IpPermissions": [rule_permission(rule)]},
        kinds=kinds,
        summary=f"{before.group_id}: allow {rule.protocol}/{rule.from_port} {rule.peer}",
        before=before,
        after=before.model_copy(update={"rules": (*before.rules, rule)}),
    )


def three_change_plan(
    clients: AwsClients, estate: Estate, *, ports: tuple[int, int, int] = (8443, 9443, 8443)
) -> Plan:
    """Plan: inventory-sg ingress from shop-sg on ports[0] and ports[1], shop-sg egress to
    inventory-sg on ports[2]; before/after states from an inventory collected now."""
    inventory = collect_inventory(clients, quotas=False)
    flow = make_flow(
        inventory, estate.shop_instance, estate.inventory_instance, protocol="tcp", port=8443
    )
    inv_sg = inventory.security_group(estate.inventory_sg)
    shop_sg = inventory.security_group(estate.shop_sg)
    assert inv_sg is not None
    assert shop_sg is not None

    def rule(group: str, port: int, peer: str, *, egress: bool) -> SgRule:
        return SgRule(
            group_id=group,
            egress=egress,
            protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_group_id=peer,
            description=f"netmend test {port}",
        )

    first = _authorize(
        inv_sg,
        rule(estate.inventory_sg, ports[0], estate.shop_sg, egress=False),
        (ChangeKind.ADDITION,),
    )
    assert isinstance(first.after, SecurityGroup)
    second = _authorize(
        first.after,
        rule(estate.inventory_sg, ports[1], estate.shop_sg, egress=False),
        (ChangeKind.ADDITION,),
    )
    third = _authorize(
        shop_sg,
        rule(estate.shop_sg, ports[2], estate.inventory_sg, egress=True),
        (ChangeKind.ADDITION,),
    )
    return Plan(
        flow=flow,
        playbooks=("missing-ingress",),
        changes=(first, second, third),
        change_id="CHG-1001",
        region=clients.region,
    )


class WriteCounter:
    """Counts the write calls a boto3 client sends (botocore before-call hooks)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-call.ec2", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        if model.name.startswith(WRITE_PREFIXES):
            self.calls.append(model.name)
