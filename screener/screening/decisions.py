"""Reviewers' decisions as screening applies them: what a decision means for the next
screening of the same party, and when it must be reviewed again.

    from screener.screening import decisions
    d = decisions.record(store, "Dahua Electronics Corporation", "screener-surveillance",
                         "dahua", "false-positive", "a New York distributor, not Zhejiang Dahua",
                         "A. Reviewer", hit)          # hit: the hit dict the reviewer looked at
    decisions.latest(store, "DAHUA ELECTRONICS CORP", "screener-surveillance", "dahua") == d

The decisions are kept in the store, append-only (:mod:`screener.db.decisions`, which
lists the kinds); this module decides what goes in and what it means.

``false-positive`` and ``cleared`` suppress the hit in later screenings
(:data:`SUPPRESSING`; :func:`apply_decision`, run by
:func:`screener.screening.stages.decisions_stage`); the others leave it a hit and carry
the decision with it.

**The party** is the name as the reviewer gave it and its key
(:func:`screener.matching.normalize.name_key`): the name through the one normalization
pipeline, so a decision about "ZHEJIANG DAHUA TECH CO LTD" also holds for "Zhejiang Dahua
Technology Co., Ltd." in the next spreadsheet.

**The listing as it was.** Each decision keeps the entity's names and listings
(list, authority, citation, dates, in force, programme, licence requirement and
policy, effect, official URL) at decision time (:func:`listing_view`), and a
``fingerprint``: the SHA-256 of the material part of it (every name; per listing
everything but the effect's wording and the URL, so that a corrected link does not
reopen a decision). When the entity's listing changes later (a new listing, changed
names, a listing ended or removed) the fingerprint differs, :func:`changes` says what
changed, and a suppressed hit is ``review-again``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from screener.db import decisions as table
from screener.db import parties
from screener.db.store import Store
from screener.errors import InputError
from screener.matching.normalize import name_key
from screener.model import DECISION_KINDS
from screener.screening.party_hits import TAGS as PARTY_TAGS
from screener.screening.party_hits import party_changes
from screener.screening.results import ScreenHit
from screener.shapes import ListingView

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


# -- views and fingerprints ------------------------------------------------------------


def kind_of(value: str) -> str:
    """A decision kind as written by a person ("False positive", "CLEARED") -> its id."""
    k = "-".join(str(value or "").strip().lower().replace("_", " ").split())
    if k not in DECISION_KINDS:
        raise InputError(f"unknown decision {value!r}; use one of {', '.join(DECISION_KINDS)}")
    return k


def listing_view(entity: Mapping[str, Any], names: Iterable[str] | None = None) -> ListingView:
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


def _listing(raw: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: raw.get(k) for k in LISTING_KEYS}
    out["in_force"] = raw.get("in_force") is not False
    return out


def fingerprint(view: Mapping[str, Any]) -> str:
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


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
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


def snapshot(
    store: Store, source_id: str, entity_id: str, version_id: int | None = None
) -> dict[str, Any] | None:
    """The entity as a version of its source lists it (default: the active version), as a
    :func:`listing_view` with ``source_id``, ``entity_id`` and ``version_id``; None when absent."""
    found = table.entity_row(store, source_id, entity_id, version_id)
    if found is None:
        return None
    entity, names, version = found
    view = listing_view(entity, names)
    return {**view, "source_id": source_id, "entity_id": entity_id, "version_id": version}


# -- recording and reading -------------------------------------------------------------


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
        names = table.entity_names(store, version_id, entity_id) or None
    view = listing_view(listing, names)
    view["party_records"] = records
    return {
        "party": party,
        "party_key": name_key(party),
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
    ref = (source_id, entity_id)
    out = {**listing, "listings": _own_listings(listing.get("listings") or (), ref)}
    rec = _party_record(recs, ref)
    if rec:
        out["version_id"] = rec.get("version_id")
        out["name"] = rec.get("name") or listing.get("name")
    return out, sorted(f"{r['source_id']}:{r['entity_id']}" for r in recs)


def _party_record(records: Iterable[dict[str, Any]], ref: tuple[str, str]) -> dict[str, Any]:
    """The record ``ref`` (source, entry) among a party's ``records``, or an empty dict."""
    return next((r for r in records if (r.get("source_id"), r.get("entity_id")) == ref), {})


