"""The ownership graph in the store: links child -> owner, by origin, and its nodes.

Tables (SQL in :mod:`screener.db.schema`, version 3)
    ownership_versions  every load of an origin of links: ``origin_id`` (the bundled
                        file's ``screener-ownership``, ``csl``, or the ``--source`` a
                        GLEIF or user file was imported as), ``origin`` (bundled, csl,
                        gleif, user), sha256 of the input, when, how many links, status
                        (active / superseded), and ``meta`` (for the bundled file: the
                        ownership rules, with their dated status periods)
    ownership_edges     the links of the active loads (:class:`~screener.model.OwnershipLink`
                        plus ``origin_id``, ``origin`` and ``version_id``)
    ownership_keys      what each link's child and owner are known by: ``e:SOURCE:ID``
                        for an entity, ``n:NAME`` for a name (:func:`name_key`); the graph
                        is walked through these keys, so a link whose owner is "Hikvision"
                        by id in the curated list also reaches the OFAC entry spelled
                        "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."

Loading a new version of an origin replaces that origin's links in one transaction,
together with the **nodes**: every child that is not itself an entry of a loaded list
becomes an entity of the store source ``screener-ownership`` (kind ``ownership``),
with its names, aliases and country, and ``extra["ownership_node"] = True``, so the
ordinary index screens it. A failed load leaves the store as it was.

The walk (chains up and down) is in :mod:`screener.db.ownership_graph`; what the links
mean (the relation to listed owners, the rules) in :mod:`screener.screening.ownership`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from typing import Any

from screener.db.store import Store, now_iso
from screener.errors import InputError, ListsError
from screener.model import (
    NODE_SOURCE,
    OWNERSHIP_KINDS,
    OWNERSHIP_ORIGINS,
    Entity,
    Name,
    OwnershipLink,
    OwnershipRule,
    ParsedLinks,
    ParsedList,
)

NODE_SOURCE_FIELDS = {
    "id": NODE_SOURCE,
    "name": "Screener ownership graph (companies behind listed names)",
    "authority": "screener project (links from filings, official lists, GLEIF, user files)",
    "kind": "ownership",
    "licence": "CC0-1.0",
    "format": "ownership",
}
BUNDLED_ORIGIN_ID = NODE_SOURCE  # the bundled lists/ownership.yaml is loaded under this id
LINK_COLUMNS = tuple(f.name for f in fields(OwnershipLink))
EDGE_COLUMNS = ("id", "version_id", "origin_id", "origin", *LINK_COLUMNS)
MIN_KEY_CHARS = 3  # shorter names ("ZTE" is 3) would tie unrelated parties together
_CJK = re.compile(r"[\u3400-\u9fff]")


def name_key(name: str) -> str:
    """The key a name is known by in the graph: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def entity_keys(source_id: str, entity_id: str, names: Iterable[str] = ()) -> set[str]:
    """The graph keys of an entity: its reference and each of its names."""
    keys = {f"e:{source_id}:{entity_id}"}
    keys |= {f"n:{k}" for k in map(name_key, names) if len(k) >= MIN_KEY_CHARS}
    return keys


