"""Listed entities as the yente-compatible API shows them: FollowTheMoney entities with
an id that resolves at ``/entities/{id}``.

**Ids.** A result is a party (:mod:`screener.screening.parties`: the records of every
list that are one organisation), and its id, referents and datasets come from three
functions of the hit, :func:`entity_id_of`, :func:`referents_of` and
:func:`datasets_of`. A list record's id is ``SOURCE.ENTRY`` (``screener-surveillance
.hikvision``, ``csl.e6c1a0...``), or ``SOURCE.h`` and a hash when the entry id has
characters a FollowTheMoney id may not (``/``, spaces, ``|``). A party's id is the id
of the record it is named after (the curated entry, else the OFAC entry, else the first
record: ``screener-surveillance.cetc``), so that a party of one record keeps its
record's id; its ``referents`` are the ids of its other records, and its ``datasets``
the sources of all its records (by their dataset names, ``screener_surveillance``:
:mod:`screener.api.datasets`). Any of those record ids resolves at ``/entities/{id}``
by a redirect (308) to the party, and so does the store's id of the party
(``hit["party"]["id"]``: ``cetc``, ``ofac:30936``, ``csl:...``) and two older forms of a
record id: ``SOURCE:ENTRY`` (the reconciliation ids before) and a bare ``ENTRY`` that
only one source holds (``/match`` before). A party's properties are the union of its
records' (its name first), its dates the earliest first sighting and the latest load
and change of any of them.

**Properties** are FollowTheMoney's: ``name`` (the listed name), ``alias``,
``weakAlias``, ``previousName``, ``country`` (ISO codes, lower case), ``address``,
``topics`` (from each listing's list: ``data/datasets.yaml``), ``program``,
``sourceUrl`` (each listing's official page), ``notes`` (the entry's remarks) and, for
people, ``birthDate``. The schema is FollowTheMoney's too: ``Organization``,
``Person``, ``Vessel``, ``Airplane``, or ``LegalEntity`` when the list does not say.

**Dates** are those of list versions: ``last_seen`` the active version's load,
``first_seen`` the first stored version holding the entry, ``last_change`` the first
stored version since which its record (names, listings, countries, addresses,
programs, remarks) is as now.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from screener.api.datasets import dataset_name, topics_of
from screener.model import Entity
from screener.screening.results import ScreenHit
from screener.screening.service import Snapshot

if TYPE_CHECKING:
    from screener.db.store import Store

FTM_SCHEMAS = {
    "organization": "Organization",
    "person": "Person",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "unknown": "LegalEntity",
}
# FollowTheMoney's entity id: letters, digits, dots and dashes, not at either end a dot or dash
FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.-]*[0-9a-zA-Z])?$")
Ref = tuple[str | None, str]  # (source id, entry id) of a list record
NAME_PROPS = {"alias": "alias", "weak": "weakAlias", "former": "previousName"}


def record_id(source_id: str | None, entry_id: str) -> str:
    """The id of one list record: ``SOURCE.ENTRY`` (see the module docstring)."""
    source = source_id or "unknown"
    if FTM_ID.match(source) and "." not in source and FTM_ID.match(entry_id):
        return f"{source}.{entry_id}"
    digest = hashlib.sha256(f"{source}\0{entry_id}".encode()).hexdigest()[:24]
    safe = re.sub(r"[^0-9a-zA-Z-]+", "-", source).strip("-") or "source"
    return f"{safe}.h{digest}"


def entity_id_of(hit: ScreenHit) -> str:
    """The id of the party a hit found: the id of the record the party is named after."""
    anchor = (hit.extra.get("party") or {}).get("anchor")
    if anchor:
        return record_id(anchor["source_id"] or None, str(anchor["entity_id"]))
    return record_id(hit.source_id, hit.entity_id)


def _refs_of(hit: ScreenHit) -> list[Ref]:
    """The records of the hit's party, the one it is named after first."""
    party = hit.extra.get("party") or {}
    refs: list[Ref] = [
        (r["source_id"] or None, str(r["entity_id"])) for r in party.get("records") or ()
    ]
    anchor = party.get("anchor")
    head: Ref = (
        (anchor["source_id"] or None, str(anchor["entity_id"]))
        if anchor
        else (hit.source_id, hit.entity_id)
    )
    return [head, *(r for r in refs if r != head)]


