"""``POST /match``: many parties in one request, in the shape yente's ``/match`` uses.

Request::

    {"queries": {"row-17": {"schema": "Company",
                            "properties": {"name": ["Hikvision"], "country": ["cn"]}}}}

Each query is keyed by the client's own id. ``properties.name`` holds one or more
names (``alias`` adds more); each is screened and an entity found under several keeps
its best score. ``properties.country`` (or ``jurisdiction``, ``nationality``): the
first value is the party's country, secondary evidence as everywhere. ``schema``
(``Company``, ``Organization``, ``LegalEntity``, ``Person``, ``PublicBody``, ``Thing``)
is checked and echoed, but results are not filtered by it: a list may type an
entity wrongly, and a missed hit costs more than a spare one.

URL parameters: ``threshold`` (a result at or above it has ``match: true``; default
0.80), ``cutoff`` (results down to this score are returned; default the threshold),
``limit`` (results per query, in the order of every output: identity, then severity;
default 10, at most 100; ``total`` counts
them all), ``related`` (``true``: also companies listed parties own under 50% or in
an unknown share, a red flag).

Response::

    {"responses": {"row-17": {"status": 200, "query": {...}, "total": {"value": 1,
                   "relation": "eq"}, "results": [{"id", "caption", "schema", "score",
                   "match", "status", "relation", "lists", "listings", "explanation",
                   ... every field of the hit}]}},
     "threshold": 0.8, "cutoff": 0.8, "limit": 10, "lists": [...], "run_id": "..."}

A query that cannot be screened (no name, a country that names none) gets its own
``status: 400`` and ``error``; the others are answered. A result's ``status`` is the
reviewers' word on it (``hit``, ``suppressed``, ``review-again``: the decisions stage).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from screener.countries import country_option
from screener.errors import InputError
from screener.matching.rules import valid_threshold
from screener.screening.results import ScreenHit, ranked
from screener.screening.service import Screener, Snapshot
from screener.screening.stages import Query

MAX_QUERIES = 100
MAX_NAMES = 10  # names per query (name + alias)
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
SCHEMAS = ("Thing", "LegalEntity", "Organization", "Company", "PublicBody", "Person")
NAME_PROPS = ("name", "alias")
COUNTRY_PROPS = ("country", "jurisdiction", "nationality")


def flag(params: Any, name: str) -> bool:
    return str(params.get(name, "")).lower() in ("1", "true", "yes")


def options(params: Any) -> tuple[float, float, int]:
    """(threshold, cutoff, limit) from the URL parameters, checked."""
    threshold = valid_threshold(params.get("threshold", "0.8"))
    cutoff = valid_threshold(params.get("cutoff", threshold))
    if cutoff > threshold:
        raise InputError(f"cutoff {cutoff} is above the threshold {threshold}")
    limit = params.get("limit", str(DEFAULT_LIMIT))
    if not str(limit).isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise InputError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return threshold, cutoff, int(limit)


def parse(
    body: Any, s: Screener, cutoff: float, related: bool = False
) -> dict[str, tuple[Any, list[Query] | str]]:
    """Each query id -> (the query as sent, its screening queries or an error message)."""
    if not isinstance(body, dict) or not isinstance(body.get("queries"), dict):
        raise InputError('the body must be a JSON object with "queries": {"id": {...}}')
    queries = body["queries"]
    if not queries:
        raise InputError("no queries")
    if len(queries) > MAX_QUERIES:
        raise InputError(f"{len(queries)} queries; send at most {MAX_QUERIES} per request")
    return {str(k): (q, _queries(q, s, cutoff, related)) for k, q in queries.items()}


def _queries(q: Any, s: Screener, cutoff: float, related: bool) -> list[Query] | str:
    """The screening queries of one party (its names, its country checked once; the
    cutoff was checked with the URL), or what is wrong with it."""
    if type(q) is not dict:
        return "a query must be an object with schema and properties"
    schema = q.get("schema", "LegalEntity")
    if schema not in SCHEMAS:
        return f"unknown schema {str(schema)[:40]!r}; use one of {', '.join(SCHEMAS)}"
    props = q.get("properties")
    if type(props) is not dict:
        return 'properties must be an object, e.g. {"name": ["Hikvision"]}'
    names: list[str] = []
    for p in NAME_PROPS:
        for n in _values(props.get(p)):
            n = n.strip()
            if n and n not in names:
                names.append(n)
    if not names:
        return "properties.name holds no name"
    if len(names) > MAX_NAMES:
        return f"{len(names)} names; give at most {MAX_NAMES} per query"
    country = None
    for p in COUNTRY_PROPS:
        given = [c for c in _values(props.get(p)) if c.strip()]
        if given:
            try:
                country = _country(given[0])
            except InputError as e:
                return str(e)
            break
    return [Query(n, country, cutoff, related) for n in names]


@lru_cache(maxsize=1024)
def _country(value: str) -> str | None:
    return country_option(value, "country")


def _values(v: Any) -> list[str]:
    if type(v) is list:
        return [x for x in v if type(x) is str]
    if type(v) is str:
        return [v]
    return []


def result(h: ScreenHit, threshold: float) -> dict[str, Any]:
    """One hit as a yente-shaped result, with every field of the hit after."""
    d = h.to_dict()
    lists = list(dict.fromkeys(x.get("list") for x in h.listings if x.get("list"))) or (
        [h.list] if h.list else []
    )
    party = h.extra.get("party") or {}
    head = {
        "id": party.get("id") or h.entity_id,  # the party: every record of every list
        "caption": h.name,
        "schema": h.schema,
        "score": h.score,
        "match": h.score >= threshold,
        "status": h.status,
        "relation": h.relation,
        "lists": lists,
        "listings": h.listings,
        "explanation": h.explanation,
        "properties": {"name": [h.name], "country": h.countries, "program": h.programs},
    }
    return {**head, **{k: v for k, v in d.items() if k not in head}}


def merged(per_name: list[list[ScreenHit]], by_relation: bool = True) -> list[ScreenHit]:
    """The hits of a query's names, one per party (and relation: a company it owns that
    matched is another finding than the entity itself), its best, in the one order of
    every output (:func:`~screener.screening.results.ranked`: identity, then severity)."""
    best: dict[tuple[Any, str], ScreenHit] = {}
    for hits in per_name:
        for h in hits:
            party = h.extra.get("party") or {}
            who = party.get("id") or (h.source_id, h.entity_id)  # one result per party
            key = (who, h.relation if by_relation else "")
            if key not in best or h.score > best[key].score:
                best[key] = h
    return ranked(list(best.values()))


def respond(
    parsed: dict[str, tuple[Any, list[Query] | str]],
    s: Screener,
    snap: Snapshot,
    threshold: float,
    limit: int,
) -> tuple[dict[str, Any], list[tuple[int, str, list[dict[str, Any]]]]]:
    """The responses of every query (screened in one call, with the snapshot ``snap``),
    and the (row, query, hits) triples of the audit record."""
    flat = [q for _, qs in parsed.values() if not isinstance(qs, str) for q in qs]
    found = iter(s.screen(flat, snapshot=snap))
    out: dict[str, Any] = {}
    audit = []
    for row, (key, (sent, qs)) in enumerate(parsed.items()):
        if isinstance(qs, str):
            out[key] = {
                "status": 400,
                "error": qs,
                "query": sent,
                "results": [],
                "total": {"value": 0, "relation": "eq"},
            }
            continue
        hits = next(found) if len(qs) == 1 else merged([next(found) for _ in qs])
        results = [result(h, threshold) for h in hits[:limit]]
        out[key] = {
            "status": 200,
            "query": sent,
            "results": results,
            "total": {"value": len(hits), "relation": "eq"},
        }
        audit.append(
            (
                row,
                qs[0].name if len(qs) == 1 else " | ".join(q.name for q in qs),
                [r for r in results if r["match"]],
            )
        )
    return out, audit
