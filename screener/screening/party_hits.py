"""A party's hit: the hits of one query on the records of one party made one hit, and
reviewers' decisions applied to the party.

:func:`parties_stage` is the stage (:mod:`screener.screening.stages`) that merges the hits
on a party's records (:mod:`screener.screening.parties` resolves them); :func:`decision_for`
and :func:`party_changes` let the decisions stage
(:func:`screener.screening.decisions.apply_decision`) apply a decision made on any record
of a party to the party's hit, and say what joined the party since.
"""

from __future__ import annotations

from typing import Any

from screener.db import parties as party_db
from screener.db.parties import Ref, ref_text, solo_id
from screener.db.store import Store
from screener.screening.parties import ensure, explain, source_formats

# -- screening parties -------------------------------------------------------------------------

ASKED_ONE_BY_ONE = 500  # records whose party is read one by one, before all at once
PARTY_RECORDS_HELD = 1_000_000  # a store with more records of parties is asked one by one

RELATION_RANK = {"same": 0, "unit": 1, "brand": 2, "owned-by": 2, "related": 3}
TAGS = ("source_id", "entity_id", "version_id")  # what each listing of a party hit names


def parties_stage(store: Store) -> Any:
    """The stage that makes the hits of one query one hit per party (see the module
    docstring of :mod:`screener.screening.stages`). The hit that matched best (the listed
    entity itself before a unit or an owner, then the score, then the record the party is
    named after) heads it; it carries every listing of every record of the party, each
    listing naming its record (``source_id``, ``entity_id``, ``version_id``), the union of
    their programmes and countries, and ``extra["party"]``: the party's ``id``, its
    ``anchor`` (the record it is named after: ``source_id``, ``entity_id``) and its
    ``records`` (source, entry, list version, name, list, why it joined, whether it matched
    the query itself and how well). What it reads from the store is kept until ``reset()``
    (new list versions: the service builds the parties again first)."""
    refs: dict[Ref, str | None] = {}
    held: dict[str, list[dict[str, Any]]] = {}
    formats: dict[str, str] = {}
    judged = [party_db.last_judgement_id(store)]
    # every record's party, read in one query once ASKED_ONE_BY_ONE records were asked
    # about one by one (a batch: thousands of records, one query each)
    whole: list[dict[Ref, str] | None] = []

    def reset() -> None:
        refs.clear()
        held.clear()
        formats.clear()
        whole.clear()

    def pid_of(ref: Ref) -> str:
        if ref not in refs:
            if not whole and len(refs) >= ASKED_ONE_BY_ONE:
                whole.append(party_db.party_ids(store, PARTY_RECORDS_HELD))
            if len(refs) > 200_000:
                refs.clear()
            table = whole[0] if whole else None
            refs[ref] = table.get(ref) if table is not None else party_db.party_of(store, *ref)
        found = refs[ref]
        if found is not None:
            return found
        if not formats:
            formats.update(source_formats(store))
        return solo_id(ref[0], ref[1], formats.get(ref[0]) == "ofac" and ref[1].isdigit())

    def records(pid: str) -> list[dict[str, Any]]:
        if pid in held:
            return held[pid]
        rows = party_db.members(store, pid)
        out = []
        for row in rows:
            ent = store.entity(row["source_id"], row["entity_id"])
            if ent is None:
                continue
            out.append(
                {
                    "source_id": row["source_id"],
                    "entity_id": row["entity_id"],
                    "version_id": ent.extra.get("version_id"),
                    "name": ent.name,
                    "list": ent.sub_list,
                    "why": explain(row),
                    "listings": [vars(x) for x in ent.listings],
                    "programs": list(ent.programs),
                    "countries": list(ent.countries),
                }
            )
        if len(held) > 50_000:
            held.clear()
        held[pid] = out
        return out

    def stage(hits: list[Any], query: Any) -> list[Any]:
        if not hits:
            return hits
        groups: dict[str, list[Any]] = {}
        several: set[str] = set()
        for h in hits:
            ref = (h.source_id or "", h.entity_id)
            pid = pid_of(ref)
            if refs.get(ref) is not None:
                several.add(pid)
            groups.setdefault(pid, []).append(h)
        return [
            merge(pid, group, records(pid) if pid in several else [])
            for pid, group in groups.items()
        ]

    def token() -> int:
        """The newest judgement: one recorded since (by another process, too) builds the
        parties again before the next screening."""
        last = party_db.last_judgement_id(store)
        if last != judged[0]:
            ensure(store)
            reset()
            judged[0] = last
        return last

    stage.reset = reset  # type: ignore[attr-defined]
    stage.token = token  # type: ignore[attr-defined]
    return stage


