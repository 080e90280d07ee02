"""Offline reachability: pure functions over an Inventory, no AWS.

``evaluate(inventory, flow)`` walks a flow's forward and return path through security
groups, network ACLs and route tables and says, in Reachability Analyzer's words, where
it is dropped. ``evaluate_flows(inventory, flows)`` gives many flows' verdicts at once,
sharing the work between flows of one class (batch.py).
"""

from __future__ import annotations

from netmend.reach.batch import Verdict, evaluate_flows
from netmend.reach.evaluate import Evaluator, evaluate, evaluator_for
from netmend.reach.flow import Endpoint, EndpointKind, Flow, make_flow, resolve_endpoint
from netmend.reach.result import (
    Code,
    Direction,
    EphemeralCoverage,
    Evaluation,
    Explanation,
    Hop,
    Leg,
)
from netmend.reach.tracking import is_untracked, removal_cuts_connections

__all__ = [
    "Code",
    "Direction",
    "Endpoint",
    "EndpointKind",
    "EphemeralCoverage",
    "Evaluation",
    "Evaluator",
    "Explanation",
    "Flow",
    "Hop",
    "Leg",
    "Verdict",
    "evaluate",
    "evaluate_flows",
    "evaluator_for",
    "is_untracked",
    "make_flow",
    "removal_cuts_connections",
    "resolve_endpoint",
]
