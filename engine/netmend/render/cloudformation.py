"""A plan as a CloudFormation YAML template: the resources it adds, comments for the rest.

Security-group rules become ``AWS::EC2::SecurityGroupIngress`` / ``Egress`` and ACL entries
``AWS::EC2::NetworkAclEntry``; removals, interface groups and quota requests are comments.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from netmend.model import AclEntry, NetworkAcl, NetworkInterface, SecurityGroup, SgRule
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP, protocol_number
from netmend.model.rules import acl_entry_text
from netmend.render.awscli import cli_command
from netmend.render.iac import (
    added_items,
    comment_lines,
    digest,
    eni_lines,
    header_lines,
    iac_ports,
    removed_items,
    rule_label,
    sg_rule_text,
    stateless_changes,
)
from netmend.render.rows import ResourceDiff, resource_diffs, sg_row_key
from netmend.run.plan import Plan

__all__ = ["plan_to_cloudformation"]


def _cfn_id(*parts: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", " ".join(parts))
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _cfn_sg_rule(group: SecurityGroup, rule: SgRule) -> tuple[str, CommentedMap]:
    way = "Egress" if rule.egress else "Ingress"
    props = CommentedMap()
    props["GroupId"] = group.group_id
    props["IpProtocol"] = rule.protocol
    ports = iac_ports(rule)
    if ports is not None:
        props["FromPort"], props["ToPort"] = ports
    side = "Destination" if rule.egress else "Source"
    for key, value in (
        ("CidrIp", rule.cidr_ipv4),
        ("CidrIpv6", rule.cidr_ipv6),
        (f"{side}SecurityGroupId", rule.referenced_group_id),
        (f"{side}PrefixListId", rule.prefix_list_id),
    ):
        if value:
            props[key] = value
    if not rule.egress and rule.referenced_user_id and rule.referenced_user_id != group.owner_id:
        props["SourceSecurityGroupOwnerId"] = rule.referenced_user_id
    if rule.description:
        props["Description"] = rule.description
    logical_id = _cfn_id(
        group.group_id, way, rule_label(rule), digest(group.group_id, sg_row_key(rule))
    )
    return logical_id, CommentedMap(
        [("Type", f"AWS::EC2::SecurityGroup{way}"), ("Properties", props)]
    )


def _cfn_acl_entry(acl: NetworkAcl, entry: AclEntry) -> tuple[str, CommentedMap]:
    props = CommentedMap()
    props["NetworkAclId"] = acl.network_acl_id
    props["RuleNumber"] = entry.rule_number
    props["Protocol"] = int(protocol_number(entry.protocol))
    props["RuleAction"] = str(entry.rule_action)
    props["Egress"] = entry.egress
    props["Ipv6CidrBlock" if entry.is_ipv6 else "CidrBlock"] = entry.cidr
    if entry.protocol in (TCP, UDP):
        props["PortRange"] = CommentedMap(
            [
                ("From", 0 if entry.port_from is None else entry.port_from),
                ("To", 65535 if entry.port_to is None else entry.port_to),
            ]
        )
    elif entry.protocol in (ICMP, ICMPV6):
        props["Icmp"] = CommentedMap(
            [
                ("Type", -1 if entry.icmp_type is None else entry.icmp_type),
                ("Code", -1 if entry.icmp_code is None else entry.icmp_code),
            ]
        )
    way = "Egress" if entry.egress else "Ingress"
    logical_id = _cfn_id(acl.network_acl_id, way, str(entry.rule_number))
    return logical_id, CommentedMap([("Type", "AWS::EC2::NetworkAclEntry"), ("Properties", props)])


def _cfn_notes(plan: Plan, diffs: Sequence[ResourceDiff]) -> list[str]:
    """What the template cannot say: removals, interface groups, quota requests."""
    notes: list[str] = []
    for diff in diffs:
        rules, entries, _ = removed_items(diff)
        if diff.resource in plan.deleted:
            notes.append(
                f"delete {diff.resource}: remove the AWS::EC2::SecurityGroup that manages it "
                f"and the rule resources that point at it ({len(rules)} rule(s))"
            )
        notes += [
            f"remove the resource that manages {rule.rule_id or 'the rule'} on {diff.resource}: "
            f"{sg_rule_text(rule)}"
            for rule in rules
        ]
        notes += [
            f"remove (or replace) the AWS::EC2::NetworkAclEntry that manages {diff.resource} "
            f"{acl_entry_text(entry)}"
            for entry in entries
        ]
        if isinstance(diff.state, NetworkInterface) and diff.changed:
            notes += eni_lines(
                diff,
                [
                    "set GroupSet (AWS::EC2::NetworkInterface) or SecurityGroupIds",
                    "(AWS::EC2::Instance) to:",
                ],
            )
    for change in stateless_changes(plan, diffs):
        notes.append(f"not in this template, run: {cli_command(change, plan.region).one_line()}")
    return notes


def plan_to_cloudformation(plan: Plan) -> str:
    """The plan's additions as a CloudFormation YAML template; everything else as comments."""
    diffs = resource_diffs(plan)
    resources = CommentedMap()
    for diff in diffs:
        state = diff.state
        items: list[tuple[str, CommentedMap, str]] = []
        if isinstance(state, SecurityGroup):
            items = [(*_cfn_sg_rule(state, r), sg_rule_text(r)) for r in added_items(diff)[0]]
        elif isinstance(state, NetworkAcl):
            items = [(*_cfn_acl_entry(state, e), acl_entry_text(e)) for e in added_items(diff)[1]]
        for logical_id, body, text in items:
            resources[logical_id] = body
            resources.yaml_set_comment_before_after_key(
                logical_id, before=f"{diff.resource}: {text}", indent=2
            )
    template = CommentedMap()
    template["AWSTemplateFormatVersion"] = "2010-09-09"
    template["Description"] = f"netmend plan {plan.run_id}"
    template["Resources"] = resources
    header = header_lines(plan)
    if plan.empty:
        header.append("nothing to do")
    template.yaml_set_start_comment("\n".join(header))
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a description or an id across lines
    stream = io.StringIO()
    yaml.dump(template, stream)
    notes = _cfn_notes(plan, diffs)
    footer = comment_lines(["Not expressed as resources:", *(f"  {n}" for n in notes)])
    footer = footer if notes else []
    return stream.getvalue() + "".join(f"{line}\n" for line in footer)