def child_key(name: str, prefix: str = "") -> str:
    """A stable node id for a child named ``name``: a slug of its Latin letters, or a
    digest when it has none (a name in Chinese script only)."""
    slug = re.sub(
        r"[^a-z0-9]+",
        "-",
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower(),
    ).strip("-")[:80]
    if len(slug) < 3 or (_CJK.search(name) and len(slug) < len(name) // 2):
        slug = "n-" + hashlib.sha256(name_key(name).encode()).hexdigest()[:12]
    return f"{prefix}{slug}"


# -- writing ---------------------------------------------------------------------------


def replace_links(
    store: Store,
    origin_id: str,
    origin: str,
    parsed: ParsedLinks,
    *,
    sha256: str,
    path: str | None = None,
    transaction: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """Make ``parsed`` the links of ``origin_id``, replacing the ones it had, and
    rewrite the node source to match; returns the new load's summary.

    With ``transaction`` (the default) it is one transaction of its own; without,
    the caller holds one (the CSL import). Loading bytes identical to the active
    load of ``origin_id`` changes nothing (status ``unchanged``) unless ``force``.
    """
    if origin not in OWNERSHIP_ORIGINS:
        raise InputError(
            f"unknown ownership origin '{origin}' (choose from {', '.join(OWNERSHIP_ORIGINS)})"
        )
    for link in parsed.links:
        _check(link)
    active = active_load(store, origin_id)
    if active and active["sha256"] == sha256 and not force:
        return {**active, "status": "unchanged"}

    def write() -> dict[str, Any]:
        conn = store.conn
        conn.execute(
            "update ownership_versions set status = 'superseded' where origin_id = ? "
            "and status = 'active'",
            [origin_id],
        )
        conn.execute(
            "delete from ownership_keys where edge_id in (select id from "
            "ownership_edges where origin_id = ?)",
            [origin_id],
        )
        conn.execute("delete from ownership_edges where origin_id = ?", [origin_id])
        cur = conn.execute(
            """insert into ownership_versions (origin_id, origin, sha256, path, loaded_at,
               published, edges, status, meta) values (?,?,?,?,?,?,?,?,?)""",
            [
                origin_id,
                origin,
                sha256,
                path,
                now_iso(),
                parsed.published,
                len(parsed.links),
                "active",
                json.dumps(parsed.meta, default=str, ensure_ascii=False),
            ],
        )
        version_id = int(cur.lastrowid or 0)
        for link in parsed.links:
            row = _link_row(link)
            c = conn.execute(
                f"""insert into ownership_edges (version_id, origin_id, origin,
                    {",".join(LINK_COLUMNS)}) values (?,?,?,{",".join("?" * len(row))})""",
                [version_id, origin_id, origin, *row],
            )
            edge_id = int(c.lastrowid or 0)
            conn.executemany(
                "insert into ownership_keys (edge_id, role, key) values (?,?,?)",
                [(edge_id, role, k) for role, k in _link_keys(link)],
            )
        refresh_nodes(store, transaction=False)
        return {
            "id": version_id,
            "origin_id": origin_id,
            "origin": origin,
            "sha256": sha256,
            "edges": len(parsed.links),
            "status": "loaded",
            "published": parsed.published,
        }

    if not transaction:
        return write()
    try:
        with store.conn:
            return write()
    except Exception as e:
        if isinstance(e, ListsError | InputError):
            raise
        import sqlite3

        if isinstance(e, sqlite3.DatabaseError):
            raise ListsError(f"{store.path}: cannot write to the list store: {e}") from None
        raise


def _check(link: OwnershipLink) -> None:
    where = f"ownership link {link.child_name!r} -> {link.owner_name or link.owner_entity_id!r}"
    if link.kind not in OWNERSHIP_KINDS:
        raise InputError(
            f"{where}: unknown kind {link.kind!r} (choose from {', '.join(OWNERSHIP_KINDS)})"
        )
    if link.share is not None and not 0 <= link.share <= 100:
        raise InputError(f"{where}: share {link.share!r} is not a percentage 0..100")
    if not (link.owner_entity_id or link.owner_name or link.owner_key):
        raise InputError(f"{where}: the link names no owner")


def _link_row(link: OwnershipLink) -> list[Any]:
    d = asdict(link)
    d["child_aliases"] = json.dumps(d["child_aliases"], ensure_ascii=False)
    d["controlled"] = None if d["controlled"] is None else int(d["controlled"])
    return [d[c] for c in LINK_COLUMNS]


def _link_keys(link: OwnershipLink) -> Iterator[tuple[str, str]]:
    child = entity_keys(NODE_SOURCE, link.child_key, [link.child_name, *link.child_aliases])
    if link.child_source_id and link.child_entity_id:
        child.add(f"e:{link.child_source_id}:{link.child_entity_id}")
    for k in sorted(child):
        yield "child", k
    owner: set[str] = set()
    if link.owner_source_id and link.owner_entity_id:
        owner.add(f"e:{link.owner_source_id}:{link.owner_entity_id}")
    if link.owner_key:
        owner.add(f"e:{NODE_SOURCE}:{link.owner_key}")
    if link.owner_name and len(name_key(link.owner_name)) >= MIN_KEY_CHARS:
        owner.add(f"n:{name_key(link.owner_name)}")
    for k in sorted(owner):
        yield "owner", k


# -- the nodes -------------------------------------------------------------------------


def refresh_nodes(store: Store, *, transaction: bool = True) -> int | None:
    """Rewrite the node source ``screener-ownership`` from the links of every origin:
    one entity per child that is not itself an entry of a loaded list. Returns the
    new version id, or None when the nodes did not change.

    Called after every load of links and after every list import (a child may have
    become a listed entry).
    """
    links = list(all_links(store))
    listed = _listed_names(store, {n for lk in links for n in (lk.child_name, *lk.child_aliases)})
    nodes: dict[str, Entity] = {}
    for lk in sorted(links, key=lambda x: (x.child_key, x.child_name)):
        if lk.child_source_id and lk.child_source_id != NODE_SOURCE:
            continue  # a listed entry already
        if name_key(lk.child_name) in listed:
            continue
        node = nodes.get(lk.child_key)
        if node is None:
            node = nodes[lk.child_key] = Entity(
                id=lk.child_key,
                name=lk.child_name,
                sub_list="ownership graph node",
                source_url=lk.source,
                extra={"ownership_node": True, "owners": []},
            )
        for alias in [lk.child_name, *lk.child_aliases]:
            if alias != node.name and all(alias != n.name for n in node.names):
                node.names.append(
                    Name(
                        alias,
                        "chinese" if _CJK.search(alias) else "alias",
                        "zh" if _CJK.search(alias) else None,
                    )
                )
        if lk.child_country and lk.child_country not in node.countries:
            node.countries.append(lk.child_country)
        owner = lk.owner_name or lk.owner_entity_id or lk.owner_key
        if owner not in node.extra["owners"]:
            node.extra["owners"].append(owner)
        if node.parent_name is None and lk.owner_name:
            node.parent_name = lk.owner_name
    entities = list(nodes.values())
    body = json.dumps([e.to_dict() for e in entities], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(body.encode()).hexdigest()
    src = store.source(NODE_SOURCE)
    active = store.version(src["active_version"]) if src and src.get("active_version") else None
    if active and active["sha256"] == digest:
        return None
    if not entities and not active:
        return None

    def write() -> int:
        r = store.write_version(
            NODE_SOURCE_FIELDS,
            ParsedList(entities, meta={"nodes": len(entities), "links": len(links)}),
            sha256=digest,
            origin="ownership graph",
        )
        return r.version_id

    if not transaction:
        return write()
    with store.conn:
        return write()


def _listed_names(store: Store, names: set[str]) -> set[str]:
    """The name keys among ``names`` that an entry of a loaded list (not a node) carries."""
    out = set()
    for e in store.entities_named(names):
        if e.extra.get("source_id") == NODE_SOURCE:
            continue
        out |= {name_key(n.name) for n in e.all_names()}
    return out & {name_key(n) for n in names}


# -- reading ---------------------------------------------------------------------------


def active_load(store: Store, origin_id: str) -> dict[str, Any] | None:
    """The active load of ``origin_id``, if any."""
    for row in store.query(
        "select * from ownership_versions where origin_id = ? and "
        "status = 'active' order by id desc limit 1",
        [origin_id],
    ):
        return row
    return None


def loads(store: Store) -> list[dict[str, Any]]:
    """The active load of every origin, ordered by origin id."""
    return list(
        store.query("select * from ownership_versions where status = 'active' order by origin_id")
    )


def all_links(store: Store) -> Iterator[OwnershipLink]:
    for row in store.query(f"select {','.join(EDGE_COLUMNS)} from ownership_edges order by id"):
        yield row_link(row)


def has_key(store: Store, keys: Iterable[str], role: str) -> bool:
    """Whether some edge's ``role`` (child or owner) is known by one of ``keys``: one
    indexed lookup, where :func:`edges_by_key` reads the edges."""
    keys = sorted(set(keys))
    marks = ",".join("?" * len(keys))
    return (
        bool(keys)
        and store.conn.execute(
            f"select 1 from ownership_keys where role = ? and key in ({marks}) limit 1",
            [role, *keys],
        ).fetchone()
        is not None
    )


def edges_by_key(store: Store, keys: Iterable[str], role: str) -> list[dict[str, Any]]:
    """Edge rows whose ``role`` (child or owner) is known by one of ``keys``."""
    keys = sorted(set(keys))
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        cols = ",".join(f"e.{c}" for c in EDGE_COLUMNS)
        for row in store.query(
            f"""select distinct {cols} from ownership_edges e join ownership_keys k
                on k.edge_id = e.id where k.role = ? and k.key in ({",".join("?" * len(chunk))})
                order by e.id""",
            [role, *chunk],
        ):
            out[row["id"]] = row
    return [out[i] for i in sorted(out)]


def row_link(row: dict[str, Any]) -> OwnershipLink:
    d = {c: row[c] for c in LINK_COLUMNS}
    d["child_aliases"] = json.loads(d["child_aliases"] or "[]")
    d["controlled"] = None if d["controlled"] is None else bool(d["controlled"])
    return OwnershipLink(**d)


def rules(store: Store) -> list[OwnershipRule]:
    """The ownership rules stored with the active loads (the bundled file's)."""
    out: dict[str, OwnershipRule] = {}
    for load in loads(store):
        for r in json.loads(load["meta"] or "{}").get("rules") or []:
            out.setdefault(r["id"], OwnershipRule.from_dict(r))
    return list(out.values())


def stats(store: Store) -> dict[str, int]:
    """How many links, by origin, and nodes the store holds."""
    by_origin = {
        r["origin_id"]: r["n"]
        for r in store.query(
            "select origin_id, count(*) as n from ownership_edges group by origin_id"
        )
    }
    src = store.source(NODE_SOURCE)
    v = store.version(src["active_version"]) if src and src.get("active_version") else None
    return {**by_origin, "nodes": int(v["entities"]) if v else 0}
