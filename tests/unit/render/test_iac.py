"""Terraform and CloudFormation renderings: added items as resources, removed ones as comments."""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML

from netmend.model import AclEntry, NetworkAcl, NetworkInterface, SecurityGroup, SgRule
from netmend.render.diff import plan_to_cloudformation, plan_to_terraform, plan_to_text
from netmend.run.plan import Change, ChangeKind, Plan

RUN_ID = "20250101T000000Z-0badc0de"

SSH = SgRule(
    group_id="sg-1",
    egress=False,
    protocol="tcp",
    from_port=22,
    to_port=22,
    cidr_ipv4="10.0.0.0/16",
    rule_id="sgr-22",
)
OLD_8080 = SgRule(
    group_id="sg-1",
    egress=False,
    protocol="tcp",
    from_port=8080,
    to_port=8080,
    cidr_ipv4="10.0.0.0/16",
    rule_id="sgr-8080",
)
NEW_8443 = SgRule(
    group_id="sg-1",
    egress=False,
    protocol="tcp",
    from_port=8443,
    to_port=8443,
    referenced_group_id="sg-2",
    description="shop to inventory",
)
NEW_EGRESS_PL = SgRule(group_id="sg-1", egress=True, protocol="-1", prefix_list_id="pl-123")
NEW_EGRESS_V6 = SgRule(
    group_id="sg-1",
    egress=True,
    protocol="tcp",
    from_port=443,
    to_port=443,
    cidr_ipv6="2001:db8::/64",
)


def _sg(*rules: SgRule) -> SecurityGroup:
    return SecurityGroup(
        group_id="sg-1", group_name="inventory", owner_id="111122223333", rules=rules
    )


def _sg_change(before: SecurityGroup, after: SecurityGroup) -> Change:
    # The IaC renderings read the states, not the params: any params will do here.
    return Change(
        action="t",
        api="AuthorizeSecurityGroupIngress",
        resource="sg-1",
        params={"GroupId": "sg-1"},
        before=before,
        after=after,
    )


def _sg_plan() -> Plan:
    """Adds 8443 from sg-2, all traffic out to a prefix list and IPv6 443 out; drops 8080."""
    before = _sg(SSH, OLD_8080)
    after = _sg(NEW_EGRESS_V6, SSH, NEW_8443, NEW_EGRESS_PL)
    return Plan(run_id=RUN_ID, changes=(_sg_change(before, after),))


DENY_100 = AclEntry(
    rule_number=100,
    egress=False,
    protocol="6",
    rule_action="deny",
    cidr="10.0.1.0/24",
    port_from=8443,
    port_to=8443,
)
ALLOW_90 = AclEntry(
    rule_number=90,
    egress=False,
    protocol="6",
    rule_action="allow",
    cidr="10.0.1.0/24",
    port_from=8443,
    port_to=8443,
)
ICMP_OUT = AclEntry(
    rule_number=110,
    egress=True,
    protocol="1",
    rule_action="allow",
    cidr="10.0.0.0/16",
    icmp_type=0,
    icmp_code=-1,
)
OLD_OUT = AclEntry(
    rule_number=120,
    egress=True,
    protocol="17",
    rule_action="allow",
    cidr="10.0.0.0/16",
    port_from=53,
    port_to=53,
)


def _acl_plan() -> Plan:
    before = NetworkAcl(network_acl_id="acl-1", vpc_id="vpc-1", entries=(DENY_100, OLD_OUT))
    after = before.model_copy(update={"entries": (ALLOW_90, DENY_100, ICMP_OUT)})
    change = Change(
        action="t",
        api="CreateNetworkAclEntry",
        resource="acl-1",
        params={"NetworkAclId": "acl-1"},
        kinds=(ChangeKind.DENY_OVERRIDE,),
        before=before,
        after=after,
    )
    return Plan(run_id=RUN_ID, changes=(change,))


