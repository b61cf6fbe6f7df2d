"""Reviewers' decisions: what a reviewer concluded about one party and one listed entity.

    from screener.db import decisions
    d = decisions.record(store, "Dahua Electronics Corporation", "screener-surveillance",
                         "dahua", "false-positive", "a New York distributor, not Zhejiang Dahua",
                         "A. Reviewer", hit)          # hit: the hit dict the reviewer looked at
    decisions.latest(store, "DAHUA ELECTRONICS CORP", "screener-surveillance", "dahua") == d

Kinds (:data:`KINDS`)
    false-positive  the party is not the listed entity
    confirmed       a true match
    escalated       passed on to someone who may decide
    cleared         a true match that is permitted (a licence is held, the funds were
                    accepted after review)
    declined        a true match; the deal, grant or sale is declined

``false-positive`` and ``cleared`` suppress the hit in later screenings
(:data:`SUPPRESSING`; :func:`screener.screening.stages.decisions_stage`); the others
leave it a hit and carry the decision with it.

**Append-only.** A row is never changed or deleted: SQLite triggers refuse UPDATE and
DELETE on the table. A later decision for the same party, source and entity supersedes
the earlier one (:func:`latest`); the earlier stays, and the later names it in
``supersedes``.

**The party** is the name as the reviewer gave it (``party``) and its key
(``party_key``): the name through the one normalization pipeline
(:func:`screener.matching.normalize.normalize`), so a decision about "ZHEJIANG DAHUA
TECH CO LTD" also holds for "Zhejiang Dahua Technology Co., Ltd." in the next
spreadsheet.

**The listing as it was.** Each decision keeps the entity's names and listings
(list, authority, citation, dates, in force, programme, licence requirement and
policy, effect, official URL) at decision time as JSON (``listing``), and a
``fingerprint``: the SHA-256 of the material part of it (every name; per listing
everything but the effect's wording and the URL, so that a corrected link does not
reopen a decision). When the entity's listing changes later (a new listing, changed
names, a listing ended or removed) the fingerprint differs and :func:`changes` says
what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from screener.db import parties
from screener.db.store import Store, now_iso
from screener.errors import InputError

KINDS = ("false-positive", "confirmed", "escalated", "cleared", "declined")
SUPPRESSING = frozenset({"false-positive", "cleared"})
LISTING_KEYS = (
    "list",
    "authority",
    "citation",
    "listed_on",
    "end_date",
    "in_force",
    "program",
    "license_requirement",
    "license_policy",
    "effect",
    "source_url",
)
MATERIAL_KEYS = (
    "list",
    "authority",
    "citation",
    "listed_on",
    "end_date",
    "in_force",
    "program",
    "license_requirement",
    "license_policy",
)
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
_SHOWN = {
    "list": "list",
    "authority": "authority",
    "citation": "citation",
    "listed_on": "listing date",
    "end_date": "end date",
    "in_force": "in force",
    "program": "programme",
    "license_requirement": "licence requirement",
    "license_policy": "licence policy",
}


# -- keys, views and fingerprints ------------------------------------------------------------


def kind_of(value: str) -> str:
    """A decision kind as written by a person ("False positive", "CLEARED") -> its id."""
    k = "-".join(str(value or "").strip().lower().replace("_", " ").split())
    if k not in KINDS:
        raise InputError(f"unknown decision {value!r}; use one of {', '.join(KINDS)}")
    return k


def party_key(name: str, remember: bool = True) -> str:
    """The key a party's decisions are filed under: its normalized core tokens.
    ``remember=False`` keeps the name out of the normalizer's memory of names (an
    import of 100,000 parties would fill it with names never screened)."""
    from screener.matching.normalize import clean, normalize

    norm = normalize(name) if remember else normalize.__wrapped__(name)
    return " ".join(norm.tokens) or clean(name) or name.strip().casefold()


def listing_view(entity: dict[str, Any], names: Iterable[str] | None = None) -> dict[str, Any]:
    """The entity's names and listings, from a hit dict, a :func:`snapshot` or a stored view.

    ``names`` (every name of the entity) wins over ``entity["names"]``; without either the
    primary name stands alone. An entity without ``listings`` gets one made of its main
    listing fields (``list``, ``citation``, ...).
    """
    listings = [_listing(x) for x in entity.get("listings") or () if isinstance(x, dict)]
    if not listings and (entity.get("list") or entity.get("citation")):
        listings = [_listing({**entity, "in_force": not entity.get("end_date")})]
    given = names if names is not None else entity.get("names")
    every = {str(n).strip() for n in given or () if n and str(n).strip()}
    if entity.get("name"):
        every.add(str(entity["name"]).strip())
    return {"name": entity.get("name"), "names": sorted(every), "listings": listings}


def _listing(raw: dict[str, Any]) -> dict[str, Any]:
    out = {k: raw.get(k) for k in LISTING_KEYS}
    out["in_force"] = raw.get("in_force") is not False
    return out


def fingerprint(view: dict[str, Any]) -> str:
    """SHA-256 of the material part of a :func:`listing_view` (see the module docstring)."""
    material = {
        "names": sorted(view.get("names") or ()),
        "listings": sorted(
            json.dumps({k: x.get(k) for k in MATERIAL_KEYS}, sort_keys=True, ensure_ascii=False)
            for x in view.get("listings") or ()
        ),
    }
    data = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between two listing views, in words a reviewer reads at a glance."""
    out: list[str] = []
    if old.get("name") != new.get("name") and old.get("name") and new.get("name"):
        out.append(f"listed name changed: {old['name']} -> {new['name']}")
    before, after = set(old.get("names") or ()), set(new.get("names") or ())
    if after - before:
        out.append("new names: " + _few(sorted(after - before)))
    if before - after:
        out.append("names no longer listed: " + _few(sorted(before - after)))
    was, now = _by_list(old.get("listings") or ()), _by_list(new.get("listings") or ())
    for key, x in now.items():
        if key not in was:
            bits = [
                x.get("citation"),
                f"listed {x['listed_on']}" if x.get("listed_on") else None,
                "not in force" if not x.get("in_force", True) else None,
            ]
            shown = ", ".join(b for b in bits if b)
            out.append(f"new listing: {x.get('list')}" + (f" ({shown})" if shown else ""))
    for key, x in was.items():
        if key not in now:
            out.append(f"listing removed: {x.get('list')}")
    for key, x in now.items():
        y = was.get(key)
        if y is None:
            continue
        ended = (x.get("end_date") and not y.get("end_date")) or (
            y.get("in_force", True) and not x.get("in_force", True)
        )
        if ended:
            out.append(
                f"{x.get('list')} ended"
                + (f" (end date {x['end_date']})" if x.get("end_date") else "")
            )
        elif (y.get("end_date") and not x.get("end_date")) or (
            x.get("in_force", True) and not y.get("in_force", True)
        ):
            out.append(f"{x.get('list')} in force again")
        for k in MATERIAL_KEYS:
            if k in ("list", "end_date", "in_force") or x.get(k) == y.get(k):
                continue
            out.append(
                f"{x.get('list')}: {_SHOWN[k]} {y.get(k) or '(none)'} -> {x.get(k) or '(none)'}"
            )
    if not out and fingerprint(old) != fingerprint(new):
        out.append("the listing changed")
    return out


