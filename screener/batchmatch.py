"""Screen many unique names on every core.

Worker processes are forked after the index is built, so they share it
copy-on-write instead of each building or unpickling their own. Each returns,
per name, only (name id, score, evidence); the parent turns them into
:class:`~screener.match.Hit` objects. Where fork is not available the names are
screened in this process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator, Sequence

from .match import Hit, Matcher
from .normalize import normalize
from .score import Detail

_MATCHER: Matcher | None = None  # set in the parent before forking
_THRESHOLD: float | None = None
Compact = list[tuple[int, float, Detail]]  # (name id, score, evidence) per hit


def _screen_chunk(chunk: Sequence[tuple[str, str | None]]) -> list[Compact]:
    m = _MATCHER
    assert m is not None
    out: list[Compact] = []
    for name, country in chunk:
        out.append([(h.name_id, h.score, h.detail) for h in m.screen(name, country, _THRESHOLD)])
    return out


def _expand(m: Matcher, name: str, compact: Compact) -> list[Hit]:
    if not compact:
        return []
    q = normalize(name)
    idx = m.index
    hits = []
    for ni, score, detail in compact:
        rec = idx.names[ni]
        hits.append(Hit(idx.entities[rec.entity], score, rec.text, rec.kind, detail, q,
                        rec.norm, ni))  # fmt: skip
    return hits


def screen_iter(
    m: Matcher,
    items: Sequence[tuple[str, str | None]],
    *,
    threshold: float | None = None,
    workers: int | None = None,
    chunk_size: int = 500,
) -> Iterator[list[Hit]]:
    """Hits for each (name, country) in ``items``, in order."""
    global _MATCHER, _THRESHOLD
    workers = workers or os.cpu_count() or 1
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    if workers <= 1 or len(items) < 2 * chunk_size or "fork" not in mp.get_all_start_methods():
        for name, country in items:
            yield m.screen(name, country, threshold)
        return
    _MATCHER, _THRESHOLD = m, threshold
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            for chunk, results in zip(chunks, pool.imap(_screen_chunk, chunks)):
                for (name, _), compact in zip(chunk, results):
                    yield _expand(m, name, compact)
    finally:
        _MATCHER = _THRESHOLD = None


def screen_unique(
    m: Matcher,
    items: Sequence[tuple[str, str | None]],
    *,
    threshold: float | None = None,
    workers: int | None = None,
) -> list[list[Hit]]:
    """Like :func:`screen_iter`, as a list."""
    return list(screen_iter(m, items, threshold=threshold, workers=workers))
