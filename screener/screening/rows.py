"""A batch's rows turned into results: the one place both batch engines do it.

Both engines (:mod:`screener.screening.batch`: forked workers, this process or a Dask
cluster as the executor) screen each distinct name once down to the batch's floor, and
hand the matches to the service (:meth:`~screener.screening.service.Screener.learn`);
the rows are then made here from what the service gives for each distinct (name,
country, date of birth) of a chunk (:meth:`~screener.screening.service.Screener.rows_hits`:
the evidence and the stages, with the service's one cache). A forked pool does that
for a chunk's new keys with matches in its workers (:meth:`RowScreener.finish`), and
this process keeps the last ``KEYS_HELD`` keys' results while the stages' tokens hold;
a name without matches is clear here, without asking.

    names(values)        a chunk's name cells as text: missing -> "", stripped
    RowScreener.countries(values, bad)
                         its country cells as ISO codes; a value naming no country
                         is counted in ``bad`` and gives that row no country evidence
    RowScreener.dobs(values, bad)
                         its date-of-birth cells (YYYY[-MM[-DD]]); another value is
                         counted in ``bad`` and gives that row no date evidence
    RowScreener.learn    the compact matches of names just screened, to the service
    RowScreener.rows     the RowResult of each row (see the writers), its status from
                         its hits' (reviewers' decisions: :mod:`.results`)
    RowScreener.finish   in a pool's worker: the hit dicts and status of keys

The service hands one finished hit list to every row with the same hits (a name's
countries that move none of its hits share it); each such list is turned into hit dicts
once here, and its rows share them (the writers render a shared hit list once).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import islice
from typing import Any, Protocol

from screener.countries import country_option
from screener.db.runs import Recorded
from screener.errors import InputError
from screener.matching.country import dob_option
from screener.matching.matcher import Matcher
from screener.screening.executors import Match
from screener.screening.results import ScreenHit, row_status
from screener.shapes import HitDict, RowResult

MAX_QUERY_CHARS = 1_000  # a longer cell is screened (normalization bounds it) but shown cut
_NONE: list[Any] = []  # shared by every name without matches, to keep the cache small
# Finished hit lists whose hit dicts are remembered: the rows with those hits share
# them. Each holds a few KB of provenance, so when the memory is full its older half is
# let go: unbounded, a long batch's would grow with its distinct names.
MEMO_ROWS = 60_000
# Rows' finished keys remembered in the batch's process: the most recently used, as a
# file's frequent names come back chunk after chunk (the others are finished again).
KEYS_HELD = 20_000
Finished = tuple[list[HitDict], str]  # a row's hit dicts and its status
Key = tuple[str, str | None, str | None]  # a row's name, country and date of birth
_CLEAR: Finished = (_NONE, "clear")


class Service(Protocol):
    """What rows need of the screening service (:class:`~screener.screening.service.Screener`,
    which imports the batch, so it is not imported here)."""

    store: Any

    def learn(
        self, snap: Any, floor: float, names: Sequence[str], found: Sequence[list[Match]]
    ) -> None: ...

    def rows_hits(
        self,
        snap: Any,
        floor: float,
        threshold: float,
        related: bool,
        keys: Sequence[tuple[str, str | None, str | None]],
    ) -> list[list[ScreenHit]]: ...

    def stage_tokens(self) -> tuple[Any, ...] | None: ...


def cell_text(value: Any) -> str:
    """A cell as text, stripped; a missing value (None, NaN, pandas' NA) is ``""``."""
    if value.__class__ is str:
        return value.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' NA and NaT, not importing it
        return ""
    return str(value).strip()


def names(values: Iterable[Any]) -> list[str]:
    """The names of a chunk's name column (see :func:`cell_text`)."""
    return [cell_text(v) for v in values]


def recorded(results: Sequence[RowResult]) -> list[Recorded]:
    """(row, query, hit dicts) of each row with hits: what the audit record keeps."""
    return [(r["row"], r["query"], r["hits"]) for r in results if r["hits"]]


class RowScreener:
    """A batch's rows from the service ``s`` and its snapshot ``snap``: every name screened
    down to ``floor`` at ``thr``; ``related`` keeps the hits on companies listed parties
    own in part (see :func:`~screener.screening.stages.ownership_stage`). It remembers
    only how its cells read (countries as written) and the hit dicts of the service's
    finished lists, so that rows with the same hits share them."""

    def __init__(self, s: Service, snap: Any, thr: float, floor: float, related: bool = False):
        self.s, self.snap, self.thr, self.floor, self.related = s, snap, thr, floor, related
        self._countries: dict[str, str | None] = {}  # a cell as written -> its ISO code
        # a finished hit list of the service, by id -> (the list, its hit dicts, status)
        self.rendered: dict[int, tuple[list[ScreenHit], list[HitDict], str]] = {}
        # each key finished, while every stage's token stays ``_tokens``
        self.done: dict[Key, Finished] = {}
        self._tokens: tuple[Any, ...] | None = None

    @property
    def m(self) -> Matcher:
        """The matcher the batch screens with (its whole index in memory)."""
        return self.snap.matcher  # type: ignore[no-any-return]

    def countries(self, values: Iterable[Any], bad: Counter[str]) -> list[str | None]:
        """Each country cell as an ISO code (None when empty or naming no country)."""
        out: list[str | None] = []
        known = self._countries  # a file holds few distinct country values
        for value in values:
            if value.__class__ is str and value in known:
                out.append(known[value])
                continue
            text = cell_text(value)
            try:
                code = country_option(text)
            except InputError:
                bad[text[:40]] += 1
                out.append(None)
                continue
            if value.__class__ is str and len(known) < 10_000:
                known[value] = code
            out.append(code)
        return out

    def dobs(self, values: Iterable[Any], bad: Counter[str]) -> list[str | None]:
        """Each date-of-birth cell checked (None when empty or not YYYY[-MM[-DD]])."""
        out: list[str | None] = []
        for value in values:
            # a spreadsheet's date cell (a datetime, or pandas' Timestamp) is its day
            text = cell_text(value)
            if text and isinstance(value, date):
                text = value.isoformat()[:10]
            try:
                out.append(dob_option(text or None))
            except InputError:
                bad[text[:40]] += 1
                out.append(None)
        return out

    def cells(
        self, names: Sequence[str], countries: Iterable[Any] | None, dobs: Iterable[Any] | None
    ) -> tuple[list[str | None], list[str | None] | None, Counter[str], Counter[str]]:
        """A chunk's country and date-of-birth cells checked (:meth:`countries`,
        :meth:`dobs`), with the values that were not: (countries, dobs, bad countries,
        bad dates)."""
        bad: Counter[str] = Counter()
        bad_dobs: Counter[str] = Counter()
        ccs: list[str | None] = (
            self.countries(countries, bad) if countries is not None else [None] * len(names)
        )
        return ccs, (self.dobs(dobs, bad_dobs) if dobs is not None else None), bad, bad_dobs

    def learn(self, names: Sequence[str], found: Sequence[list[Match]]) -> None:
        """Hand the service the compact matches of names just screened (same order)."""
        self.s.learn(self.snap, self.floor, names, found)

    def rows(
        self,
        first: int,
        names: Sequence[str],
        countries: Sequence[str | None],
        dobs: Sequence[str | None] | None = None,
        ex: Any = None,
    ) -> list[RowResult]:
        """The result of each row; ``first`` is the 0-based number of the first data row.
        ``ex``, an executor that can finish keys (:meth:`~screener.screening.executors.ForkPool.finish`),
        runs the stages of the chunk's new keys in its workers (:meth:`finish`)."""
        if dobs is None:
            dobs = [None] * len(names)
        keys = list(dict.fromkeys(k for k in zip(names, countries, dobs) if k[0]))
        done = self._finished(keys, ex)
        results: list[RowResult] = []
        append = results.append
        for row, key in zip(range(first, first + len(names)), zip(names, countries, dobs)):
            n, cc = key[0], key[1]
            if not n:
                append(
                    {
                        "row": row,
                        "query": n,
                        "country": cc,
                        "status": "skipped",
                        "reason": "empty name",
                        "hits": _NONE,
                    }
                )
                continue
            query = n if len(n) <= MAX_QUERY_CHARS else n[:MAX_QUERY_CHARS] + "…"
            hits, status = done[key]
            append({"row": row, "query": query, "country": cc, "status": status, "hits": hits})
        return results

    def _finished(self, keys: list[Key], ex: Any) -> dict[Key, Finished]:
        """The hit dicts and status of each key: a name without matches is clear here, a key
        finished before (while every stage's token is the same) is remembered, and the
        others are finished by ``ex``'s workers when it can, else here."""
        tokens = self.s.stage_tokens()
        if tokens is None or tokens != self._tokens:  # a decision recorded, a new day
            self.done.clear()
            self._tokens = tokens
        memo = self.snap.memo.get(self.floor, {})
        out: dict[Key, Finished] = {}
        todo: list[Key] = []
        held = self.done
        for k in keys:
            got = held.pop(k, None)
            if got is not None:
                held[k] = got  # the most recently used last
            else:
                matches = memo.get(k[0])
                if matches is not None and not matches:
                    got = _CLEAR
                else:
                    todo.append(k)
                    continue
            out[k] = got
        if not todo:
            return out
        if getattr(ex, "finishes", False):
            made = ex.result(ex.finish([(k, memo.get(k[0])) for k in todo]))
        else:
            made = self._made(todo)
        if tokens is not None:
            if len(held) + len(todo) > KEYS_HELD:
                _halve(held)
            held.update(zip(todo, made))
        out.update(zip(todo, made))
        return out

    def forked(self) -> None:
        """In a worker forked from the batch's process: the store's connections its own."""
        self.s.store.forked()

    def finish(self, items: Sequence[tuple[Key, list[Match] | None]]) -> list[Finished]:
        """The hit dicts and status of each key, given its name's matches (None: screened
        again here): what a worker does for :meth:`rows` (the stages run where it runs)."""
        known = [(k[0], m) for k, m in items if m is not None]
        if known:
            self.s.learn(self.snap, self.floor, [n for n, _ in known], [m for _, m in known])
        return self._made([k for k, _ in items])

    def _made(self, keys: list[Key]) -> list[Finished]:
        finished = self.s.rows_hits(self.snap, self.floor, self.thr, self.related, keys)
        return list(map(self._rendered, finished))

    def _rendered(self, finished: list[ScreenHit]) -> Finished:
        """The hit dicts and row status of one of the service's finished lists, made once
        while the list is remembered here."""
        if not finished:
            return _CLEAR
        held = self.rendered.get(id(finished))
        if held is None or held[0] is not finished:
            if len(self.rendered) >= MEMO_ROWS:
                _halve(self.rendered)
            dicts = [h.to_dict() for h in finished]
            held = (finished, dicts, row_status(h.status for h in finished))
            self.rendered[id(finished)] = held
        return held[1], held[2]


def _halve(memo: dict[Any, Any]) -> None:
    """Let go of the older half of ``memo`` (dicts keep the order things came in)."""
    for key in list(islice(memo, len(memo) // 2 + 1)):
        del memo[key]