def _by_list(listings: Sequence[dict[str, Any]]) -> dict[tuple[str, ...], dict[str, Any]]:
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for x in listings:
        key: tuple[str, ...] = (str(x.get("list") or ""), str(x.get("program") or ""))
        n = 1
        while key in out:  # the same list twice: tell the entries apart by their order
            n += 1
            key = (key[0], key[1], str(n))
        out[key] = x
    return out


def _few(items: list[str], limit: int = 5) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


# -- the entity in the store --------------------------------------------------------------------


def entity_names(store: Store, version_id: int | None, entity_id: str) -> list[str]:
    """Every name the store holds for an entity of a list version."""
    if version_id is None:
        return []
    rows = store.conn.execute(
        "select name from names where version_id = ? and entity_id = ?", [version_id, entity_id]
    )
    return [r[0] for r in rows]


def snapshot(
    store: Store, source_id: str, entity_id: str, version_id: int | None = None
) -> dict[str, Any] | None:
    """The entity as a version of its source lists it (default: the active version), as a
    :func:`listing_view` with ``source_id``, ``entity_id`` and ``version_id``; None when absent."""
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
    view = listing_view(entity, entity_names(store, version_id, entity_id))
    return {**view, "source_id": source_id, "entity_id": entity_id, "version_id": version_id}


# -- recording and reading ----------------------------------------------------------------------


def record(
    store: Store,
    party: str,
    source_id: str,
    entity_id: str,
    kind: str,
    reason: str,
    reviewer: str,
    listing: dict[str, Any],
    *,
    origin: str | None = None,
) -> dict[str, Any]:
    """Record one decision and return it (as :func:`all_decisions` rows are).

    ``listing`` is the entity as the reviewer saw it: a hit dict
    (``ScreenHit.to_dict()``), a :func:`snapshot` or any dict with ``name`` and
    ``listings``. Its names, when it has none, are read from the store's version the hit
    came from (``version_id``). ``origin`` says where the decision came from (a command,
    a reviewed file and row).
    """
    (row,) = record_many(
        store,
        [
            {
                "party": party,
                "source_id": source_id,
                "entity_id": entity_id,
                "kind": kind,
                "reason": reason,
                "reviewer": reviewer,
                "listing": listing,
                "origin": origin,
            }
        ],
    )
    return row


