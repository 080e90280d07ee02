"""Saved inventories: exact round trip, atomic replacement, one-line reasons on load."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from netmend.errors import InventoryFileError
from netmend.inventory_file import load_inventory, save_inventory
from netmend.model import (
    AclEntry,
    AclRuleAction,
    Instance,
    InternetGateway,
    Inventory,
    ManagedPrefixList,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    PrefixListEntry,
    Quotas,
    Route,
    RouteState,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    Subnet,
    TransitGatewayAttachment,
    Vpc,
    VpcPeeringConnection,
)


def _inventory() -> Inventory:
    return Inventory(
        account_id="111122223333",
        region="eu-west-1",
        collected_at=datetime(2026, 11, 22, 2, 30, 15, 123456, tzinfo=UTC),
        vpcs=(
            Vpc(
                vpc_id="vpc-1",
                cidr_blocks=("10.0.0.0/16",),
                ipv6_cidr_blocks=("2001:db8::/56",),
                tags={"Name": "shop"},
            ),
        ),
        subnets=(
            Subnet(
                subnet_id="subnet-1",
                vpc_id="vpc-1",
                cidr_block="10.0.1.0/24",
                availability_zone="eu-west-1a",
            ),
        ),
        route_tables=(
            RouteTable(
                route_table_id="rtb-1",
                vpc_id="vpc-1",
                is_main=True,
                routes=(
                    Route(destination_cidr="10.0.0.0/16", target_kind=RouteTargetKind.LOCAL),
                    Route(
                        destination_prefix_list_id="pl-1",
                        target_kind=RouteTargetKind.NAT_GATEWAY,
                        target_id="nat-1",
                        state=RouteState.BLACKHOLE,
                    ),
                ),
            ),
        ),
        network_acls=(
            NetworkAcl(
                network_acl_id="acl-1",
                vpc_id="vpc-1",
                is_default=True,
                subnet_ids=("subnet-1",),
                entries=(
                    AclEntry(
                        rule_number=100,
                        egress=False,
                        protocol="6",
                        rule_action=AclRuleAction.ALLOW,
                        cidr="10.0.0.0/16",
                        port_from=443,
                        port_to=443,
                    ),
                    AclEntry(
                        rule_number=110,
                        egress=False,
                        protocol="icmp",
                        rule_action=AclRuleAction.ALLOW,
                        cidr="::/0",
                        icmp_type=8,
                        icmp_code=-1,
                    ),
                ),
            ),
        ),
        security_groups=(
            SecurityGroup(
                group_id="sg-1",
                group_name="web",
                vpc_id="vpc-1",
                owner_id="111122223333",
                rules=(
                    SgRule(
                        group_id="sg-1",
                        egress=False,
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        rule_id="sgr-1",
                        cidr_ipv4="10.0.0.0/16",
                        description="inside",
                    ),
                    SgRule(
                        group_id="sg-1",
                        egress=False,
                        protocol="-1",
                        rule_id="sgr-2",
                        referenced_group_id="sg-1",
                        referenced_user_id="111122223333",
                    ),
                    SgRule(
                        group_id="sg-1",
                        egress=True,
                        protocol="tcp",
                        from_port=22,
                        to_port=22,
                        rule_id="sgr-3",
                        prefix_list_id="pl-1",
                        tags={"k": "v"},
                    ),
                ),
            ),
        ),
        network_interfaces=(
            NetworkInterface(
                network_interface_id="eni-1",
                subnet_id="subnet-1",
                vpc_id="vpc-1",
                private_ips=("10.0.1.10",),
                group_ids=("sg-1",),
                instance_id="i-1",
                device_index=0,
            ),
        ),
        instances=(
            Instance(
                instance_id="i-1",
                vpc_id="vpc-1",
                subnet_id="subnet-1",
                private_ip="10.0.1.10",
                network_interface_ids=("eni-1",),
            ),
        ),
        prefix_lists=(
            ManagedPrefixList(
                prefix_list_id="pl-1",
                prefix_list_name="office",
                max_entries=5,
                entries=(PrefixListEntry(cidr="192.168.0.0/24"),),
            ),
        ),
        internet_gateways=(InternetGateway(internet_gateway_id="igw-1", vpc_ids=("vpc-1",)),),
        nat_gateways=(
            NatGateway(
                nat_gateway_id="nat-1",
                vpc_id="vpc-1",
                subnet_id="subnet-1",
                private_ips=("10.0.1.5",),
            ),
        ),
        peering_connections=(
            VpcPeeringConnection(
                vpc_peering_connection_id="pcx-1", requester_vpc_id="vpc-1", accepter_vpc_id="vpc-2"
            ),
        ),
        transit_gateway_attachments=(
            TransitGatewayAttachment(
                transit_gateway_attachment_id="tgw-attach-1",
                transit_gateway_id="tgw-1",
                resource_id="vpc-1",
            ),
        ),
        quotas=Quotas(rules_per_security_group=100, source="service-quotas"),
    )


def _saved(tmp_path: Path) -> dict[str, Any]:
    path = save_inventory(_inventory(), tmp_path / "inventory.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    return path


def test_round_trip_is_exact(tmp_path: Path) -> None:
    """Every kind of resource, enum, tuple and the UTC timestamp load back equal, and the
    loaded inventory's lookups work."""
    original = _inventory()
    loaded = load_inventory(save_inventory(original, tmp_path / "inventory.json"))
    assert loaded == original
    assert loaded.collected_at == original.collected_at
    assert loaded.acl_of_subnet("subnet-1") == original.network_acls[0]
    assert loaded.eni_by_private_ip("10.0.1.10") == original.network_interfaces[0]


