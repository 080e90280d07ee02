"""Can Reachability Analyzer answer here? Asked before a run's first write.

A fix verified by Reachability Analyzer where it is missing (moto, a partition or
endpoint without it) or not permitted would write the change, fail verification and
roll back: a write and an undo on a production firewall for nothing. So the run asks
first, with calls that cost nothing and change nothing:

- ``DescribeNetworkInsightsPaths`` (one page of at most 5): the service answers at all;
- on AWS's own endpoints, ``CreateNetworkInsightsPath`` and
  ``StartNetworkInsightsAnalysis`` with ``DryRun``: AWS answers ``DryRunOperation``
  when the caller may make the call, ``UnauthorizedOperation`` when not (IAM is checked
  before the path id, so a placeholder id is enough for the second).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.parsers import ResponseParserError

from netmend.aws.reachability import path_request, unsupported_reason
from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, NetmendError
from netmend.reach.flow import Flow

__all__ = ["analyzer_unavailable"]

_DRY_RUN_OK = "DryRunOperation"
_PLACEHOLDER_PATH = "nip-00000000000000000"


def _refusal(error: Exception, operation: str, where: str) -> str:
    if isinstance(error, AwsCallError):
        if error.code in ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException"):
            return f"not permitted to call {operation} ({error.code}){where}"
        return f"{operation} failed{where}: {error.code}: {error.aws_message}"
    if isinstance(error, ResponseParserError):  # moto: HTTP 500 "not implemented", as HTML
        return f"the endpoint{where.removeprefix(' at')} has no Reachability Analyzer"
    return f"{operation} failed{where}: {error}"


def analyzer_unavailable(clients: AwsClients, flow: Flow | None, *, on_aws: bool) -> str | None:
    """Why Reachability Analyzer cannot verify ``flow`` here, or None when it can.

    A flow it cannot take (ICMP, IPv6, outside source) is not refused here: the run
    checks such a flow locally and says why.
    """
    where = f" at {clients.endpoint_url}" if clients.endpoint_url else ""
    try:
        clients.call(clients.ec2.describe_network_insights_paths, MaxResults=5)
    except (NetmendError, BotoCoreError, ResponseParserError) as error:
        return _refusal(error, "DescribeNetworkInsightsPaths", where)
    if not on_aws or flow is None or unsupported_reason(flow) is not None:
        return None
    dry_runs: tuple[tuple[str, Callable[..., Any], dict[str, Any]], ...] = (
        ("CreateNetworkInsightsPath", clients.ec2.create_network_insights_path, path_request(flow)),
        (
            "StartNetworkInsightsAnalysis",
            clients.ec2.start_network_insights_analysis,
            {"NetworkInsightsPathId": _PLACEHOLDER_PATH},
        ),
    )
    for operation, method, params in dry_runs:
        try:
            clients.call(method, DryRun=True, **params)
        except AwsCallError as error:
            if error.code == _DRY_RUN_OK:
                continue
            return _refusal(error, operation, where)
        except (NetmendError, BotoCoreError) as error:
            return _refusal(error, operation, where)
    return None
