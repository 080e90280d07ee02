"""The record an evaluation builds as it walks the path: hops, blocks, notes."""

from __future__ import annotations

from dataclasses import dataclass, field

from netmend.reach.result import Direction, EphemeralCoverage, Explanation, Hop, Leg

__all__ = ["Trace"]


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
        hops.append(
            Hop(
                component=component,
                kind=kind,
                leg=leg,
                direction=direction,
                allowed=allowed,
                detail=detail,
            )
        )

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
        self.explanations.append(
            Explanation(
                code=code,
                component=component,
                direction=direction,
                leg=leg,
                rules=rules,
                detail=detail,
            )
        )

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
