"""The reconciliation service API (W3C Entity Reconciliation Community Group, versions
0.1 and 0.2) at ``/reconcile``, so that OpenRefine can reconcile a column against the
lists.

* ``GET /reconcile``: the service manifest. Its identity (``identifierSpace``, the
  view, preview and suggest URLs) comes from the configured base URL
  (``[serve] base_url``), never from the request's ``Host``.
* ``GET`` or ``POST /reconcile`` with ``queries`` (a form field or URL parameter; a
  JSON body of the batch is read too): a JSON object of queries keyed by the
  client's ids, each ``{"query": NAME, "type": TYPE or [TYPES], "type_strict",
  "limit": N, "properties": [{"pid": "country", "v": "CN"}]}``. A query may omit
  ``query`` and give its name as a property (``name``, ``alias``); ``country``,
  ``jurisdiction`` and ``nationality`` are the party's country. The answer holds,
  under the same keys, ``{"result": [{"id", "name", "type", "score", "match",
  "description", "features"}]}``. At most :data:`BATCH_SIZE` queries (the manifest's
  ``batchSize``; 413 above it). A batch with a query that cannot be screened (no
  name, a country that names none, a limit that is not a whole number, an unknown
  type) is refused whole (400), naming each: an answer never holds an unscreened
  query.
* ``GET /reconcile/suggest/entity?prefix=``: entities whose names start with the
  prefix (or that the prefix screens as), for OpenRefine's search box.
* ``GET /reconcile/preview?id=ID``: a small HTML card of the listed entity (503 while
  the lists load).

Ids are those of ``/entities/{id}`` (:mod:`screener.api.entities`). Scores are the
screening score times 100; candidates come down to :data:`CUTOFF`, so that a
reviewer sees near misses. ``match`` (OpenRefine matches the cell by itself) is true
only when the best candidate scores :data:`AUTO_MATCH` or more and no other reaches
the screening threshold. A type is a FollowTheMoney schema; a candidate whose list
does not say what it is (``LegalEntity``) is kept for any type. ``callback`` wraps
every answer, errors included, for JSONP clients. Every request that screens is
recorded as a ``reconcile`` run. CORS: :mod:`screener.api.operations`.
"""

from __future__ import annotations

import bisect
import re
import threading
from typing import Any

from screener import __version__
from screener.api import entities
from screener.api.match import merged
from screener.api.problems import TooLarge, parse_each
from screener.api.server import parse_json
from screener.countries import country_option
from screener.db.runs import Recorded
from screener.db.store import Store
from screener.errors import InputError
from screener.matching.normalize import clean
from screener.matching.rules import DEFAULT_THRESHOLD
from screener.model import Entity
from screener.screening.results import ScreenHit
from screener.screening.service import Screener, Snapshot
from screener.screening.stages import Query

VERSIONS = ["0.1", "0.2"]
CUTOFF = 0.6
AUTO_MATCH = 0.95
DEFAULT_LIMIT = 5
MAX_LIMIT = 25
BATCH_SIZE = 100
SUGGEST_LIMIT = 10
CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")
SCHEMA_SPACE = "https://followthemoney.tech/explorer/schemata/"
# the types a query may ask for: FollowTheMoney schemata, each with those it takes in
TYPES = {
    "LegalEntity": ("Listed party (organization or person)", None),
    "Organization": ("Listed organization", {"Organization"}),
    "Company": ("Listed company", {"Organization"}),
    "PublicBody": ("Listed public body", {"Organization"}),
    "Person": ("Listed person", {"Person"}),
    "Vessel": ("Listed vessel", {"Vessel"}),
    "Airplane": ("Listed aircraft", {"Airplane"}),
    "Thing": ("Anything listed", None),
}
DEFAULT_TYPES = ("LegalEntity", "Organization", "Person")
NAME_PIDS = ("name", "alias")
COUNTRY_PIDS = ("country", "jurisdiction", "nationality")
QUERY_KEYS = {"query", "type", "type_strict", "limit", "properties"}