def merge(pid: str, group: list[Any], members: list[dict[str, Any]]) -> Any:
    """One hit for a party from the hits on its records (``group``) and its records'
    listings (``members``: every record of a party of several; empty for a party of one)."""
    if not members and len(group) == 1:
        return _alone(pid, group[0])
    anchor_ref = (members[0]["source_id"], members[0]["entity_id"]) if members else None

    def rank(h: Any) -> tuple[int, float, bool]:
        return (
            RELATION_RANK.get(h.relation, 2),
            -h.score,
            (h.source_id, h.entity_id) != anchor_ref,
        )

    ordered = sorted(group, key=rank)
    head = ordered[0].copy()
    matched = {(h.source_id or "", h.entity_id): h for h in reversed(ordered)}
    listings: list[dict[str, Any]] = []
    recs: list[dict[str, Any]] = []
    programs, countries = list(head.programs), list(head.countries)
    seen: set[Ref] = set()
    by_ref = {(m["source_id"], m["entity_id"]): m for m in members}
    for ref in [(head.source_id or "", head.entity_id), *by_ref]:
        if ref in seen:
            continue
        seen.add(ref)
        m = by_ref.get(ref)
        h = matched.get(ref)
        version = h.version_id if h is not None and h.version_id is not None else None
        if m is not None:
            version = m["version_id"] if version is None else version
            own = m["listings"] if h is None else h.listings
        else:
            own = h.listings if h is not None else []
        tag = {"source_id": ref[0], "entity_id": ref[1], "version_id": version}
        listings += [{**x, **tag} for x in own]
        for p in (m or {}).get("programs") or (h.programs if h is not None else []):
            if p not in programs:
                programs.append(p)
        for c in (m or {}).get("countries") or (h.countries if h is not None else []):
            if c not in countries:
                countries.append(c)
        recs.append(
            {
                **tag,
                "name": m["name"] if m else (h.name if h is not None else None),
                "list": m["list"] if m else (h.list if h is not None else None),
                "why": m["why"] if m else "the party's only record",
                "matched": h is not None,
                "score": h.score if h is not None else None,
            }
        )
    head.listings = listings
    head.programs, head.countries = programs, countries
    for h in ordered[1:]:
        for k, v in h.extra.items():
            head.extra.setdefault(k, v)
    named = anchor_ref or (head.source_id or "", head.entity_id)
    head.extra["party"] = {
        "id": pid,
        "anchor": {"source_id": named[0], "entity_id": named[1]},
        "records": recs,
    }
    return head


def _alone(pid: str, h: Any) -> Any:
    """:func:`merge` of the one hit on a party of one record (most hits): the same hit,
    made without ranking or gathering records."""
    head = h.copy()
    ref = (h.source_id or "", h.entity_id)
    tag = {"source_id": ref[0], "entity_id": ref[1], "version_id": h.version_id}
    head.listings = [{**x, **tag} for x in h.listings]
    head.programs, head.countries = list(h.programs), list(h.countries)
    head.extra["party"] = {
        "id": pid,
        "anchor": {"source_id": ref[0], "entity_id": ref[1]},
        "records": [
            {
                **tag,
                "name": h.name,
                "list": h.list,
                "why": "the party's only record",
                "matched": True,
                "score": h.score,
            }
        ],
    }
    return head


# -- decisions on parties ----------------------------------------------------------------------


def refs_of(hit: Any) -> list[Ref]:
    """The records of a hit's party (the hit's own record when it names no party)."""
    party = (hit.extra if not isinstance(hit, dict) else hit).get("party") or {}
    recs: list[Ref] = [(r["source_id"], r["entity_id"]) for r in party.get("records") or ()]
    if recs:
        return recs
    get = hit.get if isinstance(hit, dict) else (lambda k: getattr(hit, k))
    return [(str(get("source_id") or ""), str(get("entity_id")))]


def decision_for(
    latest: dict[tuple[str, str, str], dict[str, Any]], key: str, hit: Any
) -> dict[str, Any] | None:
    """The decision in force for the party ``key`` on any record of the hit's party: the
    newest of them (a decision on one record holds for the whole party)."""
    found = [d for s, e in refs_of(hit) if (d := latest.get((key, s, e))) is not None]
    return max(found, key=lambda d: d["id"]) if found else None


def party_changes(store: Store, hit: Any, decision: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What joined and what left the hit's party since ``decision``: each new record's
    listings ("new listing: NS-CMIC List (listed 2021-06-03) on ofac-cons:30936 CHINA
    ELECTRONICS TECHNOLOGY GROUP CORPORATION, list version 7"), and each record gone.

    A record is new when the decision's party did not hold it (``party_records``, kept
    with the decision) and no version of its list loaded before the decision held it
    either: so a decision recorded before its party was resolved, or before parties
    existed, counts as having seen the records of the lists it was made with."""
    party = hit.extra.get("party") or {}
    recs = {ref_text((r["source_id"], r["entity_id"])): r for r in party.get("records") or ()}
    before = set(
        (decision.get("listing") or {}).get("party_records")
        or [ref_text((decision["source_id"], decision["entity_id"]))]
    )
    added, gone = [], []
    for ref in sorted(set(recs) - before):
        r = recs[ref]
        if _listed_before(store, r["source_id"], r["entity_id"], decision["decided_at"]):
            continue
        version = f", list version {r['version_id']}" if r.get("version_id") is not None else ""
        own = [
            x
            for x in hit.listings
            if (x.get("source_id"), x.get("entity_id")) == (r["source_id"], r["entity_id"])
        ]
        for x in own or [{"list": r.get("list") or r["source_id"]}]:
            bits = [
                x.get("citation"),
                f"listed {x['listed_on']}" if x.get("listed_on") else None,
                "not in force" if x.get("in_force") is False else None,
            ]
            shown = ", ".join(b for b in bits if b)
            added.append(
                f"new listing: {x.get('list')}"
                + (f" ({shown})" if shown else "")
                + f" on {ref} {r.get('name') or ''}{version}".rstrip()
            )
    for ref in sorted(before - set(recs)):
        gone.append(f"record no longer part of this party: {ref}")
    return added, gone


def _listed_before(store: Store, source_id: str, entity_id: str, when: str) -> bool:
    """Whether a version of the list loaded before ``when`` held the record (one loaded in
    the same second counts as new: a needless review rather than a missed one)."""
    row = store.conn.execute(
        """select 1 from entities e join versions v on v.id = e.version_id
           where e.source_id = ? and e.id = ? and v.loaded_at < ? limit 1""",
        [source_id, entity_id, when],
    ).fetchone()
    return row is not None
