"""Verification steps a playbook may name; the runner performs them after applying."""

from __future__ import annotations

from netmend.playbook.registry import verifier

__all__: list[str] = []

verifier(
    "reach.flow-allowed",
    summary="The failing flow is reachable after the fix (Reachability Analyzer or local).",
)
