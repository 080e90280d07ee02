"""What the approval prompt shows beside its question: the plan in a few lines.

The full diff is printed once, above (``fix`` prints it before the run asks); next to the
question a person needs what is risky, without scrolling: the changes counted by kind,
every change that takes access away or widens it (revocations, widenings, an
interface's group list, an allow before a deny), with full ids, and the warnings.
Lines wrap (fold) rather than cut: an id with "…" cannot be checked.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Group, RenderableType
from rich.text import Text

from netmend.run.plan import ChangeKind, Plan

__all__ = ["RISKY_KINDS", "prompt_summary"]

# Kinds a person must see one by one before saying yes.
RISKY_KINDS = (
    ChangeKind.REVOCATION,
    ChangeKind.WIDENING,
    ChangeKind.ENI_GROUPS,
    ChangeKind.DENY_OVERRIDE,
)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def prompt_summary(plan: Plan) -> RenderableType:
    """The compact summary printed right before "Apply N changes?"."""
    kinds: Counter[ChangeKind] = Counter(k for c in plan.changes for k in c.kinds)
    counted = ", ".join(_plural(kinds[k], str(k)) for k in ChangeKind if kinds[k])
    lines: list[RenderableType] = [
        Text.assemble(
            ("Summary: ", "bold"),
            f"{_plural(len(plan.changes), 'change')} on {_plural(len(plan.resources), 'resource')}",
            f" ({counted})" if counted else "",
        )
    ]
    for number, change in enumerate(plan.changes, start=1):
        risky = [str(k) for k in change.kinds if k in RISKY_KINDS]
        if not risky:
            continue
        line = Text(
            f"  {number}. [{', '.join(risky)}] {change.api} {change.resource}", style="bold"
        )
        if change.summary:
            line.append(f": {change.summary}", style="")
        lines.append(line)
    warnings = list(dict.fromkeys(w for change in plan.changes for w in change.warnings))
    lines += [Text(f"  ! {warning}", style="yellow") for warning in warnings]
    return Group(*lines)