def referents_of(hit: ScreenHit) -> list[str]:
    """The ids of the party's records other than its own id."""
    return [record_id(*r) for r in _refs_of(hit)[1:]]


def datasets_of(hit: ScreenHit) -> list[str]:
    """The datasets (list sources, by their dataset names) holding the party's records."""
    return list(dict.fromkeys(dataset_name(s) for s, _ in _refs_of(hit) if s))


def listed_of(table: Lookup, hit: ScreenHit) -> Listed:
    """What the API shows of the party a hit found: the party of the snapshot's records
    that the hit names (one the snapshot does not hold, such as a hit a stage made, from
    the hit itself)."""
    refs = _refs_of(hit)
    if len(refs) > 1:
        pid = entity_id_of(hit)
        known = table.party(pid)
        if known is not None and {r.ref for r in known.records} == set(refs):
            return known
        members = [x for x in (table.by_record.get(r) for r in refs) if x is not None]
        if members:  # the parties were built again since the table was made
            return party_listed(members, {})
    return table.by_record.get((hit.source_id, hit.entity_id)) or listed_from_hit(hit)


def in_scope(hit: ScreenHit, sources: set[str]) -> bool:
    """Whether the party a hit found is on one of ``sources`` (any of its records)."""
    return not sources.isdisjoint(datasets_of(hit))


def ftm_schema(schema: str) -> str:
    return FTM_SCHEMAS.get(schema, "LegalEntity")


@dataclass
class Listed:
    """One record, or one party of several records, as the API shows it."""

    id: str
    entity: Entity  # the record's (a party's: the record it is named after)
    kind: str | None  # the source's kind (sanctions, export control ...)
    properties: dict[str, list[str]]
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None
    records: list[Listed] = field(default_factory=list)  # a party's, its anchor first
    why: dict[str, str] = field(default_factory=dict)  # a party's: record id -> why it joined

    @property
    def topics(self) -> list[str]:
        return self.properties.get("topics", [])

    @property
    def ref(self) -> Ref:
        return (self.entity.extra.get("source_id"), self.entity.id)

    @property
    def datasets(self) -> list[str]:
        refs = [r.ref for r in self.records] or [self.ref]
        return list(dict.fromkeys(dataset_name(s) for s, _ in refs if s))

    @property
    def referents(self) -> list[str]:
        return [r.id for r in self.records[1:]]


def party_listed(members: list[Listed], why: dict[str, str]) -> Listed:
    """A party of several records (``members``, the one it is named after first): its
    id and entity are that record's, its properties the union of theirs."""
    head = members[0]
    props: dict[str, list[str]] = {}
    for m in members:
        for k, values in m.properties.items():
            kept = props.setdefault(k, [])
            kept += [v for v in values if v not in kept]
    seen = [m.first_seen for m in members if m.first_seen]
    return Listed(
        head.id,
        head.entity,
        head.kind,
        props,
        first_seen=min(seen) if seen else None,
        last_seen=max((m.last_seen for m in members if m.last_seen), default=None),
        last_change=max((m.last_change for m in members if m.last_change), default=None),
        records=list(members),
        why=why,
    )


@dataclass
class Parties:
    """The parties of several records of one build (:mod:`screener.db.parties`), over the
    records of a snapshot: each record's party id, and each party's store id."""

    build: Any = None  # the party build these are of
    of_record: dict[Ref, str] = field(default_factory=dict)  # record -> party id
    members: dict[str, list[tuple[Ref, str]]] = field(default_factory=dict)  # (record, why)
    aliases: dict[str, str] = field(default_factory=dict)  # store's party id -> party id
    held: dict[str, Listed] = field(default_factory=dict)


@dataclass
class Lookup:
    """Every record of a snapshot by id, the parties of several records, and the older id
    forms that redirect to one."""

    by_id: dict[str, Listed] = field(default_factory=dict)
    by_record: dict[Ref, Listed] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # older id -> id
    dates: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    parties: Parties = field(default_factory=Parties)

    def party(self, pid: str) -> Listed | None:
        """The party of several records whose id is ``pid``, or None."""
        p = self.parties
        if pid in p.held:
            return p.held[pid]
        rows = p.members.get(pid)
        if not rows:
            return None
        members = [(self.by_record[r], why) for r, why in rows if r in self.by_record]
        if not members:
            return None
        found = party_listed([m for m, _ in members], {m.id: why for m, why in members})
        p.held[pid] = found
        return found

    def resolve(self, key: str) -> tuple[Listed | None, bool]:
        """(the record or party, whether ``key`` is its id rather than another form)."""
        found = self.by_id.get(key)
        if found is not None:
            pid = self.parties.of_record.get(found.ref)
            party = self.party(pid) if pid is not None else None
            if party is None:
                return found, True
            return party, party.id == key
        canonical = self.parties.aliases.get(key) or self.aliases.get(key)
        if canonical is None:
            return None, False
        return self.resolve(canonical)[0], False


