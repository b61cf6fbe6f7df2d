"""``POST /match/{dataset}``: yente's query-by-example matching, screened by screener.

Request (yente's ``EntityMatchQuery``)::

    {"queries": {"row-17": {"schema": "Company",
                            "properties": {"name": ["Hikvision"], "country": ["cn"]}}},
     "weights": {}, "config": {}}

Each query is keyed by the client's own id and screened on what it holds:

* names: ``name``, ``alias``, ``weakAlias``, ``previousName``; for a ``Person`` also
  ``firstName`` ``middleName`` ``lastName`` joined (``fatherName`` after the first name);
* countries: ``country``, ``jurisdiction``, ``nationality``, ``citizenship``,
  ``mainCountry``, a vessel's ``flag``: secondary evidence; with several, the party is
  screened with each and an entity keeps its best score;
* a person's ``birthDate``: secondary evidence.

Other properties (``registrationNumber``, ``address`` ...) are not screened; each
response names them under ``screener.unused``. **Fail closed**: a query that cannot be
screened (no name, a schema that is not a party, a country or date that means
nothing) makes the whole request a 400 naming each bad query by its key, so that an
answer never shows "no match" for a query that was not screened.

URL parameters, as yente's: ``threshold`` (a result at or above it has ``match:
true``; default 0.70), ``cutoff`` (results down to it are returned; default and at
most the threshold), ``limit`` (results per query, in the order of every output:
identity, then severity; default 5, at most 500; ``total`` counts them all), ``algorithm`` (``default``, ``best`` or ``screener-names``: the one
algorithm), ``include_dataset``, ``exclude_dataset`` (source ids or collections),
``exclude_schema``, ``topics``, ``changed_since``, ``exclude_entity_ids`` (an id or a
referent); and screener's ``related`` (``true``: also companies listed parties own
under 50% or in an unknown share). Any other parameter, and any ``weights`` or
``config``, is refused with a 400 naming it. Results are yente's
``ScoredEntityResponse`` (:mod:`screener.api.entities`, ``explanations`` from
:func:`explanations`), each with the hit as screener reports it under ``screener``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from screener.api.entities import (
    Listed,
    Lookup,
    entity_id_of,
    entity_response,
    in_scope,
    listed_of,
    referents_of,
)
from screener.api.problems import TooLarge, parse_each
from screener.countries import country_option
from screener.errors import InputError
from screener.matching.country import dob_option
from screener.matching.rules import (
    COUNTRY_BONUS,
    COUNTRY_MIN_SCORE,
    COUNTRY_PENALTY,
    DOB_BONUS,
    DOB_PENALTY,
    valid_threshold,
)
from screener.screening.results import ScreenHit, ranked
from screener.screening.service import Screener, Snapshot
from screener.screening.stages import Query

ALGORITHM = "screener-names"
ALGORITHMS = ("default", "best", ALGORITHM)
DEFAULT_THRESHOLD = 0.70  # yente's
DEFAULT_LIMIT = 5  # yente's
MAX_LIMIT = 500
MAX_QUERIES = 100
MAX_NAMES = 10  # names per query
MAX_COUNTRIES = 5  # countries per query: each is one more screening of its names
MAX_EXCLUDED_IDS = 500
# FollowTheMoney schemata of parties: the ones screened (any other is refused)
SCHEMAS = (
    "Thing",
    "LegalEntity",
    "Organization",
    "Company",
    "PublicBody",
    "Person",
    "Asset",
    "Vehicle",
    "Vessel",
    "Airplane",
)
NAME_PROPS = ("name", "alias", "weakAlias", "previousName")
PERSON_PARTS = ("firstName", "fatherName", "middleName", "lastName")
COUNTRY_PROPS = ("country", "jurisdiction", "nationality", "citizenship", "mainCountry", "flag")
SCREENED = frozenset((*NAME_PROPS, *PERSON_PARTS, *COUNTRY_PROPS, "birthDate"))
MATCH_PARAMS = {
    "threshold",
    "cutoff",
    "limit",
    "algorithm",
    "include_dataset",
    "exclude_dataset",
    "exclude_schema",
    "topics",
    "changed_since",
    "exclude_entity_ids",
    "related",
}
CHANGED_SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?$")  # yente's form


def flag(params: Any, name: str) -> bool:
    return str(params.get(name, "")).lower() in ("1", "true", "yes")


def refuse_unknown(params: Any, known: set[str]) -> None:
    """A 400 naming every URL parameter the route does not honour."""
    unknown = sorted({k for k in params if k not in known})
    if unknown:
        raise InputError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"this route takes {', '.join(sorted(known))}"
        )


class Options:
    """A /match request's URL parameters, checked (see the module docstring)."""

    def __init__(self, params: Any):
        refuse_unknown(params, MATCH_PARAMS)
        self.threshold = valid_threshold(params.get("threshold", DEFAULT_THRESHOLD))
        # yente: a cutoff above the threshold is lowered to it
        self.cutoff = min(valid_threshold(params.get("cutoff", self.threshold)), self.threshold)
        limit = str(params.get("limit", DEFAULT_LIMIT))
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise InputError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
        self.limit = int(limit)
        algorithm = params.get("algorithm", "default")
        if algorithm.lower() not in ALGORITHMS:
            raise InputError(
                f"algorithm {algorithm[:40]!r} is not served here; use {', '.join(ALGORITHMS)} "
                "(GET /algorithms)"
            )
        self.algorithm = ALGORITHM
        self.include = params.getlist("include_dataset")
        self.exclude = params.getlist("exclude_dataset")
        self.exclude_schema = params.getlist("exclude_schema")
        for s in self.exclude_schema:
            if s not in SCHEMAS:
                raise InputError(f"exclude_schema {s[:40]!r} is not one of {', '.join(SCHEMAS)}")
        self.topics = set(params.getlist("topics"))
        changed = params.get("changed_since")
        if changed is not None and not CHANGED_SINCE.match(changed):
            raise InputError("changed_since must be a date: YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS")
        self.changed_since = changed
        self.exclude_ids = set(params.getlist("exclude_entity_ids"))
        if len(self.exclude_ids) > MAX_EXCLUDED_IDS:
            raise InputError(f"give at most {MAX_EXCLUDED_IDS} exclude_entity_ids")
        self.related = flag(params, "related")

    def as_dict(self) -> dict[str, Any]:
        return {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(self).items()}


