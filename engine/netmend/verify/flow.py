"""Verification of one flow: by netmend's own evaluator or by AWS Reachability Analyzer.

A ``FlowVerifier`` answers ``check(flow) -> FlowVerdict``. Three methods, as DESIGN.md has it:

- ``local``: the estate is read (once, or the touched part again) and evaluated offline;
- ``reachability-analyzer``: AWS analyses the path (TCP/UDP over IPv4 only; ~a minute and
  about USD 0.10 per flow); a flow it cannot analyse (ICMP, IPv6, outside source) is
  checked locally instead, and the verdict says why (``fallback_reason``);
- ``auto``: Reachability Analyzer where it can answer (a real AWS endpoint, TCP/UDP over
  IPv4), else local; if the analysis fails or times out, local, saying why.

``resolve_method`` is the one place ``auto`` is resolved (``select_verifier`` for one
flow, ``MethodVerifier`` per flow for intents, and the runner's analyzer hook all ask it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal, Protocol, cast, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from netmend.errors import AwsCallError, BadInputError, NetmendError
from netmend.model import Inventory
from netmend.reach import Explanation, Flow, evaluate, evaluate_flows

# netmend.aws (boto3, botocore) is imported where AWS is used, not here: `verify
# --inventory` checks offline and starts without it.
if TYPE_CHECKING:
    from netmend.aws.reachability import PathAnalysis
    from netmend.aws.session import AwsClients

    InventorySource = Inventory | AwsClients | Callable[[], Inventory]

__all__ = [
    "LOCAL",
    "METHODS",
    "REACHABILITY_ANALYZER",
    "FallbackVerifier",
    "FlowVerdict",
    "FlowVerifier",
    "LocalVerifier",
    "MethodChoice",
    "MethodVerifier",
    "ReachabilityAnalyzerVerifier",
    "VerifyMethod",
    "analyzer_unavailable",
    "is_aws_endpoint",
    "resolve_method",
    "select_verifier",
]

# The one table of verification methods (``verify --method``, ``fix --verify``, the runner).
VerifyMethod = Literal["local", "reachability-analyzer", "auto"]
METHODS: tuple[str, ...] = get_args(VerifyMethod)
LOCAL = "local"
REACHABILITY_ANALYZER = "reachability-analyzer"
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn")


class FlowVerdict(BaseModel):
    """Whether a flow gets through, who said so, and where it stops if it does not."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["local", "reachability-analyzer"]
    reachable: bool
    explanations: tuple[Explanation, ...] = ()
    detail: str = ""
    fallback_reason: str | None = None  # why another method was asked for and not used

    @property
    def blocking(self) -> Explanation | None:
        """The first place the flow is dropped (None when it is reachable)."""
        return None if self.reachable or not self.explanations else self.explanations[0]


class FlowVerifier(Protocol):
    """Answers whether one flow gets through."""

    @property
    def method(self) -> str: ...

    def check(self, flow: Flow) -> FlowVerdict: ...


def is_aws_endpoint(endpoint_url: str | None) -> bool:
    """True for AWS's own endpoints (or none given), false for moto, LocalStack, proxies."""
    if endpoint_url is None:
        return True
    host = (urlsplit(endpoint_url).hostname or "").lower().rstrip(".")
    return host.endswith(_AWS_DOMAINS)


