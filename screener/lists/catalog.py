"""List operations behind `screener lists ...`: import a file, show sources, export."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from screener.db.store import ImportCheck, ImportResult, Store, sha256_paths
from screener.errors import InputError
from screener.files.cells import neutralize
from screener.lists.bundled import source_fields
from screener.lists.data_date import describe, settle
from screener.lists.links import LinksResult, NameMatch, after_list_import, import_links
from screener.lists.registry import LINK_FORMATS, importer, registry
from screener.model import Entity, Listing


def list_files(path: Path) -> list[Path]:
    """The files an import reads: ``path`` itself, or the files of a folder."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
        if not files:
            raise InputError(f"{path}: folder holds no files")
        return files
    return [path]


def import_file(
    store: Store,
    path: Path | str,
    fmt: str,
    source_id: str,
    *,
    name: str | None = None,
    origin: str | None = None,
    checks: Iterable[ImportCheck] = (),
    source: dict[str, Any] | None = None,
    names: Path | None = None,
    data_date: str | None = None,
    match: NameMatch | None = None,
) -> ImportResult | LinksResult:
    """Parse ``path`` with importer ``fmt`` and store it as a version of ``source_id``.

    Source fields come from ``source``, else the registry entry, else the curated
    file's own ``source`` block; ``name`` overrides the display name. Formats of
    ownership links (``gleif-rr``, ``ownership-csv``) go to the ownership graph
    instead (:func:`screener.lists.links.import_links`; ``names`` is GLEIF's LEI
    file, ``match`` what a parent cell of an ownership CSV screens to). A CSL import also records the links its entries state, in the same
    transaction; every list import refreshes the graph's nodes. ``data_date`` is the
    date of the file's data when the file states none (:mod:`screener.lists.data_date`).
    """
    if fmt in LINK_FORMATS:
        return import_links(store, Path(path), fmt, source_id, names=names, match=match)
    return import_list_file(
        store,
        path,
        fmt,
        source_id,
        name=name,
        origin=origin,
        checks=checks,
        source=source,
        data_date=data_date,
    )


def import_list_file(
    store: Store,
    path: Path | str,
    fmt: str,
    source_id: str,
    *,
    name: str | None = None,
    origin: str | None = None,
    checks: Iterable[ImportCheck] = (),
    source: dict[str, Any] | None = None,
    data_date: str | None = None,
    downloaded: str | None = None,
) -> ImportResult:
    """:func:`import_file` for a list format: a new version of ``source_id``, the
    links a CSL states recorded and the graph's nodes refreshed in its transaction.
    The version's data date is settled by :func:`screener.lists.data_date.settle`
    (``downloaded``: today, for a file just downloaded from the publisher)."""
    path = Path(path)
    parse = importer(fmt)
    digest = sha256_paths(list_files(path))
    parsed = parse(path)
    settle(parsed, given=data_date, downloaded=downloaded)
    fields: dict[str, Any] = {"format": fmt}
    if source_id in registry():
        fields.update({k: v for k, v in source_fields(registry()[source_id]).items() if v})
    own = parsed.meta.get("source") or {}
    for k in ("name", "authority", "kind", "url", "licence"):
        fields.setdefault(k, own.get(k))
    fields.update({k: v for k, v in (source or {}).items() if v})
    if not fields.get("kind"):
        fields["kind"] = "user list"  # a source of the user's own, not in the registry
    if name:
        fields["name"] = name
    fields["id"] = source_id

    def links(r: ImportResult) -> None:
        after_list_import(store, fmt, parsed.entities, source_id, digest, r.version_id)

    return store.import_parsed(
        fields, parsed, sha256=digest, origin=origin or str(path), checks=checks, after=links
    )


def show(store: Store) -> list[dict[str, Any]]:
    """Each source with its active version, as plain dicts (JSON-ready): the date of its
    data beside the date it was loaded (``data_date``, ``data_date_basis``), and the copy
    it was read from where the authority publishes no data file (``read_from``)."""
    out = []
    for s in store.sources():
        version = store.version(s["active_version"]) if s.get("active_version") else None
        meta = json.loads(version["meta"] or "{}") if version else {}
        out.append(
            {
                "id": s["id"],
                "name": s["name"],
                "authority": s["authority"],
                "kind": s["kind"],
                "licence": s["licence"],
                "url": s["url"],
                "format": s["format"],
                "active_version": s["active_version"],
                "sha256": s["sha256"],
                "entities": s["entities"],
                "names": s["names"],
                "loaded_at": s["loaded_at"],
                "published": s["published"],
                **describe({**s, "meta": meta}),
                "read_from": meta.get("read_from") or registry().get(s["id"], {}).get("read_from"),
                "origin": s["origin"],
                "versions": s["versions"],
            }
        )
    return out


def export_record(e: Entity, source: dict[str, Any]) -> dict[str, Any]:
    """One entity with all its provenance, as written to JSON Lines."""
    d = e.to_dict()
    d["source_id"] = source["source_id"]
    d["source_name"] = source["source_name"]
    d["version_id"] = source["id"]
    d["version_sha256"] = source["sha256"]
    d["names"] = [n.__dict__ for n in e.all_names()]
    d["extra"] = {k: v for k, v in d["extra"].items() if k not in ("source_id", "version_id")}
    return d


