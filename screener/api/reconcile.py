"""The reconciliation service API (W3C Entity Reconciliation Community Group, version
0.2) at ``/reconcile``, so that OpenRefine can reconcile a column against the lists.

* ``GET /reconcile``: the service manifest (versions, name, identifier and schema
  spaces, default types, view and preview URL templates).
* ``GET`` or ``POST /reconcile`` with ``queries``: a JSON object of queries keyed by the
  client's ids, each ``{"query": NAME, "type": ..., "limit": N, "properties":
  [{"pid": "country", "v": "CN"}]}``; the answer holds, under the same keys,
  ``{"result": [{"id", "name", "type", "score", "match", "description"}]}``.
* ``GET /reconcile/preview?id=ID``: a small HTML card of the listed entity, for
  OpenRefine's pop-up.

An id is ``SOURCE:ENTITY`` (the list source and the entity's id in it). Scores are
the screening score times 100. Candidates come down to :data:`CUTOFF` so that a
reviewer sees near misses; ``match`` (OpenRefine matches the cell by itself) is true
only when the best candidate scores :data:`AUTO_MATCH` or more and no other reaches
the screening threshold. ``callback`` wraps the answer for JSONP clients. Every
request that screens is recorded as a ``reconcile`` run.
"""

from __future__ import annotations

import re
from typing import Any

from screener.api.match import merged
from screener.api.server import parse_json
from screener.countries import country_option
from screener.db.runs import Recorded
from screener.errors import InputError
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
MAX_QUERIES = 100
CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")
TYPES = {
    "organization": ("Organization", "Listed organization"),
    "person": ("Person", "Listed person"),
}
DEFAULT_TYPE = {"id": "LegalEntity", "name": "Listed party (organization or person)"}


def manifest(base: str) -> dict[str, Any]:
    """The service manifest; ``base`` is the server's URL as the client reached it."""
    return {
        "versions": VERSIONS,
        "name": "screener: restricted and high-risk surveillance-technology lists",
        "identifierSpace": f"{base}/entity?id=",
        "schemaSpace": f"{base}/reconcile#types",
        "defaultTypes": [DEFAULT_TYPE, *({"id": i, "name": n} for i, n in TYPES.values())],
        "view": {"url": f"{base}/entity?id={{{{id}}}}"},
        "preview": {"url": f"{base}/reconcile/preview?id={{{{id}}}}", "width": 430, "height": 300},
    }


def entity_key(source_id: str | None, entity_id: str) -> str:
    return f"{source_id or ''}:{entity_id}"


def parse(raw: str, s: Screener) -> dict[str, tuple[list[Query] | str, int, str | None]]:
    """Each query id -> (its screening query or an error, its limit, its type)."""
    queries = parse_json(raw, "queries")
    if not isinstance(queries, dict) or not queries:
        raise InputError('queries must be a JSON object: {"q0": {"query": "..."}}')
    if len(queries) > MAX_QUERIES:
        raise InputError(f"{len(queries)} queries; send at most {MAX_QUERIES} at once")
    out: dict[str, tuple[list[Query] | str, int, str | None]] = {}
    for key, q in queries.items():
        if isinstance(q, str):
            q = {"query": q}
        if not isinstance(q, dict) or not isinstance(q.get("query"), str) or not q["query"].strip():
            out[str(key)] = ("a query needs a name in 'query'", DEFAULT_LIMIT, None)
            continue
        limit = q.get("limit", DEFAULT_LIMIT)
        limit = min(max(limit, 1), MAX_LIMIT) if isinstance(limit, int) else DEFAULT_LIMIT
        kind = q.get("type") if isinstance(q.get("type"), str) else None
        try:
            country = _country(q.get("properties"))
            out[str(key)] = ([s.query(q["query"].strip(), country, CUTOFF)], limit, kind)
        except InputError as e:
            out[str(key)] = (str(e), limit, kind)
    return out


def _country(props: Any) -> str | None:
    for p in props if isinstance(props, list) else []:
        if isinstance(p, dict) and p.get("pid") in ("country", "jurisdiction", "nationality"):
            v = p.get("v")
            v = v[0] if isinstance(v, list) and v else v
            v = v.get("id") if isinstance(v, dict) else v
            if isinstance(v, str) and v.strip():
                return country_option(v, "country")
    return None


def _type_ok(h: ScreenHit, kind: str | None) -> bool:
    if kind in (None, "", DEFAULT_TYPE["id"]):
        return True
    return TYPES.get(h.schema, ("Organization",))[0] == kind


def candidate(h: ScreenHit) -> dict[str, Any]:
    tid, tname = TYPES.get(h.schema, ("Organization", "Listed organization"))
    bits = [
        h.list,
        h.citation,
        f"listed {h.listed_on}" if h.listed_on else None,
        f"{h.relation}: matched {h.matched_name}",
    ]
    return {
        "id": entity_key(h.source_id, h.entity_id),
        "name": h.name,
        "type": [{"id": tid, "name": tname}],
        "score": round(h.score * 100, 2),
        "match": False,
        "description": " · ".join(b for b in bits if b),
    }


def respond(
    parsed: dict[str, tuple[list[Query] | str, int, str | None]], s: Screener, snap: Snapshot
) -> tuple[dict[str, Any], list[Recorded]]:
    """The answer of every query (one screening call with ``snap``), and the audit's
    triples."""
    flat = [qs[0] for qs, _, _ in parsed.values() if not isinstance(qs, str)]
    found = iter(s.screen(flat, snapshot=snap))
    out: dict[str, Any] = {}
    audit: list[Recorded] = []
    for row, (key, (qs, limit, kind)) in enumerate(parsed.items()):
        if isinstance(qs, str):
            out[key] = {"result": [], "error": qs}
            continue
        hits = [h for h in merged([next(found)], by_relation=False) if _type_ok(h, kind)]
        results = [candidate(h) for h in hits[:limit]]
        strong = [h for h in hits if h.score >= DEFAULT_THRESHOLD]
        if results and len(strong) == 1 and hits[0].score >= AUTO_MATCH:
            results[0]["match"] = True
        out[key] = {"result": results}
        audit.append((row, qs[0].name, [h.to_dict() for h in strong]))
    return out, audit


_LOOKUP: tuple[Snapshot | None, dict[str, Entity]] = (None, {})


def find_entity(snap: Snapshot, key: str) -> Entity | None:
    """The listed entity of a reconciliation id in the loaded lists, or None."""
    global _LOOKUP
    held, table = _LOOKUP
    if held is not snap:
        table = {entity_key(e.extra.get("source_id"), e.id): e for e in snap.matcher.index.entities}
        _LOOKUP = (snap, table)
    return table.get(key)
