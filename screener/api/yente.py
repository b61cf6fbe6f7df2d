"""The routes a yente client calls, answered by screener (yente 5's models, v5.5):

    POST /match/{dataset}     query-by-example matching (screener.api.match)
    POST /match               the same on the dataset ``default``
    GET  /search/{dataset}    one name, its candidates as entities
    GET  /entities/{id}       one entity by its id (an older id: 308 to its id)
    GET  /catalog             the datasets: each loaded list, and the collections
    GET  /algorithms          screener's one algorithm and its features

A dataset is a loaded list source or a collection (:mod:`screener.api.datasets`).
Results are FollowTheMoney entities (:mod:`screener.api.entities`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from screener.api import datasets, entities
from screener.api import match as yente_match
from screener.api.operations import request_ids
from screener.api.problems import NotFound
from screener.api.server import json_body, json_response, server
from screener.db.store import now_iso
from screener.errors import InputError
from screener.lists.freshness import require_fresh

SEARCH_PARAMS = {
    "q",
    "schema",
    "countries",
    "topics",
    "include_dataset",
    "exclude_dataset",
    "exclude_schema",
    "changed_since",
    "limit",
    "offset",
    "fuzzy",
    "simple",
    "facets",
    "target",
}
SEARCH_CUTOFF = 0.5  # candidates down to this score (yente's search is broad too)
SEARCH_LIMIT = 10
MAX_SEARCH = 500
FACETS = ("countries", "topics", "datasets")


async def match(request: Request) -> Response:
    """POST /match/{dataset} (see screener.api.match)."""
    srv = server(request)
    started = now_iso()
    o = yente_match.Options(request.query_params)
    body = await json_body(request)
    snap = srv.snapshot_or_503()
    used = snap.lists
    sources = datasets.scope(
        request.path_params.get("dataset", "default"), used, o.include, o.exclude
    )
    parsed = yente_match.parse(body)
    keep = yente_match.Filter(sources, o, entities.lookup(snap, srv.s.store))
    responses, rows = yente_match.respond(parsed, srv.s, snap, o, keep)
    warnings = srv.s_notes()
    run_id = srv.record(
        "match",
        {
            "queries": len(parsed),
            "dataset": request.path_params.get("dataset", "default"),
            **o.as_dict(),
            **request_ids(request),
        },
        o.threshold,
        started,
        rows,
        used,
    )
    return json_response(
        {
            "responses": responses,
            "limit": o.limit,
            "matcher": {"name": yente_match.ALGORITHM},
            "threshold": o.threshold,
            "cutoff": o.cutoff,
            "lists": [x for x in used if datasets.dataset_name(x["source_id"]) in sources],
            "warnings": warnings,
            "run_id": run_id,
        },
        headers={"x-batch-size": str(len(responses))},
    )


async def search(request: Request) -> Response:
    """GET /search/{dataset}?q=NAME: the entities whose names come nearest, best first
    (candidates down to a score of 0.5)."""
    srv = server(request)
    p = request.query_params
    yente_match.refuse_unknown(p, SEARCH_PARAMS)
    q = (p.get("q") or "").strip()
    if not q:
        raise InputError("q: give a name to search for")
    limit, offset = _whole(p, "limit", SEARCH_LIMIT, MAX_SEARCH), _whole(p, "offset", 0, 10_000)
    schema = p.get("schema")
    if schema is not None and schema not in yente_match.SCHEMAS:
        raise InputError(f"schema {schema[:40]!r} is not one of {', '.join(yente_match.SCHEMAS)}")
    countries = {c.lower() for c in p.getlist("countries")}
    topics = set(p.getlist("topics"))
    excluded_schemata = set(p.getlist("exclude_schema"))
    changed = p.get("changed_since")
    if changed is not None and not yente_match.CHANGED_SINCE.match(changed):
        raise InputError("changed_since must be a date: YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS")
    facets = p.getlist("facets") or list(FACETS)
    unknown = [f for f in facets if f not in FACETS]
    if unknown:
        raise InputError(f"facets {unknown}: use {', '.join(FACETS)}")
    snap = srv.snapshot_or_503()
    sources = datasets.scope(
        request.path_params["dataset"],
        snap.lists,
        p.getlist("include_dataset"),
        p.getlist("exclude_dataset"),
    )
    table = entities.lookup(snap, srv.s.store)
    hits = srv.s.screen([srv.s.query(q, threshold=SEARCH_CUTOFF)], snapshot=snap)[0]
    found = []
    for h in yente_match.merged([hits], by_relation=False):
        if not entities.in_scope(h, sources):
            continue
        listed = entities.listed_of(table, h)
        shown = entities.entity_response(listed, h)
        if schema and shown["schema"] != schema and schema not in ("Thing", "LegalEntity"):
            continue
        if shown["schema"] in excluded_schemata:
            continue
        if countries and countries.isdisjoint(shown["properties"].get("country", [])):
            continue
        if topics and topics.isdisjoint(listed.topics):
            continue
        if changed and (listed.last_change or "") <= changed:
            continue
        found.append({**shown, "score": h.score})
    return json_response(
        {
            "results": found[offset : offset + limit],
            "facets": {f: _facet(f, found) for f in facets},
            "total": {"value": len(found), "relation": "eq"},
            "limit": limit,
            "offset": offset,
        }
    )


def _whole(p: Any, name: str, default: int, most: int) -> int:
    value = str(p.get(name, default))
    if not value.isdigit() or int(value) > most:
        raise InputError(f"{name} must be a whole number from 0 to {most}")
    return int(value)


def _facet(name: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    for r in found:
        values = (
            r["datasets"]
            if name == "datasets"
            else r["properties"].get(name[:-1] if name == "countries" else name, [])
        )
        counts.update(set(values))
    label = {"countries": "Countries", "topics": "Topics", "datasets": "Data sources"}[name]
    return {
        "label": label,
        "values": [{"name": k, "label": k, "count": n} for k, n in counts.most_common()],
    }


async def entity(request: Request) -> Response:
    """GET /entities/{id}: one listed party with its records' listings (``nested=false``:
    without them). Another form of an id (a record of a party, the store's party id, an
    older form) is redirected (308) to the id."""
    srv = server(request)
    key = request.path_params["entity_id"]
    nested = request.query_params.get("nested", "true").lower()
    if nested not in ("true", "false", "1", "0"):
        raise InputError("nested must be true or false")
    snap = srv.snapshot_or_503()
    listed, canonical = entities.lookup(snap, srv.s.store).resolve(key)
    if listed is None:
        raise NotFound(f"no entity {key[:100]!r} in the lists loaded now")
    if not canonical:
        url = f"/entities/{quote(listed.id, safe='')}"
        if request.url.query:
            url += f"?{request.url.query}"
        return RedirectResponse(url, 308)
    body: dict[str, Any] = {**entities.entity_response(listed)}  # the JSON answer
    if nested in ("true", "1"):
        body["screener"] = entities.nested(listed)
    return json_response(body)


async def catalog(request: Request) -> Response:
    """GET /catalog: the datasets (yente's ``DataCatalogModel``)."""
    srv = server(request)
    snap = srv.snapshot_or_503()

    def stale() -> set[str]:
        return {
            x["source_id"] for x in require_fresh(srv.s.store, srv.s.settings, fail_stale=False)
        }

    return json_response(datasets.catalog(snap.lists, await run_in_threadpool(stale)))


async def algorithms(request: Request) -> Response:
    """GET /algorithms: the one algorithm (yente's ``AlgorithmResponse``)."""
    features = {
        k: {**v, "url": f"{srv_base(request)}/docs#algorithms"}
        for k, v in yente_match.FEATURES.items()
    }
    name = yente_match.ALGORITHM
    description = (
        "screener's name screening: names normalized one way for lists and queries, "
        "candidates from an inverted index of tokens, typo variants and pinyin, scored "
        "by a weighted soft Dice; the party's country and a person's date of birth as "
        "secondary evidence"
    )
    return json_response(
        {
            "algorithms": [
                {
                    "name": name,
                    "description": description,
                    "features": features,
                    "docs": {
                        "name": name,
                        "description": description,
                        "config": {},
                        "features": features,
                    },
                }
            ],
            "default": name,
            "best": name,
        }
    )


def srv_base(request: Request) -> str:
    return server(request).base_url
