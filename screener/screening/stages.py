"""The steps after matching, in one ordered list, the same for every caller.

1. **Country evidence** (:mod:`screener.matching.country`): the party's country moves
   scores a little, then the threshold cuts. It comes first because it moves scores;
   the matcher screened down to the threshold less the country bonus for it.
2. The matcher's hits become :class:`~screener.screening.results.ScreenHit` (typed,
   with provenance).
3. Each further stage of the service, in order (ownership, reviewers' decisions), takes
   the hits of one query and returns them annotated: a stage may add hits or change a
   hit's ``status`` and ``extra``, never drop one silently.

:func:`default_stages` is the one list every service gets unless it is given another
(``Screener.open``, the CLI, and so checks, batches, re-screenings and the HTTP API):

* :func:`decisions_stage`, the reviewers' decisions (:mod:`screener.db.decisions`). A
  hit whose party and entity have a decision carries it in ``extra["decision"]`` (id,
  kind, reason, reviewer, time). A ``false-positive`` or ``cleared`` decision makes the
  hit ``suppressed``, unless the entity's listing changed since the decision (a new
  listing, changed names, a listing ended or removed): then it is ``review-again`` and
  ``extra["decision"]["changes"]`` says what changed. ``confirmed``, ``escalated`` and
  ``declined`` leave the hit a ``hit`` (with ``changes`` too when the listing changed).
  The hit is always kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from screener.db import decisions
from screener.db.store import Store
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


def default_stages(store: Store) -> list[Stage]:
    """The stages every screening service runs after matching (see the module docstring)."""
    return [decisions_stage(store)]


def decisions_stage(store: Store) -> Stage:
    """The reviewers' decisions applied to each hit (see the module docstring).

    Decisions in force are read once and again only when a new one was recorded (one
    cheap query per party with hits), so a long-lived service sees decisions made while
    it runs.
    """
    cache: dict[str, Any] = {"last": None, "latest": {}}

    def stage(hits: list[ScreenHit], query: Query) -> list[ScreenHit]:
        if not hits:
            return hits
        last = decisions.last_id(store)
        if last is None:
            return hits
        if last != cache["last"]:
            cache["latest"], cache["last"] = decisions.latest_by_key(store), last
        latest = cache["latest"]
        key = decisions.party_key(query.name)
        for hit in hits:
            found = latest.get((key, hit.source_id or "", hit.entity_id))
            if found is not None:
                apply_decision(store, hit, found)
        return hits

    return stage


def apply_decision(store: Store, hit: ScreenHit, decision: dict[str, Any]) -> None:
    """Give ``hit`` the status and ``extra["decision"]`` that ``decision`` means for it now."""
    names = decisions.entity_names(store, hit.version_id, hit.entity_id)
    now = decisions.listing_view({"name": hit.name, "listings": hit.listings, "list": hit.list,
                                  "citation": hit.citation, "listed_on": hit.listed_on,
                                  "end_date": hit.end_date,
                                  "license_requirement": hit.license_requirement,
                                  "license_policy": hit.license_policy,
                                  "source_url": hit.source_url}, names or None)  # fmt: skip
    changed = decisions.fingerprint(now) != decision["fingerprint"]
    info = {k: decision[k] for k in ("id", "kind", "reason", "reviewer", "decided_at", "party")}
    info["listing_changed"] = changed
    if changed:
        info["changes"] = decisions.changes(decision["listing"], now)
    hit.extra["decision"] = info
    if decision["kind"] in decisions.SUPPRESSING:
        hit.status = "review-again" if changed else "suppressed"
