"""The server's two long-lived threads besides the jobs: the list watcher and the
audit writer.

:class:`ListWatcher` loads the lists when the server starts, then looks at the
active list versions every ``interval`` seconds; when they changed (a
``screener lists update`` in another process, or ``POST /lists/update``) it loads
the new index whole and the Screener swaps it in at once
(:meth:`~screener.screening.service.Screener.refresh`). Requests go on being
answered from the old lists while it loads; none waits for it. A loaded index is
frozen for the garbage collector (``gc.freeze``), so that its full passes do not walk
it while requests wait, and the full passes come only every few minutes
(:class:`~screener.heap.ServerCollector`), not whenever the caches grew.

:class:`AuditWriter` records each screening request once it is answered
(:func:`screener.db.runs.record_finished`), many in one transaction: a disk sync per
request would cost more than the screening. A request is answered before its record
is written, within ``interval`` seconds; the records still waiting are written when
the server stops.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from screener.api import entities
from screener.db import runs
from screener.db.store import Store
from screener.errors import ScreenerError
from screener.heap import ServerCollector, paused_collector
from screener.lists.freshness import require_fresh, stale_message
from screener.screening.service import Screener
from screener.shapes import ListVersion

log = logging.getLogger("screener.serve")
WARM_UP = ("Hangzhou Hikvision Digital Technology Co., Ltd.", "海康威视", "Siemens AG")


class ListWatcher:
    """Loads the lists, then reloads them when their active versions change."""

    def __init__(self, screener: Screener, interval: float = 1.0):
        self.s, self.interval = screener, interval
        self.ready = threading.Event()  # set once the first load is done
        self.loading = False
        self.error: str | None = None  # why the lists cannot be loaded, if they cannot
        self.notes: list[str] = []  # what a clear answer does not cover (Screener.guard)
        self.stale: list[str] = []  # the stale lists, in words
        self.loads = 0
        self.collector = ServerCollector()  # full passes paced from this thread's loop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="screener-lists", daemon=True)

    def start(self) -> None:
        self.collector.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.collector.stop()

    def check(self) -> bool:
        """Load the active lists if they changed; True when a new snapshot is in place."""
        active = tuple((v["id"], v["sha256"]) for v in self.s.store.active_versions())
        snap = self.s.loaded
        if snap is not None and snap.versions == active:
            return False
        self.loading = True
        try:
            t = time.perf_counter()
            # The index is millions of objects that live as long as the lists, with no
            # cycles among them: built with the collector paused, then frozen, so that no
            # pass walks them (each pass over a new index would pause every request in
            # flight). Refcounting still frees them when the next lists
            # replace them. What else is alive then is frozen with them: a few requests'
            # objects, once per list update.
            with paused_collector():
                swapped = self.s.refresh(lazy=False)
                if swapped:
                    gc.freeze()
            if swapped:
                self.s.screen([self.s.query(n) for n in WARM_UP])  # pinyin tables, caches
                snap = self.s.loaded
                if snap is not None:  # the API's table of records, with their dates
                    entities.lookup(snap, self.s.store, record_dates(self.s.store, snap.lists))
                self.loads += 1
                log.info(
                    "lists loaded in %.1f s: %s",
                    time.perf_counter() - t,
                    ", ".join(
                        f"{v['source_id']} v{v['version_id']}" for v in self.s.loaded_versions
                    ),
                )
            return swapped
        finally:
            self.loading = False

    def look(self) -> None:
        """What a clear answer does not cover now, and which lists are stale."""
        stale = require_fresh(self.s.store, self.s.settings, fail_stale=False)
        self.stale = [stale_message(x) for x in stale]
        self.notes = self.s.guard(False)[1]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
                self.look()
                self.error = None
            except ScreenerError as e:
                self.error = str(e)
            except Exception as e:  # keep watching: the old lists stay in use
                self.error = f"loading the lists failed: {type(e).__name__}: {e}"
                log.exception("loading the lists failed")
            if self.s.loaded is not None:
                self.ready.set()
            self.collector.tick()
            self._stop.wait(self.interval)


def record_dates(
    store: Store, versions: Sequence[ListVersion]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(source, entry) -> (first seen, last change) of every record of ``versions``: the
    date of the first stored version holding the entry, and of the first since which
    its record is as now (see :mod:`screener.api.entities`). One pass over the store."""
    active = [v["version_id"] for v in versions]
    if not active:
        return {}
    same = " and ".join(
        f"b.{c} is a.{c}"
        for c in ("name", "listings", "countries", "addresses", "programs", "remarks", "end_date")
    )
    rows = store.conn.execute(
        f"""select a.source_id, a.id, coalesce(v.published, v.loaded_at), {same},
                   (select group_concat(n, ';') from (select n.name || '|' || n.kind as n
                    from names n where n.version_id = v.id and n.entity_id = a.id
                    order by 1))
            from entities a
            join versions v on v.source_id = a.source_id and v.id <= a.version_id
            join entities b on b.version_id = v.id and b.id = a.id
            where a.version_id in ({",".join("?" * len(active))})
            order by a.source_id, a.id, v.id""",
        active,
    )
    history: dict[tuple[str, str], list[tuple[str, bool, str | None]]] = {}
    for source, entry, date, same_row, names in rows:
        history.setdefault((source, entry), []).append((date, bool(same_row), names))
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for key, seen in history.items():
        now = seen[-1][2]  # the active version's names, the last of its versions
        changed = seen[-1][0]
        for date, same_row, names in reversed(seen):
            if not same_row or names != now:
                break
            changed = date
        out[key] = (seen[0][0], changed)
    return out


class AuditWriter:
    """Records answered screening requests as runs, a batch at a time.

    A request only appends its record to a deque (no lock, no wake-up); the writer
    thread sleeps ``interval`` seconds, then writes all that came meanwhile in one
    transaction. Waking the writer for every request would hand the interpreter's lock
    back and forth between it and the event loop at each request."""

    def __init__(self, screener: Screener | None, interval: float = 0.5, sink: Any = None):
        """Records go to ``screener``'s store, or to ``sink`` (a callable taking a list
        of runs: a worker process hands them to the one writer of ``serve --workers``)."""
        self.s, self.interval, self.sink = screener, interval, sink
        self._pending: deque[runs.FinishedRun] = deque()
        self._stop = threading.Event()
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="screener-audit", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, run: runs.FinishedRun) -> None:
        self._pending.append(run)

    def stop(self) -> None:
        """Write what is waiting, then stop."""
        self._stop.set()
        self._thread.join(timeout=30)

    def flush(self) -> None:
        done: list[runs.FinishedRun] = []
        while self._pending and len(done) < 5000:
            done.append(self._pending.popleft())
        if not done:
            return
        try:
            if self.sink is not None:
                self.sink(done)
                self.written += len(done)
                return
            assert self.s is not None
            self.written += runs.record_finished(self.s.store, done)
        except Exception:  # the audit must not stop the server: it logs
            log.exception("recording %d screening requests failed", len(done))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            while self._pending:
                self.flush()
        while self._pending:
            self.flush()