class Parsed:
    """One query: as sent, and what it is screened with."""

    def __init__(self, sent: Any, names: list[str], countries: list[str | None], dob: str | None):
        self.sent, self.names, self.countries, self.dob = sent, names, countries, dob
        self.unused = sorted(k for k in sent.get("properties") or () if k not in SCREENED)

    def queries(self, cutoff: float, related: bool) -> list[Query]:
        return [Query(n, c, cutoff, related, self.dob) for n in self.names for c in self.countries]


def check_body(body: Any) -> dict[str, Any]:
    """The queries of a /match body; ``weights`` and ``config`` are refused unless empty."""
    if not isinstance(body, dict) or not isinstance(body.get("queries"), dict):
        raise InputError('the body must be a JSON object with "queries": {"id": {...}}')
    for key in ("weights", "config"):
        if body.get(key):
            raise InputError(
                f"{key} {sorted(body[key])[:5]} cannot be honoured: screener's one algorithm "
                f"has fixed weights and no settings (GET /algorithms); send {key} empty"
            )
    queries: dict[str, Any] = body["queries"]
    if not queries:
        raise InputError("no queries")
    if len(queries) > MAX_QUERIES:
        raise TooLarge(f"{len(queries)} queries; send at most {MAX_QUERIES} per request")
    return queries


def parse(body: Any) -> dict[str, Parsed]:
    """Each query by its key, or :class:`QueryErrors` naming every query that cannot be
    screened."""
    return parse_each(check_body(body), _parse_one)


