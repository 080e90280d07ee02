"""The garbage collector paused while a large file becomes objects.

Loading an inventory or an intents file makes hundreds of thousands of objects that all
stay alive; with the collector on, each of its passes walks every one made so far, for
nothing (the target estate of issue 16: a third of the load). Reference counting still
frees what is dropped while paused; only cycles wait for the next pass after.

``freeze=True`` then moves everything alive out of the collector's reach for good
(``gc.freeze``): for an estate loaded once and kept while the process runs, so the
evaluations that follow do not walk it again on every pass (the target estate: cold
evaluations a third faster). Frozen objects are still freed when their last reference
goes; only a reference cycle among them would stay.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc(*, freeze: bool = False) -> Iterator[None]:
    """Collector off inside the block, back as it was after (nesting is fine); with
    ``freeze``, what is alive at the end of a successful block is frozen first."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        if was_enabled:
            gc.enable()
