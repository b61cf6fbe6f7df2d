"""One Screener shared by threads: a connection per thread, one snapshot per call,
lists swapped atomically, and names screened before not screened again."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from screener.db import runs
from screener.db.store import Store
from screener.errors import ListsError
from screener.lists import catalog
from screener.screening.service import Screener

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lists"
HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."


def test_each_thread_gets_its_own_connection(store: Store) -> None:
    mine = store.conn
    seen: list[object] = []

    def work() -> None:
        seen.append(store.conn)
        assert store.conn is seen[-1]  # the same one within a thread
        store.require_lists()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen[0] is not mine
    assert store.conn is mine


def test_runs_are_recorded_from_many_threads(store: Store) -> None:
    s = Screener(store)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: s.check(n), ["Hikvision", "Siemens AG"] * 4))
    assert [r.status for r in results[:2]] == ["hit", "clear"]
    ids = {r.run_id for r in results}
    assert len(ids) == 8
    assert {r["id"] for r in runs.runs(store, 20)} >= ids


def test_connections_of_ended_threads_are_closed_and_close_closes_all(db_path: Path) -> None:
    store = Store(db_path)
    threads = [threading.Thread(target=store.require_lists) for _ in range(5)]
    for t in threads:
        t.start()
        t.join()
    store.conn  # noqa: B018 (this thread's: already open)
    t = threading.Thread(target=store.require_lists)
    t.start()
    t.join()  # opening it closed the five whose threads had ended
    assert len(store._conns) == 2
    store.close()
    with pytest.raises(ListsError, match="closed"):
        store.require_lists()


def test_names_screened_before_come_from_the_snapshot_memo(store: Store) -> None:
    s = Screener(store)
    q = s.query(HIK)
    first = s.screen([q])[0]
    snap = s.snapshot()
    assert HIK in snap.memo[q.threshold]
    again = s.screen([q, s.query("Siemens AG")])
    assert [h.entity_id for h in again[0]] == [h.entity_id for h in first]
    assert again[1] == []
    assert "Siemens AG" in snap.memo[q.threshold]


def test_without_auto_reload_a_new_version_waits_for_refresh(store: Store) -> None:
    s = Screener(store, auto_reload=False)
    s.refresh(lazy=False)
    before = s.snapshot()
    catalog.import_file(store, FIXTURES / "own_denylist.csv", "simple", "own")
    assert s.snapshot() is before  # a call does not look at the store
    assert "own" not in _sources(s, "XPCC PSB")
    assert s.refresh() is True
    after = s.snapshot()
    assert after is not before and not after.lazy
    assert "own" in _sources(s, "XPCC PSB")
    assert {v["source_id"] for v in s.loaded_versions} >= {"own", "screener-surveillance"}
    assert s.refresh() is False


def test_with_auto_reload_each_call_sees_a_new_version(store: Store) -> None:
    s = Screener(store)
    assert "own" not in _sources(s, "XPCC PSB")
    catalog.import_file(store, FIXTURES / "own_denylist.csv", "simple", "own")
    assert "own" in _sources(s, "XPCC PSB")


def _sources(s: Screener, name: str) -> set[str | None]:
    """The lists of every record behind the hits (a party's hit names all its records)."""
    return _record_sources(s.screen([s.query(name)])[0])


def _record_sources(hits: list) -> set[str | None]:
    return {r["source_id"] for h in hits for r in h.extra["party"]["records"]}


def test_concurrent_calls_during_a_reload_all_succeed_on_one_version(store: Store) -> None:
    s = Screener(store, auto_reload=False)
    s.refresh(lazy=False)
    stop = threading.Event()
    answers: list[tuple[bool, bool]] = []  # per call: does each query hit the new list?
    errors: list[BaseException] = []

    def ask() -> None:
        while not stop.is_set():
            try:
                hits = s.screen([s.query("XPCC PSB"), s.query("Hikvision")])
                answers.append(tuple("own" in _record_sources(hs) for hs in hits))
            except BaseException as e:  # pragma: no cover - the assertion shows it
                errors.append(e)
            time.sleep(0.002)

    workers = [threading.Thread(target=ask) for _ in range(3)]
    for w in workers:
        w.start()
    time.sleep(0.05)
    catalog.import_file(store, FIXTURES / "own_denylist.csv", "simple", "own")
    assert s.refresh() is True
    time.sleep(0.05)
    stop.set()
    for w in workers:
        w.join()
    assert not errors
    assert (False, False) in answers and (True, True) in answers
    assert set(answers) == {(False, False), (True, True)}  # never half of each
    first_new = answers.index((True, True))
    assert (False, False) not in answers[first_new + 3 :]  # the switch is once and for all


def test_the_readme_python_example(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    import screener

    # `import screener` alone does not load the service (every command's start pays it)
    code = "import sys, screener; print('screener.screening.service' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    monkeypatch.setenv("SCREENER_DB", str(db_path))
    s = screener.Screener.open()
    try:
        result = s.check("海康威视", country="CN")
        top = result.hits[0]
        assert (top.name, top.relation, top.citation, top.status) == (
            "Hangzhou Hikvision Digital Technology Co., Ltd.",
            "same",
            "84 FR 54002",
            "hit",
        )
        assert [len(h) for h in s.screen([s.query("Hikvision"), s.query("Dahua", "CHN")])] == [1, 1]
    finally:
        s.close()
