"""Verification steps a playbook may name; the runner performs them after applying."""

from __future__ import annotations

from netmend.playbook.registry import verifier

__all__: list[str] = []

verifier(
    "reach.flow-allowed",
    summary="The failing flow is reachable after the fix (Reachability Analyzer or local).",
)

# Estate playbooks (netmend scan --fix) have no failing flow: after applying, the local
# verifier checks that what the estate allowed before still passes, except what the
# plan meant to remove, and that every rule it meant to keep is still there.
verifier(
    "estate.kept-flows",
    summary="What the estate allowed before still passes, except what the fix meant to remove.",
)
