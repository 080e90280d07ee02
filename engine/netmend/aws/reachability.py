"""AWS Reachability Analyzer (Network Insights): the only place netmend calls it.

``analyze_path`` creates a path for a flow, starts an analysis, polls it (botocore has
no waiter for it; AWS documents no latency, ~tens of seconds is usual) until it is no
longer ``running`` or the timeout passes, reads the verdict, and always deletes the
analysis and then the path it made, on success, failure, timeout or Ctrl-C alike. What
it creates is tagged ``netmend:created-by=netmend`` (and ``netmend:run-id``), so a
leftover (a process killed mid-analysis) is found by ``find_leftovers``.

Reachability Analyzer takes TCP and UDP over IPv4 only, from an AWS resource;
``unsupported_reason`` says why a flow cannot be analysed, so that the caller checks it
locally instead and says why. Each analysis is billed (about USD 0.10).
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from botocore.exceptions import BotoCoreError
from botocore.parsers import ResponseParserError
from pydantic import BaseModel, ConfigDict
from tenacity import RetryCallState, RetryError, Retrying, retry_if_result

from netmend.aws.explanations import component_ids, explanations_from_aws
from netmend.aws.paging import iter_items
from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, NetmendError
from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP
from netmend.reach.flow import EndpointKind, Flow
from netmend.reach.result import Explanation

__all__ = [
    "CREATED_BY_TAG",
    "RUN_ID_TAG",
    "AnalysisFailedError",
    "CannotAnalyseError",
    "LeftoverPath",
    "PathAnalysis",
    "ReachabilityAnalyzerError",
    "VerificationTimeoutError",
    "analyze_path",
    "analyzer_cannot_answer",
    "delete_leftovers",
    "find_leftovers",
    "path_request",
    "unsupported_reason",
]

log = structlog.get_logger()

CREATED_BY_TAG = "netmend:created-by"
RUN_ID_TAG = "netmend:run-id"
_CREATED_BY = "netmend"
_RUNNING = "running"
_FAILED = "failed"


class ReachabilityAnalyzerError(NetmendError):
    """Reachability Analyzer could not give a verdict for a flow."""


class CannotAnalyseError(ReachabilityAnalyzerError):
    """The flow is one Reachability Analyzer cannot analyse (ICMP, IPv6, outside source)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class AnalysisFailedError(ReachabilityAnalyzerError):
    """The analysis ended with Status ``failed``; carries AWS's StatusMessage."""

    def __init__(self, analysis_id: str, status_message: str) -> None:
        self.analysis_id = analysis_id
        self.status_message = status_message
        super().__init__(
            f"Reachability Analyzer analysis {analysis_id} failed: "
            f"{status_message or 'no reason given'}"
        )


class VerificationTimeoutError(ReachabilityAnalyzerError):
    """The analysis was still running when the timeout passed (it was deleted)."""

    def __init__(self, analysis_id: str, timeout_s: float) -> None:
        self.analysis_id = analysis_id
        self.timeout_s = timeout_s
        super().__init__(
            f"Reachability Analyzer analysis {analysis_id} still running after "
            f"{timeout_s:g} s; it was deleted. Try again with a longer timeout, "
            "or verify with --method local"
        )


class PathAnalysis(BaseModel):
    """A finished analysis: whether a path exists and, if not, where it stops."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path_id: str
    analysis_id: str
    reachable: bool  # NetworkPathFound
    explanations: tuple[Explanation, ...] = ()
    forward_components: tuple[str, ...] = ()  # component ids along the forward path
    return_components: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # WarningMessage, additional detail codes


class LeftoverPath(BaseModel):
    """A Network Insights path netmend created and did not delete."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path_id: str
    run_id: str | None = None
    created: str | None = None
    source: str | None = None
    destination: str | None = None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def unsupported_reason(flow: Flow) -> str | None:
    """Why Reachability Analyzer cannot analyse ``flow``, or None when it can."""
    if flow.protocol in (ICMP, ICMPV6):
        return "Reachability Analyzer cannot analyse ICMP"
    if flow.protocol not in (TCP, UDP):
        what = "all-traffic (-1)" if flow.protocol == "-1" else f"protocol {flow.protocol}"
        return f"Reachability Analyzer cannot analyse {what} flows, only TCP and UDP"
    if flow.ipv6 or ":" in flow.source.address:
        return "Reachability Analyzer analyses IPv4 only"
    if flow.source.kind is EndpointKind.EXTERNAL or not (
        flow.source.eni_id or flow.source.instance_id
    ):
        return (
            "Reachability Analyzer needs an AWS resource as the source; "
            f"{flow.source.address} is an outside address"
        )
    return None


def _tags(run_id: str | None) -> list[dict[str, str]]:
    tags = [{"Key": CREATED_BY_TAG, "Value": _CREATED_BY}]
    if run_id:
        tags.append({"Key": RUN_ID_TAG, "Value": run_id})
    return tags


