"""restore_changes / differences: bringing a group, an ACL or an ENI back to its snapshot."""

from __future__ import annotations

import pytest

from netmend.model import AclEntry, NetworkAcl, NetworkInterface, SecurityGroup, SgRule
from netmend.run.restore import differences, restore_changes


def _rule(
    port: int,
    cidr: str = "10.0.0.0/16",
    *,
    rule_id: str | None = None,
    description: str | None = None,
    egress: bool = False,
) -> SgRule:
    return SgRule(
        group_id="sg-1",
        egress=egress,
        protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=cidr,
        rule_id=rule_id,
        description=description,
    )


def _group(*rules: SgRule, tags: dict[str, str] | None = None) -> SecurityGroup:
    return SecurityGroup(
        group_id="sg-1", group_name="web", vpc_id="vpc-1", rules=rules, tags=tags or {}
    )


def test_group_equal_when_only_rule_ids_and_descriptions_differ() -> None:
    """Rule ids change on re-create and descriptions do not decide traffic: still equal."""
    snapshot = _group(_rule(443, rule_id="sgr-old", description="web"))
    live = _group(_rule(443, rule_id="sgr-new"))
    assert differences(live, snapshot) == []
    assert restore_changes(live, snapshot) == []


def test_group_restore_revokes_extra_by_id_and_reauthorizes_missing() -> None:
    """Extra rules are revoked by their ids; missing ones come back with their description."""
    snapshot = _group(_rule(22, "10.9.0.0/16", description="bastion"), _rule(443))
    live = _group(
        _rule(443, rule_id="sgr-a"),
        _rule(8443, rule_id="sgr-b"),
        _rule(53, "10.0.0.2/32", rule_id="sgr-c", egress=True),
    )
    changes = restore_changes(live, snapshot)
    assert [(c.api, c.params) for c in changes] == [
        ("RevokeSecurityGroupIngress", {"GroupId": "sg-1", "SecurityGroupRuleIds": ["sgr-b"]}),
        ("RevokeSecurityGroupEgress", {"GroupId": "sg-1", "SecurityGroupRuleIds": ["sgr-c"]}),
        (
            "AuthorizeSecurityGroupIngress",
            {
                "GroupId": "sg-1",
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 22,
                        "ToPort": 22,
                        "IpRanges": [{"CidrIp": "10.9.0.0/16", "Description": "bastion"}],
                    }
                ],
            },
        ),
    ]
    assert all(c.resource == "sg-1" for c in changes)
    assert sorted(differences(live, snapshot)) == sorted(
        [
            "sg-1: inbound tcp 22 from 10.9.0.0/16 is missing",
            "sg-1: inbound tcp 8443 from 10.0.0.0/16 is extra",
            "sg-1: outbound tcp 53 to 10.0.0.2/32 is extra",
        ]
    )


def test_group_restore_without_rule_ids_revokes_by_permission() -> None:
    """A live rule read without an id is revoked by its exact permission instead."""
    live = _group(_rule(8443))
    (change,) = restore_changes(live, _group())
    assert change.params == {
        "GroupId": "sg-1",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 8443,
                "ToPort": 8443,
                "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            }
        ],
    }


def test_group_restore_of_group_reference_and_all_traffic() -> None:
    """Group-reference and all-traffic rules are re-authorized with the right shape."""
    snapshot = SecurityGroup(
        group_id="sg-1",
        group_name="web",
        rules=(
            SgRule(group_id="sg-1", egress=False, protocol="-1", referenced_group_id="sg-1"),
            SgRule(
                group_id="sg-1",
                egress=True,
                protocol="-1",
                from_port=-1,
                to_port=-1,
                cidr_ipv6="::/0",
            ),
        ),
    )
    changes = restore_changes(_group(), snapshot)
    assert [(c.api, c.params["IpPermissions"]) for c in changes] == [
        (
            "AuthorizeSecurityGroupIngress",
            [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}]}],
        ),
        (
            "AuthorizeSecurityGroupEgress",
            [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
        ),
    ]


def test_strict_differences_include_tags() -> None:
    """The drift check (strict) sees a tag change; the restore comparison does not."""
    live = _group(tags={"netmend:protected": "true"})
    assert differences(live, _group()) == []
    assert differences(live, _group(), strict=True) == [
        "sg-1: tags are {'netmend:protected': 'true'}, expected {}"
    ]


