"""Reviewers' decisions, the table: what a reviewer concluded about one party and one
listed entity, as recorded.

Kinds (:data:`~screener.model.DECISION_KINDS`)
    false-positive  the party is not the listed entity
    confirmed       a true match
    escalated       passed on to someone who may decide
    cleared         a true match that is permitted (a licence is held, the funds were
                    accepted after review)
    declined        a true match; the deal, grant or sale is declined

**Append-only.** A row is never changed or deleted: SQLite triggers refuse UPDATE and
DELETE on the table. A later decision for the same party, source and entity supersedes
the earlier one (:func:`latest_id`); the earlier stays, and the later names it in
``supersedes``.

Each row holds the party as the reviewer gave it (``party``) and the key it is filed
under (``party_key``, made by the caller: :func:`screener.matching.normalize.name_key`),
the entity's names and listings at decision time as JSON (``listing``) and their
``fingerprint``. What a decision means for later screenings (which kinds suppress a
hit, what makes a listing change material, when a decision is reviewed again) is
decided above the store: :mod:`screener.screening.decisions`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from screener.db.store import Store, now_iso
from screener.errors import InputError
from screener.model import DECISION_KINDS

KINDS = DECISION_KINDS
COLUMNS = (
    "id",
    "party",
    "party_key",
    "source_id",
    "entity_id",
    "version_id",
    "kind",
    "reason",
    "reviewer",
    "decided_at",
    "fingerprint",
    "listing",
    "supersedes",
    "origin",
)


def entity_names(store: Store, version_id: int | None, entity_id: str) -> list[str]:
    """Every name the store holds for an entity of a list version."""
    if version_id is None:
        return []
    rows = store.conn.execute(
        "select name from names where version_id = ? and entity_id = ?", [version_id, entity_id]
    )
    return [r[0] for r in rows]


def entity_row(
    store: Store, source_id: str, entity_id: str, version_id: int | None = None
) -> tuple[dict[str, Any], list[str], int] | None:
    """An entity as a version of its source lists it (default: the active version): its
    name and listing fields (``listings`` decoded; ``list`` for the main listing), every
    name the store holds for it, and the version id; None when absent."""
    if version_id is None:
        src = store.source(source_id)
        version_id = src.get("active_version") if src else None
        if version_id is None:
            return None
    cols = (
        "name",
        "listings",
        "sub_list",
        "citation",
        "listed_on",
        "end_date",
        "license_requirement",
        "license_policy",
        "source_url",
    )
    row = store.conn.execute(
        f"select {', '.join(cols)} from entities where version_id = ? and id = ? and source_id = ?",
        [version_id, entity_id, source_id],
    ).fetchone()
    if row is None:
        return None
    entity = dict(zip(cols, row))
    entity["listings"] = json.loads(entity["listings"]) if entity["listings"] else []
    entity["list"] = entity.pop("sub_list")
    return entity, entity_names(store, version_id, entity_id), version_id


# -- recording and reading ----------------------------------------------------------------------


def insert_many(store: Store, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record complete decision rows (``listing`` a dict) in one transaction (all or none),
    each superseding the one in force for its party key, source and entity; returns them
    as recorded."""
    out = []
    with store.conn:
        for row in rows:
            prev = latest_id(store, row["party_key"], row["source_id"], row["entity_id"])
            out.append(_insert(store, row, json.dumps(row["listing"], ensure_ascii=False), prev))
    return [one(store, i) for i in out]


def record_prepared(
    store: Store, rows: Iterable[dict[str, Any]], listings: dict[Any, str]
) -> list[dict[str, Any]]:
    """Record rows made as :func:`screener.screening.decisions.prepare` makes them but whose ``listing`` is a key of
    ``listings`` (the listing view as JSON, shared by every row deciding on one entity
    version), in one transaction (all or none). Returns each recorded decision briefly:
    ``id``, ``party``, ``source_id``, ``entity_id``, ``kind``, ``reviewer``. Made for a
    file of many decisions: nothing per row is kept but what is returned."""
    out = []
    latest_ids: dict[tuple[str, str, str], int | None] = {}
    with store.conn:
        for row in rows:
            key = (row["party_key"], row["source_id"], row["entity_id"])
            if key not in latest_ids:
                latest_ids[key] = latest_id(store, *key)
            latest_ids[key] = _insert(store, row, listings[row["listing"]], latest_ids[key])
            out.append(
                {
                    "id": latest_ids[key],
                    **{k: row[k] for k in ("party", "source_id", "entity_id", "kind", "reviewer")},
                }
            )
    return out