class LocalVerifier:
    """netmend's evaluator over an inventory: given, loaded once by a callable, or
    collected from AWS (``clients``: everything, once; Service Quotas not asked).

    ``clients`` beside a given inventory lets ``refresh`` read parts of it again.
    """

    method = LOCAL

    def __init__(self, source: InventorySource, *, clients: AwsClients | None = None) -> None:
        # Three kinds of source: an Inventory, a function that loads one, or AwsClients.
        self._inventory = source if isinstance(source, Inventory) else None
        self._load = source if not isinstance(source, Inventory) and callable(source) else None
        given_clients = self._inventory is None and self._load is None
        self._clients: AwsClients | None = cast("AwsClients", source) if given_clients else clients

    @property
    def inventory(self) -> Inventory:
        """The inventory evaluated, loaded on first use."""
        if self._inventory is None:
            if self._clients is not None:
                from netmend.aws.collector import collect_inventory

                self._inventory = collect_inventory(self._clients, quotas=False)
            elif self._load is not None:
                self._inventory = self._load()
            else:  # pragma: no cover - the constructor sets one of the three
                raise NetmendError("local verification has no inventory")
        return self._inventory

    def refresh(self, resource_ids: Iterable[str]) -> Inventory:
        """Read these groups / ACLs / ENIs / route tables / instances again from AWS."""
        if self._clients is None:
            raise NetmendError("this local verifier has no AWS clients to read the estate with")
        from netmend.aws.collector import refresh_inventory

        self._inventory = refresh_inventory(self._clients, self.inventory, resource_ids)
        return self._inventory

    def check(self, flow: Flow, *, fallback_reason: str | None = None) -> FlowVerdict:
        evaluation = evaluate(self.inventory, flow)
        return _local_verdict(evaluation.reachable, evaluation.explanations, fallback_reason)

    def check_many(self, flows: Iterable[Flow]) -> list[FlowVerdict]:
        """Every flow's verdict at once: flows of one class share the work
        (``netmend.reach.evaluate_flows``); each verdict is what ``check`` says."""
        return [
            _local_verdict(v.reachable, v.explanations, None)
            for v in evaluate_flows(self.inventory, flows)
        ]


_REACHABLE = "reachable (netmend's evaluator)"


def _local_verdict(
    reachable: bool, explanations: tuple[Explanation, ...], fallback_reason: str | None
) -> FlowVerdict:
    blocking = explanations[0] if explanations else None
    if reachable:
        detail = _REACHABLE
    elif blocking is not None:
        detail = f"blocked at {blocking.component} ({blocking.code})"
    else:
        detail = "blocked"
    return FlowVerdict(
        method="local",
        reachable=reachable,
        explanations=explanations,
        detail=detail,
        fallback_reason=fallback_reason,
    )


class FallbackVerifier:
    """The local verifier standing in for another method, saying why."""

    method = LOCAL

    def __init__(self, local: LocalVerifier, reason: str) -> None:
        self.local = local
        self.reason = reason

    def check(self, flow: Flow) -> FlowVerdict:
        return self.local.check(flow, fallback_reason=self.reason)