_lock = threading.Lock()
_held: tuple[Snapshot | None, Lookup | None] = (None, None)


def lookup(
    snap: Snapshot,
    store: Store | None = None,
    dates: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> Lookup:
    """The lookup of ``snap``'s records, built once per snapshot (the list watcher builds
    it when it loads, with ``dates``: (source, entry) -> (first seen, last change)), with
    the parties of ``store``'s newest party build (read again when it changes)."""
    global _held
    build = _party_build(store)
    held, table = _held
    if (
        held is snap
        and table is not None
        and dates is None
        and (store is None or table.parties.build == build)
    ):
        return table
    with _lock:
        held, table = _held
        if held is not snap or table is None or dates is not None:
            table = _build(snap, dates or (table.dates if held is snap and table else {}))
        if store is not None and table.parties.build != build:
            table.parties = _parties(store, table, build)
        _held = (snap, table)
        return table


def _party_build(store: Store | None) -> Any:
    if store is None:
        return None
    row = store.conn.execute("select max(id) from party_builds").fetchone()
    return row[0] if row else None


def _parties(store: Store, table: Lookup, build: Any) -> Parties:
    from screener.db.parties import RECORD_COLUMNS, solo_id
    from screener.screening.parties import explain, source_formats

    out = Parties(build)
    rows = store.query(
        f"select {','.join(RECORD_COLUMNS)} from party_records order by party_id, "
        "rule != 'anchor', source_id, entity_id"
    )
    by_party: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_party.setdefault(row["party_id"], []).append(row)
    for store_id, members in by_party.items():
        present = [m for m in members if (m["source_id"], m["entity_id"]) in table.by_record]
        if not present:
            continue
        pid = table.by_record[(present[0]["source_id"], present[0]["entity_id"])].id
        out.members[pid] = [((m["source_id"], m["entity_id"]), explain(m)) for m in present]
        for m in present:
            out.of_record[(m["source_id"], m["entity_id"])] = pid
        out.aliases[store_id] = pid
    formats = source_formats(store)
    for source, entry in table.by_record:  # a party of one OFAC record: ofac:N
        if source and formats.get(source) == "ofac" and entry.isdigit():
            alias = solo_id(source, entry, True)
            out.aliases.setdefault(
                alias, out.of_record.get((source, entry)) or table.by_record[(source, entry)].id
            )
    return out


def _build(snap: Snapshot, dates: dict[tuple[str, str], tuple[str, str]]) -> Lookup:
    versions = {v.get("source_id"): v for v in snap.matcher.index.versions}
    out = Lookup(dates=dates)
    bare: dict[str, list[str]] = {}
    for e in snap.matcher.index.entities:
        source = e.extra.get("source_id")
        version = versions.get(source, {})
        rid = record_id(source, e.id)
        first, changed = dates.get((source or "", e.id), (None, None))
        loaded = version.get("loaded_at")
        listed = Listed(
            rid,
            e,
            version.get("kind"),
            properties(e, version.get("kind")),
            first_seen=_stamp(first or loaded),
            last_seen=_stamp(loaded),
            last_change=_stamp(changed or loaded),
        )
        out.by_id[rid] = listed
        out.by_record[(source, e.id)] = listed
        out.aliases[f"{source or ''}:{e.id}"] = rid
        bare.setdefault(e.id, []).append(rid)
    for entry, ids in bare.items():
        if len(ids) == 1 and entry not in out.by_id:
            out.aliases.setdefault(entry, ids[0])
    return out


def listed_from_hit(h: ScreenHit) -> Listed:
    """A record the snapshot does not hold (a stage made the hit), from the hit itself:
    never dropped for want of its entry."""
    e = Entity(
        h.entity_id,
        h.name,
        h.schema,
        countries=list(h.countries),
        programs=list(h.programs),
        sub_list=h.list,
        source_url=h.source_url,
        extra={"source_id": h.source_id},
    )
    props = properties(e)
    _put(props, "topics", topics_of([x.get("list") for x in h.listings] or [h.list], None))
    return Listed(record_id(h.source_id, h.entity_id), e, None, props)


def _stamp(value: Any) -> str | None:
    """A stored timestamp as yente writes them: ISO 8601 to the second, without a zone
    (UTC)."""
    if not value:
        return None
    text = str(value).replace("Z", "").replace("+00:00", "")
    return text[:19] if "T" in text else text[:10] + "T00:00:00"


def properties(e: Entity, kind: str | None = None) -> dict[str, list[str]]:
    """The FollowTheMoney properties of a listed entity (see the module docstring)."""
    props: dict[str, list[str]] = {"name": [e.name]}
    for n in e.all_names()[1:]:
        prop = NAME_PROPS.get(n.kind, "alias")
        if n.name not in props.get(prop, []):
            props.setdefault(prop, []).append(n.name)
    _put(props, "country", [c.lower() for c in e.countries])
    _put(props, "address", e.addresses)
    _put(props, "program", e.programs)
    _put(props, "topics", topics_of([x.list for x in e.listings] or [e.sub_list], kind))
    urls = [x.source_url for x in e.listings] or [e.source_url]
    _put(props, "sourceUrl", [u for u in urls if u])
    _put(props, "notes", [e.remarks] if e.remarks else [])
    if e.schema == "person":
        _put(props, "birthDate", list(e.extra.get("birth_dates") or []))
    return props


def _put(props: dict[str, list[str]], key: str, values: list[Any]) -> None:
    kept = list(dict.fromkeys(str(v) for v in values if v))
    if kept:
        props[key] = kept


class EntityResponse(TypedDict):
    """yente's ``EntityResponse``: one record, its FollowTheMoney properties, and when the
    lists first and last showed it."""

    id: str
    caption: str
    schema: str
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str]
    target: bool
    first_seen: str | None
    last_seen: str | None
    last_change: str | None