def _entry(
    number: int,
    *,
    action: str = "allow",
    port: int = 443,
    egress: bool = False,
    cidr: str = "10.0.0.0/16",
) -> AclEntry:
    return AclEntry(
        rule_number=number,
        egress=egress,
        protocol="6",
        rule_action=action,
        cidr=cidr,
        port_from=port,
        port_to=port,
    )


def _acl(*entries: AclEntry) -> NetworkAcl:
    return NetworkAcl(
        network_acl_id="acl-1", vpc_id="vpc-1", entries=entries, subnet_ids=("subnet-1",)
    )


def test_acl_restore_creates_replaces_and_deletes() -> None:
    """Missing entries are created, changed ones replaced, extra ones deleted."""
    snapshot = _acl(_entry(100), _entry(110, action="deny", port=22), _entry(100, egress=True))
    live = _acl(_entry(100, port=8443), _entry(90, port=3306), _entry(100, egress=True))
    changes = restore_changes(live, snapshot)
    assert [(c.api, c.params) for c in changes] == [
        (
            "ReplaceNetworkAclEntry",
            {
                "NetworkAclId": "acl-1",
                "RuleNumber": 100,
                "Protocol": "6",
                "RuleAction": "allow",
                "Egress": False,
                "CidrBlock": "10.0.0.0/16",
                "PortRange": {"From": 443, "To": 443},
            },
        ),
        (
            "CreateNetworkAclEntry",
            {
                "NetworkAclId": "acl-1",
                "RuleNumber": 110,
                "Protocol": "6",
                "RuleAction": "deny",
                "Egress": False,
                "CidrBlock": "10.0.0.0/16",
                "PortRange": {"From": 22, "To": 22},
            },
        ),
        ("DeleteNetworkAclEntry", {"NetworkAclId": "acl-1", "RuleNumber": 90, "Egress": False}),
    ]
    assert len(differences(live, snapshot)) == 3


def test_acl_default_entries_are_never_touched() -> None:
    """The "*" entries (32767/32768) are left alone even if only one side lists them."""
    default_deny = AclEntry(
        rule_number=32767, egress=False, protocol="-1", rule_action="deny", cidr="0.0.0.0/0"
    )
    live = _acl(_entry(100), default_deny)
    snapshot = _acl(_entry(100))
    assert restore_changes(live, snapshot) == []
    assert differences(live, snapshot) == []


def test_acl_ipv6_and_icmp_entries_keep_their_fields() -> None:
    """An IPv6 ICMP entry is re-created with Ipv6CidrBlock and IcmpTypeCode."""
    entry = AclEntry(
        rule_number=120,
        egress=True,
        protocol="58",
        rule_action="allow",
        cidr="::/0",
        icmp_type=128,
        icmp_code=-1,
    )
    (change,) = restore_changes(_acl(), _acl(entry))
    assert change.params == {
        "NetworkAclId": "acl-1",
        "RuleNumber": 120,
        "Protocol": "58",
        "RuleAction": "allow",
        "Egress": True,
        "Ipv6CidrBlock": "::/0",
        "IcmpTypeCode": {"Type": 128, "Code": -1},
    }


def _eni(*groups: str) -> NetworkInterface:
    return NetworkInterface(
        network_interface_id="eni-1",
        subnet_id="subnet-1",
        vpc_id="vpc-1",
        private_ips=("10.0.1.5",),
        group_ids=groups,
    )


def test_eni_restore_sets_the_snapshot_groups() -> None:
    """Different groups: one ModifyNetworkInterfaceAttribute with the snapshot's groups."""
    (change,) = restore_changes(_eni("sg-1", "sg-new"), _eni("sg-1", "sg-2"))
    assert change.api == "ModifyNetworkInterfaceAttribute"
    assert change.params == {"NetworkInterfaceId": "eni-1", "Groups": ["sg-1", "sg-2"]}


def test_eni_group_order_does_not_matter() -> None:
    """The same groups in another order are the same ENI state."""
    assert restore_changes(_eni("sg-2", "sg-1"), _eni("sg-1", "sg-2")) == []
    assert differences(_eni("sg-2", "sg-1"), _eni("sg-1", "sg-2")) == []


def test_restore_refuses_mismatched_resources() -> None:
    """A snapshot of one resource cannot restore another."""
    with pytest.raises(ValueError, match="cannot restore"):
        restore_changes(_eni("sg-1"), _group())


def test_gone_resource_is_a_difference() -> None:
    """A resource deleted since the snapshot is reported, not silently equal."""
    assert differences(None, _group()) == ["sg-1: no longer exists"]
