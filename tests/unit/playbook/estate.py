"""A small hand-built estate for playbook tests: a client and a server in one VPC.

vpc-1 (10.0.0.0/16): subnet-a (10.0.1.0/24) holds i-client on eni-client (sg-client:
all traffic out); subnet-b (10.0.2.0/24) holds eni-server (sg-server: inbound ssh from
an admin range only, and sg-extra). Both subnets use acl-main, open both ways, and the
main route table's local route. tcp/8443 from the client to the server is blocked by
the server's groups, with no rule anywhere near it: the missing-ingress case.
"""

from __future__ import annotations

from typing import Any

from netmend.model import (
    AclEntry,
    Instance,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from netmend.playbook import StepContext

RUN_ID = "20250101T000000Z-abcdef12"


def acl_entry(number: int, action: str, *, egress: bool, **extra: Any) -> AclEntry:
    values: dict[str, Any] = {"protocol": "-1", "cidr": "0.0.0.0/0", **extra}
    return AclEntry(rule_number=number, egress=egress, rule_action=action, **values)


def sg_rule(group: str, index: int, *, egress: bool = False, **extra: Any) -> SgRule:
    return SgRule(group_id=group, egress=egress, rule_id=f"sgr-{group[3:]}{index}", **extra)


def build_inventory(
    *,
    server_rules: tuple[SgRule, ...] | None = None,
    server_groups: tuple[str, ...] = ("sg-server", "sg-extra"),
    acl_entries: tuple[AclEntry, ...] | None = None,
    rules_per_group: int = 60,
    groups_per_interface: int = 5,
) -> Inventory:
    """The estate above; keyword arguments replace the parts a test is about."""
    if server_rules is None:
        server_rules = (
            sg_rule(
                "sg-server",
                1,
                protocol="tcp",
                from_port=22,
                to_port=22,
                cidr_ipv4="192.168.50.0/24",
            ),
        )
    if acl_entries is None:
        acl_entries = (
            acl_entry(100, "allow", egress=False),
            acl_entry(32767, "deny", egress=False),
            acl_entry(100, "allow", egress=True),
            acl_entry(32767, "deny", egress=True),
        )
    groups = (
        SecurityGroup(
            group_id="sg-client",
            group_name="client",
            vpc_id="vpc-1",
            rules=(sg_rule("sg-client", 1, egress=True, protocol="-1", cidr_ipv4="0.0.0.0/0"),),
        ),
        SecurityGroup(
            group_id="sg-server", group_name="server", vpc_id="vpc-1", rules=server_rules
        ),
        SecurityGroup(group_id="sg-extra", group_name="extra", vpc_id="vpc-1"),
        SecurityGroup(group_id="sg-spare", group_name="spare", vpc_id="vpc-1"),
        SecurityGroup(group_id="sg-default", group_name="default", vpc_id="vpc-1"),
    )
    return Inventory(
        region="eu-west-1",
        vpcs=(Vpc(vpc_id="vpc-1", cidr_blocks=("10.0.0.0/16",)),),
        subnets=(
            Subnet(subnet_id="subnet-a", vpc_id="vpc-1", cidr_block="10.0.1.0/24"),
            Subnet(subnet_id="subnet-b", vpc_id="vpc-1", cidr_block="10.0.2.0/24"),
        ),
        route_tables=(
            RouteTable(
                route_table_id="rtb-main",
                vpc_id="vpc-1",
                is_main=True,
                routes=(
                    Route(
                        destination_cidr="10.0.0.0/16",
                        target_kind=RouteTargetKind.LOCAL,
                        target_id="local",
                    ),
                ),
            ),
        ),
        network_acls=(
            NetworkAcl(
                network_acl_id="acl-main",
                vpc_id="vpc-1",
                is_default=True,
                entries=acl_entries,
                subnet_ids=("subnet-a", "subnet-b"),
            ),
        ),
        security_groups=groups,
        network_interfaces=(
            NetworkInterface(
                network_interface_id="eni-client",
                subnet_id="subnet-a",
                vpc_id="vpc-1",
                private_ips=("10.0.1.10",),
                group_ids=("sg-client",),
                instance_id="i-client",
                attachment_status="attached",
                device_index=0,
            ),
            NetworkInterface(
                network_interface_id="eni-server",
                subnet_id="subnet-b",
                vpc_id="vpc-1",
                private_ips=("10.0.2.20",),
                group_ids=server_groups,
                attachment_status="attached",
            ),
        ),
        instances=(
            Instance(
                instance_id="i-client",
                vpc_id="vpc-1",
                subnet_id="subnet-a",
                private_ip="10.0.1.10",
                network_interface_ids=("eni-client",),
            ),
        ),
        quotas={
            "rules_per_security_group": rules_per_group,
            "security_groups_per_interface": groups_per_interface,
        },
    )


def with_resources(inventory: Inventory, *states: Any) -> Inventory:
    """The inventory with these resources (groups, ACLs, ENIs) replaced by new states."""
    data = inventory.model_dump()
    for state in states:
        if isinstance(state, SecurityGroup):
            key, field = "security_groups", "group_id"
        elif isinstance(state, NetworkAcl):
            key, field = "network_acls", "network_acl_id"
        else:
            key, field = "network_interfaces", "network_interface_id"
        data[key] = [
            state.model_dump() if item[field] == getattr(state, field) else item
            for item in data[key]
        ]
    return Inventory.model_validate(data)


def make_context(inventory: Inventory, **extra: Any) -> StepContext:
    values: dict[str, Any] = {"run_id": RUN_ID, "playbook_id": "test", "change_id": "CHG42"}
    values.update(extra)
    return StepContext(inventory=inventory, **values)
