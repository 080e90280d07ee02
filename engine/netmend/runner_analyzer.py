"""Verification by AWS Reachability Analyzer, in the runner's Verifier shape.

Register it with ``Runner(..., verifiers={"reachability-analyzer": ReachabilityVerifier(
clients)})``; ``--verify auto`` then uses it for the flows it can analyse (TCP/UDP, IPv4,
an AWS source) and the local evaluator for the rest. The local checks that nothing else
broke run either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from netmend.aws.reachability import PathAnalysis, analyze_path, unsupported_reason
from netmend.aws.session import AwsClients
from netmend.plan import Plan
from netmend.reach.flow import Flow
from netmend.runner_result import Verification
from netmend.runner_verify import IntentCheck

__all__ = ["ReachabilityVerifier"]

Analyze = Callable[..., PathAnalysis]


class ReachabilityVerifier:
    method = "reachability-analyzer"

    def __init__(self, clients: AwsClients, *, analyze: Analyze = analyze_path) -> None:
        self.clients = clients
        self._analyze = analyze

    def supports(self, flow: Flow) -> bool:
        """True when Reachability Analyzer can analyse this flow."""
        return unsupported_reason(flow) is None

    def prepare(self, plan: Plan) -> None:
        return None

    def verify(
        self,
        plan: Plan,
        flow: Flow | None,
        intents: Sequence[IntentCheck],
        baseline: Any,
    ) -> Verification:
        if flow is None:
            return Verification(method=self.method, passed=True, detail="no flow to analyse")
        analysis = self._analyze(self.clients, flow, tag_run_id=plan.run_id)
        if analysis.reachable:
            return Verification(method=self.method, reachable=True, passed=True,
                                detail=f"path found (analysis {analysis.analysis_id})")
        where = analysis.explanations[0] if analysis.explanations else None
        at = f" at {where.component} ({where.code})" if where else ""
        problem = f"Reachability Analyzer found no path for {flow.service}{at}"
        return Verification(method=self.method, reachable=False, passed=False,
                            detail=f"{problem} (analysis {analysis.analysis_id})",
                            problems=(problem,))
