"""The collector during long runs (screener.heap): off while a run is inside
frozen_heap, back on after; the cycles a run makes are still collected between its
chunks; the rows' memory of hit dicts stays bounded and changes no result."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from screener.db.store import Store
from screener.heap import collect_young, frozen_heap, kept_frozen, paused_collector
from screener.matching.country import floor
from screener.screening import rows as rows_mod
from screener.screening import service as service_mod
from screener.screening.executors import screen_chunk
from screener.screening.rows import RowScreener
from screener.screening.service import Screener
from screener.shapes import RowResult


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_frozen_heap_turns_automatic_collection_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with frozen_heap():
        assert not gc.isenabled()
        with frozen_heap():  # nested: the inner end changes nothing
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_run_the_process_ends_with_keeps_the_heap_frozen() -> None:
    """kept_frozen() (the `screener` program's batch): the run's end hands nothing back
    to the collector, whose next full pass would walk the whole index again; the next
    run's end unfreezes as usual."""
    index = [[str(i)] for i in range(100_000)]
    try:
        with kept_frozen(), frozen_heap():
            pass
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(index)
    finally:
        with frozen_heap():
            pass
    assert gc.get_freeze_count() == 0


def test_what_a_kept_run_made_is_frozen_with_it_and_freed_after_a_later_run() -> None:
    """A run the process ends with (kept_frozen): what it made inside (its memory of
    names and hits) is frozen too when it ends, so that no collection walks it after the
    last row; a run that is not kept (the Python API) hands it back to the collector,
    which frees its cycles."""
    try:
        with kept_frozen(), frozen_heap():
            made = [[str(i)] for i in range(50_000)]
            cycle = weakref.ref(_Node())  # garbage the collector alone could free
        assert gc.get_count()[0] < 1_000
        assert gc.get_freeze_count() >= len(made)
        gc.collect()
        assert cycle() is not None  # frozen: out of the collector's reach
    finally:
        with frozen_heap():
            pass
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert cycle() is None


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    try:
        with frozen_heap():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_threads_overlapping_leave_the_last_to_end_to_switch_it_back_on() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with frozen_heap():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    with frozen_heap():
        t.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other thread's run is still going
    release.set()
    t.join(10)
    assert gc.isenabled()


def test_collect_young_frees_the_cycles_made_since_the_last_call() -> None:
    with frozen_heap():
        node = _Node()
        ref = weakref.ref(node)
        del node
        assert ref() is not None  # no automatic pass inside
        collect_young()
        assert ref() is None


def test_collect_young_outside_a_run_does_nothing() -> None:
    gc.disable()
    try:
        node = _Node()
        ref = weakref.ref(node)
        del node
        collect_young()
        assert ref() is not None
    finally:
        gc.enable()
        gc.collect()
    assert ref() is None


def test_paused_collector_restores_the_state_it_found() -> None:
    with paused_collector():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_rows_memory_of_hit_dicts_is_bounded_and_changes_no_result(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "Zhejiang Dahua Technology",
        "SenseTime",
        "Megvii (Face++)",
        "iFLYTEK Co., Ltd., Hefei, China",
        "Acme Bakery",
    ]
    countries = ["cn", "us", None, "hk"]
    rows = [(n, c) for n in names for c in countries] * 3

    def run(bound: int) -> tuple[list[RowResult], int]:
        monkeypatch.setattr(rows_mod, "MEMO_ROWS", bound)
        monkeypatch.setattr(service_mod, "FINISHED_SIZE", bound)
        s = Screener(store)
        snap, fl = s.snapshot(lazy=False), floor(0.8, "cn")
        rs = RowScreener(s, snap, 0.8, fl)
        todo = [n for n, _ in rows]
        new = list(dict.fromkeys(todo))
        rs.learn(new, screen_chunk(snap.matcher, new, fl))
        out = rs.rows(0, todo, [c for _, c in rows])
        return out, len(rs.rendered)

    unbounded, held = run(10_000)
    bounded, held_bounded = run(3)
    assert held >= 5  # five names with hits, each list rendered once for its rows
    assert held_bounded <= 3
    assert bounded == unbounded
    assert sum(1 for r in bounded if r["hits"]) == 60


def test_a_server_collector_makes_full_passes_only_when_they_are_due() -> None:
    from screener.heap import ServerCollector

    before = gc.get_threshold()
    c = ServerCollector(every=3600)
    c.start()
    try:
        assert gc.get_threshold()[:2] == before[:2]  # young generations as usual
        assert gc.get_threshold()[2] > 10**8  # no automatic full pass
        node = _Node()
        ref = weakref.ref(node)
        gc.collect(1)  # the cycle reaches the oldest generation while alive
        del node
        for _ in range(20):
            gc.collect(1)
        assert ref() is not None  # young passes never reach it
        c.tick()
        assert ref() is not None  # not due yet
        c.every = 0
        c.tick()
        assert ref() is None  # the full pass, once due
    finally:
        c.stop()
    assert gc.get_threshold() == before


def test_a_pause_ending_inside_a_run_of_another_thread_leaves_the_collector_off() -> None:
    inside, release = threading.Event(), threading.Event()

    def run() -> None:
        with frozen_heap():
            inside.set()
            release.wait(10)

    with paused_collector():  # e.g. the server loading new lists...
        t = threading.Thread(target=run)  # ...while a batch job starts
        t.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the batch still runs: its collector stays off
    release.set()
    t.join(10)
    assert gc.isenabled()


def test_what_a_paused_block_made_is_handed_to_the_oldest_generation() -> None:
    """An index built with the collector paused is millions of young objects: the first
    collection after the block walked them all (seconds for a big list). They go to the
    oldest generation at the block's end, unless something is frozen (a loaded index the
    service froze stays frozen)."""
    gc.unfreeze()
    with paused_collector():
        index = [[str(i)] for i in range(200_000)]
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(x) in oldest for x in index)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with paused_collector():
        kept = [[str(i)] for i in range(1_000)]
        gc.freeze()
    try:
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
