"""Security-group rules and ACL entries: their one identity, their wording, their API form.

Every part of netmend that asks "is this the same rule?" (the diff, the drift check, the
restore, the policy, the verification, the playbooks) asks ``sg_rule_key``; every part
that names a rule to a person (explanations, root-cause summaries, plan summaries and
warnings, drift and restore messages, scan findings, IaC comments) words it with
``rule_text`` / ``rule_service``, so one rule reads the same everywhere; every part
that sends a rule to AWS builds it with ``rule_permission`` / ``acl_entry_params``.
"""

from __future__ import annotations

from typing import Any

from netmend.model.change import ResourceState
from netmend.model.network import AclEntry, NetworkAcl
from netmend.model.protocol import (
    ALL,
    ICMP,
    ICMPV6,
    PORTED_PROTOCOLS,
    TCP,
    UDP,
    protocol_number,
)
from netmend.model.security import SecurityGroup, SgRule

__all__ = [
    "AclContent",
    "SgRuleKey",
    "acl_entry_content",
    "acl_entry_params",
    "acl_entry_service",
    "acl_entry_text",
    "resource_id",
    "rule_permission",
    "rule_service",
    "rule_text",
    "sg_rule_key",
]

SgRuleKey = tuple[str, bool, str, int | None, int | None, str, str]
AclContent = tuple[str, str, str, tuple[int | None, int | None] | None, tuple[int, int] | None]


def resource_id(state: ResourceState) -> str:
    if isinstance(state, SecurityGroup):
        return state.group_id
    if isinstance(state, NetworkAcl):
        return state.network_acl_id
    return state.network_interface_id


# -- security groups


def _rule_ports(rule: SgRule) -> tuple[int | None, int | None]:
    if rule.all_ports:
        return (None, None)
    if rule.protocol in (ICMP, ICMPV6):
        return (rule.from_port, -1 if rule.to_port is None else rule.to_port)
    return (rule.from_port, rule.to_port)


def _rule_peer(rule: SgRule) -> tuple[str, str]:
    if rule.cidr_ipv4 is not None:
        return ("ipv4", rule.cidr_ipv4)
    if rule.cidr_ipv6 is not None:
        return ("ipv6", rule.cidr_ipv6)
    if rule.referenced_group_id is not None:
        return ("group", rule.referenced_group_id)
    return ("prefix-list", rule.prefix_list_id or "")


def sg_rule_key(rule: SgRule) -> SgRuleKey:
    """The rule as AWS identifies it: group, direction, protocol, ports and peer.

    AWS refuses a second rule with the same key (InvalidPermission.Duplicate) whatever
    its description, and changes a description in place
    (UpdateSecurityGroupRuleDescriptions*): so the description and the rule id
    (``sgr-``, new on every re-creation) are not part of a rule's identity. Ports are
    normalised (all ports: None; ICMP's missing code: -1) so equal rules compare equal.
    """
    low, high = _rule_ports(rule)
    kind, peer = _rule_peer(rule)
    return (rule.group_id, rule.egress, rule.protocol, low, high, kind, peer)


def rule_service(rule: SgRule) -> str:
    """What a rule admits, in the runbook's words.

    ``tcp 443``, ``udp 1024-65535``, ``all tcp``, ``icmp type 8``, ``icmp type 3 code 4``,
    ``all icmp``, ``protocol 47`` (a protocol without ports), ``all traffic`` (-1).
    """
    if rule.protocol == ALL:
        return "all traffic"
    if rule.protocol not in PORTED_PROTOCOLS:
        return f"protocol {rule.protocol}"
    if rule.all_ports:
        return f"all {rule.protocol}"
    return f"{rule.protocol} {rule.ports_text}"


def rule_text(rule: SgRule, *, group: bool = False) -> str:
    """A rule as a sentence fragment: ``inbound tcp 443 from 10.0.0.0/16``.

    ``outbound all traffic to sg-0abc``; with ``group``, the group first:
    ``sg-0abc inbound tcp 443 from 10.0.0.0/16``. Inbound/outbound (not ingress/egress)
    because that is how the console and the runbook name a group's two rule lists.
    """
    way, preposition = ("outbound", "to") if rule.egress else ("inbound", "from")
    text = f"{way} {rule_service(rule)} {preposition} {rule.peer}"
    return f"{rule.group_id} {text}" if group else text


