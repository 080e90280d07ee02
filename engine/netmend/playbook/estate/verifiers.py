"""The verification step of estate playbooks: what the estate allowed before still holds.

A hygiene fix has no failing flow to re-check. After applying, the runner's local
verifier reads the touched resources again and checks that every rule, entry and group
the plan meant to keep is still there and that flows that were allowed before on the
ports they name still are, unless the plan meant to cut them; otherwise it rolls back.
"""

from __future__ import annotations

from netmend.playbook.registry import verifier

__all__: list[str] = []

verifier(
    "estate.kept-flows",
    summary="What the estate allowed before still passes, except what the fix meant to remove.",
)
