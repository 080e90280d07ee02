"""The garbage collector paused while a large file becomes objects.

Loading an inventory or an intents file makes hundreds of thousands of objects that all
stay alive; with the collector on, each of its passes walks every one made so far, for
nothing (the target estate of issue 16: a third of the load). Reference counting still
frees what is dropped while paused; only cycles wait for the next pass after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Collector off inside the block, back as it was after (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