def rule_permission(rule: SgRule, *, description: bool = True) -> dict[str, Any]:
    """The IpPermission that authorizes (or revokes) exactly this rule."""
    perm: dict[str, Any] = {"IpProtocol": rule.protocol}
    if rule.protocol in (TCP, UDP):
        perm["FromPort"] = 0 if rule.from_port is None else rule.from_port
        perm["ToPort"] = 65535 if rule.to_port is None else rule.to_port
    elif rule.protocol in (ICMP, ICMPV6):
        perm["FromPort"] = -1 if rule.from_port is None else rule.from_port
        perm["ToPort"] = -1 if rule.to_port is None else rule.to_port
    extra: dict[str, Any] = (
        {"Description": rule.description} if description and rule.description else {}
    )
    if rule.cidr_ipv4 is not None:
        perm["IpRanges"] = [{"CidrIp": rule.cidr_ipv4, **extra}]
    elif rule.cidr_ipv6 is not None:
        perm["Ipv6Ranges"] = [{"CidrIpv6": rule.cidr_ipv6, **extra}]
    elif rule.referenced_group_id is not None:
        pair: dict[str, Any] = {"GroupId": rule.referenced_group_id, **extra}
        if rule.peering_status and rule.referenced_user_id:
            pair["UserId"] = rule.referenced_user_id  # a group in a peered VPC's account
        perm["UserIdGroupPairs"] = [pair]
    else:
        perm["PrefixListIds"] = [{"PrefixListId": rule.prefix_list_id, **extra}]
    return perm


# -- network ACLs


def acl_entry_content(entry: AclEntry) -> AclContent:
    """What an entry decides, without its position (its rule number and direction)."""
    ports = (entry.port_from, entry.port_to) if entry.protocol in (TCP, UDP) else None
    icmp = None
    if entry.protocol in (ICMP, ICMPV6) and entry.icmp_type is not None:
        icmp = (entry.icmp_type, -1 if entry.icmp_code is None else entry.icmp_code)
    return (entry.protocol, entry.rule_action.value, entry.cidr, ports, icmp)


def acl_entry_service(entry: AclEntry) -> str:
    """What an entry matches, in the words of ``rule_service``: ``tcp 443``,
    ``udp 1024-65535``, ``all tcp``, ``icmp type 3 code 4``, ``all icmp``, ``protocol 47``,
    ``all traffic``."""
    protocol = entry.protocol
    if protocol == ALL:
        return "all traffic"
    if protocol in (TCP, UDP):
        low = entry.port_from if entry.port_from is not None else entry.port_to
        high = entry.port_to if entry.port_to is not None else entry.port_from
        if low is None or high is None or (low, high) == (0, 65535):
            return f"all {protocol}"
        return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"
    if protocol in (ICMP, ICMPV6):
        if entry.icmp_type in (None, -1):
            return f"all {protocol}"
        code = "" if entry.icmp_code in (None, -1) else f" code {entry.icmp_code}"
        return f"{protocol} type {entry.icmp_type}{code}"
    return f"protocol {protocol}"


def acl_entry_text(entry: AclEntry, *, numbered: bool = True) -> str:
    """An entry as a sentence fragment: ``inbound rule 110: allow tcp 8443 from
    10.5.2.100/32``; the default entry is rule ``*``; without ``numbered`` (an entry
    not placed yet): ``inbound allow tcp 8443 from 10.5.2.100/32``."""
    way, preposition = ("outbound", "to") if entry.egress else ("inbound", "from")
    number = "*" if entry.is_default_deny else str(entry.rule_number)
    where = f"{way} rule {number}:" if numbered else way
    return (
        f"{where} {entry.rule_action.value} {acl_entry_service(entry)} {preposition} {entry.cidr}"
    )


def acl_entry_params(acl_id: str, entry: AclEntry) -> dict[str, Any]:
    """Parameters of CreateNetworkAclEntry / ReplaceNetworkAclEntry for this entry."""
    params: dict[str, Any] = {
        "NetworkAclId": acl_id,
        "RuleNumber": entry.rule_number,
        "Protocol": protocol_number(entry.protocol),
        "RuleAction": entry.rule_action.value,
        "Egress": entry.egress,
    }
    params["Ipv6CidrBlock" if entry.is_ipv6 else "CidrBlock"] = entry.cidr
    if entry.port_from is not None or entry.port_to is not None:
        low = entry.port_from if entry.port_from is not None else entry.port_to
        high = entry.port_to if entry.port_to is not None else entry.port_from
        params["PortRange"] = {"From": low, "To": high}
    if entry.icmp_type is not None:
        code = -1 if entry.icmp_code is None else entry.icmp_code
        params["IcmpTypeCode"] = {"Type": entry.icmp_type, "Code": code}
    return params
