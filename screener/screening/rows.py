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
or keeps its own set of names in flight), and the stages after matching run per
distinct name, not per row: a name's hits are expanded once, the country and the date
of birth are applied to them once for each (name, country, date of birth), and the
stages (ownership, decisions) run once for each different set of hits that leaves
(:func:`~screener.screening.stages.run_stages`). So every country that moves none of a
name's hits (its listed entities have no countries, or the cell is empty) shares one
finished hit list with the name alone, and a hit the country moved is made from the
name's typed hit (:meth:`~screener.screening.results.ScreenHit.rescored`), not again
from the entity. Rows with the same hits share one list of hit dicts (the writers
render a shared hit list once).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import islice
from typing import Any

from screener.countries import country_option
from screener.errors import InputError
from screener.matching.country import apply_country, dob_option
from screener.matching.matcher import Hit, Matcher
from screener.screening.executors import Match, expand
from screener.screening.results import ScreenHit, row_status
from screener.screening.stages import Query, Stage, run_stages

MAX_QUERY_CHARS = 1_000  # a longer cell is screened (normalization bounds it) but shown cut
_NONE: list[Any] = []  # shared by every name without matches, to keep the cache small
# (name, country, date of birth) whose finished hit dicts are remembered: a name's rows
# share them. Each holds a few KB of provenance, so when the memory is full its older
# half is let go (a 1,000,000-row batch held 50,565 of them, 216 MB, unbounded).
MEMO_ROWS = 60_000
Finished = tuple[list[dict[str, Any]], str]  # a row's hit dicts and its status


def cell_text(value: Any) -> str:
    """A cell as text, stripped; a missing value (None, NaN, pandas' NA) is ``""``."""
    if value.__class__ is str:
        return value.strip()  # type: ignore[no-any-return]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' NA and NaT, not importing it
        return ""
    return str(value).strip()


def names(values: Iterable[Any]) -> list[str]:
    """The names of a chunk's name column (see :func:`cell_text`)."""
    return [cell_text(v) for v in values]


def recorded(results: Sequence[dict[str, Any]]) -> list[tuple[int, str, list[dict[str, Any]]]]:
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
        # (name, country, date of birth) -> its finished hit dicts and status
        self.dicts: dict[tuple[str, str | None, str | None], Finished] = {}
        # a name's hits, expanded once, and each as a typed hit
        self._hits: dict[str, tuple[list[Hit], list[ScreenHit]]] = {}
        # (name, which of its hits were kept) -> finished, for countries that move no hit
        self._shared: dict[tuple[str, tuple[int, ...]], Finished] = {}

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
        ccs = self.countries(countries, bad) if countries is not None else [None] * len(names)
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
        self._hits.clear()
        self._shared.clear()

    def rows(
        self,
        first: int,
        names: Sequence[str],
        countries: Sequence[str | None],
        dobs: Sequence[str | None] | None = None,
    ) -> list[dict[str, Any]]:
        """The result of each row; ``first`` is the 0-based number of the first data row.
        Every non-empty name must have been learnt."""
        results = []
        append = results.append
        matches, dicts = self.matches, self.dicts
        if dobs is None:
            dobs = [None] * len(names)
        for row, n, cc, dob in zip(range(first, first + len(names)), names, countries, dobs):
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
            if matches[n]:
                done = dicts.get((n, cc, dob)) or self._finished(n, cc, dob)
                append(
                    {"row": row, "query": query, "country": cc, "status": done[1], "hits": done[0]}
                )
            else:
                append(
                    {"row": row, "query": query, "country": cc, "status": "clear", "hits": _NONE}
                )
        return results

    def _finished(self, n: str, cc: str | None, dob: str | None) -> Finished:
        """The hit dicts and status of a name with a country and a date of birth (see the
        module docstring), remembered."""
        dicts = self.dicts
        if len(dicts) >= MEMO_ROWS:
            _halve(dicts)
        named = self._hits.get(n)
        if named is None:
            if len(self._hits) >= MEMO_ROWS:
                _halve(self._hits)
                _halve(self._shared)
            hits = expand(self.m, self.matches[n])
            named = self._hits[n] = (hits, [ScreenHit.from_match(h) for h in hits])
        hits, typed = named
        kept = apply_country(hits, cc, self.thr, dob)
        # which of the name's hits were kept, and whether the evidence moved any of them
        at = {h.name_id: i for i, h in enumerate(hits)}
        which = tuple(at[k.name_id] for k in kept)
        same = all(k is hits[i] for k, i in zip(kept, which))
        done = self._shared.get((n, which)) if same else None
        if done is None:
            q = Query(n, cc, self.thr, self.related, dob)
            finished = run_stages(
                [
                    typed[i].copy() if k is hits[i] else typed[i].rescored(k)
                    for k, i in zip(kept, which)
                ],
                q,
                self.stages,
            )
            done = (
                ([h.to_dict() for h in finished], row_status(h.status for h in finished))
                if finished
                else (_NONE, "clear")
            )
            if same:
                self._shared[(n, which)] = done
        dicts[(n, cc, dob)] = done
        return done


def _halve(memo: dict[Any, Any]) -> None:
    """Let go of the older half of ``memo`` (dicts keep the order things came in)."""
    for key in list(islice(memo, len(memo) // 2 + 1)):
        del memo[key]
