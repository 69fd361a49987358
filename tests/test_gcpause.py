"""The collector paused for a stage or a whole walk, and restored after."""

from __future__ import annotations

import gc
import weakref

from parity._gc import paused_gc, paused_walk


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_a_stage_pauses_the_collector_and_restores_it() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outermost use restores it
    assert gc.isenabled()


def test_a_walk_frees_cycles_once_the_tracked_objects_have_doubled() -> None:
    with paused_walk() as step:
        assert not gc.isenabled()
        first = weakref.ref(_Node())
        step()
        assert first() is not None  # nothing doubled yet: no collection
        filler = [[] for _ in range(len(gc.get_objects()) + 1)]
        del filler  # freed by reference counting: the net count falls back
        step()
        assert first() is not None
        cycles = [_Node() for _ in range(len(gc.get_objects()) + 1)]
        del cycles  # the list is freed, its nodes are not: each is its own cycle
        step()
        assert first() is None  # collected, with every other cycle
    assert gc.isenabled()
