"""Reachability Analyzer as the runner's flow verifier (``Runner(verifiers=...)``).

The runner checks the fixed flow with the verifier registered as
``"reachability-analyzer"`` while its own local verifier checks that nothing else
broke (``netmend.verify.run``). ``runner_verifiers(clients, method)`` gives that
mapping for ``--verify``: empty when ``verify.flow.resolve_method`` gives local for any
flow (``local``; ``auto`` off AWS's own endpoints). A registered analyzer is how the
runner knows Reachability Analyzer can answer here.

A flow Reachability Analyzer cannot take (ICMP, IPv6, outside source) is evaluated
locally on the estate read again, and the verification says why; under ``auto`` so is
one whose analysis fails or times out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from netmend.aws.reachability import PathAnalysis, analyzer_cannot_answer
from netmend.aws.session import AwsClients
from netmend.reach.flow import Flow
from netmend.run.plan import Plan
from netmend.run.result import Verification
from netmend.verify.flow import (
    LOCAL,
    REACHABILITY_ANALYZER,
    MethodVerifier,
    ReachabilityAnalyzerVerifier,
    analyzer_unavailable,
    is_aws_endpoint,
    resolve_method,
)
from netmend.verify.run import IntentCheck

__all__ = ["AnalyzerRunVerifier", "runner_verifiers"]


class AnalyzerRunVerifier:
    """Checks the run's flow with Reachability Analyzer (tagged with the run id)."""

    method = REACHABILITY_ANALYZER

    def __init__(
        self,
        clients: AwsClients,
        *,
        auto: bool = False,
        timeout_s: float = 120,
        analyze: Callable[..., PathAnalysis] | None = None,
    ) -> None:
        self.clients = clients
        self.auto = auto
        self.timeout_s = timeout_s
        self._analyze = analyze  # tests inject a fake analyze_path
        # Told how long the analysis has been running (the runner passes its progress).
        self.progress: Callable[[str], None] = lambda step: None

    def prepare(self, plan: Plan) -> None:
        """Nothing to read before the first write: the analysis runs after the last."""
        return None

    def unavailable(self, flow: Flow | None) -> str | None:
        """Why Reachability Analyzer cannot answer here (asked before the first write),
        or None. Under ``auto`` it never blocks a run: a failed analysis falls back to
        the local evaluator anyway."""
        if self.auto:
            return None
        on_aws = is_aws_endpoint(self.clients.endpoint_url)
        return analyzer_cannot_answer(self.clients, flow, on_aws=on_aws)

    def verify(
        self,
        plan: Plan,
        flow: Flow | None,
        intents: Sequence[IntentCheck],
        baseline: Any,
    ) -> Verification:
        if flow is None:
            return Verification(method=self.method, passed=True, detail="no flow to check")
        analyzer = ReachabilityAnalyzerVerifier(
            self.clients,
            timeout_s=self.timeout_s,
            run_id=plan.run_id,
            analyze=self._analyze,
            on_wait=lambda seconds: self.progress(
                f"Reachability Analyzer: running for {seconds:.0f} s "
                f"(an analysis usually takes 40-55 s; gives up after {self.timeout_s:.0f} s)"
            ),
        )
        # A fresh local verifier: a fallback must read the estate as it is now.
        verifier = MethodVerifier(
            "auto" if self.auto else REACHABILITY_ANALYZER, self.clients, analyzer=analyzer
        )
        verdict = verifier.check(flow)
        problems: tuple[str, ...] = ()
        if not verdict.reachable:
            where = verdict.blocking
            at = f" at {where.component} ({where.code})" if where else ""
            problems = (
                f"{flow.service} from {flow.source.label} to {flow.destination.label} "
                f"is still blocked{at} ({verdict.method})",
            )
        detail = verdict.detail
        if verdict.fallback_reason:
            detail = f"{detail}; {verdict.fallback_reason}"
        return Verification(
            method=verdict.method,
            reachable=verdict.reachable,
            passed=verdict.reachable,
            detail=detail,
            problems=problems,
        )


def runner_verifiers(clients: AwsClients, method: str) -> dict[str, AnalyzerRunVerifier]:
    """The ``verifiers`` mapping to give ``Runner`` for ``--verify METHOD``."""
    choice = resolve_method(method, None, unavailable=analyzer_unavailable(clients.endpoint_url))
    if choice.method == LOCAL:
        return {}
    return {REACHABILITY_ANALYZER: AnalyzerRunVerifier(clients, auto=method == "auto")}
