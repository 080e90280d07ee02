"""A plan's changes as the AWS CLI commands an engineer would type, as the runbook writes them.

The short flags (``--protocol tcp --port 8443 --cidr 10.0.0.0/16``) are used only for a
TCP/UDP rule with one plain IPv4 CIDR or group peer, where the CLI's shorthand says exactly
the same; anything else (IPv6, prefix lists, descriptions, ICMP, protocol -1, several peers)
goes through ``--ip-permissions '<json>'``, and an API or parameter this module does not
know goes through ``--cli-input-json``, so every command makes the very call in the plan.

A group the plan creates has no id yet: its create command keeps the id AWS answers in a
shell variable (``NEW_SG_1=$(aws ec2 create-security-group ... --query GroupId --output
text)``) and the later commands name ``"$NEW_SG_1"`` where the plan has its placeholder.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netmend.model.protocol import ICMP, TCP, UDP, normalise_protocol, protocol_number
from netmend.run.new_resources import (
    CREATE_GROUP_API,
    DELETE_GROUP_API,
    is_placeholder,
    placeholder_variable,
)
from netmend.run.plan import Change, Plan

__all__ = ["CliCommand", "aws_cli_commands", "cli_command"]

_SG_APIS = {
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
}
_ACL_ENTRY_KEYS = {
    "NetworkAclId",
    "RuleNumber",
    "Protocol",
    "RuleAction",
    "Egress",
    "CidrBlock",
    "Ipv6CidrBlock",
    "PortRange",
    "IcmpTypeCode",
}


@dataclass(frozen=True)
class CliCommand:
    """``aws SERVICE OPERATION`` followed by option groups (a flag and its values)."""

    head: tuple[str, ...]
    options: tuple[tuple[str, ...], ...] = field(default=())
    assign: str | None = None  # shell variable that keeps the command's output

    def one_line(self) -> str:
        return self._wrap(" ".join(_quote(token) for token in self._tokens()))

    def multi_line(self, indent: int = 4) -> str:
        """The runbook's layout: one option per line, joined by backslash continuations.

        JSON values are laid out over several lines too (JSON and single quotes both allow
        the line breaks), so a terminal never has to wrap a command inside a value.
        """
        lines = [" ".join(_quote(t) for t in self.head)]
        for group in self.options:
            tokens = [_quote(_pretty_json(t, indent)) for t in group]
            lines.append(" " * indent + " ".join(tokens))
        return self._wrap(" \\\n".join(lines))

    def _wrap(self, command: str) -> str:
        return f"{self.assign}=$({command})" if self.assign else command

    def _tokens(self) -> list[str]:
        return [*self.head, *(token for group in self.options for token in group)]


def _quote(token: str) -> str:
    """Shell-quoted; a new group's placeholder becomes the variable that holds its id."""
    if is_placeholder(token):
        return f'"${placeholder_variable(token)}"'
    return shlex.quote(token)


def _pretty_json(token: str, indent: int) -> str:
    if not token.startswith(("[", "{")):
        return token
    try:
        value = json.loads(token)
    except ValueError:
        return token
    return json.dumps(value, indent=2, default=str).replace("\n", "\n" + " " * (indent + 2))


def _operation(api: str) -> str:
    """``AuthorizeSecurityGroupIngress`` → ``authorize-security-group-ingress``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", api).lower()


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _number(value: Any) -> str:
    """``120.0`` → ``120``; other numbers as they are."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _generic(change: Change) -> list[tuple[str, ...]]:
    return [("--cli-input-json", _json(change.params))]


def _only(params: Mapping[str, Any], allowed: set[str], required: set[str]) -> bool:
    return set(params) <= allowed and required <= set(params)


def _simple_permission(permissions: Any) -> list[tuple[str, ...]] | None:
    """The shorthand flags for one permission, or None when they cannot express it."""
    if not isinstance(permissions, Sequence) or len(permissions) != 1:
        return None
    perm = permissions[0]
    if not isinstance(perm, Mapping):
        return None
    peers = {k: v for k, v in perm.items() if k not in ("IpProtocol", "FromPort", "ToPort") and v}
    if len(peers) != 1:
        return None
    ((peer_key, peer_list),) = peers.items()
    if not isinstance(peer_list, Sequence) or len(peer_list) != 1:
        return None
    peer = peer_list[0]
    if peer_key == "IpRanges" and isinstance(peer, Mapping) and set(peer) == {"CidrIp"}:
        peer_flag: tuple[str, ...] = ("--cidr", str(peer["CidrIp"]))
    elif (
        peer_key == "UserIdGroupPairs"
        and isinstance(peer, Mapping)
        and set(peer) == {"GroupId"}
        and str(peer["GroupId"]).startswith("sg-")
    ):
        peer_flag = ("--source-group", str(peer["GroupId"]))
    else:
        return None  # IPv6, prefix lists, descriptions, other accounts: JSON only
    try:
        protocol = normalise_protocol(perm.get("IpProtocol", ""))
    except ValueError:
        return None
    from_port, to_port = perm.get("FromPort"), perm.get("ToPort")
    # Like the runbook, only TCP/UDP port rules use the flags: the CLI folds ICMP type and
    # code into --port, and "-1" reads more plainly as JSON (the runbook's own egress fix).
    if protocol not in (TCP, UDP) or not isinstance(from_port, int) or not isinstance(to_port, int):
        return None
    port = str(from_port) if from_port == to_port else f"{from_port}-{to_port}"
    return [("--protocol", protocol), ("--port", port), peer_flag]


