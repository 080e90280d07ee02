"""A plan as Terraform: AWS provider v5 rule resources for what it adds, comments for the rest.

Security-group rules become ``aws_vpc_security_group_ingress_rule`` /
``aws_vpc_security_group_egress_rule``, ACL entries ``aws_network_acl_rule``; interface
group changes are written as (commented) ``aws_network_interface_sg_attachment`` blocks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

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
    one_line,
    removed_items,
    rule_label,
    sg_rule_text,
    stateless_changes,
)
from netmend.render.rows import ResourceDiff, protocol_text, resource_diffs, sg_row_key
from netmend.run.plan import Plan

__all__ = ["plan_to_terraform"]


def _hcl_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # JSON string escapes are HCL's; interpolation openers must be doubled to stay literal.
    return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def _hcl_block(
    kind: str, name: str, attributes: Sequence[tuple[str, str | int | bool, str]]
) -> list[str]:
    """A resource block aligned as ``terraform fmt`` aligns it; the third item is a comment."""
    width = max(len(key) for key, _, _ in attributes)
    lines = [f'resource "{kind}" "{name}" {{']
    for key, value, comment in attributes:
        line = f"  {key.ljust(width)} = {_hcl_value(value)}"
        lines.append(f"{line} # {comment}" if comment else line)
    lines.append("}")
    return lines


def _tf_name(*parts: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", "_".join(parts).lower()).strip("_")


def _tf_sg_rule(group: SecurityGroup, rule: SgRule) -> list[str]:
    way = "egress" if rule.egress else "ingress"
    attributes: list[tuple[str, str | int | bool, str]] = [
        ("security_group_id", group.group_id, ""),
        ("ip_protocol", rule.protocol, ""),
    ]
    ports = iac_ports(rule)
    if ports is not None:
        attributes += [("from_port", ports[0], ""), ("to_port", ports[1], "")]
    for key, value in (
        ("cidr_ipv4", rule.cidr_ipv4),
        ("cidr_ipv6", rule.cidr_ipv6),
        ("referenced_security_group_id", rule.referenced_group_id),
        ("prefix_list_id", rule.prefix_list_id),
        ("description", rule.description),
    ):
        if value:
            attributes.append((key, value, ""))
    fingerprint = digest(group.group_id, sg_row_key(rule))
    name = _tf_name(group.group_id, way, rule_label(rule), fingerprint)
    return _hcl_block(f"aws_vpc_security_group_{way}_rule", name, attributes)


def _tf_acl_entry(acl: NetworkAcl, entry: AclEntry) -> list[str]:
    way = "egress" if entry.egress else "ingress"
    attributes: list[tuple[str, str | int | bool, str]] = [
        ("network_acl_id", acl.network_acl_id, ""),
        ("rule_number", entry.rule_number, ""),
        ("egress", entry.egress, ""),
        ("protocol", protocol_number(entry.protocol), protocol_text(entry.protocol)),
        ("rule_action", str(entry.rule_action), ""),
        ("ipv6_cidr_block" if entry.is_ipv6 else "cidr_block", entry.cidr, ""),
    ]
    if entry.protocol in (TCP, UDP):
        low = 0 if entry.port_from is None else entry.port_from
        high = 65535 if entry.port_to is None else entry.port_to
        attributes += [("from_port", low, ""), ("to_port", high, "")]
    elif entry.protocol in (ICMP, ICMPV6):
        icmp_type = -1 if entry.icmp_type is None else entry.icmp_type
        icmp_code = -1 if entry.icmp_code is None else entry.icmp_code
        attributes += [("icmp_type", icmp_type, ""), ("icmp_code", icmp_code, "")]
    name = _tf_name(acl.network_acl_id, way, str(entry.rule_number))
    return _hcl_block("aws_network_acl_rule", name, attributes)


def _tf_eni(diff: ResourceDiff) -> list[str]:
    state = diff.state
    assert isinstance(state, NetworkInterface)
    lines = eni_lines(
        diff,
        [
            "Set the groups where the interface is declared",
            "(aws_instance.vpc_security_group_ids or aws_network_interface.security_groups) to:",
        ],
    )
    lines.append("or, where its groups are attached one by one, add (never mix both ways):")
    for group_id in added_items(diff)[2]:
        name = _tf_name(state.network_interface_id, group_id)
        lines += _hcl_block(
            "aws_network_interface_sg_attachment",
            name,
            [
                ("security_group_id", group_id, ""),
                ("network_interface_id", state.network_interface_id, ""),
            ],
        )
    for group_id in removed_items(diff)[2]:
        lines.append(f"and remove the aws_network_interface_sg_attachment that manages {group_id}")
    return comment_lines(lines)


def _tf_removed(diff: ResourceDiff, *, deleted: bool = False) -> list[str]:
    rules, entries, _ = removed_items(diff)
    if deleted:
        # The group itself goes: its rules' resources go with the aws_security_group.
        return comment_lines(
            [
                f"Deleted: {diff.resource}. Remove the aws_security_group resource that "
                "manages it, and the rule resources that point at it:",
                *(f"  {rule.rule_id or 'a rule'}: {sg_rule_text(rule)}" for rule in rules),
            ]
        )
    lines = [
        f"remove the resource that manages {rule.rule_id or 'the rule'}: {sg_rule_text(rule)}"
        for rule in rules
    ]
    lines += [
        f"remove (or replace) the aws_network_acl_rule that manages {diff.resource} "
        f"{acl_entry_text(entry)}"
        for entry in entries
    ]
    if not lines:
        return []
    return comment_lines([f"Removed from {diff.resource}:", *(f"  {line}" for line in lines)])


def plan_to_terraform(plan: Plan) -> str:
    """The plan's additions as Terraform (AWS provider v5) resources, removals as comments."""
    out = comment_lines(header_lines(plan))
    diffs = resource_diffs(plan)
    if plan.empty:
        return "\n".join([*out, "# nothing to do"]) + "\n"
    for diff in diffs:
        state = diff.state
        out.append("")
        if isinstance(state, SecurityGroup):
            out.append(f"# Security group {state.group_id} ({one_line(state.group_name)})")
            for rule in added_items(diff)[0]:
                out += [*_tf_sg_rule(state, rule), ""]
        elif isinstance(state, NetworkAcl):
            out.append(f"# Network ACL {state.network_acl_id}")
            for entry in added_items(diff)[1]:
                out += [*_tf_acl_entry(state, entry), ""]
        else:
            out += [*_tf_eni(diff), ""]
        out += _tf_removed(diff, deleted=diff.resource in plan.deleted)
    for change in stateless_changes(plan, diffs):
        out.append("")
        if change.api == "RequestServiceQuotaIncrease":
            out.append("# Service quota (aws_servicequotas_service_quota, if quotas are code):")
        else:
            out.append(f"# {change.api} on {change.resource} has no resource here; run:")
        out.append("#   " + cli_command(change, plan.region).one_line())
    # Sections and blocks each end with a blank line; keep one between any two.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n") + "\n"