def _parse_one(q: Any) -> Parsed:
    if type(q) is not dict:
        raise InputError("a query must be an object with schema and properties")
    schema = q.get("schema", "LegalEntity")  # yente requires one; without one, any party
    if schema not in SCHEMAS:
        raise InputError(
            f"schema {str(schema)[:40]!r} is not a party screener screens; use one of "
            f"{', '.join(SCHEMAS)}"
        )
    props = q.get("properties")
    if type(props) is not dict:
        raise InputError('properties must be an object, e.g. {"name": ["Hikvision"]}')
    only = props.get("name") if len(props) == 1 else None
    if type(only) is list and len(only) == 1 and type(only[0]) is str and only[0].strip():
        return Parsed(q, [only[0].strip()], [None], None)  # the common query: one name
    names: list[str] = []
    parts: dict[str, list[str]] = {}
    given_countries: list[tuple[str, str]] = []
    for key, value in props.items():  # only the properties given (most queries: one)
        if key in NAME_PROPS:
            names += _values(value, key)
        elif key in PERSON_PARTS:
            parts[key] = _values(value, key)
        elif key in COUNTRY_PROPS:
            given_countries += [(key, v) for v in _values(value, key)]
    if parts and schema in ("Person", "LegalEntity", "Thing"):
        joined = " ".join(" ".join(parts.get(p, [])) for p in PERSON_PARTS).split()
        if joined:
            names.append(" ".join(joined))
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        given = ", ".join(sorted(props)) or "nothing"
        raise InputError(
            f"no name to screen (it gives {given[:80]}); screener screens names: give name, "
            "alias, or a person's firstName and lastName"
        )
    if len(names) > MAX_NAMES:
        raise InputError(f"{len(names)} names; give at most {MAX_NAMES} per query")
    countries: list[str | None] = [_country(v, f"properties.{k}") for k, v in given_countries]
    countries = list(dict.fromkeys(countries)) or [None]
    if len(countries) > MAX_COUNTRIES:
        raise InputError(f"{len(countries)} countries; give at most {MAX_COUNTRIES} per query")
    dobs = _values(props.get("birthDate"), "birthDate")
    dob = dob_option(dobs[0], "properties.birthDate") if dobs else None
    return Parsed(q, names, countries, dob)


@lru_cache(maxsize=1024)
def _country(value: str, what: str) -> str | None:
    return country_option(value, what)


def _values(v: Any, key: str) -> list[str]:
    if type(v) is str:
        return [v.strip()] if v.strip() else []
    if v is None:
        return []
    if type(v) is not list or not all(type(x) is str for x in v):
        raise InputError(f"properties.{key} must be a string or a list of strings")
    return [x.strip() for x in v if x.strip()]


def merged(per_name: list[list[ScreenHit]], by_relation: bool = True) -> list[ScreenHit]:
    """The hits of a query's names, one per party (and relation: a company it owns that
    matched is another finding than the party itself), its best, in the one order of
    every output (:func:`~screener.screening.results.ranked`: identity, then severity)."""
    best: dict[tuple[str, str], ScreenHit] = {}
    for hits in per_name:
        for h in hits:
            key = (entity_id_of(h), h.relation if by_relation else "")
            if key not in best or h.score > best[key].score:
                best[key] = h
    return ranked(list(best.values()))


def explanations(h: ScreenHit) -> dict[str, dict[str, Any]]:
    """yente's ``explanations``: the score of each feature and how it came about.

    ``name``: how the names compare, before the secondary evidence; ``country`` and
    ``birth_date``: what the party's country and date of birth added or took off.
    The three add up to the result's score, except where a date of birth that differs
    was not allowed to take a name hit below the threshold: then ``name`` is the
    threshold it was kept at."""
    ev = h.evidence
    notes = ev.get("notes") or []
    country = _adjustment(notes, "country ")
    born = _adjustment(notes, "date of birth ")
    kept = any("kept at the threshold" in n for n in notes)
    if kept:
        born = (0.0, born[1])
    name_score = round(h.score - country[0] - born[0], 4)
    agreed = ", ".join(
        t["query"] if t["query"] == t["listed"] else f"{t['query']}~{t['listed']}"
        for t in ev.get("matched_tokens") or []
    )
    other = [n for n in notes if not n.startswith(("country ", "date of birth "))]
    name_detail = "; ".join(
        x
        for x in (
            f"{ev.get('method')}: {h.matched_name_kind} name {h.matched_name!r}",
            f"agreed: {agreed}" if agreed else "",
            f"only in query: {', '.join(ev.get('query_only') or [])}"
            if ev.get("query_only")
            else "",
            f"only in listed name: {', '.join(ev.get('listed_only') or [])}"
            if ev.get("listed_only")
            else "",
            *other,
        )
        if x
    )
    return {
        "name": {
            "score": name_score,
            "detail": name_detail,
            "query": h.matched_part or ev.get("query_normalized"),
            "candidate": h.matched_name,
        },
        "country": {"score": country[0], "detail": country[1]},
        "birth_date": {"score": born[0], "detail": born[1]},
    }


