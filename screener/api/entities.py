"""Listed entities as the yente-compatible API shows them: FollowTheMoney entities with
an id that resolves at ``/entities/{id}``.

**Ids.** Every result's id, referents and datasets come from three functions of the
hit, :func:`entity_id_of`, :func:`referents_of` and :func:`datasets_of`. Today a party
is one list record, so its id is the record's: ``SOURCE.ENTRY`` (``screener-surveillance
.hikvision``, ``csl.e6c1a0...``), or ``SOURCE.h`` and a hash when the entry id has
characters a FollowTheMoney id may not (``/``, spaces, ``|``); it has no other
referents, and its datasets are its source (by its dataset name,
``screener_surveillance``: :mod:`screener.api.datasets`). When records are resolved into parties,
these three functions return the party's id, the ids of its records, and their
sources; the record ids then resolve at ``/entities/{id}`` by a redirect to the party.
Two older forms resolve by that redirect today: ``SOURCE:ENTRY`` (the reconciliation
ids before) and a bare ``ENTRY`` that only one source holds (``/match`` before).

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
from typing import Any, TypedDict

from screener.api.datasets import dataset_name, topics_of
from screener.model import Entity
from screener.screening.results import ScreenHit
from screener.screening.service import Snapshot

FTM_SCHEMAS = {
    "organization": "Organization",
    "person": "Person",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "unknown": "LegalEntity",
}
# FollowTheMoney's entity id: letters, digits, dots and dashes, not at either end a dot or dash
FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.-]*[0-9a-zA-Z])?$")
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
    """The id of the party a hit found (today: its record's id)."""
    return record_id(hit.source_id, hit.entity_id)


def referents_of(hit: ScreenHit) -> list[str]:
    """The ids of the party's records other than its own id (today: none)."""
    return []


def datasets_of(hit: ScreenHit) -> list[str]:
    """The datasets (list sources, by their dataset names) holding the party's records."""
    return [dataset_name(hit.source_id)] if hit.source_id else []


def listed_of(table: Lookup, hit: ScreenHit) -> Listed:
    """What the API shows of the party a hit found (today: its record; one the snapshot
    does not hold, such as a hit a stage made, from the hit itself)."""
    return table.by_record.get((hit.source_id, hit.entity_id)) or listed_from_hit(hit)


def in_scope(hit: ScreenHit, sources: set[str]) -> bool:
    """Whether the party a hit found is on one of ``sources`` (any of its records)."""
    return not sources.isdisjoint(datasets_of(hit))


def ftm_schema(schema: str) -> str:
    return FTM_SCHEMAS.get(schema, "LegalEntity")


@dataclass
class Listed:
    """One record as the API shows it, built once per snapshot."""

    id: str
    entity: Entity
    kind: str | None  # the source's kind (sanctions, export control ...)
    properties: dict[str, list[str]]
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None

    @property
    def topics(self) -> list[str]:
        return self.properties.get("topics", [])


@dataclass
class Lookup:
    """Every record of a snapshot by id, and the older id forms that redirect to one."""

    by_id: dict[str, Listed] = field(default_factory=dict)
    by_record: dict[tuple[str | None, str], Listed] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # older id -> id

    def resolve(self, key: str) -> tuple[Listed | None, bool]:
        """(the record, whether ``key`` is its id rather than an older form)."""
        found = self.by_id.get(key)
        if found is not None:
            return found, True
        canonical = self.aliases.get(key)
        return (self.by_id.get(canonical), False) if canonical else (None, False)


_lock = threading.Lock()
_held: tuple[Snapshot | None, Lookup | None] = (None, None)


def lookup(snap: Snapshot, dates: dict[tuple[str, str], tuple[str, str]] | None = None) -> Lookup:
    """The lookup of ``snap``'s records, built once per snapshot (the list watcher builds
    it when it loads, with ``dates``: (source, entry) -> (first seen, last change))."""
    global _held
    held, table = _held
    if held is snap and table is not None and dates is None:
        return table
    with _lock:
        held, table = _held
        if held is snap and table is not None and dates is None:
            return table
        table = _build(snap, dates or {})
        _held = (snap, table)
        return table


def _build(snap: Snapshot, dates: dict[tuple[str, str], tuple[str, str]]) -> Lookup:
    versions = {v.get("source_id"): v for v in snap.matcher.index.versions}
    out = Lookup()
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
    """A yente ``EntityResponse`` of a record (with ``hit``: of the party it found)."""
    e = listed.entity
    return {
        "id": entity_id_of(hit) if hit is not None else listed.id,
        "caption": e.name,
        "schema": ftm_schema(e.schema),
        "properties": listed.properties,
        "datasets": datasets_of(hit) if hit is not None else _datasets(e),
        "referents": referents_of(hit) if hit is not None else [],
        "target": True,
        "first_seen": listed.first_seen,
        "last_seen": listed.last_seen,
        "last_change": listed.last_change,
    }


def _datasets(e: Entity) -> list[str]:
    source = e.extra.get("source_id")
    return [dataset_name(source)] if source else []


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