def entity_response(listed: Listed, hit: ScreenHit | None = None) -> EntityResponse:
    """A yente ``EntityResponse`` of a record or party (with ``hit``: of the party it
    found, as the hit names it)."""
    e = listed.entity
    return {
        "id": entity_id_of(hit) if hit is not None else listed.id,
        "caption": e.name,
        "schema": ftm_schema(e.schema),
        "properties": listed.properties,
        "datasets": datasets_of(hit) if hit is not None else listed.datasets,
        "referents": referents_of(hit) if hit is not None else listed.referents,
        "target": True,
        "first_seen": listed.first_seen,
        "last_seen": listed.last_seen,
        "last_change": listed.last_change,
    }


def listings(e: Entity) -> list[dict[str, Any]]:
    """The entity's listings, each as stored (the entry's own fields when it has none)."""
    return [vars(x) for x in e.listings] or [
        {
            "list": e.sub_list,
            "citation": e.citation,
            "listed_on": e.listed_on,
            "end_date": e.end_date,
            "license_requirement": e.license_requirement,
            "license_policy": e.license_policy,
            "source_url": e.source_url,
        }
    ]


def nested(listed: Listed) -> dict[str, Any]:
    """What ``/entities/{id}`` shows of a record or party beyond FollowTheMoney's fields:
    the entry (a party's: the record it is named after), the listings, and a party's
    ``records`` (id, source, entry, name, why it joined, its dates), each listing naming
    its record."""
    e = listed.entity
    out: dict[str, Any] = {
        "entry_id": e.id,
        "source_id": e.extra.get("source_id"),
        "listings": listings(e),
        "parent": e.parent_name,
        "identifiers": e.identifiers,
    }
    if listed.records:
        out["listings"] = [
            {**x, "source_id": r.ref[0], "entity_id": r.ref[1]}
            for r in listed.records
            for x in listings(r.entity)
        ]
        out["records"] = [
            {
                "id": r.id,
                "source_id": r.ref[0],
                "entity_id": r.ref[1],
                "name": r.entity.name,
                "list": r.entity.sub_list,
                "why": listed.why.get(r.id),
                "first_seen": r.first_seen,
                "last_seen": r.last_seen,
                "last_change": r.last_change,
            }
            for r in listed.records
        ]
    return out