def path_request(flow: Flow, *, tag_run_id: str | None = None) -> dict[str, Any]:
    """The CreateNetworkInsightsPath parameters for ``flow`` (CannotAnalyseError if none)."""
    reason = unsupported_reason(flow)
    if reason is not None:
        raise CannotAnalyseError(reason)
    source, destination = flow.source, flow.destination
    params: dict[str, Any] = {
        # The ENI the evaluator used; an instance id would mean its primary ENI.
        "Source": source.eni_id or source.instance_id,
        "Protocol": flow.protocol,
        "DestinationPort": flow.port,
        "TagSpecifications": [{"ResourceType": "network-insights-path", "Tags": _tags(tag_run_id)}],
    }
    if _is_ip(source.given):
        params["SourceIp"] = source.address  # maybe a secondary address of the ENI
    if destination.kind is EndpointKind.EXTERNAL:
        params["DestinationIp"] = destination.address
    else:
        params["Destination"] = destination.eni_id or destination.instance_id
        if _is_ip(destination.given):
            params["DestinationIp"] = destination.address
    return params


def _notes(analysis: Mapping[str, Any]) -> tuple[str, ...]:
    notes: list[str] = []
    if analysis.get("WarningMessage"):
        notes.append(str(analysis["WarningMessage"]))
    components = [
        *(analysis.get("ForwardPathComponents") or ()),
        *(analysis.get("ReturnPathComponents") or ()),
    ]
    for component in components:
        for detail in component.get("AdditionalDetails") or ():
            kind = detail.get("AdditionalDetailType")
            if kind and kind not in notes:
                notes.append(str(kind))
    return tuple(notes)


def _wait_for(
    clients: AwsClients,
    analysis_id: str,
    *,
    deadline: float,
    timeout_s: float,
    poll_interval_s: float,
    initial_wait_s: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    on_wait: Callable[[float], None] | None = None,
) -> Mapping[str, Any]:
    """Poll DescribeNetworkInsightsAnalyses until the analysis leaves ``running``;
    ``on_wait(seconds)`` hears how long it has been running before each wait."""
    started = clock()

    def wait(seconds: float) -> None:
        if on_wait is not None:
            on_wait(clock() - started)
        sleep(seconds)

    def describe() -> Mapping[str, Any]:
        try:
            page = clients.call(
                clients.ec2.describe_network_insights_analyses,
                NetworkInsightsAnalysisIds=[analysis_id],
            )
        except AwsCallError as error:
            if error.code.endswith(".NotFound"):  # not visible yet (eventual consistency)
                return {"Status": _RUNNING}
            raise
        found = page.get("NetworkInsightsAnalyses") or []
        return found[0] if found else {"Status": _RUNNING}

    def still_running(analysis: Mapping[str, Any]) -> bool:
        return analysis.get("Status") == _RUNNING

    def past_deadline(_: RetryCallState) -> bool:
        return clock() >= deadline

    def next_wait(_: RetryCallState) -> float:
        return max(0.0, min(poll_interval_s, deadline - clock()))

    wait(max(0.0, min(initial_wait_s, deadline - clock())))
    retrying = Retrying(
        retry=retry_if_result(still_running),
        stop=past_deadline,
        wait=next_wait,
        sleep=wait,
    )
    try:
        return retrying(describe)
    except RetryError:
        raise VerificationTimeoutError(analysis_id, timeout_s) from None


def _delete(clients: AwsClients, method: Callable[..., Any], **params: str) -> None:
    try:
        clients.call(method, **params)
    except NetmendError as error:  # never hide the error that brought us here
        log.warning("reachability analyzer cleanup failed", error=str(error), **params)