def manifest(base: str) -> dict[str, Any]:
    """The service manifest; ``base`` is the server's configured address."""
    return {
        "versions": VERSIONS,
        "name": "screener: restricted and high-risk surveillance-technology lists",
        "identifierSpace": f"{base}/entities/",
        "schemaSpace": SCHEMA_SPACE,
        "documentation": f"{base}/docs",
        "serviceVersion": __version__,
        "batchSize": BATCH_SIZE,
        "defaultTypes": [{"id": t, "name": TYPES[t][0]} for t in DEFAULT_TYPES],
        "view": {"url": f"{base}/entity?id={{{{id}}}}"},
        "preview": {"url": f"{base}/reconcile/preview?id={{{{id}}}}", "width": 430, "height": 300},
        "suggest": {"entity": {"service_url": base, "service_path": "/reconcile/suggest/entity"}},
    }


class Parsed:
    """One reconciliation query, checked."""

    def __init__(
        self, names: list[str], country: str | None, limit: int, types: list[str], all_types: bool
    ):
        self.names, self.country, self.limit = names, country, limit
        self.types, self.all_types = types, all_types


def parse(raw: Any, s: Screener) -> dict[str, Parsed]:
    """Each query id -> its checked query, or QueryErrors naming each bad one."""
    queries = parse_json(raw, "queries") if isinstance(raw, str | bytes) else raw
    if not isinstance(queries, dict) or not queries:
        raise InputError('queries must be a JSON object: {"q0": {"query": "..."}}')
    if len(queries) > BATCH_SIZE:
        raise TooLarge(f"{len(queries)} queries; send at most {BATCH_SIZE} at once (batchSize)")
    return parse_each(queries, _parse_one)


def _parse_one(q: Any) -> Parsed:
    if isinstance(q, str):
        q = {"query": q}
    if not isinstance(q, dict):
        raise InputError("a query must be an object")
    unknown = sorted(set(q) - QUERY_KEYS)
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(unknown)[:80]}; a query takes {', '.join(sorted(QUERY_KEYS))}"
        )
    names: list[str] = []
    text = q.get("query")
    if text is not None:
        if not isinstance(text, str):
            raise InputError("query must be a string")
        names.append(text.strip())
    props = q.get("properties", [])
    if not isinstance(props, list) or not all(
        isinstance(p, dict) and "pid" in p and "v" in p for p in props
    ):
        raise InputError('properties must be a list of {"pid": ..., "v": ...}')
    countries = []
    for p in props:
        values = p["v"] if isinstance(p["v"], list) else [p["v"]]
        texts = [
            str(v.get("id") or v.get("name") or "") if isinstance(v, dict) else str(v)
            for v in values
        ]
        if p["pid"] in NAME_PIDS:
            names += [t.strip() for t in texts]
        elif p["pid"] in COUNTRY_PIDS:
            countries += [t for t in texts if t.strip()]
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        raise InputError(
            "no name to screen: give query, or a name or alias property "
            '(e.g. {"pid": "name", "v": "Hikvision"})'
        )
    country = country_option(countries[0], "country") if countries else None
    limit = q.get("limit", DEFAULT_LIMIT)
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int | float)
        or limit != int(limit)
        or limit < 1
    ):
        raise InputError(f"limit must be a whole number of at least 1, not {str(limit)[:20]!r}")
    kind = q.get("type")
    types = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    if kind is not None and (
        (not types and kind != []) or not all(isinstance(t, str) for t in types)
    ):
        raise InputError("type must be a type id or a list of them")
    unknown_types = [t for t in types if t not in TYPES]
    if unknown_types:
        raise InputError(f"unknown type(s) {unknown_types}; use {', '.join(TYPES)}")
    strict = q.get("type_strict", "any")
    if strict not in ("any", "should", "all"):
        raise InputError("type_strict must be any, should or all")
    return Parsed(names, country, min(int(limit), MAX_LIMIT), types, strict == "all")


def _type_ok(schema: str, p: Parsed) -> bool:
    """Whether a candidate of FollowTheMoney ``schema`` is of the query's types (one
    whose list does not say, LegalEntity, is of every type)."""
    if not p.types or schema == "LegalEntity":
        return True
    fits = []
    for t in p.types:
        takes = TYPES[t][1]
        fits.append(takes is None or schema in takes)
    return all(fits) if p.all_types else any(fits)