def _insert(store: Store, row: dict[str, Any], listing: str, supersedes: int | None) -> int:
    """Insert one decision row (in the caller's transaction); its id."""
    cur = store.conn.execute(
        """insert into decisions (party, party_key, source_id, entity_id, version_id, kind,
           reason, reviewer, decided_at, fingerprint, listing, supersedes, origin)
           values (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        [
            row["party"],
            row["party_key"],
            row["source_id"],
            row["entity_id"],
            row["version_id"],
            row["kind"],
            row["reason"],
            row["reviewer"],
            now_iso(),
            row["fingerprint"],
            listing,
            supersedes,
            row.get("origin"),
        ],
    )
    return int(cur.lastrowid or 0)


def in_force(store: Store) -> dict[tuple[str, str, str], tuple[str, str, str, str]]:
    """Every decision in force, by (party key, source id, entity id): its kind, reason,
    reviewer and fingerprint (what tells a decision recorded again from a new one)."""
    rows = store.conn.execute(
        """select party_key, source_id, entity_id, kind, reason, reviewer, fingerprint
           from decisions where id in (select max(id) from decisions
           group by party_key, source_id, entity_id)"""
    )
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5], r[6]) for r in rows}


def latest_by_key(store: Store) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every decision in force, by (party key, source id, entity id)."""
    rows = store.query(
        f"""select {", ".join(COLUMNS)} from decisions where id in (select max(id) from decisions
            group by party_key, source_id, entity_id)"""
    )
    return {(r["party_key"], r["source_id"], r["entity_id"]): _decode(r) for r in rows}


def all_decisions(store: Store, key: str | None = None) -> list[dict[str, Any]]:
    """Every decision ever recorded (of the party filed under ``key``, when given), oldest
    first; each says whether it is ``current`` or which decision ``superseded_by`` it."""
    where, params = ("where party_key = ?", [key]) if key is not None else ("", [])
    rows = [
        _decode(r)
        for r in store.query(
            f"select {', '.join(COLUMNS)} from decisions {where} order by id", params
        )
    ]
    later: dict[int, int] = {}
    for r in rows:
        if r["supersedes"] is not None:
            later[r["supersedes"]] = r["id"]
    for r in rows:
        r["superseded_by"] = later.get(r["id"])
        r["current"] = r["superseded_by"] is None
    return rows


def last_id(store: Store) -> int | None:
    """The id of the newest decision (None when there is none): cheap, to see whether
    decisions were recorded since a cache was filled."""
    row = store.conn.execute("select max(id) from decisions").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def summary(d: dict[str, Any]) -> str:
    """One line for a decision: 'false-positive #3 by A. Reviewer on 2026-12-01: reason'."""
    day = str(d.get("decided_at") or "")[:10]
    return f"{d['kind']} #{d['id']} by {d['reviewer']} on {day}: {d['reason']}"


def latest_id(store: Store, key: str, source_id: str, entity_id: str) -> int | None:
    """The id of the decision in force for a party key and an entity, or None."""
    row = store.conn.execute(
        "select max(id) from decisions where party_key = ? and source_id = ? and entity_id = ?",
        [key, source_id, entity_id],
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def one(store: Store, decision_id: int) -> dict[str, Any]:
    """The decision with that id."""
    for r in store.query(f"select {', '.join(COLUMNS)} from decisions where id = ?", [decision_id]):
        return _decode(r)
    raise InputError(f"no decision with id {decision_id}")


def _decode(r: dict[str, Any]) -> dict[str, Any]:
    r = dict(r)
    r["listing"] = json.loads(r["listing"]) if r.get("listing") else {}
    return r
