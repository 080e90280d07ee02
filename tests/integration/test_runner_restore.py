"""Writes and restores on a real moto server: idempotent calls, and restore_changes applied
to a group, an ACL and an ENI bring each back to its snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from runner_estate import build_estate

from netmend.aws.mutations import apply_change, read_resource, read_resources
from netmend.errors import AwsCallError, NetmendError
from netmend.model import NetworkAcl, NetworkInterface, SecurityGroup
from netmend.model.change import Change
from netmend.run.restore import differences, restore_changes

pytestmark = pytest.mark.integration


def _change(api: str, resource: str, params: dict[str, Any]) -> Change:
    return Change(action="test", api=api, resource=resource, params=params)


def _perm(port: int, cidr: str = "10.0.0.0/16", description: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"CidrIp": cidr}
    if description:
        item["Description"] = description
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [item]}


def test_authorize_twice_is_already_done(aws: Any) -> None:
    """A duplicate authorize counts as already done; the rule exists once."""
    estate = build_estate(aws.ec2)
    clients = aws.clients()
    change = _change(
        "AuthorizeSecurityGroupIngress",
        estate.shop_sg,
        {"GroupId": estate.shop_sg, "IpPermissions": [_perm(443)]},
    )
    first = apply_change(clients, change)
    assert first.status == "ok"
    assert len(first.created_rule_ids) == 1
    second = apply_change(clients, change)
    assert second.status == "already-done"
    assert second.code == "InvalidPermission.Duplicate"


def test_revoke_of_a_missing_rule_is_already_done(aws: Any) -> None:
    """Revoking a rule that is not there counts as done (by id or by permission)."""
    estate = build_estate(aws.ec2)
    clients = aws.clients()
    by_permission = _change(
        "RevokeSecurityGroupIngress",
        estate.shop_sg,
        {"GroupId": estate.shop_sg, "IpPermissions": [_perm(444)]},
    )
    assert apply_change(clients, by_permission).status == "already-done"
    created = apply_change(
        clients,
        _change(
            "AuthorizeSecurityGroupIngress",
            estate.shop_sg,
            {"GroupId": estate.shop_sg, "IpPermissions": [_perm(445)]},
        ),
    ).created_rule_ids
    by_id = _change(
        "RevokeSecurityGroupIngress",
        estate.shop_sg,
        {"GroupId": estate.shop_sg, "SecurityGroupRuleIds": list(created)},
    )
    assert apply_change(clients, by_id).status == "ok"
    assert apply_change(clients, by_id).status == "already-done"


def test_acl_entry_exists_done_only_if_identical(aws: Any) -> None:
    """NetworkAclEntryAlreadyExists is done for the same entry, an error for another."""
    estate = build_estate(aws.ec2)
    clients = aws.clients()
    acl = aws.ec2.create_network_acl(VpcId=estate.vpc_id)["NetworkAcl"]["NetworkAclId"]
    params = {
        "NetworkAclId": acl,
        "RuleNumber": 100,
        "Protocol": "6",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.0.0.0/16",
        "PortRange": {"From": 443, "To": 443},
    }
    assert apply_change(clients, _change("CreateNetworkAclEntry", acl, params)).status == "ok"
    same = apply_change(clients, _change("CreateNetworkAclEntry", acl, params))
    assert same.status == "already-done"
    other = params | {"RuleAction": "deny"}
    with pytest.raises(AwsCallError) as caught:
        apply_change(clients, _change("CreateNetworkAclEntry", acl, other))
    assert caught.value.code == "NetworkAclEntryAlreadyExists"


def test_unknown_write_api_is_refused_before_any_call(aws: Any) -> None:
    """Only the write calls netmend knows can be made (a describe or delete-group cannot)."""
    estate = build_estate(aws.ec2)
    with pytest.raises(NetmendError, match="not a write call"):
        apply_change(
            aws.clients(),
            _change("DeleteSecurityGroup", estate.shop_sg, {"GroupId": estate.shop_sg}),
        )
    assert read_resource(aws.clients(), estate.shop_sg) is not None


def test_read_resources_reads_each_kind_and_omits_gone_ones(aws: Any) -> None:
    """Groups, ACLs and ENIs are read by id; a deleted one is simply absent."""
    estate = build_estate(aws.ec2)
    acl = aws.ec2.create_network_acl(VpcId=estate.vpc_id)["NetworkAcl"]["NetworkAclId"]
    gone = aws.ec2.create_security_group(GroupName="gone", Description="x", VpcId=estate.vpc_id)[
        "GroupId"
    ]
    aws.ec2.delete_security_group(GroupId=gone)
    found = read_resources(aws.clients(), [estate.shop_sg, acl, estate.shop_eni, gone])
    assert isinstance(found[estate.shop_sg], SecurityGroup)
    assert isinstance(found[acl], NetworkAcl)
    assert isinstance(found[estate.shop_eni], NetworkInterface)
    assert gone not in found


def _restore(aws: Any, resource: str, snapshot: Any) -> None:
    clients = aws.clients()
    live = read_resource(clients, resource)
    assert live is not None
    assert differences(live, snapshot)  # there is something to restore
    for change in restore_changes(live, snapshot):
        apply_change(clients, change)
    assert differences(read_resource(clients, resource), snapshot) == []


def test_restore_security_group_on_aws(aws: Any) -> None:
    """Rules added and removed after the snapshot are undone; descriptions come back."""
    estate = build_estate(aws.ec2)
    aws.ec2.authorize_security_group_ingress(
        GroupId=estate.inventory_sg, IpPermissions=[_perm(22, description="bastion"), _perm(443)]
    )
    snapshot = read_resource(aws.clients(), estate.inventory_sg)
    assert isinstance(snapshot, SecurityGroup)
    aws.ec2.revoke_security_group_ingress(GroupId=estate.inventory_sg, IpPermissions=[_perm(22)])
    aws.ec2.authorize_security_group_ingress(
        GroupId=estate.inventory_sg, IpPermissions=[_perm(8443)]
    )
    aws.ec2.revoke_security_group_egress(
        GroupId=estate.inventory_sg,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    _restore(aws, estate.inventory_sg, snapshot)
    restored = read_resource(aws.clients(), estate.inventory_sg)
    assert isinstance(restored, SecurityGroup)
    assert {r.description for r in restored.ingress if r.from_port == 22} == {"bastion"}


def test_restore_network_acl_on_aws(aws: Any) -> None:
    """Entries created, replaced and deleted after the snapshot are put back."""
    estate = build_estate(aws.ec2)
    acl = aws.ec2.create_network_acl(VpcId=estate.vpc_id)["NetworkAcl"]["NetworkAclId"]

    def entry(number: int, action: str, port: int, egress: bool = False) -> None:
        aws.ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol="6",
            RuleAction=action,
            Egress=egress,
            CidrBlock="10.0.0.0/16",
            PortRange={"From": port, "To": port},
        )

    entry(100, "allow", 443)
    entry(110, "deny", 22)
    entry(100, "allow", 443, egress=True)
    snapshot = read_resource(aws.clients(), acl)
    aws.ec2.replace_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock="10.0.0.0/16",
        PortRange={"From": 443, "To": 443},
    )
    aws.ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=110, Egress=False)
    entry(90, "allow", 3306)
    _restore(aws, acl, snapshot)


def test_restore_eni_groups_on_aws(aws: Any) -> None:
    """An ENI whose groups were changed gets its snapshot groups back."""
    estate = build_estate(aws.ec2)
    snapshot = read_resource(aws.clients(), estate.shop_eni)
    aws.ec2.modify_network_interface_attribute(
        NetworkInterfaceId=estate.shop_eni, Groups=[estate.shop_sg, estate.inventory_sg]
    )
    _restore(aws, estate.shop_eni, snapshot)
