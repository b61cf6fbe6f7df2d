"""Ownership links into the store: the bundled ``lists/ownership.yaml``, GLEIF Level 2
relationship files and users' CSV files.

- :func:`ensure_bundled_links` loads the bundled file on first use and whenever it
  (or the curated list whose ids it names) changes, keyed by the file's sha256, like
  the bundled list itself (:mod:`screener.lists.bundled`). The curated list's own
  ``parent`` fields become links too, so the graph runs from each entry up to its
  controlling entry and down again.
- :func:`import_links` loads a ``gleif-rr`` or ``ownership-csv`` file as origin
  ``--source ID``, replacing what that origin held.
- :func:`match_owner` finds the listed entity a user's "parent" cell names; it is
  the one place that calls the matcher, so the screening service can swap it.

The CSL's own lines (subordinate institutions, sub-units sharing a listed parent's
name and address) are read at CSL import time: :mod:`screener.lists.csl_links`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screener.db import ownership as graph
from screener.db.store import Store, sha256_file, sha256_paths
from screener.errors import InputError
from screener.lists.parsers import ownership as yaml_edges
from screener.lists.registry import LINK_FORMATS
from screener.model import NODE_SOURCE, Entity, Found, OwnershipLink, ParsedLinks

CURATED_SOURCE = "screener-surveillance"
ORIGIN_OF_FORMAT = {"gleif-rr": "gleif", "ownership-csv": "user"}


@dataclass
class LinksResult:
    """What loading a file of ownership links did."""

    source_id: str  # the origin id the links were loaded as
    version_id: int
    sha256: str
    status: str  # "loaded" or "unchanged"
    links: int
    nodes: int  # entities of the node source after the load
    meta: dict[str, Any]


def ensure_bundled_links(store: Store, path: Path | None = None) -> dict[str, Any] | None:
    """Load the bundled ownership file unless its active load has the same sha256 and
    was read against the same curated list; returns the load, or None when current."""
    path = path or yaml_edges.bundled_path()
    if not path.exists():
        return None
    digest = sha256_file(path)
    curated = _curated_version(store)
    active = graph.active_load(store, graph.BUNDLED_ORIGIN_ID)
    if active and active["sha256"] == digest and active["path"] == _stamp(path, curated):
        return None
    parsed = bundled_links(store, path)
    # The same bytes read against another curated list are a new load all the same.
    return graph.replace_links(
        store,
        graph.BUNDLED_ORIGIN_ID,
        "bundled",
        parsed,
        sha256=digest,
        path=_stamp(path, curated),
        force=True,
    )


def _curated_version(store: Store) -> str:
    src = store.source(CURATED_SOURCE)
    v = store.version(src["active_version"]) if src and src.get("active_version") else None
    return v["sha256"][:12] if v else "none"


def _stamp(path: Path, curated: str) -> str:
    return f"bundled:{path.name} (curated list {curated})"


def bundled_links(store: Store, path: Path) -> ParsedLinks:
    """The bundled file's edges and rules as links, plus the curated list's parents."""
    curated = {e.id: e for e in store.entities([CURATED_SOURCE])}
    edges = yaml_edges.parse(path, entry_ids=set(curated) or None)
    rules = yaml_edges.parse_rules(path)
    children = {e.child.name: graph.child_key(e.child.name) for e in edges}
    links = []
    for e in edges:
        owner_key = children.get(e.owner) if not e.owner_id else None
        owner_name = curated[e.owner_id].name if e.owner_id in curated else e.owner
        links.append(
            OwnershipLink(
                child_key=children[e.child.name],
                child_name=e.child.name,
                child_aliases=list(e.child.aliases),
                child_country=e.child.country,
                owner_name=owner_name,
                owner_list=e.owner_list,
                owner_source_id=CURATED_SOURCE if e.owner_id else None,
                owner_entity_id=e.owner_id,
                owner_key=owner_key,
                share=e.share,
                controlled=e.controlled,
                kind=e.kind,
                as_of=e.as_of,
                end_date=e.end_date,
                source=e.source,
                note=e.note,
            )
        )
    stated = {(lk.child_name.casefold(), lk.owner_entity_id) for lk in links}
    for c in curated.values():
        if not c.parent_id or (c.name.casefold(), c.parent_id) in stated:
            continue
        links.append(
            OwnershipLink(
                child_key=graph.child_key(c.name),
                child_name=c.name,
                child_source_id=CURATED_SOURCE,
                child_entity_id=c.id,
                owner_name=c.parent_name,
                owner_source_id=CURATED_SOURCE,
                owner_entity_id=c.parent_id,
                controlled=True,
                kind="subsidiary",
                source=f"lists/surveillance.yaml entry {c.id}",
                note=f"The curated list names {c.parent_name} as the controlling entry of {c.name}; "
                "no share is stated.",
            )
        )
    return ParsedLinks(
        links,
        meta={
            "format": "ownership-yaml",
            "rules": [r.to_dict() for r in rules],
            "edges_in_file": len(edges),
            "curated_parents": len(links) - len(edges),
        },
    )


def import_links(
    store: Store, path: Path | str, fmt: str, origin_id: str, *, names: Path | None = None
) -> LinksResult:
    """Read a ``gleif-rr`` or ``ownership-csv`` file and make it the links of
    ``origin_id`` (replacing what that origin held); a second file ``names`` gives
    GLEIF's LEI records when they are not in a ``lei-data.xml`` beside ``path``."""
    path = Path(path)
    if fmt not in LINK_FORMATS:
        raise InputError(
            f"'{fmt}' is not an ownership format (choose from {', '.join(LINK_FORMATS)})"
        )
    if origin_id == graph.BUNDLED_ORIGIN_ID or store.source(origin_id) is not None:
        raise InputError(
            f"source id '{origin_id}' is a list (or screener's own ownership links); "
            "choose another --source for a file of ownership links"
        )
    files = [path] if names is None else [path, Path(names)]
    if fmt == "gleif-rr":
        from screener.lists.parsers import gleif_rr

        parsed = gleif_rr.parse(path, names=names)
        if "names_file" in parsed.meta:
            files.append(Path(parsed.meta["names_file"]))
    else:
        from screener.lists.parsers import ownership_csv

        parsed = ownership_csv.resolve(store, ownership_csv.parse(path), match_owner)
    digest = sha256_paths(list(dict.fromkeys(files)))
    load = graph.replace_links(
        store, origin_id, ORIGIN_OF_FORMAT[fmt], parsed, sha256=digest, path=str(path)
    )
    return LinksResult(
        origin_id,
        int(load["id"]),
        digest,
        load["status"],
        int(load["edges"]),
        graph.stats(store)["nodes"],
        parsed.meta,
    )