def _eni_and_quota_plan() -> Plan:
    eni = NetworkInterface(
        network_interface_id="eni-1",
        subnet_id="subnet-1",
        vpc_id="vpc-1",
        private_ips=("10.0.1.5",),
        group_ids=("sg-keep", "sg-old"),
    )
    groups = Change(
        action="t",
        api="ModifyNetworkInterfaceAttribute",
        resource="eni-1",
        params={"NetworkInterfaceId": "eni-1", "Groups": ["sg-keep", "sg-new"]},
        before=eni,
        after=eni.model_copy(update={"group_ids": ("sg-keep", "sg-new")}),
    )
    quota = Change(
        action="t",
        api="RequestServiceQuotaIncrease",
        service="service-quotas",
        resource="L-0EA8095F",
        params={"ServiceCode": "vpc", "QuotaCode": "L-0EA8095F", "DesiredValue": 120},
    )
    return Plan(run_id=RUN_ID, changes=(groups, quota))


def _blocks(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """Uncommented Terraform resource blocks as {(type, name): {attribute: raw value}}."""
    blocks: dict[tuple[str, str], dict[str, str]] = {}
    for match in re.finditer(r'^resource "([^"]+)" "([^"]+)" \{\n(.*?)^\}', text, re.M | re.S):
        body = {}
        for line in match.group(3).splitlines():
            key, _, value = line.partition("=")
            body[key.strip()] = value.split(" #")[0].strip()
        blocks[(match.group(1), match.group(2))] = body
    return blocks


def _cfn(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe", pure=True).load(text)
    return loaded


# --- Terraform --------------------------------------------------------------------------


def test_terraform_emits_added_rules_only() -> None:
    """Three added rules become three v5 rule resources; the kept and removed ones do not."""
    text = plan_to_terraform(_sg_plan())
    blocks = _blocks(text)
    assert len(blocks) == 3
    assert text.count('resource "') == 3
    ingress = [b for (k, _), b in blocks.items() if k == "aws_vpc_security_group_ingress_rule"]
    assert ingress == [
        {
            "security_group_id": '"sg-1"',
            "ip_protocol": '"tcp"',
            "from_port": "8443",
            "to_port": "8443",
            "referenced_security_group_id": '"sg-2"',
            "description": '"shop to inventory"',
        }
    ]
    egress = [b for (k, _), b in blocks.items() if k == "aws_vpc_security_group_egress_rule"]
    assert {
        "security_group_id": '"sg-1"',
        "ip_protocol": '"-1"',
        "prefix_list_id": '"pl-123"',
    } in egress
    assert {
        "security_group_id": '"sg-1"',
        "ip_protocol": '"tcp"',
        "from_port": "443",
        "to_port": "443",
        "cidr_ipv6": '"2001:db8::/64"',
    } in egress
    assert "10.0.0.0/16" not in "".join(str(b) for b in blocks.values())


def test_terraform_lists_removed_rules_in_comments() -> None:
    """A removed rule is named by its rule id in a comment, never as a resource."""
    text = plan_to_terraform(_sg_plan())
    removal = [line for line in text.splitlines() if "sgr-8080" in line]
    assert removal == [
        "#   remove the resource that manages sgr-8080: inbound tcp 8080 from 10.0.0.0/16"
    ]
    assert "sgr-22" not in text


def test_terraform_acl_rules_and_replaced_entries() -> None:
    """New ACL entries become aws_network_acl_rule (ports or ICMP); the dropped one a comment."""
    text = plan_to_terraform(_acl_plan())
    blocks = _blocks(text)
    assert blocks[("aws_network_acl_rule", "acl_1_ingress_90")] == {
        "network_acl_id": '"acl-1"',
        "rule_number": "90",
        "egress": "false",
        "protocol": '"6"',
        "rule_action": '"allow"',
        "cidr_block": '"10.0.1.0/24"',
        "from_port": "8443",
        "to_port": "8443",
    }
    assert blocks[("aws_network_acl_rule", "acl_1_egress_110")] == {
        "network_acl_id": '"acl-1"',
        "rule_number": "110",
        "egress": "true",
        "protocol": '"1"',
        "rule_action": '"allow"',
        "cidr_block": '"10.0.0.0/16"',
        "icmp_type": "0",
        "icmp_code": "-1",
    }
    assert len(blocks) == 2
    assert "outbound rule 120: allow udp 53 to 10.0.0.0/16" in text
    assert re.search(r"^#.*outbound rule 120", text, re.M)


def test_terraform_eni_groups_and_quota_are_comments_only() -> None:
    """Interface group changes and quota requests produce no live resource block."""
    text = plan_to_terraform(_eni_and_quota_plan())
    assert _blocks(text) == {}
    assert '# resource "aws_network_interface_sg_attachment" "eni_1_sg_new" {' in text
    assert '#   security_group_id    = "sg-new"' in text
    assert '#   ["sg-keep", "sg-new"]' in text
    assert "sg-old" in text
    assert '# resource "aws_network_interface_sg_attachment" "eni_1_sg_old"' not in text
    assert (
        "#   aws service-quotas request-service-quota-increase --service-code vpc "
        "--quota-code L-0EA8095F --desired-value 120"
    ) in text
    assert all(line == "" or line.startswith("#") for line in text.splitlines())


def test_terraform_is_deterministic_and_escapes_interpolation() -> None:
    """The same plan gives the same text; "${" in a description stays literal in HCL."""
    rule = NEW_8443.model_copy(update={"description": 'a "quoted" ${var.x} %{if}'})
    plan = Plan(run_id=RUN_ID, changes=(_sg_change(_sg(SSH), _sg(SSH, rule)),))
    text = plan_to_terraform(plan)
    assert text == plan_to_terraform(plan)
    (body,) = _blocks(text).values()
    assert body["description"] == r'"a \"quoted\" $${var.x} %%{if}"'


def test_terraform_names_differ_per_rule() -> None:
    """Two added rules on the same port but different peers get different resource names."""
    other = NEW_8443.model_copy(update={"referenced_group_id": "sg-3"})
    plan = Plan(run_id=RUN_ID, changes=(_sg_change(_sg(), _sg(NEW_8443, other)),))
    names = [name for _, name in _blocks(plan_to_terraform(plan))]
    assert len(set(names)) == 2
    assert all(re.fullmatch(r"[a-z_][a-z0-9_]*", name) for name in names)


# --- CloudFormation ---------------------------------------------------------------------


def test_cloudformation_security_group_rules_load_with_the_right_types() -> None:
    """Added rules become SecurityGroupIngress/Egress with the right peer property each."""
    text = plan_to_cloudformation(_sg_plan())
    template = _cfn(text)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    resources = template["Resources"]
    assert len(resources) == 3
    by_type: dict[str, list[dict[str, Any]]] = {}
    for logical_id, resource in resources.items():
        assert re.fullmatch(r"[A-Za-z0-9]+", logical_id)
        by_type.setdefault(resource["Type"], []).append(resource["Properties"])
    assert by_type["AWS::EC2::SecurityGroupIngress"] == [
        {
            "GroupId": "sg-1",
            "IpProtocol": "tcp",
            "FromPort": 8443,
            "ToPort": 8443,
            "SourceSecurityGroupId": "sg-2",
            "Description": "shop to inventory",
        }
    ]
    egress = by_type["AWS::EC2::SecurityGroupEgress"]
    assert {"GroupId": "sg-1", "IpProtocol": "-1", "DestinationPrefixListId": "pl-123"} in egress
    assert {
        "GroupId": "sg-1",
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "CidrIpv6": "2001:db8::/64",
    } in egress


def test_cloudformation_removed_rules_are_comments() -> None:
    """The removed rule is only in a comment; no resource mentions port 8080."""
    text = plan_to_cloudformation(_sg_plan())
    assert all(
        p.get("FromPort") != 8080
        for p in (r["Properties"] for r in _cfn(text)["Resources"].values())
    )
    (line,) = [line for line in text.splitlines() if "sgr-8080" in line]
    assert line.startswith("#")
    assert "remove the resource that manages sgr-8080" in line


def test_cloudformation_acl_entries_use_numbers_and_ranges() -> None:
    """ACL entries carry Protocol as a number, Egress as a bool, PortRange or Icmp."""
    template = _cfn(plan_to_cloudformation(_acl_plan()))
    resources = template["Resources"]
    assert set(resources) == {"Acl1Ingress90", "Acl1Egress110"}
    assert resources["Acl1Ingress90"] == {
        "Type": "AWS::EC2::NetworkAclEntry",
        "Properties": {
            "NetworkAclId": "acl-1",
            "RuleNumber": 90,
            "Protocol": 6,
            "RuleAction": "allow",
            "Egress": False,
            "CidrBlock": "10.0.1.0/24",
            "PortRange": {"From": 8443, "To": 8443},
        },
    }
    icmp = resources["Acl1Egress110"]["Properties"]
    assert icmp["Protocol"] == 1
    assert icmp["Egress"] is True
    assert icmp["Icmp"] == {"Type": 0, "Code": -1}
    assert "PortRange" not in icmp


def test_cloudformation_eni_and_quota_are_comments_and_template_still_loads() -> None:
    """With nothing to add, Resources is empty and every change is described in comments."""
    text = plan_to_cloudformation(_eni_and_quota_plan())
    assert _cfn(text)["Resources"] == {}
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert '["sg-keep", "sg-new"]' in comments
    assert "GroupSet" in comments
    assert "request-service-quota-increase" in comments


def test_cloudformation_keeps_awkward_descriptions_intact() -> None:
    """Quotes, colons and hashes in a description survive the YAML round trip."""
    awkward = "it's: a #test {x} -1"
    plan = Plan(
        run_id=RUN_ID,
        changes=(_sg_change(_sg(), _sg(NEW_8443.model_copy(update={"description": awkward}))),),
    )
    (resource,) = _cfn(plan_to_cloudformation(plan))["Resources"].values()
    assert resource["Properties"]["Description"] == awkward


def test_text_formats_are_verbatim_through_plan_to_text() -> None:
    """plan_to_text returns the IaC text unwrapped, whatever the width."""
    plan = _sg_plan()
    assert plan_to_text(plan, "terraform", width=20) == plan_to_terraform(plan)
    assert plan_to_text(plan, "cloudformation", width=20) == plan_to_cloudformation(plan)


def _delete_plan() -> Plan:
    """Deletes sg-1 with its two rules (the unused-security-group fix)."""
    group = _sg(SSH, OLD_8080)
    change = Change(
        action="sg.delete-group",
        api="DeleteSecurityGroup",
        resource="sg-1",
        params={"GroupId": "sg-1"},
        kinds=(ChangeKind.REVOCATION,),
        before=group,
        after=None,
    )
    return Plan(run_id=RUN_ID, changes=(change,))


def test_a_deleted_group_says_so_in_terraform_and_cloudformation() -> None:
    """Deleting a group is not just removing its rules: both renderings name the group
    resource to remove, list its rules, and create nothing."""
    terraform = plan_to_terraform(_delete_plan())
    assert "# Deleted: sg-1. Remove the aws_security_group resource" in terraform
    assert "#   sgr-8080: inbound tcp 8080 from 10.0.0.0/16" in terraform
    assert not [line for line in terraform.splitlines() if line.startswith("resource ")]
    template = plan_to_cloudformation(_delete_plan())
    assert "delete sg-1: remove the AWS::EC2::SecurityGroup that manages it" in template
    assert _cfn(template)["Resources"] == {}
