"""Reachability Analyzer's answer in netmend's words: its Explanations as ``Explanation``.

Codes are kept exactly as AWS sends them (the list keeps growing, so an unknown code is
carried through, never rejected). The component is the most specific resource id the
explanation names (a security group before the ENI that carries it, an ACL before its
subnet); the direction comes from ``Direction`` or, failing that, from the rule shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from netmend.reach.result import Direction, Explanation, Leg

__all__ = ["UNKNOWN_CODE", "component_ids", "explanation_from_aws", "explanations_from_aws"]

UNKNOWN_CODE = "UNKNOWN"

# Most specific first: the thing that drops the packet, then what it sits on, then the
# generic ``Component`` and the context (subnet, VPC) AWS adds to many codes.
_COMPONENT_KEYS = (
    "SecurityGroup",
    "SecurityGroups",
    "Acl",
    "RouteTable",
    "SubnetRouteTable",
    "IngressRouteTable",
    "TransitGatewayRouteTable",
    "TransitGatewayPolicyTable",
    "PrefixList",
    "NetworkInterface",
    "InternetGateway",
    "NatGateway",
    "VpcPeeringConnection",
    "VpcEndpoint",
    "VpnGateway",
    "VpnConnection",
    "CustomerGateway",
    "TransitGatewayAttachment",
    "TransitGateway",
    "LoadBalancerTargetGroup",
    "LoadBalancerTargetGroups",
    "ElasticLoadBalancerListener",
    "Component",
    "AttachedTo",
    "Subnet",
    "Destination",
    "Vpc",
    "SourceVpc",
    "DestinationVpc",
)


def _component_id(value: Any) -> str | None:
    """The id (else the ARN, else the name) of an AnalysisComponent, or of a list's first."""
    if isinstance(value, list):
        for item in value:
            found = _component_id(item)
            if found:
                return found
        return None
    if isinstance(value, Mapping):
        for key in ("Id", "Arn", "Name"):
            if value.get(key):
                return str(value[key])
    return None


def _ports(port_range: Mapping[str, Any] | None) -> str:
    if not port_range:
        return "all ports"
    low, high = port_range.get("From"), port_range.get("To")
    if low is None and high is None:
        return "all ports"
    return str(low) if low == high or high is None else f"{low}-{high}"


def _acl_rule_text(rule: Mapping[str, Any]) -> str:
    direction = "egress" if rule.get("Egress") else "ingress"
    peer = "to" if rule.get("Egress") else "from"
    number = rule.get("RuleNumber")
    label = "*" if number in (32767, 32768) else number
    return (
        f"ACL rule {label} ({direction}): {rule.get('RuleAction', '?')} "
        f"{rule.get('Protocol', '?')} {_ports(rule.get('PortRange'))} "
        f"{peer} {rule.get('Cidr', '?')}"
    )


def _sg_rule_text(rule: Mapping[str, Any]) -> str:
    direction = rule.get("Direction") or "?"
    peer = rule.get("Cidr") or rule.get("PrefixListId") or rule.get("SecurityGroupId") or "?"
    side = "to" if direction == "egress" else "from"
    return (
        f"security group rule ({direction}): {rule.get('Protocol', '?')} "
        f"{_ports(rule.get('PortRange'))} {side} {peer}"
    )


_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)


def _route_text(route: Mapping[str, Any]) -> str:
    destination = route.get("DestinationCidr") or route.get("DestinationPrefixListId") or "?"
    target = next((str(route[k]) for k in _ROUTE_TARGETS if route.get(k)), "?")
    state = f" ({route['State']})" if route.get("State") else ""
    return f"route {destination} -> {target}{state}"


def _direction(explanation: Mapping[str, Any]) -> Direction | None:
    text = str(explanation.get("Direction") or "").lower()
    if text in (Direction.INGRESS.value, Direction.EGRESS.value):
        return Direction(text)
    acl_rule = explanation.get("AclRule")
    if isinstance(acl_rule, Mapping) and "Egress" in acl_rule:
        return Direction.EGRESS if acl_rule["Egress"] else Direction.INGRESS
    sg_rule = explanation.get("SecurityGroupRule")
    if isinstance(sg_rule, Mapping):
        text = str(sg_rule.get("Direction") or "").lower()
        if text in (Direction.INGRESS.value, Direction.EGRESS.value):
            return Direction(text)
    return None