def test_save_replaces_atomically(tmp_path: Path) -> None:
    """Saving over a file replaces it whole and leaves no temporary file behind."""
    path = tmp_path / "inventory.json"
    path.write_text("old contents")
    save_inventory(_inventory(), path)
    assert json.loads(path.read_text())["region"] == "eu-west-1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.json"]


def test_save_to_an_impossible_place(tmp_path: Path) -> None:
    """A path under a regular file cannot be written: InventoryFileError, one line."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InventoryFileError, match=r"^cannot write inventory .*file/inv\.json"):
        save_inventory(_inventory(), blocker / "inv.json")


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a bad input (exit 2) naming the file and how to make one."""
    with pytest.raises(InventoryFileError, match="not found; make one with") as caught:
        load_inventory(tmp_path / "absent.json")
    assert caught.value.exit_code == 2


def test_bad_json(tmp_path: Path) -> None:
    """Malformed JSON says where it broke."""
    path = tmp_path / "broken.json"
    path.write_text('{"region": "eu-west-1",\n  "vpcs": [}')
    with pytest.raises(InventoryFileError, match=r"is not valid JSON: .* line 2 column"):
        load_inventory(path)


def test_not_an_object(tmp_path: Path) -> None:
    """A JSON document that is not an object is refused."""
    with pytest.raises(InventoryFileError, match="does not hold a JSON object"):
        load_inventory(_write(tmp_path, [1, 2]))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (
            lambda d: d["security_groups"][0]["rules"][0].update(protocol="bogus"),
            "security_groups.0.rules.0.protocol",
        ),
        (lambda d: d.pop("region"), "region"),
        (
            lambda d: d["network_acls"][0]["entries"][1].update(rule_number=70000),
            "network_acls.0.entries.1.rule_number",
        ),
        (lambda d: d["vpcs"][0].update(colour="blue"), "vpcs.0.colour"),
        (
            lambda d: d["route_tables"][0]["routes"][0].update(target_kind="teleport"),
            "route_tables.0.routes.0.target_kind",
        ),
    ],
)
def test_schema_mismatch_names_the_field(tmp_path: Path, edit: Any, field: str) -> None:
    """A file that does not fit the model says which field is wrong, in one line."""
    data = _saved(tmp_path)
    edit(data)
    with pytest.raises(InventoryFileError) as caught:
        load_inventory(_write(tmp_path, data))
    message = str(caught.value)
    assert f"does not match the model: field {field}:" in message
    assert "\n" not in message


def test_other_schema_version(tmp_path: Path) -> None:
    """A file from another schema version is refused with both versions named."""
    data = _saved(tmp_path)
    data["schema_version"] = 99
    expected = r"schema version 99; this netmend reads version 1"
    with pytest.raises(InventoryFileError, match=expected):
        load_inventory(_write(tmp_path, data))