def _own_listings(listings: Iterable[Any], ref: tuple[str, str]) -> list[dict[str, Any]]:
    """The listings of a party's hit that are the record ``ref``'s, without the keys that
    name the record (as one record's listings read)."""
    return [
        {k: v for k, v in x.items() if k not in PARTY_TAGS}
        for x in listings
        if isinstance(x, dict) and (x.get("source_id"), x.get("entity_id")) == ref
    ]


def record_many(store: Store, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record several decisions in one transaction (all or none); items as :func:`record`'s
    keyword arguments, or rows from :func:`prepare`."""
    return table.insert_many(
        store, [x if "fingerprint" in x else prepare(store, **x) for x in items]
    )


def latest(store: Store, party: str, source_id: str, entity_id: str) -> dict[str, Any] | None:
    """The decision in force for a party and an entity (the last recorded), or None."""
    i = table.latest_id(store, name_key(party), source_id, entity_id)
    return table.one(store, i) if i is not None else None


def all_decisions(store: Store, party: str | None = None) -> list[dict[str, Any]]:
    """Every decision ever recorded (of one party, in any spelling the screening treats
    as the same, when given), oldest first (:func:`screener.db.decisions.all_decisions`)."""
    return table.all_decisions(store, name_key(party) if party else None)


# -- a hit screened again ---------------------------------------------------------------


def apply_decision(store: Store, hit: ScreenHit, decision: dict[str, Any]) -> None:
    """Give ``hit`` the status and ``extra["decision"]`` that ``decision`` means for it now.
    On a party's hit the decided record is compared with itself as it was, and a record
    that joined the party since (or left it) is a change too: a new listing to review,
    whatever the decision was.

    A hit the ownership stage made on a listed owner carries no list version: its names
    are read from the owner's active version, as a decision recorded on it read them
    (:func:`snapshot`), so that it is not taken for changed."""
    ref = (decision["source_id"], decision["entity_id"])
    added: list[str] = []
    gone: list[str] = []
    if "party" in hit.extra:
        rec = _party_record(hit.extra["party"]["records"], ref)
        names = table.entity_names(store, _version_of(store, ref[0], rec.get("version_id")), ref[1])
        now = record_view(hit, rec, ref, names)
        added, gone = party_changes(store, hit, decision)
    else:
        names = table.entity_names(
            store, _version_of(store, hit.source_id, hit.version_id), hit.entity_id
        )
        now = listing_view(
            {
                "name": hit.name,
                "listings": hit.listings,
                "list": hit.list,
                "citation": hit.citation,
                "listed_on": hit.listed_on,
                "end_date": hit.end_date,
                "license_requirement": hit.license_requirement,
                "license_policy": hit.license_policy,
                "source_url": hit.source_url,
            },
            names or None,
        )
    changed = fingerprint(now) != decision["fingerprint"]
    info = {k: decision[k] for k in ("id", "kind", "reason", "reviewer", "decided_at", "party")}
    if "party" in hit.extra and ref != (hit.source_id or "", hit.entity_id):
        info["decided_on"] = f"{ref[0]}:{ref[1]}"  # another record of the party
    info["listing_changed"] = changed or bool(added or gone)
    if info["listing_changed"]:
        info["changes"] = (changes(decision["listing"], now) if changed else []) + added + gone
    hit.extra["decision"] = info
    if added or gone:
        hit.status = "review-again"
    elif decision["kind"] in SUPPRESSING:
        hit.status = "review-again" if changed else "suppressed"


def _version_of(store: Store, source_id: str | None, version: Any) -> Any:
    """A hit's list version, or its list's active version when the hit carries none (a hit
    the ownership stage made on a listed owner)."""
    if version is None and source_id:
        src = store.source(source_id)
        return src.get("active_version") if src else None
    return version


def record_view(
    hit: ScreenHit, rec: dict[str, Any], ref: tuple[str, str], names: list[str] | None
) -> ListingView:
    """The listing view (:func:`listing_view`) of the record ``ref`` (``rec`` among the
    party's records) of a party hit: its own listings, its own names."""
    own = _own_listings(hit.listings, ref)
    entity: dict[str, Any] = {"name": rec.get("name") or hit.name, "listings": own}
    if ref == (hit.source_id or "", hit.entity_id) and not own:
        entity.update(
            {k: getattr(hit, k) for k in ("list", "citation", "listed_on", "end_date")},
            name=hit.name,
        )
    return listing_view(entity, names or None)