def analyze_path(
    clients: AwsClients,
    flow: Flow,
    *,
    timeout_s: float = 120,
    poll_interval_s: float = 5,
    initial_wait_s: float = 10,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    tag_run_id: str | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> PathAnalysis:
    """Analyse ``flow`` with Reachability Analyzer and delete what was created.

    ``on_wait(seconds)`` hears, before each poll's wait, how long the analysis has been
    running (a face shows it against the minute an analysis usually takes).

    Raises CannotAnalyseError (ICMP, IPv6, outside source) before any call;
    AnalysisFailedError (Status failed, with AWS's StatusMessage);
    VerificationTimeoutError when still running after ``timeout_s``; AwsCallError /
    AwsConnectionError from the calls. Cleanup failures are logged, never raised.
    """
    params = path_request(flow, tag_run_id=tag_run_id)
    deadline = clock() + timeout_s
    path_id: str | None = None
    analysis_id: str | None = None
    try:
        # Our own ClientTokens: a create or start retried after a lost answer then
        # returns the same path or analysis rather than paying for a second one.
        try:
            created = clients.call(
                clients.ec2.create_network_insights_path, **params, ClientToken=str(uuid.uuid4())
            )
        except ResponseParserError as error:  # moto: HTTP 500 "not implemented", as HTML
            raise ReachabilityAnalyzerError(
                f"the endpoint {clients.endpoint_url} does not answer "
                "CreateNetworkInsightsPath (moto has no Reachability Analyzer); "
                "verify with --method local"
            ) from error
        path_id = created["NetworkInsightsPath"]["NetworkInsightsPathId"]
        start: dict[str, Any] = {
            "NetworkInsightsPathId": path_id,
            "TagSpecifications": [
                {"ResourceType": "network-insights-analysis", "Tags": _tags(tag_run_id)}
            ],
            "ClientToken": str(uuid.uuid4()),
        }
        started = clients.call(clients.ec2.start_network_insights_analysis, **start)
        analysis_id = started["NetworkInsightsAnalysis"]["NetworkInsightsAnalysisId"]
        log.info(
            "reachability analysis started",
            path_id=path_id,
            analysis_id=analysis_id,
            flow=flow.service,
        )
        analysis = _wait_for(
            clients,
            analysis_id,
            deadline=deadline,
            timeout_s=timeout_s,
            poll_interval_s=poll_interval_s,
            initial_wait_s=initial_wait_s,
            sleep=sleep,
            clock=clock,
            on_wait=on_wait,
        )
        if analysis.get("Status") == _FAILED:
            raise AnalysisFailedError(analysis_id, str(analysis.get("StatusMessage") or ""))
        return PathAnalysis(
            path_id=path_id,
            analysis_id=analysis_id,
            reachable=bool(analysis.get("NetworkPathFound")),
            explanations=explanations_from_aws(analysis),
            forward_components=component_ids(analysis.get("ForwardPathComponents")),
            return_components=component_ids(analysis.get("ReturnPathComponents")),
            notes=_notes(analysis),
        )
    finally:
        # Analyses first: the guide is unsure whether deleting a path deletes them.
        if analysis_id is not None:
            _delete(
                clients,
                clients.ec2.delete_network_insights_analysis,
                NetworkInsightsAnalysisId=analysis_id,
            )
        if path_id is not None:
            _delete(
                clients, clients.ec2.delete_network_insights_path, NetworkInsightsPathId=path_id
            )


def find_leftovers(clients: AwsClients) -> tuple[LeftoverPath, ...]:
    """Network Insights paths tagged ``netmend:created-by=netmend`` that still exist.

    DescribeNetworkInsightsPaths documents no tag filter, so the tags are read here.
    """
    found: list[LeftoverPath] = []
    for path in iter_items(
        clients.call,
        clients.ec2,
        "describe_network_insights_paths",
        "NetworkInsightsPaths",
        page_size=100,
    ):
        tags = {t.get("Key"): t.get("Value") for t in path.get("Tags") or ()}
        if tags.get(CREATED_BY_TAG) != _CREATED_BY:
            continue
        created = path.get("CreatedDate")
        found.append(
            LeftoverPath(
                path_id=path["NetworkInsightsPathId"],
                run_id=tags.get(RUN_ID_TAG),
                created=created.isoformat() if created is not None else None,
                source=path.get("Source"),
                destination=path.get("Destination") or path.get("DestinationIp"),
            )
        )
    return tuple(found)


def delete_leftovers(clients: AwsClients, path_ids: list[str]) -> None:
    """Delete these paths and their analyses (analyses first); failures are logged."""
    for path_id in path_ids:
        for analysis in iter_items(
            clients.call,
            clients.ec2,
            "describe_network_insights_analyses",
            "NetworkInsightsAnalyses",
            page_size=100,
            NetworkInsightsPathId=path_id,
        ):
            _delete(
                clients,
                clients.ec2.delete_network_insights_analysis,
                NetworkInsightsAnalysisId=analysis["NetworkInsightsAnalysisId"],
            )
        _delete(clients, clients.ec2.delete_network_insights_path, NetworkInsightsPathId=path_id)


# -- can it answer here? (asked before a run's first write) ---------------------------
# Can Reachability Analyzer answer here? Asked before a run's first write.
#
# A fix verified by Reachability Analyzer where it is missing (moto, a partition or
# endpoint without it) or not permitted would write the change, fail verification and
# roll back: a write and an undo on a production firewall for nothing. So the run asks
# first, with calls that cost nothing and change nothing:
#
# - ``DescribeNetworkInsightsPaths`` (one page of at most 5): the service answers at all;
# - on AWS's own endpoints, ``CreateNetworkInsightsPath`` and
#   ``StartNetworkInsightsAnalysis`` with ``DryRun``: AWS answers ``DryRunOperation``
#   when the caller may make the call, ``UnauthorizedOperation`` when not (IAM is checked
#   before the path id, so a placeholder id is enough for the second).


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


def analyzer_cannot_answer(clients: AwsClients, flow: Flow | None, *, on_aws: bool) -> str | None:
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
