"""Parties in the store: which list records are one organisation, and reviewers' judgements.

Tables (SQL in :mod:`screener.db.schema`, version 5)
    party_builds    each resolution of the active records into parties: the ``key`` it was
                    made from (list versions, judgements, rules), when, how long it took,
                    how many records, parties and records in parties of several
    party_records   every record of a party of more than one record: ``party_id``, the
                    ``rule`` that joined it (``anchor`` for the record the party is named
                    after), the record it joined through (``via_source``, ``via_entity``)
                    and ``detail`` (the shared identifier, the name)
    judgements      a reviewer's ``same`` or ``different`` on two records (``a_*``,
                    ``b_*``), with reason, reviewer and time; append-only (triggers refuse
                    UPDATE and DELETE), the latest on a pair holds

A record in no row of ``party_records`` is a party by itself. Its id is
:func:`solo_id`. The rules that join records are :mod:`screener.screening.parties`;
this module only keeps what they found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from screener.db.store import Store, now_iso
from screener.errors import InputError

BUNDLED_SOURCE = "screener-surveillance"  # the curated list: its ids name parties
JUDGEMENT_KINDS = ("same", "different")
RECORD_COLUMNS = (
    "source_id",
    "entity_id",
    "version_id",
    "party_id",
    "rule",
    "via_source",
    "via_entity",
    "detail",
)
JUDGEMENT_COLUMNS = (
    "id",
    "kind",
    "a_source",
    "a_entity",
    "b_source",
    "b_entity",
    "reason",
    "reviewer",
    "decided_at",
    "origin",
)

Ref = tuple[str, str]  # (source id, entity id)


def solo_id(source_id: str, entity_id: str, ofac: bool = False) -> str:
    """The id of a party of one record: the curated list's id, ``ofac:N`` for an OFAC
    entry, else ``source:entry``."""
    if source_id == BUNDLED_SOURCE:
        return entity_id
    if ofac and entity_id.isdigit():
        return f"ofac:{entity_id}"
    return f"{source_id}:{entity_id}"


def ref_text(ref: Ref) -> str:
    return f"{ref[0]}:{ref[1]}"


# -- builds -----------------------------------------------------------------------------------


def last_build(store: Store) -> dict[str, Any] | None:
    """The newest build (None before the first)."""
    for row in store.query("select * from party_builds order by id desc limit 1"):
        row["versions"] = json.loads(row["versions"]) if row.get("versions") else []
        return row
    return None


def write_build(
    store: Store,
    key: str,
    rows: Sequence[Sequence[Any]],
    *,
    records: int,
    parties: int,
    seconds: float,
    versions: list[Any],
) -> None:
    """Replace the party records with ``rows`` (as :data:`RECORD_COLUMNS`) and log the
    build, in one transaction."""
    with store.conn:
        store.conn.execute("delete from party_records")
        marks = ",".join("?" * len(RECORD_COLUMNS))
        store.conn.executemany(
            f"insert into party_records ({','.join(RECORD_COLUMNS)}) values ({marks})", rows
        )
        store.conn.execute(
            """insert into party_builds (key, built_at, seconds, records, parties, merged,
               versions) values (?,?,?,?,?,?,?)""",
            [key, now_iso(), round(seconds, 3), records, parties, len(rows), json.dumps(versions)],
        )


# -- reading parties ---------------------------------------------------------------------------


def party_of(store: Store, source_id: str, entity_id: str) -> str | None:
    """The id of the party of several records that a record belongs to (None: by itself)."""
    row = store.conn.execute(
        "select party_id from party_records where source_id = ? and entity_id = ?",
        [source_id, entity_id],
    ).fetchone()
    return None if row is None else str(row[0])


def party_ids(store: Store, limit: int) -> dict[tuple[str, str], str] | None:
    """The party of several of every record that has one, read at once (None: the store
    holds more than ``limit`` such records)."""
    rows = store.conn.execute(
        "select source_id, entity_id, party_id from party_records limit ?", [limit + 1]
    ).fetchall()
    return None if len(rows) > limit else {(s, e): str(p) for s, e, p in rows}


def members(store: Store, party_id: str) -> list[dict[str, Any]]:
    """The records of a party of several, the one it is named after first."""
    rows = list(
        store.query(
            f"select {','.join(RECORD_COLUMNS)} from party_records where party_id = ?", [party_id]
        )
    )
    return sorted(rows, key=lambda r: (r["rule"] != "anchor", r["source_id"], r["entity_id"]))


def records_of(store: Store, source_id: str, entity_id: str) -> list[str]:
    """Every record (``source:entry``) of the party of a record, itself included, sorted."""
    pid = party_of(store, source_id, entity_id)
    if pid is None:
        return [f"{source_id}:{entity_id}"]
    return sorted(f"{r['source_id']}:{r['entity_id']}" for r in members(store, pid))


def parties_by_id(store: Store, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Members of each party of several named in ``ids`` (absent ones are left out)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for pid in set(ids):
        found = members(store, pid)
        if found:
            out[pid] = found
    return out


# -- judgements --------------------------------------------------------------------------------


def record_judgement(
    store: Store,
    kind: str,
    a: Ref,
    b: Ref,
    reason: str,
    reviewer: str,
    *,
    origin: str | None = None,
    decided_at: str | None = None,
) -> dict[str, Any]:
    """Record that records ``a`` and ``b`` are (``same``) or are not (``different``) one
    party; the latest judgement on a pair holds. Returns it."""
    kind = str(kind or "").strip().lower()
    if kind not in JUDGEMENT_KINDS:
        raise InputError(f"unknown judgement {kind!r}; use one of {', '.join(JUDGEMENT_KINDS)}")
    reason, reviewer = " ".join(str(reason or "").split()), " ".join(str(reviewer or "").split())
    if not reason:
        raise InputError("a judgement needs a reason")
    if not reviewer:
        raise InputError("a judgement needs the reviewer's name")
    if a == b:
        raise InputError(f"{ref_text(a)} is one record; a judgement needs two")
    with store.conn:
        cur = store.conn.execute(
            """insert into judgements (kind, a_source, a_entity, b_source, b_entity, reason,
               reviewer, decided_at, origin) values (?,?,?,?,?,?,?,?,?)""",
            [kind, a[0], a[1], b[0], b[1], reason, reviewer, decided_at or now_iso(), origin],
        )
    (row,) = judgements(store, int(cur.lastrowid or 0))
    return row


def judgements(store: Store, judgement_id: int | None = None) -> list[dict[str, Any]]:
    """Every judgement ever recorded (or one), oldest first."""
    where, params = ("where id = ?", [judgement_id]) if judgement_id is not None else ("", [])
    return list(
        store.query(
            f"select {','.join(JUDGEMENT_COLUMNS)} from judgements {where} order by id", params
        )
    )


def judgements_in_force(store: Store) -> dict[frozenset[Ref], dict[str, Any]]:
    """The latest judgement on each pair of records."""
    out: dict[frozenset[Ref], dict[str, Any]] = {}
    for j in judgements(store):
        out[frozenset({(j["a_source"], j["a_entity"]), (j["b_source"], j["b_entity"])})] = j
    return out


def last_judgement_id(store: Store) -> int:
    row = store.conn.execute("select max(id) from judgements").fetchone()
    return int(row[0]) if row and row[0] is not None else 0