def _security_group(change: Change) -> list[tuple[str, ...]]:
    params = change.params
    if _only(params, {"GroupId", "SecurityGroupRuleIds"}, {"GroupId", "SecurityGroupRuleIds"}):
        if change.api.startswith("Revoke"):
            ids = tuple(str(i) for i in params["SecurityGroupRuleIds"])
            return [("--group-id", str(params["GroupId"])), ("--security-group-rule-ids", *ids)]
        return _generic(change)
    if not _only(params, {"GroupId", "IpPermissions"}, {"GroupId", "IpPermissions"}):
        return _generic(change)
    group = ("--group-id", str(params["GroupId"]))
    simple = _simple_permission(params["IpPermissions"])
    if simple is not None:
        return [group, *simple]
    return [group, ("--ip-permissions", _json(params["IpPermissions"]))]


def _acl_protocol(value: Any) -> str:
    # The CLI maps tcp/udp/icmp to their numbers for ACL entries; the rest go as numbers.
    canonical = normalise_protocol(value)
    return canonical if canonical in (TCP, UDP, ICMP) else protocol_number(canonical)


def _acl_direction(params: Mapping[str, Any]) -> tuple[str, ...]:
    return ("--egress",) if params.get("Egress") else ("--ingress",)


def _acl_entry(change: Change) -> list[tuple[str, ...]]:
    params = change.params
    required = {"NetworkAclId", "RuleNumber", "Protocol", "RuleAction", "Egress"}
    if not _only(params, _ACL_ENTRY_KEYS, required):
        return _generic(change)
    try:
        protocol = _acl_protocol(params["Protocol"])
    except ValueError:
        return _generic(change)
    options: list[tuple[str, ...]] = [
        ("--network-acl-id", str(params["NetworkAclId"])),
        _acl_direction(params),
        ("--rule-number", str(params["RuleNumber"])),
        ("--protocol", protocol),
    ]
    if params.get("PortRange"):
        ports = params["PortRange"]
        options.append(("--port-range", f"From={ports.get('From')},To={ports.get('To')}"))
    if params.get("IcmpTypeCode"):
        icmp = params["IcmpTypeCode"]
        options.append(("--icmp-type-code", f"Type={icmp.get('Type')},Code={icmp.get('Code')}"))
    if params.get("CidrBlock"):
        options.append(("--cidr-block", str(params["CidrBlock"])))
    if params.get("Ipv6CidrBlock"):
        options.append(("--ipv6-cidr-block", str(params["Ipv6CidrBlock"])))
    options.append(("--rule-action", str(params["RuleAction"])))
    return options


def _delete_acl_entry(change: Change) -> list[tuple[str, ...]]:
    params = change.params
    keys = {"NetworkAclId", "RuleNumber", "Egress"}
    if not _only(params, keys, keys):
        return _generic(change)
    return [
        ("--network-acl-id", str(params["NetworkAclId"])),
        _acl_direction(params),
        ("--rule-number", str(params["RuleNumber"])),
    ]


def _eni_groups(change: Change) -> list[tuple[str, ...]]:
    params = change.params
    keys = {"NetworkInterfaceId", "Groups"}
    if not _only(params, keys, keys) or not params["Groups"]:
        return _generic(change)
    return [
        ("--network-interface-id", str(params["NetworkInterfaceId"])),
        ("--groups", *(str(g) for g in params["Groups"])),
    ]


def _quota_increase(change: Change) -> list[tuple[str, ...]]:
    params = change.params
    keys = {"ServiceCode", "QuotaCode", "DesiredValue"}
    if not _only(params, keys, keys):
        return _generic(change)
    return [
        ("--service-code", str(params["ServiceCode"])),
        ("--quota-code", str(params["QuotaCode"])),
        ("--desired-value", _number(params["DesiredValue"])),
    ]


def _create_group(change: Change) -> list[tuple[str, ...]]:
    params = change.params
    keys = {"GroupName", "Description", "VpcId", "TagSpecifications"}
    if not _only(params, keys, {"GroupName", "Description", "VpcId"}):
        return _generic(change)
    options: list[tuple[str, ...]] = [
        ("--group-name", str(params["GroupName"])),
        ("--description", str(params["Description"])),
        ("--vpc-id", str(params["VpcId"])),
    ]
    if params.get("TagSpecifications"):
        options.append(("--tag-specifications", _json(params["TagSpecifications"])))
    return options


def cli_command(change: Change, region: str | None = None) -> CliCommand:
    """The one AWS CLI command that makes the same call as ``change``."""
    if change.api == CREATE_GROUP_API and is_placeholder(change.resource):
        options = _create_group(change)
        if region:
            options.append(("--region", region))
        options += [("--query", "GroupId"), ("--output", "text")]
        return CliCommand(
            ("aws", change.service, _operation(change.api)),
            tuple(options),
            assign=placeholder_variable(change.resource),
        )
    if change.api in _SG_APIS:
        options = _security_group(change)
    elif change.api in ("CreateNetworkAclEntry", "ReplaceNetworkAclEntry"):
        options = _acl_entry(change)
    elif change.api == "DeleteNetworkAclEntry":
        options = _delete_acl_entry(change)
    elif change.api == "ModifyNetworkInterfaceAttribute":
        options = _eni_groups(change)
    elif change.api == "RequestServiceQuotaIncrease":
        options = _quota_increase(change)
    elif change.api == DELETE_GROUP_API and set(change.params) == {"GroupId"}:
        options = [("--group-id", str(change.params["GroupId"]))]
    else:
        options = _generic(change)
    if region:
        options.append(("--region", region))
    return CliCommand(("aws", change.service, _operation(change.api)), tuple(options))


def aws_cli_commands(plan: Plan) -> list[str]:
    """Every change of ``plan`` as one shell-quoted ``aws ...`` line, in plan order."""
    return [cli_command(change, plan.region).one_line() for change in plan.changes]