def _detail(explanation: Mapping[str, Any]) -> str:
    """The context AWS gave, in one line (groups, protocols, ports, addresses, state)."""
    parts: list[str] = []
    groups = [g for g in (_component_id(x) for x in explanation.get("SecurityGroups") or ()) if g]
    if len(groups) > 1:
        parts.append("security groups " + ", ".join(groups))
    if explanation.get("Protocols"):
        parts.append("protocols " + ", ".join(map(str, explanation["Protocols"])))
    if explanation.get("Port") is not None:
        parts.append(f"port {explanation['Port']}")
    if explanation.get("PortRanges"):
        parts.append("ports " + ", ".join(_ports(r) for r in explanation["PortRanges"]))
    addresses = list(explanation.get("Addresses") or ())
    if explanation.get("Address"):
        addresses.insert(0, explanation["Address"])
    if addresses:
        parts.append("addresses " + ", ".join(map(str, addresses)))
    if explanation.get("Cidrs"):
        parts.append("CIDRs " + ", ".join(map(str, explanation["Cidrs"])))
    for key, label in (
        ("State", "state"),
        ("MissingComponent", "missing"),
        ("PacketField", "packet field"),
    ):
        if explanation.get(key):
            parts.append(f"{label} {explanation[key]}")
    return "; ".join(parts)


def explanation_from_aws(
    explanation: Mapping[str, Any],
    *,
    return_ids: Iterable[str] = (),
    forward_ids: Iterable[str] = (),
) -> Explanation:
    """One AWS ``Explanation`` as netmend's; never fails on codes or fields it does not know.

    ``return_ids``/``forward_ids`` are the component ids of the return and forward paths:
    a component seen only on the return path puts the explanation on the return leg.
    """
    code = str(explanation.get("ExplanationCode") or UNKNOWN_CODE)
    component = next(
        (found for key in _COMPONENT_KEYS if (found := _component_id(explanation.get(key)))),
        "",
    )
    rules: list[str] = []
    if isinstance(explanation.get("AclRule"), Mapping):
        rules.append(_acl_rule_text(explanation["AclRule"]))
    if isinstance(explanation.get("SecurityGroupRule"), Mapping):
        rules.append(_sg_rule_text(explanation["SecurityGroupRule"]))
    if isinstance(explanation.get("RouteTableRoute"), Mapping):
        rules.append(_route_text(explanation["RouteTableRoute"]))
    on_return = component in set(return_ids) and component not in set(forward_ids)
    return Explanation(
        code=code,
        component=component,
        direction=_direction(explanation),
        leg=Leg.RETURN if on_return else Leg.FORWARD,
        rules=tuple(rules),
        detail=_detail(explanation),
    )


def component_ids(components: Sequence[Mapping[str, Any]] | None) -> tuple[str, ...]:
    """The ids along a ForwardPathComponents / ReturnPathComponents list, in sequence."""
    ordered = sorted(components or (), key=lambda c: int(c.get("SequenceNumber") or 0))
    ids: list[str] = []
    for item in ordered:
        for key in ("Component", "AttachedTo"):
            found = _component_id(item.get(key))
            if found and found not in ids:
                ids.append(found)
        rule = item.get("SecurityGroupRule")
        if isinstance(rule, Mapping) and rule.get("SecurityGroupId"):
            group = str(rule["SecurityGroupId"])
            if group not in ids:
                ids.append(group)
    return tuple(ids)


def explanations_from_aws(analysis: Mapping[str, Any]) -> tuple[Explanation, ...]:
    """Every blocking explanation of a finished analysis, in the order AWS lists them.

    The top-level ``Explanations`` say why no path was found; when AWS put them on the
    path components instead, those are used.
    """
    forward = analysis.get("ForwardPathComponents") or []
    back = analysis.get("ReturnPathComponents") or []
    raw: list[Mapping[str, Any]] = list(analysis.get("Explanations") or ())
    if not raw and analysis.get("NetworkPathFound") is False:
        raw = [e for c in (*forward, *back) for e in c.get("Explanations") or ()]
    forward_ids, return_ids = component_ids(forward), component_ids(back)
    return tuple(
        explanation_from_aws(e, return_ids=return_ids, forward_ids=forward_ids) for e in raw
    )
