"""Screen many unique names on every core.

Worker processes are forked after the index is built, so they share it
copy-on-write instead of each building or unpickling their own. Each returns,
per name, only (name id, evidence); the parent turns them into
:class:`~screener.matching.matcher.Hit` objects. Where fork is not available, or the work
is small, names are screened in this process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from screener.matching.matcher import Hit, Matcher
from screener.matching.normalize import normalize
from screener.matching.score import Detail

_MATCHER: Matcher | None = None  # set in the parent before forking
_FLOOR: float = 0.0
Compact = list[tuple[int, Detail]]  # (name id, evidence with the score) per hit
CHUNK = 1000  # names per task sent to a worker


def _screen_chunk(chunk: Sequence[str]) -> list[Compact]:
    m = _MATCHER
    assert m is not None
    return [[(h.name_id, h.detail) for h in m.screen_name(name, _FLOOR)]
            for name in chunk]  # fmt: skip


class ParallelScreener:
    """A pool of forked workers sharing one index; use as a context manager.

    ``floor``: the lowest score kept (the threshold, less any country bonus that
    the caller will apply with :func:`~screener.matching.matcher.with_country`).
    """

    def __init__(self, m: Matcher, floor: float, workers: int | None = None):
        self.m = m
        self.floor = floor
        self.workers = workers or os.cpu_count() or 1
        self._pool: Any = None

    def __enter__(self) -> ParallelScreener:
        global _MATCHER, _FLOOR
        if self.workers > 1 and "fork" in mp.get_all_start_methods():
            _MATCHER, _FLOOR = self.m, self.floor
            self._pool = mp.get_context("fork").Pool(self.workers)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        global _MATCHER
        if self._pool is not None:
            if exc_type is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()
            self._pool = None
        _MATCHER = None

    def screen(self, names: Sequence[str]) -> list[list[Hit]]:
        """Hits (before country evidence) for each name, in order."""
        if self._pool is None or len(names) < 2 * CHUNK:
            return [self.m.screen_name(n, self.floor) for n in names]
        chunks = [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]
        out: list[list[Hit]] = []
        for chunk, results in zip(chunks, self._pool.imap(_screen_chunk, chunks)):
            for name, compact in zip(chunk, results):
                out.append(self._expand(name, compact) if compact else [])
        return out

    def _expand(self, name: str, compact: Compact) -> list[Hit]:
        q = normalize(name)
        return [self.m.hit(ni, detail, q) for ni, detail in compact]


def screen_unique(m: Matcher, names: Sequence[str], *, threshold: float | None = None,
                  workers: int | None = None) -> list[list[Hit]]:  # fmt: skip
    """Hits for each name, in order, on ``workers`` processes."""
    with ParallelScreener(m, m.threshold if threshold is None else threshold, workers) as ps:
        return ps.screen(names)
