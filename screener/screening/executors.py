"""Executors: where names are screened. One protocol, one path.

Every executor screens names with :func:`screen_chunk` (the matcher's hits for each
name down to a floor, as compact matches ``(name id, evidence)``), and the service
turns them into hits with :func:`expand`. :class:`InProcess` calls it in this
process; :class:`ForkPool` calls it in forked worker processes that share the loaded
index copy-on-write; the Dask engine's executor on the workers of a cluster
(:mod:`screener.screening.dask_engine`). A name gets the same hits wherever it is
screened. Each is an :class:`Executor`: the service and the batch take any of them.

A pool given a :class:`Finisher` (a batch's :class:`~screener.screening.rows.RowScreener`)
also finishes keys for it (:meth:`ForkPool.finish`: the stages after matching, in the
workers, each with a store connection of its own), ahead of the names waiting to be
screened.

The pool has no shared queue: each worker has a pipe of its own, and a dispatcher
thread keeps every worker fed with at most ``IN_FLIGHT`` chunks while the caller reads
input and writes output. Workers ignore Ctrl-C and SIGTERM: the parent decides. On an
error or an interrupt it kills them (SIGKILL) and returns at once; with no lock
between them, a killed worker cannot hang the parent.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any, Protocol, cast

from screener.errors import ScreenerError
from screener.heap import collect_young, frozen_heap
from screener.matching.hit import Hit
from screener.matching.matcher import Matcher
from screener.matching.score import Detail

# (name id in the index, evidence with the score, the normalized tokens of the query or
# of its part that matched)
Match = tuple[int, Detail, tuple[str, ...]]
CHUNK = 500  # names per task sent to a worker
IN_FLIGHT = 2  # tasks a worker holds at once: one screening, one waiting in its pipe
POOL_MIN_NAMES = 2 * CHUNK  # fewer names are screened in this process
FINISH_CHUNK = 200  # keys per task a worker finishes (:meth:`ForkPool.finish`)


def screen_chunk(m: Matcher, names: Sequence[str], floor: float) -> list[list[Match]]:
    """The compact matches of each name (see the module docstring)."""
    return [[(h.name_id, h.detail, h.query_tokens) for h in m.screen_name(n, floor)] for n in names]


def expand(m: Matcher, matches: list[Match]) -> list[Hit]:
    """The hits of a name from its compact matches."""
    return [m.hit(ni, d, tokens) for ni, d, tokens in matches]


class Executor(Protocol):
    """Screens names down to its floor: ``submit`` may return before the work is done,
    ``result`` waits for it. A context manager: leaving it stops the work, at once when
    an exception leaves it. :class:`InProcess`, :class:`ForkPool` and the Dask engine's
    :class:`~screener.screening.dask_engine.DaskExecutor` are the executors; the
    service (:meth:`~screener.screening.service.Screener.screen`) and the batch engine
    (:class:`~screener.screening.batch.Engine`) take any of them."""

    def submit(self, names: Sequence[str]) -> Any: ...

    def result(self, ticket: Any) -> list[list[Match]]: ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class InProcess:
    """Screens in this process, when it is asked for the result."""

    def __init__(self, m: Matcher, floor: float):
        self.m, self.floor = m, floor

    def submit(self, names: Sequence[str]) -> Sequence[str]:
        return names

    def result(self, ticket: Sequence[str]) -> list[list[Match]]:
        return screen_chunk(self.m, ticket, self.floor)

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class PoolError(ScreenerError):
    """A worker process died (out of memory, or killed), or its work failed."""


class _Failed(str):
    """What a worker sends back instead of a task's result when the task raised: the
    error, which the caller raises as a :class:`PoolError` (the worker goes on)."""


# set in the parent just before forking: the matcher, and what finishes keys (or None)
_MATCHER: Matcher | None = None
_FINISH: Finisher | None = None


def _worker(conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C...
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # ...and SIGTERM, and kills us
    m, finish = _MATCHER, _FINISH
    assert m is not None
    if finish is not None:
        finish.forked()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            os._exit(0)
        if task is None:
            os._exit(0)
        tid, kind, work, floor = task
        try:
            if kind == "finish":
                assert finish is not None
                done: Any = finish.finish(work)
            else:
                done = screen_chunk(m, work, floor)
        except Exception as e:  # the parent says it, once, without a traceback
            done = _Failed(f"a screening worker failed: {str(e) or type(e).__name__}")
        conn.send((tid, done))
        collect_young()


class Finisher(Protocol):
    """What finishes a batch's keys in a worker (:class:`~screener.screening.rows.RowScreener`):
    ``forked`` is called once in each worker, before any work."""

    def forked(self) -> None: ...

    def finish(self, items: Sequence[Any]) -> list[Any]: ...


class ForkPool:
    """Worker processes forked after the index is loaded; use as a context manager."""

    def __init__(self, m: Matcher, floor: float, workers: int, finish: Finisher | None = None):
        global _MATCHER, _FINISH
        self.m, self.floor = m, floor
        self.finishes = finish is not None
        ctx = mp.get_context("fork")
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        _MATCHER, _FINISH = m, finish
        try:
            with frozen_heap():  # the workers' collector never walks the index
                for _ in range(workers):
                    parent, child = ctx.Pipe()
                    p = ctx.Process(target=_worker, args=(child,), daemon=True)
                    p.start()
                    child.close()
                    self._conns.append(parent)
                    self._procs.append(p)
        finally:
            _MATCHER, _FINISH = None, None
        self._todo: deque[tuple[int, str, list[Any]]] = deque()
        self._busy: dict[Connection, int] = dict.fromkeys(self._conns, 0)
        self._done: dict[int, list[Any]] = {}
        self._next = 0
        self._error: str | None = None
        self._stop = False
        self._cv = threading.Condition()
        self._thread = threading.Thread(target=self._dispatch, name="screener-pool", daemon=True)
        self._thread.start()

    # -- the caller's side --------------------------------------------------------------
    def submit(self, names: Sequence[str]) -> list[int]:
        """Queue ``names`` in chunks; the ticket is their task ids, in order."""
        tids = []
        with self._cv:
            for i in range(0, len(names), CHUNK):
                tids.append(self._next)
                self._todo.append((self._next, "screen", list(names[i : i + CHUNK])))
                self._next += 1
            self._cv.notify_all()
        return tids

    def finish(self, items: Sequence[Any]) -> list[int]:
        """Queue keys to be finished in the workers (the pool was given a
        :class:`Finisher`), ahead of the names waiting to be screened: the caller waits
        for them, the names' rows come later. The ticket is their task ids, in order."""
        assert self.finishes, "the pool was made without a finisher"
        tids = []
        with self._cv:
            tasks = []
            for i in range(0, len(items), FINISH_CHUNK):
                tids.append(self._next)
                tasks.append((self._next, "finish", list(items[i : i + FINISH_CHUNK])))
                self._next += 1
            self._todo.extendleft(reversed(tasks))
            self._cv.notify_all()
        return tids

    def result(self, ticket: list[int]) -> list[Any]:
        """The matches of a submitted ticket (or what :meth:`finish` asked), in order, once
        all its chunks are done."""
        out: list[Any] = []
        with self._cv:
            for tid in ticket:
                while tid not in self._done:
                    if self._error:
                        raise PoolError(self._error)
                    self._cv.wait(0.2)
                done = self._done.pop(tid)
                if isinstance(done, _Failed):
                    raise PoolError(str(done))
                out += done
        return out

    def close(self) -> None:
        """Stop the workers once they are idle."""
        self._shutdown(kill=False)

    def abort(self) -> None:
        """Kill the workers now (an error or an interrupt)."""
        self._shutdown(kill=True)

    def __enter__(self) -> ForkPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._shutdown(kill=exc_type is not None)

    # -- the dispatcher thread ------------------------------------------------------------
    def _dispatch(self) -> None:
        try:
            while True:
                with self._cv:
                    if self._stop:
                        return
                    for c in self._conns:
                        while self._todo and self._busy[c] < IN_FLIGHT:
                            tid, kind, work = self._todo.popleft()
                            c.send((tid, kind, work, self.floor))
                            self._busy[c] += 1
                    waiting = [c for c in self._conns if self._busy[c]]
                if not waiting:
                    with self._cv:
                        if not self._todo and not self._stop:
                            self._cv.wait(0.2)
                    continue
                for ready in wait(waiting, timeout=0.2):
                    c = cast(Connection, ready)  # wait() returns what it was given
                    tid, res = c.recv()
                    with self._cv:
                        if isinstance(res, _Failed) and not self._error:
                            self._error = str(res)
                        self._done[tid] = res
                        self._busy[c] -= 1
                        self._cv.notify_all()
        except (EOFError, OSError, BrokenPipeError) as e:
            with self._cv:
                if not self._stop:
                    self._error = f"a screening worker process died ({type(e).__name__})"
                self._cv.notify_all()

    def _shutdown(self, kill: bool) -> None:
        with self._cv:
            if self._stop:
                return
            self._stop = True
            self._cv.notify_all()
        self._thread.join(timeout=5)
        for p, c in zip(self._procs, self._conns):
            if kill:
                p.kill()
            else:
                try:
                    c.send(None)
                except (OSError, BrokenPipeError):
                    p.kill()
        for p, c in zip(self._procs, self._conns):
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=1)
            c.close()


def executor(
    m: Matcher,
    floor: float,
    workers: int | None,
    names_hint: int | None,
    finish: Finisher | None = None,
) -> Executor:
    """A :class:`ForkPool` of ``workers`` (default: every core) when fork is available and
    the work is large enough to pay for it (``names_hint`` unknown counts as large),
    finishing keys with ``finish`` when given; else :class:`InProcess`."""
    workers = workers or os.cpu_count() or 1
    small = names_hint is not None and names_hint < POOL_MIN_NAMES
    if workers < 2 or small or "fork" not in mp.get_all_start_methods():
        return InProcess(m, floor)
    return ForkPool(m, floor, workers, finish)


def screen_unique(
    m: Matcher, names: Sequence[str], *, threshold: float | None = None, workers: int | None = None
) -> list[list[Hit]]:
    """Hits (before country evidence) for each name, in order, on ``workers`` processes."""
    floor = m.threshold if threshold is None else threshold
    with frozen_heap(), executor(m, floor, workers, len(names)) as ex:
        matches = ex.result(ex.submit(names))
        collect_young()
        return [expand(m, r) if r else [] for r in matches]