def candidate(h: ScreenHit, listed: entities.Listed) -> dict[str, Any]:
    shown = entities.entity_response(listed, h)
    schema = shown["schema"]
    bits = [
        h.list,
        h.citation,
        f"listed {h.listed_on}" if h.listed_on else None,
        f"{h.relation}: matched {h.matched_name}",
    ]
    return {
        "id": shown["id"],
        "name": h.name,
        "type": [{"id": schema, "name": TYPES.get(schema, ("Listed party", None))[0]}],
        "score": round(h.score * 100, 2),
        "match": False,
        "description": " · ".join(b for b in bits if b),
        "features": [{"id": "name_score", "value": round(h.score, 4)}],
    }


def respond(
    parsed: dict[str, Parsed], s: Screener, snap: Snapshot
) -> tuple[dict[str, Any], list[Recorded]]:
    """The answer of every query (one screening call with ``snap``), and the audit's
    triples."""
    plans = {k: [Query(n, p.country, CUTOFF) for n in p.names] for k, p in parsed.items()}
    found = iter(s.screen([q for qs in plans.values() for q in qs], snapshot=snap))
    table = entities.lookup(snap, s.store)
    out: dict[str, Any] = {}
    audit: list[Recorded] = []
    for row, (key, p) in enumerate(parsed.items()):
        hits = merged([next(found) for _ in plans[key]], by_relation=False)
        kept = []
        for h in hits:
            listed = entities.listed_of(table, h)
            if _type_ok(entities.ftm_schema(listed.entity.schema), p):
                kept.append((h, listed))
        results = [candidate(h, listed) for h, listed in kept[: p.limit]]
        strong = [h for h, _ in kept if h.score >= DEFAULT_THRESHOLD]
        if results and len(strong) == 1 and kept[0][0].score >= AUTO_MATCH:
            results[0]["match"] = True
        out[key] = {"result": results}
        audit.append((row, " | ".join(p.names), [h.to_dict() for h in strong]))
    return out, audit


_names_lock = threading.Lock()
_names: tuple[Snapshot | None, list[tuple[str, str]]] = (None, [])


def suggest(snap: Snapshot, s: Screener, prefix: str, cursor: int = 0) -> list[dict[str, Any]]:
    """Entities whose names (any of them) start with ``prefix``, then those the prefix
    screens as; ``cursor`` skips that many."""
    key = clean(prefix).casefold().strip()
    if not key:
        return []
    table = entities.lookup(snap, s.store)
    names = _sorted_names(snap, table)
    ids: list[str] = []
    i = bisect.bisect_left(names, (key, ""))
    while i < len(names) and names[i][0].startswith(key) and len(ids) < 200:
        found = table.resolve(names[i][1])[0]  # a record of a party: the party
        if found is not None and found.id not in ids:
            ids.append(found.id)
        i += 1
    for h in s.screen([s.query(prefix, threshold=CUTOFF)], snapshot=snap)[0]:
        listed = entities.listed_of(table, h)
        if listed.id in table.by_id and listed.id not in ids:
            ids.append(listed.id)
    out = []
    for rid in ids[cursor : cursor + SUGGEST_LIMIT]:
        listed = table.resolve(rid)[0] or table.by_id[rid]
        e = listed.entity
        schema = entities.ftm_schema(e.schema)
        out.append(
            {
                "id": rid,
                "name": e.name,
                "description": " · ".join(
                    x
                    for x in (
                        e.sub_list or (e.listings[0].list if e.listings else None),
                        e.citation,
                    )
                    if x
                ),
                "notable": [{"id": schema, "name": TYPES.get(schema, ("Listed party", None))[0]}],
            }
        )
    return out


def _sorted_names(snap: Snapshot, table: entities.Lookup) -> list[tuple[str, str]]:
    global _names
    held, names = _names
    if held is snap:
        return names
    with _names_lock:
        held, names = _names
        if held is not snap:
            names = sorted(
                (clean(n.name).casefold(), listed.id)
                for listed in table.by_id.values()
                for n in listed.entity.all_names()
            )
            _names = (snap, names)
        return names


def find_entity(snap: Snapshot, key: str, store: Store | None = None) -> Entity | None:
    """The listed entity of an id (or another form of one) in the loaded lists, or None
    (a party's: the record it is named after)."""
    listed = entities.lookup(snap, store).resolve(key)[0]
    return listed.entity if listed is not None else None
