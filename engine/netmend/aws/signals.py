"""What ``netmend scan`` reads besides the inventory: ENA metrics and VPC endpoints.

``conntrack_allowance_exceeded`` is an ENA counter the CloudWatch agent's ethtool plugin
publishes (namespace CWAgent by default, named ``ethtool_conntrack_allowance_exceeded``
by the agent; the bare driver name is accepted too), with the instance in the
``InstanceId`` dimension. The rise over the last hour is the largest value minus the
smallest of its 5-minute maxima (the counter only grows; a restart resets it, so a
drop is not a rise). When the metric does not exist in the account and region, the
signal is absent and the scan says so: no metric is not "no drops".

The interface endpoints (ssm, ssmmessages, ec2messages) per VPC, with their ENIs, tell
``ssm-egress-blocked`` where the SSM agent connects.

The VPCs elsewhere referencing a group (DescribeSecurityGroupReferences: peered VPCs,
other accounts' included) tell ``unused-security-group`` that a group no interface of
this account carries is still in use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from netmend.aws.group_use import read_group_references
from netmend.aws.paging import iter_items
from netmend.aws.session import AwsClients
from netmend.errors import NetmendError

__all__ = [
    "CONNTRACK_METRIC_NAMES",
    "collect_signals",
    "conntrack_rises",
    "read_conntrack_rises",
    "ssm_endpoints",
]

log = structlog.get_logger()

CONNTRACK_METRIC_NAMES = ("ethtool_conntrack_allowance_exceeded", "conntrack_allowance_exceeded")
_SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")
_PERIOD = 300


def _metrics(clients: AwsClients, namespace: str) -> list[tuple[str, dict[str, Any]]]:
    """(instance id, metric) for every conntrack metric of the namespace."""
    found: list[tuple[str, dict[str, Any]]] = []
    client = clients.cloudwatch
    for name in CONNTRACK_METRIC_NAMES:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Namespace": namespace, "MetricName": name}
            if token:
                kwargs["NextToken"] = token
            page = clients.call(client.list_metrics, **kwargs)
            for metric in page.get("Metrics") or ():
                dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions") or ()}
                if dims.get("InstanceId"):
                    found.append((str(dims["InstanceId"]), metric))
            token = page.get("NextToken")
            if not token:
                break
    return found


def conntrack_rises(
    clients: AwsClients, *, namespace: str = "CWAgent", now: datetime | None = None
) -> dict[str, float] | None:
    """Instance id -> how much conntrack_allowance_exceeded rose in the last hour.

    None when no such metric exists in the account and region (not collected).
    """
    metrics = _metrics(clients, namespace)
    if not metrics:
        return None
    end = now or datetime.now(UTC)
    queries = [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": metric["Namespace"],
                    "MetricName": metric["MetricName"],
                    "Dimensions": metric.get("Dimensions") or [],
                },
                "Period": _PERIOD,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        }
        for index, (_, metric) in enumerate(metrics)
    ]
    rises: dict[str, float] = {instance: 0.0 for instance, _ in metrics}
    for start in range(0, len(queries), 500):  # GetMetricData takes 500 queries a call
        batch = queries[start : start + 500]
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "MetricDataQueries": batch,
                "StartTime": end - timedelta(hours=1),
                "EndTime": end,
            }
            if token:
                kwargs["NextToken"] = token
            answer = clients.call(clients.cloudwatch.get_metric_data, **kwargs)
            for result in answer.get("MetricDataResults") or ():
                instance = metrics[int(str(result["Id"])[1:])][0]
                values = [float(v) for v in result.get("Values") or ()]
                if values:
                    rises[instance] = max(rises[instance], _rise(values))
            token = answer.get("NextToken")
            if not token:
                break
    return rises


def _rise(values: list[float]) -> float:
    # One datapoint of a counter says nothing about a rise unless the counter is above
    # zero from its start within the hour (a fresh instance): count that as the rise.
    if len(values) == 1:
        return values[0]
    return max(values) - min(values)


def ssm_endpoints(clients: AwsClients) -> dict[str, dict[str, list[str]]]:
    """VPC id -> {ssm|ssmmessages|ec2messages: [ENI ids]} of its interface endpoints."""
    found: dict[str, dict[str, list[str]]] = {}
    endpoints = iter_items(
        clients.call,
        clients.ec2,
        "describe_vpc_endpoints",
        "VpcEndpoints",
        page_size=1000,
        Filters=[{"Name": "vpc-endpoint-type", "Values": ["Interface"]}],
    )
    for endpoint in endpoints:
        service = str(endpoint.get("ServiceName", "")).rsplit(".", 1)[-1]
        if service not in _SSM_SERVICES or endpoint.get("State", "available") not in (
            "available",
            "Available",
        ):
            continue
        enis = [str(e) for e in endpoint.get("NetworkInterfaceIds") or ()]
        found.setdefault(str(endpoint["VpcId"]), {}).setdefault(service, []).extend(enis)
    return found


def read_conntrack_rises(clients: AwsClients) -> dict[str, float] | None:
    """``conntrack_rises``, or None when it cannot be read (no permission, no CloudWatch
    at the endpoint): the metric is evidence, never a reason for a command to fail."""
    try:
        return conntrack_rises(clients)
    except NetmendError as error:
        log.info("conntrack metric not read", reason=str(error))
        return None


def collect_signals(
    clients: AwsClients, playbook_ids: Iterable[str], *, group_ids: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """The signals the chosen playbooks need, and a note per signal on what was read.

    ``group_ids`` are the groups the inventory shows nobody using: whether a VPC
    elsewhere (a peered VPC of another account) references them is asked of AWS
    (DescribeSecurityGroupReferences), since the inventory cannot hold it.
    """
    wanted = set(playbook_ids)
    signals: dict[str, Any] = {}
    notes: dict[str, str] = {}
    candidates = sorted(set(group_ids))
    if "unused-security-group" in wanted and candidates:
        try:
            references = read_group_references(clients, candidates)
        except NetmendError as error:
            log.info("security group references not read", reason=str(error))
            notes["security_group_references"] = f"not read: {error}"
        else:
            signals["security_group_references"] = references
            notes["security_group_references"] = (
                f"read for {len(candidates)} group(s): {len(references)} referenced from "
                "another VPC"
            )
    if "conntrack-allowance-exceeded" in wanted:
        try:
            rises = conntrack_rises(clients)
        except NetmendError as error:
            log.info("conntrack metric not read", reason=str(error))
            notes["conntrack_allowance_exceeded"] = f"not read: {error}"
        else:
            if rises is None:
                notes["conntrack_allowance_exceeded"] = (
                    "no such metric (install the CloudWatch agent with its ethtool plugin)"
                )
            else:
                signals["conntrack_allowance_exceeded"] = rises
                notes["conntrack_allowance_exceeded"] = f"read for {len(rises)} instance(s)"
    if "ssm-egress-blocked" in wanted:
        try:
            signals["vpc_endpoints"] = ssm_endpoints(clients)
            notes["vpc_endpoints"] = "read"
        except NetmendError as error:
            log.info("VPC endpoints not read", reason=str(error))
            notes["vpc_endpoints"] = f"not read (public endpoints assumed): {error}"
    return signals, notes