def after_list_import(
    store: Store,
    fmt: str,
    entities: list[Entity],
    source_id: str,
    list_sha256: str,
    version_id: int,
) -> None:
    """Inside a list import's transaction: record the links a CSL states (origin
    ``csl``, keyed by the list's source id) and rewrite the nodes, since a child may
    now be a listed entry."""
    if fmt == "csl":
        from screener.lists.csl_links import links as csl_links

        parsed = csl_links(entities, source_id)
        parsed.meta["list_version"] = version_id
        graph.replace_links(
            store,
            source_id,
            "csl",
            parsed,
            sha256=list_sha256,
            path=f"{source_id} version {version_id}",
            transaction=False,
        )
    else:
        graph.refresh_nodes(store, transaction=False)


def match_entities(store: Store, name: str) -> list[tuple[str, str, float]]:
    """The entities ``name`` screens to, best first: (source id, entity id, score).

    The screening service's matcher decides, at its default threshold; this is the
    one call to swap when the service offers a better one.
    """
    from screener.screening.service import Screener

    service = Screener(store, stages=[])  # the entities themselves, ownership nodes included
    [hits] = service.screen([service.query(name)])
    return [
        (str(h.source_id), h.entity_id, float(h.score))
        for h in sorted(hits, key=lambda h: -h.score)
    ]


def match_owner(store: Store, name: str) -> tuple[str, str, float] | None:
    """The listed entity (or graph node) a user's "parent" cell names, or None."""
    found = match_entities(store, name)
    return found[0] if found else None


def explain(
    store: Store,
    name: str,
    *,
    on: Any = None,
    limit: int = 3,
    found: list[Found] | None = None,
) -> dict[str, Any]:
    """What ``screener ownership NAME`` shows: the entities NAME screens to (those at
    the best score, at most ``limit``), each with the party's relation to it, its
    assessment, its chains up to listed owners (ended links included, marked) and its
    chains down.

    ``found`` is what screening NAME found, as ``check`` finds it (the caller screens it
    through the service, so that the two agree: "Huawei Technologies Australia Pty Ltd"
    is a *unit* of Huawei in both, and a company a listed party owns is explained through
    its own node). Without it the entities are matched here, without the service's
    stages, and the relation is the matcher's."""
    from screener.db.ownership_graph import assess, owners, subsidiaries

    matched = [Found(s, e, score, None, None) for s, e, score in match_entities(store, name)]
    screened = found is not None
    ordered = sorted(matched if found is None else found, key=lambda f: -f.score)
    top = ordered[0].score if ordered else 0.0
    best: list[Found] = []
    seen: set[tuple[str, str]] = set()
    for f in ordered:
        target = f.via or (f.source_id, f.entity_id)
        if f.score >= top - 1e-9 and target not in seen and len(best) < limit:
            seen.add(target)
            best.append(f)
    if screened:
        # a company whose link to a listed owner has ended screens to nothing (Dahua
        # Technology USA, sold in 2024): the view still says why, after what check found
        for f in matched:
            if (
                f.source_id == NODE_SOURCE
                and (f.source_id, f.entity_id) not in seen
                and f.score >= (top if best else 0.0) - 1e-9
                and len(best) < limit + 1
            ):
                seen.add((f.source_id, f.entity_id))
                best.append(f)
    out: list[dict[str, Any]] = []
    for f in best:
        sid, eid = f.via or (f.source_id, f.entity_id)
        a = assess(store, sid, eid, on=on)
        up = owners(store, sid, eid, on=a.on)
        ended_only = [s for s in a.ended if not any(s.link == c.steps[0].link for c in up)]
        # the party's relation to the listed entity, as check gives it; through a node,
        # the node's own relation to its listed owners that day
        relation = a.relation if f.via or f.relation is None else f.relation
        if f.relation is None and relation is None and a.entity.listed:
            relation = "same"
        out.append(
            {
                "source_id": sid,
                "entity_id": eid,
                "score": round(f.score, 4),
                "relation": relation,
                "via": list(f.via) if f.via else None,
                "listed_entity": f.listed_name,
                "assessment": a.as_dict(),
                "up": [c.as_dict() for c in up]
                + [{"steps": [s.as_dict()], "effective_share": None} for s in ended_only],
                "down": [c.as_dict() for c in subsidiaries(store, sid, eid, on=a.on)],
                "involved": a.entity.listed
                or a.relation is not None
                or relation in ("unit", "brand", "owned-by", "related"),
            }
        )
    return {
        "query": name,
        "on": out[0]["assessment"]["on"] if out else None,
        "matches": out,
        "involved": any(m["involved"] for m in out),
    }
