"""The garbage collector and the big, long-lived data of a screening run.

A loaded index is millions of objects that live as long as the process, and a long run
keeps adding to what it remembers (each name's matches and hit rows, the matcher's
caches). Reference counting frees almost everything screener makes; the cyclic
collector only finds cycles (about one object in ten names screened), yet each of its
full passes walks every tracked object. Left alone it walks the index and the run's
memory again and again, in a long batch as while an index loads, and finds nothing
(the figures are in docs/benchmarks.md). In forked workers, walking the inherited
objects also touches, and so copies, every page they share with their parent.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# The blocks open in this process that switched automatic collection off (both kinds)
# and that froze the heap (frozen_heap); forked children inherit the counts. One count
# for both kinds, so that whichever ends last, in whatever thread, switches collection
# back on, and only if it was on. Not gc.get_freeze_count() for the frozen ones: that
# counts the frozen objects one by one, millions of them.
_paused = 0
_frozen = 0
_was_enabled = True
_keep = 0  # kept_frozen() blocks open: the end of a frozen_heap unfreezes nothing
_lock = threading.Lock()
_YOUNG_MANY = 100_000  # objects made in a paused block worth handing to the oldest generation


def _pause() -> None:  # with _lock held
    global _paused, _was_enabled
    if _paused == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _paused += 1


def _resume() -> None:  # with _lock held
    global _paused
    _paused -= 1
    if _paused == 0:
        # what was made while paused (an index: millions of objects) goes to the oldest
        # generation at once (two list splices): left young, the first collection after
        # this walked every object of it, seconds for a big list. Not when something is
        # frozen (counted one by one: only after a block that made that much)
        if gc.get_count()[0] >= _YOUNG_MANY and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if _was_enabled:
            gc.enable()


@contextmanager
def paused_collector() -> Iterator[None]:
    """No automatic collection while inside (building data that has no cycles). Nested
    or concurrent uses (threads, :func:`frozen_heap`) leave the last to end to switch it
    back on (if it was on), and, when nothing is frozen, to hand what they made to the
    oldest generation, which only full passes walk."""
    with _lock:
        _pause()
    try:
        yield
    finally:
        with _lock:
            _resume()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Every object alive now moved out of the collector's reach, and no automatic
    collection, while inside: the run calls :func:`collect_young` between its chunks.
    Processes forked inside inherit both.

    Nested or concurrent uses (threads) leave the last to end to unfreeze, and switch
    automatic collection back on as :func:`paused_collector` does."""
    global _frozen
    with _lock:
        _pause()
        _frozen += 1
        gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _frozen -= 1
            if _frozen == 0:
                if _keep:
                    # the process ends with the run: what the run made (its memory of
                    # names and hits) joins the frozen objects, out of the collector's
                    # reach; left young, the first allocation after the collector is
                    # switched back on walked every object of it (0.2 CPU-s of a
                    # 20,000-name batch)
                    gc.freeze()
                else:
                    gc.unfreeze()
            _resume()


@contextmanager
def kept_frozen() -> Iterator[None]:
    """For a run the process ends with (a CLI command): what :func:`frozen_heap` froze
    inside stays frozen when that run ends, and what the run made inside is frozen then
    too, until the process exits (or the next :func:`frozen_heap` of the process ends).

    Unfreezing hands millions of objects (the index, the run's memory) back to the
    collector, whose next full pass then walks them all (seconds of a long batch, see
    docs/benchmarks.md), spent after the last row was written, and again in the
    collection the interpreter makes when it exits. A long-lived process (the server) must not use it: cycles among
    frozen objects are never collected."""
    global _keep
    with _lock:
        _keep += 1
    try:
        yield
    finally:
        with _lock:
            _keep -= 1


def collect_young() -> None:
    """Inside :func:`frozen_heap`: collect the cycles among the objects made since the
    last call. What survives moves to the oldest generation, which nothing walks until
    the outermost :func:`frozen_heap` ends, so that each object is walked about once
    however long the run. (Cheap: it never counts or walks the frozen objects.)"""
    if _frozen:
        gc.collect(1)


FULL_PASS_EVERY = 300.0  # seconds between a server's full passes (see ServerCollector)
_NEVER = 1_000_000_000  # a generation-2 threshold the young collections never reach


class ServerCollector:
    """The collector of a long-lived server: the young generations are collected
    automatically as usual, full passes only when :meth:`tick` finds ``every`` seconds
    gone since the last one.

    A server's caches (the matcher's, the answers it remembers) grow by thousands of
    objects a second under load, and CPython makes a full pass whenever what survived
    grew by a quarter: with the index frozen, each pass still walked the caches about once
    a second, a pause for every request in flight. Cycles that reach the oldest generation
    wait for the next full pass; nothing is frozen, so nothing is kept for ever."""

    def __init__(self, every: float = FULL_PASS_EVERY):
        self.every = every
        self._saved: tuple[int, int, int] | None = None
        self._last = time.monotonic()

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, _ = self._saved
            gc.set_threshold(young, middle, _NEVER)
            self._last = time.monotonic()

    def tick(self) -> None:
        """Called now and then (the list watcher's loop): a full pass when one is due."""
        if self._saved is not None and time.monotonic() - self._last >= self.every:
            gc.collect()
            self._last = time.monotonic()

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
