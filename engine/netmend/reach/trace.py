"""The record an evaluation builds as it walks the path: hops, blocks, notes.

Hops and explanations are immutable and repeat from flow to flow (the same group, ACL
entry or route admits many flows): each distinct one is built once and shared, so an
evaluation costs a few dictionary lookups per component instead of a validated model,
and many evaluations kept together (an intents report, a scan) share their parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from netmend.reach.result import Direction, EphemeralCoverage, Explanation, Hop, Leg

__all__ = ["Trace"]

_SHARED = 1 << 16  # distinct hops (and explanations) kept for sharing


@lru_cache(maxsize=_SHARED)
def _hop(
    component: str, kind: str, leg: Leg, direction: Direction | None, allowed: bool, detail: str
) -> Hop:
    return Hop(
        component=component,
        kind=kind,
        leg=leg,
        direction=direction,
        allowed=allowed,
        detail=detail,
    )


@lru_cache(maxsize=_SHARED)
def _explanation(
    code: str,
    component: str,
    direction: Direction | None,
    leg: Leg,
    rules: tuple[str, ...],
    detail: str,
) -> Explanation:
    return Explanation(
        code=code, component=component, direction=direction, leg=leg, rules=rules, detail=detail
    )


@dataclass
class Trace:
    forward: list[Hop] = field(default_factory=list)
    return_path: list[Hop] = field(default_factory=list)
    explanations: list[Explanation] = field(default_factory=list)
    ephemeral: list[EphemeralCoverage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def hop(
        self,
        leg: Leg,
        component: str,
        kind: str,
        *,
        direction: Direction | None = None,
        allowed: bool = True,
        detail: str = "",
    ) -> None:
        hops = self.forward if leg is Leg.FORWARD else self.return_path
        hops.append(_hop(component, kind, leg, direction, allowed, detail))

    def block(
        self,
        code: str,
        component: str,
        *,
        leg: Leg,
        direction: Direction | None = None,
        rules: tuple[str, ...] = (),
        detail: str = "",
    ) -> None:
        """Record a point where the flow is dropped (in path order: call as you walk).

        The same component failing the same way twice (two ENIs of one stopped instance,
        two ENIs in one missing subnet) is recorded once.
        """
        if any(
            (e.code, e.component, e.direction, e.leg) == (code, component, direction, leg)
            for e in self.explanations
        ):
            return
        self.explanations.append(_explanation(code, component, direction, leg, rules, detail))

    def drop(
        self,
        code: str,
        component: str,
        kind: str,
        *,
        leg: Leg,
        direction: Direction | None = None,
        rules: tuple[str, ...] = (),
        detail: str = "",
    ) -> None:
        """The flow stops at ``component``: its failed hop, then the explanation, with
        the same words (what most blocking points record)."""
        self.hop(leg, component, kind, direction=direction, allowed=False, detail=detail)
        self.block(code, component, leg=leg, direction=direction, rules=rules, detail=detail)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