def prepare(
    store: Store,
    party: str,
    source_id: str,
    entity_id: str,
    kind: str,
    reason: str,
    reviewer: str,
    listing: dict[str, Any],
    origin: str | None = None,
) -> dict[str, Any]:
    """A decision row checked and completed, not yet recorded (see :func:`record`)."""
    party = " ".join(str(party or "").split())
    if not party:
        raise InputError("a decision needs the party's name")
    if not str(source_id or "").strip() or not str(entity_id or "").strip():
        raise InputError("a decision needs the listed entity's source and id")
    reason, reviewer = " ".join(str(reason or "").split()), " ".join(str(reviewer or "").split())
    if not reason:
        raise InputError("a decision needs a reason")
    if not reviewer:
        raise InputError("a decision needs the reviewer's name")
    if not isinstance(listing, dict):
        raise InputError("a decision needs the listing the reviewer saw")
    listing, records = _of_record(store, listing, str(source_id), str(entity_id))
    version_id = listing.get("version_id")
    names = listing.get("names")
    if names is None:
        names = entity_names(store, version_id, entity_id) or None
    view = listing_view(listing, names)
    view["party_records"] = records
    return {
        "party": party,
        "party_key": party_key(party),
        "source_id": str(source_id),
        "entity_id": str(entity_id),
        "version_id": version_id,
        "kind": kind_of(kind),
        "reason": reason,
        "reviewer": reviewer,
        "fingerprint": fingerprint(view),
        "listing": view,
        "origin": origin,
    }


def _of_record(
    store: Store, listing: dict[str, Any], source_id: str, entity_id: str
) -> tuple[dict[str, Any], list[str]]:
    """The decided record's own part of what the reviewer saw, and the records of its party
    then (``source:entry``): a party's hit (its ``party``) holds the listings of every
    record, each naming its record; anything else is one record's, and its party is read
    from the store (:mod:`screener.db.parties`)."""
    party = listing.get("party")
    recs = party.get("records") if isinstance(party, dict) else None
    if not recs:
        return listing, parties.records_of(store, source_id, entity_id)
    tags = ("source_id", "entity_id", "version_id")
    rec = next(
        (r for r in recs if (r.get("source_id"), r.get("entity_id")) == (source_id, entity_id)),
        None,
    )
    own = [
        {k: v for k, v in x.items() if k not in tags}
        for x in listing.get("listings") or ()
        if isinstance(x, dict)
        and (x.get("source_id"), x.get("entity_id")) == (source_id, entity_id)
    ]
    out = {**listing, "listings": own}
    if rec is not None:
        out["version_id"] = rec.get("version_id")
        out["name"] = rec.get("name") or listing.get("name")
    return out, sorted(f"{r['source_id']}:{r['entity_id']}" for r in recs)


def record_many(store: Store, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record several decisions in one transaction (all or none); items as :func:`record`'s
    keyword arguments, or rows from :func:`prepare`."""
    rows = [x if "fingerprint" in x else prepare(store, **x) for x in items]
    out = []
    with store.conn:
        for row in rows:
            prev = _latest_id(store, row["party_key"], row["source_id"], row["entity_id"])
            out.append(_insert(store, row, json.dumps(row["listing"], ensure_ascii=False), prev))
    return [_one(store, i) for i in out]


def record_prepared(
    store: Store, rows: Iterable[dict[str, Any]], listings: dict[Any, str]
) -> list[dict[str, Any]]:
    """Record rows made as :func:`prepare` makes them but whose ``listing`` is a key of
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
                latest_ids[key] = _latest_id(store, *key)
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


def latest(store: Store, party: str, source_id: str, entity_id: str) -> dict[str, Any] | None:
    """The decision in force for a party and an entity (the last recorded), or None."""
    i = _latest_id(store, party_key(party), source_id, entity_id)
    return _one(store, i) if i is not None else None


def latest_by_key(store: Store) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every decision in force, by (party key, source id, entity id)."""
    rows = store.query(
        f"""select {", ".join(COLUMNS)} from decisions where id in (select max(id) from decisions
            group by party_key, source_id, entity_id)"""
    )
    return {(r["party_key"], r["source_id"], r["entity_id"]): _decode(r) for r in rows}


def all_decisions(store: Store, party: str | None = None) -> list[dict[str, Any]]:
    """Every decision ever recorded (of one party, when given), oldest first; each says
    whether it is ``current`` or which decision ``superseded_by`` it."""
    where, params = ("where party_key = ?", [party_key(party)]) if party else ("", [])
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


def _latest_id(store: Store, key: str, source_id: str, entity_id: str) -> int | None:
    row = store.conn.execute(
        "select max(id) from decisions where party_key = ? and source_id = ? and entity_id = ?",
        [key, source_id, entity_id],
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _one(store: Store, decision_id: int) -> dict[str, Any]:
    for r in store.query(f"select {', '.join(COLUMNS)} from decisions where id = ?", [decision_id]):
        return _decode(r)
    raise InputError(f"no decision with id {decision_id}")


def _decode(r: dict[str, Any]) -> dict[str, Any]:
    r = dict(r)
    r["listing"] = json.loads(r["listing"]) if r.get("listing") else {}
    return r