_SIGNED = re.compile(r"\(([+-]\d+(?:\.\d+)?)")


def _adjustment(notes: list[str], prefix: str) -> tuple[float, str | None]:
    for n in notes:
        if n.startswith(prefix):
            m = _SIGNED.search(n)
            return (float(m.group(1)) if m else 0.0), n
    return 0.0, None


def result(h: ScreenHit, listed: Listed, threshold: float) -> dict[str, Any]:
    """One hit as yente's ``ScoredEntityResponse``, with the hit under ``screener``."""
    return {
        **entity_response(listed, h),
        "score": h.score,
        "match": h.score >= threshold,
        "explanations": explanations(h),
        "screener": {
            **h.to_dict(),
            "lists": list(dict.fromkeys(x.get("list") for x in h.listings if x.get("list")))
            or ([h.list] if h.list else []),
        },
    }


class Filter:
    """What a request keeps of the hits: its scope and yente's filters."""

    def __init__(self, sources: set[str], o: Options, table: Lookup):
        self.sources, self.o, self.table = sources, o, table
        # an id given in any form (an older one too) excludes the record it resolves to
        resolved = (table.resolve(i)[0] for i in o.exclude_ids)
        self.excluded_ids = o.exclude_ids | {x.id for x in resolved if x is not None}

    def keeps(self, h: ScreenHit, listed: Listed) -> bool:
        o = self.o
        if not in_scope(h, self.sources):
            return False
        if o.exclude_schema and entity_response(listed)["schema"] in o.exclude_schema:
            return False
        if o.topics and o.topics.isdisjoint(listed.topics):
            return False
        if o.changed_since and (listed.last_change or "") <= o.changed_since:
            return False
        if listed.id in self.excluded_ids or entity_id_of(h) in self.excluded_ids:
            return False
        return not self.excluded_ids.intersection(referents_of(h))


def respond(
    parsed: dict[str, Parsed],
    s: Screener,
    snap: Snapshot,
    o: Options,
    keep: Filter,
) -> tuple[dict[str, Any], list[tuple[int, str, list[dict[str, Any]]]]]:
    """The responses of every query (screened in one call, with the snapshot ``snap``),
    and the (row, query, hits) triples of the audit record."""
    plans = {k: p.queries(o.cutoff, o.related) for k, p in parsed.items()}
    found = iter(s.screen([q for qs in plans.values() for q in qs], snapshot=snap))
    table = keep.table
    out: dict[str, Any] = {}
    audit = []
    for row, (key, p) in enumerate(parsed.items()):
        qs = plans[key]
        hits = next(found) if len(qs) == 1 else merged([next(found) for _ in qs])
        kept = []
        for h in hits:
            listed = listed_of(table, h)
            if keep.keeps(h, listed):
                kept.append((h, listed))
        results = [result(h, listed, o.threshold) for h, listed in kept[: o.limit]]
        out[key] = {
            "status": 200,
            "query": p.sent,
            "results": results,
            "total": {"value": len(kept), "relation": "eq"},
            "screener": {
                "names": p.names,
                "countries": [c for c in p.countries if c],
                "birth_date": p.dob,
                "unused": p.unused,
            },
        }
        audit.append(
            (
                row,
                " | ".join(p.names),
                [r["screener"] for r in results if r["match"]],
            )
        )
    return out, audit


# The features of the one algorithm, for GET /algorithms (yente's FeatureDoc shape)
FEATURES = {
    "name": {
        "description": (
            "How the party's names compare with the entry's names and aliases, after one "
            "normalization (scripts, legal forms, typos, pinyin, acronyms): a weighted soft "
            "Dice over name tokens, rare tokens weighing most; the best name counts."
        ),
        "coefficient": 1.0,
    },
    "country": {
        "description": (
            f"The party's country is one of the entry's (+{COUNTRY_BONUS}) or is not "
            f"(-{COUNTRY_PENALTY}); only for entries with known countries and name scores "
            f"of at least {COUNTRY_MIN_SCORE}."
        ),
        "coefficient": COUNTRY_BONUS,
    },
    "birth_date": {
        "description": (
            f"A person's date of birth agrees with a listed one (+{DOB_BONUS}) or differs "
            f"(-{DOB_PENALTY}, never below the threshold: a date alone never clears a name)."
        ),
        "coefficient": DOB_BONUS,
    },
}
