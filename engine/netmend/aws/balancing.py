"""Elastic Load Balancing v2, read into netmend's model: load balancers and target groups.

The fewest calls: one DescribeLoadBalancers and one DescribeTargetGroups for the region
(400 a page, following NextMarker), then per load balancer one DescribeListeners, per
target group one DescribeTargetHealth, and DescribeTargetGroupAttributes only for the
target groups of Network Load Balancers (client IP preservation changes the source the
targets see; an Application Load Balancer never preserves it). Classic load balancers
(the elb API) are not read.

An account whose credentials may not describe load balancers (an older netmend IAM
policy), or an endpoint that serves EC2 alone, still gets an inventory: the load
balancers are left out, with a warning, and a flow to one then fails as an unknown
destination rather than the whole collection.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from functools import partial
from typing import Any

import structlog

from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, AwsConnectionError
from netmend.model.balancing import (
    TRAFFIC_PORT,
    Listener,
    LoadBalancer,
    LoadBalancerZone,
    Target,
    TargetGroup,
    TargetHealth,
)

__all__ = [
    "parse_listener",
    "parse_load_balancer",
    "parse_target_group",
    "parse_target_health",
    "read_load_balancing",
]

log = structlog.get_logger()

Raw = dict[str, Any]
_PAGE_SIZE = 400  # DescribeLoadBalancers / DescribeTargetGroups / DescribeListeners maximum
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def _call(clients: AwsClients, operation: str, **params: Any) -> Raw:
    client: Any = clients.elbv2
    api = client.meta.method_to_api_mapping.get(operation, operation)
    result: Raw = clients.call.run(
        api,
        partial(getattr(client, operation), **params),
        service=client.meta.service_model.service_id,
        endpoint=client.meta.endpoint_url,
    )
    return result


def _items(clients: AwsClients, operation: str, key: str, **params: Any) -> Iterator[Raw]:
    """Every item of a Marker-paged elbv2 describe call, one request per page."""
    marker: str | None = None
    while True:
        page = _call(
            clients,
            operation,
            PageSize=_PAGE_SIZE,
            **params,
            **({"Marker": marker} if marker else {}),
        )
        yield from page.get(key) or ()
        following = page.get("NextMarker")
        if not following or following == marker:
            return
        marker = following


def parse_listener(raw: Raw) -> Listener:
    actions = sorted(raw.get("DefaultActions") or (), key=lambda a: a.get("Order", 0))
    last = actions[-1] if actions else {}  # authenticate-* come first, then the final one
    groups: list[str] = []
    if last.get("TargetGroupArn"):
        groups.append(last["TargetGroupArn"])
    for weighted in (last.get("ForwardConfig") or {}).get("TargetGroups") or ():
        if weighted.get("TargetGroupArn") and weighted["TargetGroupArn"] not in groups:
            groups.append(weighted["TargetGroupArn"])
    return Listener(
        listener_arn=raw["ListenerArn"],
        protocol=raw.get("Protocol") or "GENEVE",
        port=raw.get("Port"),
        target_group_arns=tuple(groups),
        default_action=last.get("Type") or "forward",
    )


def parse_load_balancer(raw: Raw, listeners: tuple[Listener, ...]) -> LoadBalancer:
    zones = tuple(
        LoadBalancerZone(
            zone=z.get("ZoneName", ""),
            subnet_id=z["SubnetId"],
            private_ipv4_addresses=tuple(
                a["PrivateIPv4Address"]
                for a in z.get("LoadBalancerAddresses") or ()
                if a.get("PrivateIPv4Address")
            ),
        )
        for z in raw.get("AvailabilityZones") or ()
        if z.get("SubnetId")
    )
    return LoadBalancer(
        load_balancer_arn=raw["LoadBalancerArn"],
        name=raw["LoadBalancerName"],
        dns_name=raw.get("DNSName", ""),
        type=raw.get("Type", "application"),
        scheme=raw.get("Scheme", "internal"),
        vpc_id=raw.get("VpcId", ""),
        state=(raw.get("State") or {}).get("Code", "active"),
        zones=zones,
        security_group_ids=tuple(raw.get("SecurityGroups") or ()),
        listeners=listeners,
    )


def parse_target_health(raw: Raw) -> Target:
    target = raw.get("Target") or {}
    health = raw.get("TargetHealth") or {}
    return Target(
        target_id=target["Id"],
        port=target.get("Port"),
        availability_zone=target.get("AvailabilityZone"),
        health=TargetHealth(
            state=health.get("State", "unavailable"),
            reason=health.get("Reason"),
            description=health.get("Description"),
        ),
    )


def parse_target_group(
    raw: Raw, targets: tuple[Target, ...], preserve_client_ip: bool | None
) -> TargetGroup:
    return TargetGroup(
        target_group_arn=raw["TargetGroupArn"],
        name=raw["TargetGroupName"],
        protocol=raw.get("Protocol"),
        port=raw.get("Port"),
        vpc_id=raw.get("VpcId"),
        target_type=raw.get("TargetType", "instance"),
        health_check_enabled=raw.get("HealthCheckEnabled", True),
        health_check_protocol=raw.get("HealthCheckProtocol"),
        health_check_port=str(raw.get("HealthCheckPort") or TRAFFIC_PORT),
        health_check_path=raw.get("HealthCheckPath"),
        load_balancer_arns=tuple(raw.get("LoadBalancerArns") or ()),
        preserve_client_ip=preserve_client_ip,
        targets=targets,
    )


def _preserves_client_ip(clients: AwsClients, arn: str) -> bool | None:
    page = _call(clients, "describe_target_group_attributes", TargetGroupArn=arn)
    for attribute in page.get("Attributes") or ():
        if attribute.get("Key") == "preserve_client_ip.enabled":
            return str(attribute.get("Value")).lower() == "true"
    return None


def read_load_balancing(
    clients: AwsClients, *, vpc_ids: Collection[str] | None = None
) -> tuple[tuple[LoadBalancer, ...], tuple[TargetGroup, ...]]:
    """The region's (or ``vpc_ids``') ELBv2 load balancers and target groups."""
    try:
        raw_balancers = [
            raw
            for raw in _items(clients, "describe_load_balancers", "LoadBalancers")
            if vpc_ids is None or raw.get("VpcId") in vpc_ids
        ]
        balancers = tuple(
            parse_load_balancer(
                raw,
                tuple(
                    parse_listener(x)
                    for x in _items(
                        clients,
                        "describe_listeners",
                        "Listeners",
                        LoadBalancerArn=raw["LoadBalancerArn"],
                    )
                ),
            )
            for raw in raw_balancers
            if raw.get("Type") != "gateway"  # GWLBs are middleboxes, not hops netmend walks
        )
        networks = {b.load_balancer_arn for b in balancers if b.type == "network"}
        groups: list[TargetGroup] = []
        for raw in _items(clients, "describe_target_groups", "TargetGroups"):
            if vpc_ids is not None and raw.get("VpcId") not in vpc_ids:
                continue
            arn = raw["TargetGroupArn"]
            health = _call(clients, "describe_target_health", TargetGroupArn=arn)
            targets = tuple(
                parse_target_health(t) for t in health.get("TargetHealthDescriptions") or ()
            )
            on_network = bool(networks.intersection(raw.get("LoadBalancerArns") or ()))
            preserve = _preserves_client_ip(clients, arn) if on_network else None
            groups.append(parse_target_group(raw, targets, preserve))
    except AwsCallError as error:
        if error.code not in _DENIED:
            raise
        log.warning(
            "load balancers not read: the credentials may not describe them",
            operation=error.operation,
            code=error.code,
        )
        return (), ()
    except AwsConnectionError as error:
        # EC2 answered (it was read first); an endpoint that serves EC2 alone (a proxy,
        # an interface endpoint given as --endpoint-url) has no ELBv2 behind it.
        log.warning("load balancers not read: the ELBv2 endpoint is unreachable", error=str(error))
        return (), ()
    return balancers, tuple(groups)
