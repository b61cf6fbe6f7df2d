"""The steps after matching, in one ordered list, the same for every caller.

1. **Country evidence** (:mod:`screener.matching.country`): the party's country moves
   scores a little, then the threshold cuts. It comes first because it moves scores;
   the matcher screened down to the threshold less the country bonus for it.
2. The matcher's hits become :class:`~screener.screening.results.ScreenHit` (typed,
   with provenance).
3. Each further stage of the service, in order (ownership, reviewers' decisions), takes
   the hits of one query and returns them annotated: a stage may add hits or change a
   hit's ``status`` and ``extra``, never drop one silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from screener.matching.country import apply_country
from screener.matching.matcher import Hit
from screener.screening.results import ScreenHit


@dataclass(frozen=True, slots=True)
class Query:
    """What a party was screened with."""

    name: str
    country: str | None  # ISO alpha-2, lower case, already checked
    threshold: float


Stage = Callable[[list[ScreenHit], Query], list[ScreenHit]]


def finish(hits: list[Hit], query: Query, stages: Sequence[Stage] = ()) -> list[ScreenHit]:
    """The hits of one query after every step above, best first."""
    out = [ScreenHit.from_match(h) for h in apply_country(hits, query.country, query.threshold)]
    for stage in stages:
        out = stage(out, query)
    return out