class ReachabilityAnalyzerVerifier:
    """AWS Reachability Analyzer; raises CannotAnalyseError for flows it cannot take."""

    method = REACHABILITY_ANALYZER

    def __init__(
        self,
        clients: AwsClients,
        *,
        timeout_s: float = 120,
        run_id: str | None = None,
        analyze: Callable[..., PathAnalysis] | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.clients = clients
        self.timeout_s = timeout_s
        self.run_id = run_id
        from netmend.aws.reachability import analyze_path

        # Tests pass analyze_path with a fake clock and sleep bound in.
        self._analyze = analyze or analyze_path
        self.on_wait = on_wait  # how long the analysis has run, before each poll

    def check(self, flow: Flow) -> FlowVerdict:
        analysis = self._analyze(
            self.clients,
            flow,
            timeout_s=self.timeout_s,
            tag_run_id=self.run_id,
            on_wait=self.on_wait,
        )
        first = analysis.explanations[0] if analysis.explanations else None
        if analysis.reachable:
            detail = f"path found (analysis {analysis.analysis_id})"
        elif first is not None:
            detail = f"blocked at {first.component or '?'} ({first.code})"
        else:
            detail = f"no path found (analysis {analysis.analysis_id})"
        notes = "; ".join(analysis.notes)
        return FlowVerdict(
            method="reachability-analyzer",
            reachable=analysis.reachable,
            explanations=() if analysis.reachable else analysis.explanations,
            detail=f"{detail}; {notes}" if notes else detail,
        )


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise BadInputError(f"unknown verification method {method!r}: use {', '.join(METHODS)}")


def analyzer_unavailable(endpoint_url: str | None) -> str | None:
    """Why Reachability Analyzer cannot answer at this endpoint (None: it can, AWS's own)."""
    if is_aws_endpoint(endpoint_url):
        return None
    return f"Reachability Analyzer runs on AWS only, not at {endpoint_url}; checked locally"


class MethodChoice(BaseModel):
    """The method that checks a flow, and why it is not the one asked for (if it is not)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["local", "reachability-analyzer"]
    fallback_reason: str | None = None


def resolve_method(method: str, flow: Flow | None, *, unavailable: str | None) -> MethodChoice:
    """The one resolution of ``--verify``/``--method``: ``local``, ``reachability-analyzer``
    or ``auto`` for ``flow`` (None: any flow it may later be given).

    ``unavailable`` says why Reachability Analyzer cannot be reached here (None: it
    can); only ``auto`` heeds it, as someone asking for the analyzer by name gets its
    own error. A flow the analyzer cannot take (ICMP, IPv6, outside source) is local
    under either, with the reason. BadInputError for another method.
    """
    _check_method(method)
    if method == LOCAL:
        return MethodChoice(method=LOCAL)
    from netmend.aws.reachability import unsupported_reason

    reason = unsupported_reason(flow) if flow is not None else None
    if reason is None and method == "auto":
        reason = unavailable
    if reason is not None:
        return MethodChoice(method=LOCAL, fallback_reason=reason)
    return MethodChoice(method=REACHABILITY_ANALYZER)


def select_verifier(
    method: str,
    clients: AwsClients,
    flow: Flow,
    *,
    local: LocalVerifier | None = None,
    analyzer: FlowVerifier | None = None,
) -> FlowVerifier:
    """The verifier for ``flow`` under ``method`` (auto, local, reachability-analyzer).

    ``local`` and ``analyzer`` are reused when given (else made from ``clients``).
    Reachability Analyzer asked for a flow it cannot analyse gives the local verifier
    with the reason ("Reachability Analyzer cannot analyse ICMP"); ``auto`` off AWS's own
    endpoints (moto, LocalStack) gives local, saying so. BadInputError for another method.
    """
    # Only auto heeds where the analyzer is (a verifier asked by name may have no endpoint).
    unavailable = analyzer_unavailable(clients.endpoint_url) if method == "auto" else None
    choice = resolve_method(method, flow, unavailable=unavailable)
    local = local or LocalVerifier(clients)
    if choice.method == REACHABILITY_ANALYZER:
        return analyzer or ReachabilityAnalyzerVerifier(clients)
    if choice.fallback_reason is not None:
        return FallbackVerifier(local, choice.fallback_reason)
    return local


class MethodVerifier:
    """A verification method for many flows: picks per flow (``select_verifier``), and
    under ``auto`` falls back to local when an analysis fails, times out or is refused.

    Under ``reachability-analyzer`` those errors propagate: the user asked for AWS's
    verdict, and local's would be a different answer.
    """

    def __init__(
        self,
        method: str,
        clients: AwsClients,
        *,
        local: LocalVerifier | None = None,
        analyzer: FlowVerifier | None = None,
    ) -> None:
        _check_method(method)
        self.method = method
        self.clients = clients
        self.local = local or LocalVerifier(clients)
        self.analyzer = analyzer

    @property
    def inventory(self) -> Inventory:
        return self.local.inventory

    def check(self, flow: Flow) -> FlowVerdict:
        chosen = select_verifier(
            self.method, self.clients, flow, local=self.local, analyzer=self.analyzer
        )
        from netmend.aws.reachability import ReachabilityAnalyzerError

        try:
            return chosen.check(flow)
        except (ReachabilityAnalyzerError, AwsCallError) as error:
            if self.method != "auto" or chosen.method != REACHABILITY_ANALYZER:
                raise
            return self.local.check(
                flow,
                fallback_reason=f"Reachability Analyzer gave no verdict ({error}); checked locally",
            )
