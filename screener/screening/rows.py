"""A batch's rows turned into results: the one place both batch engines do it.

The local engine runs this in its own process and the Dask engine on each worker
(:mod:`screener.screening.dask_engine`); both give the same rows because both call
this code, the executors' :func:`~screener.screening.executors.screen_chunk` and the
stages (:func:`~screener.screening.stages.finish`).

    names(values)        a chunk's name cells as text: missing -> "", stripped
    RowScreener.countries(values, bad)
                         its country cells as ISO codes; a value naming no country
                         is counted in ``bad`` and gives that row no country evidence
    RowScreener.dobs(values, bad)
                         its date-of-birth cells (YYYY[-MM[-DD]]); another value is
                         counted in ``bad`` and gives that row no date evidence
    RowScreener.learn    the compact matches of names just screened
    RowScreener.rows     the result dict of each row (see the writers), its status
                         from its hits' (reviewers' decisions: :mod:`.results`)

Each distinct name is screened once (the caller asks :meth:`RowScreener.unknown`
or keeps its own set of names in flight); the country and the date of birth apply per
row, and the hit dicts of a (name, country, date of birth) are made once and shared
by every row with them (the writers render a shared hit list once).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from screener.countries import country_option
from screener.db.runs import Recorded
from screener.errors import InputError
from screener.matching.country import dob_option
from screener.matching.matcher import Matcher
from screener.screening.executors import Match, expand
from screener.screening.results import row_status
from screener.screening.stages import Query, Stage, finish
from screener.shapes import HitDict, RowResult

MAX_QUERY_CHARS = 1_000  # a longer cell is screened (normalization bounds it) but shown cut
_NONE: list[Any] = []  # shared by every name without matches, to keep the cache small
# Rows with hits whose hit dicts are remembered, by (name, country, date of birth): a
# name's rows share them. Each holds a few KB of provenance, so the memory is started
# afresh when it is full: unbounded, a long batch's would grow with its distinct names.
MEMO_ROWS = 20_000


def cell_text(value: Any) -> str:
    """A cell as text, stripped; a missing value (None, NaN, pandas' NA) is ``""``."""
    if value.__class__ is str:
        return str(value).strip()
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
    """What turning rows into results needs and remembers: the matcher, the threshold,
    the stages, each name's compact matches and each (name, country, date of birth)'s
    hit dicts and row status. ``related`` keeps the hits on companies listed parties
    own in part (see :func:`~screener.screening.stages.ownership_stage`)."""

    def __init__(self, m: Matcher, thr: float, stages: Sequence[Stage] = (), related: bool = False):
        self.m, self.thr, self.stages, self.related = m, thr, list(stages), related
        self.matches: dict[str, list[Match]] = {}
        self._countries: dict[str, str | None] = {}  # a cell as written -> its ISO code
        self.dicts: dict[tuple[str, str | None, str | None], tuple[list[HitDict], str]] = {}

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

    def unknown(self, names: Sequence[str]) -> list[str]:
        """The distinct non-empty names of ``names`` not screened yet, in order."""
        known = self.matches
        return [n for n in dict.fromkeys(names) if n and n not in known]

    def learn(self, names: Sequence[str], found: Sequence[list[Match]]) -> None:
        """Remember the compact matches of names just screened (same order)."""
        for n, matches in zip(names, found):
            self.matches[n] = matches or _NONE

    def forget(self) -> None:
        """Drop what is remembered (a long-lived worker bounds its memory so)."""
        self.matches.clear()
        self.dicts.clear()

    def rows(
        self,
        first: int,
        names: Sequence[str],
        countries: Sequence[str | None],
        dobs: Sequence[str | None] | None = None,
    ) -> list[RowResult]:
        """The result of each row; ``first`` is the 0-based number of the first data row.
        Every non-empty name must have been learnt."""
        results: list[RowResult] = []
        if dobs is None:
            dobs = [None] * len(names)
        for row, (n, cc, dob) in enumerate(zip(names, countries, dobs), start=first):
            query = n if len(n) <= MAX_QUERY_CHARS else n[:MAX_QUERY_CHARS] + "…"
            if not n:
                results.append(
                    {
                        "row": row,
                        "query": query,
                        "country": cc,
                        "status": "skipped",
                        "reason": "empty name",
                        "hits": [],
                    }
                )
                continue
            found = self.matches[n]
            hits, status = _NONE, "clear"
            if found:
                known = self.dicts.get((n, cc, dob))
                if known is None:
                    if len(self.dicts) >= MEMO_ROWS:
                        self.dicts.clear()
                    q = Query(n, cc, self.thr, self.related, dob)
                    done = finish(expand(self.m, found), q, self.stages)
                    known = self.dicts[(n, cc, dob)] = (
                        [h.to_dict() for h in done] if done else _NONE,
                        row_status(h.status for h in done) if done else "clear",
                    )
                hits, status = known
            results.append(
                {"row": row, "query": query, "country": cc, "status": status, "hits": hits}
            )
        return results