SIMPLE_COLUMNS = [
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "countries",
    "addresses",
    "identifiers",
    "sanctions",
    "phones",
    "emails",
    "dataset",
    "first_seen",
    "last_seen",
    "last_change",
]
SCHEMA_OUT = {
    "organization": "Organization",
    "person": "Person",
    "vessel": "Vessel",
    "aircraft": "Airplane",
}


def _simple_row(e: Entity, source: dict[str, Any]) -> list[str]:
    sanctions = [
        " - ".join(x for x in (ls.list, ls.citation, ls.listed_on, ls.source_url) if x)
        for ls in e.listings
    ] or [x for x in (e.sub_list, e.citation) if x]
    return [
        f"{source['source_id']}:{e.id}",
        SCHEMA_OUT.get(e.schema, "LegalEntity"),
        e.name,
        ";".join(n.name for n in e.all_names()[1:]),
        ";".join(e.extra.get("birth_dates") or []) or e.extra.get("birth_date", ""),
        ";".join(e.countries),
        ";".join(e.addresses),
        ";".join(e.identifiers),
        ";".join(sanctions),
        "",
        "",
        source["source_id"],
        e.listed_on or "",
        "",
        source.get("loaded_at") or "",
    ]


EXPORT_FORMATS = ("jsonl", "simple", "sqlite")


def export(store: Store, out: Path, fmt: str, source_ids: list[str] | None = None) -> int:
    """Write the active entities (of ``source_ids`` or all) to ``out``; returns the count.

    ``jsonl``: one entity per line with every provenance field; ``simple``: the
    OpenSanctions targets.simple.csv columns, with text a spreadsheet would run
    as a formula prefixed with ``'`` (:func:`screener.files.cells.neutralize`), as
    in batch outputs; ``sqlite``: a database of its own, for Datasette and sqlite-utils
    (:func:`export_sqlite`). Written to a temporary file first.
    """
    import csv

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format '{fmt}' (choose {', '.join(EXPORT_FORMATS)})")
    versions = {v["source_id"]: v for v in store.require_lists()}
    for sid in source_ids or []:
        if sid not in versions:
            raise InputError(f"no loaded source '{sid}' (loaded: {', '.join(versions)})")
    wanted = source_ids or list(versions)
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    n = 0
    try:
        if fmt == "sqlite":
            os.close(fd)
            n = export_sqlite(store, Path(tmp), [versions[sid] for sid in wanted])
            os.replace(tmp, out)
            return n
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f) if fmt == "simple" else None
            if writer:
                writer.writerow(SIMPLE_COLUMNS)
            for sid in wanted:
                v = versions[sid]
                for e in store.entities(version_ids=[v["id"]]):
                    if writer:
                        writer.writerow(
                            [neutralize(c) if isinstance(c, str) else c for c in _simple_row(e, v)]
                        )
                    else:
                        f.write(json.dumps(export_record(e, v), ensure_ascii=False) + "\n")
                    n += 1
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def export_sqlite(store: Store, path: Path, versions: list[dict[str, Any]]) -> int:
    """The entities of ``versions`` written by sqlite-utils to a new SQLite database at
    ``path``: ``sources`` (each list version exported, with its checksum and licence),
    ``entities`` (keyed ``SOURCE:ID``, lists and mappings as JSON), ``names`` and
    ``listings`` (each pointing to its entity), with the names searchable (full-text
    index on ``names.name``). ``datasette FILE`` browses it; returns the entities written."""
    from sqlite_utils import Database

    db = Database(path, execute_plugins=False)
    try:
        db.table("sources").insert_all(
            (
                {
                    "id": v["source_id"],
                    "name": v["source_name"],
                    "version_id": v["id"],
                    "sha256": v["sha256"],
                    "loaded_at": v["loaded_at"],
                    "published": v["published"],
                    "licence": v["licence"],
                    "kind": v["kind"],
                }
                for v in versions
            ),
            pk="id",
        )
        # tables made whole first, so that a list without listings still has their table
        fk = [("entity", "entities", "key")]
        db.table("entities").create(
            {"key": str, "source_id": str, "entity_id": str, "name": str},
            pk="key",
            foreign_keys=[("source_id", "sources", "id")],
        )
        db.table("names").create(
            {"entity": str, "name": str, "kind": str, "lang": str}, foreign_keys=fk
        )
        db.table("listings").create(
            {"entity": str, **{f.name: str for f in fields(Listing)}, "in_force": bool},
            foreign_keys=fk,
        )
        n = 0
        for v in versions:
            sid = v["source_id"]
            entities: list[dict[str, Any]] = []
            names: list[dict[str, Any]] = []
            listings: list[dict[str, Any]] = []
            for e in store.entities(version_ids=[v["id"]]):
                key = f"{sid}:{e.id}"
                d = e.to_dict()
                for k in ("names", "listings"):
                    d.pop(k)
                d["extra"] = {
                    k: x for k, x in d["extra"].items() if k not in ("source_id", "version_id")
                }
                entities.append({"key": key, "source_id": sid, "entity_id": e.id, **d})
                del entities[-1]["id"]
                names.extend({"entity": key, **vars(nm)} for nm in e.all_names())
                listings.extend({"entity": key, **vars(ls)} for ls in e.listings)
            db.table("entities").insert_all(entities, alter=True)
            db.table("names").insert_all(names)
            db.table("listings").insert_all(listings)
            n += len(entities)
        db.table("names").enable_fts(["name"], create_triggers=False)
        db.table("names").create_index(["entity"])
        db.table("listings").create_index(["entity"])
    finally:
        db.close()
    return n
