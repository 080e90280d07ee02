"""Progress for long work, for people only: a rich status line on stderr, on a terminal.

Piped, redirected or under CI nothing is drawn (stdout stays the document, stderr stays
the errors), so scripts see exactly what they saw before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

__all__ = ["collection_progress", "step_lines", "work_status"]


@contextmanager
def collection_progress(
    what: str = "collecting the estate",
) -> Iterator[Callable[[str, int], None]]:
    """Yields the ``progress(kind, count)`` callback ``collect_inventory`` takes."""
    if not sys.stderr.isatty():
        yield lambda kind, count: None
        return
    console = Console(file=sys.stderr)
    seen: list[str] = []
    with console.status(f"{what}…") as status:

        def told(kind: str, count: int) -> None:
            seen.append(f"{count} {kind}")
            status.update(f"{what}: {', '.join(seen)}…")

        yield told
    if seen:
        console.print(f"[dim]collected {', '.join(seen)}[/dim]", highlight=False)


@contextmanager
def work_status(what: str) -> Iterator[Callable[[str], None]]:
    """A status line for a sequence of steps: yields ``update(step)``; silent off a tty."""
    if not sys.stderr.isatty():
        yield lambda step: None
        return
    console = Console(file=sys.stderr)
    with console.status(f"{what}…") as status:
        yield lambda step: status.update(f"{what}: {step}")


def step_lines() -> Callable[[str], None]:
    """``print(step)`` as a dim line on stderr, on a terminal only: for steps that run
    around a prompt (a live spinner would draw over the question)."""
    if not sys.stderr.isatty():
        return lambda step: None
    console = Console(file=sys.stderr)
    return lambda step: console.print(f"[dim]… {step}[/dim]", highlight=False)
