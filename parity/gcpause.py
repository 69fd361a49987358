"""Pausing the cyclic garbage collector around bursts of allocation that form no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the collector for the duration of one stage, then restore it (and never leave it off).

    Loading and evaluating build hundreds of thousands of small objects that form no cycles; with the
    collector running, its full passes over that growing heap cost more than the work itself (measured:
    2.1 s vs 0.7 s to load 300 profiles). Nested uses keep it paused until the outermost one ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
