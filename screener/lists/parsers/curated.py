"""The project's own curated list format (what ``lists/surveillance.yaml`` uses).

A YAML document with a ``source`` block (id, name, authority, kind, url, licence,
published) and ``entities``: each with ``id``, ``name``, ``schema``, ``country``,
optional ``parent`` (id of another entry), name lists ``aliases``, ``chinese``,
``former``, ``abbreviations``, ``addresses``, and ``listings``: one per official list
the entity is on (list, authority, citation, listed_on, end_date, in_force, program,
license_requirement, license_policy, effect, source_url). ``lists/README.md``
documents the format for reviewers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.model import Entity, Listing, Name, ParsedList
from screener.safe_yaml import load_yaml_file

NAME_FIELDS = {
    "aliases": "alias",
    "chinese": "chinese",
    "former": "former",
    "abbreviations": "abbreviation",
    "weak": "weak",
}
LISTING_FIELDS = set(Listing.__dataclass_fields__)


def _text(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def _listing(raw: Any, where: str) -> Listing:
    if not isinstance(raw, dict) or not raw.get("list"):
        raise InputError(f"{where}: each listing needs a 'list'")
    unknown = set(raw) - LISTING_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown listing field(s) {', '.join(sorted(unknown))}")
    kw = {k: _text(v) for k, v in raw.items() if k != "in_force"}
    in_force = raw.get("in_force")
    if in_force is None:
        in_force = not kw.get("end_date")
    return Listing(**kw, in_force=bool(in_force))  # type: ignore[arg-type]


def _has_cjk(s: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in s)


def main_listing(listings: list[Listing]) -> Listing | None:
    """The listing shown first: in force, legally binding, with a citation if any."""
    if not listings:
        return None
    return sorted(listings, key=lambda x: (not x.in_force, x.citation is None))[0]


def parse(path: Path) -> ParsedList:
    doc = load_yaml_file(path)  # no aliases, size and depth capped
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise InputError(f"{path}: not a screener curated list (no 'entities' list)")
    source = {k: _text(v) for k, v in (doc.get("source") or {}).items()}
    by_id: dict[str, str] = {}
    entities: list[Entity] = []
    for i, raw in enumerate(doc["entities"], 1):
        where = f"{path}: entry {i}"
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("name"):
            raise InputError(f"{where}: each entry needs an 'id' and a 'name'")
        eid, name = str(raw["id"]), str(raw["name"]).strip()
        names = []
        for field, kind in NAME_FIELDS.items():
            for n in raw.get(field) or []:
                if n is not None and str(n).strip():
                    s = str(n).strip()
                    names.append(Name(s, kind, "zh" if _has_cjk(s) else None))
        listings = [_listing(x, f"{where} ({eid})") for x in raw.get("listings") or []]
        main = main_listing(listings)
        country = raw.get("country")
        countries = country if isinstance(country, list) else [country] if country else []
        entities.append(
            Entity(
                id=eid,
                name=name,
                schema=str(raw.get("schema") or "organization"),
                names=names,
                countries=[str(c).lower() for c in countries],
                addresses=[str(a) for a in raw.get("addresses") or []],
                programs=sorted({x.program for x in listings if x.program}),
                listings=listings,
                sub_list=main.list if main else None,
                citation=main.citation if main else None,
                listed_on=main.listed_on if main else None,
                end_date=main.end_date if main else None,
                license_requirement=main.license_requirement if main else None,
                license_policy=main.license_policy if main else None,
                source_url=main.source_url if main else None,
                remarks=_text(raw.get("notes")),
                parent_id=_text(raw.get("parent")),
                extra={"sources": raw.get("sources") or []},
            )
        )
        by_id[eid] = name
    for e in entities:
        if e.parent_id:
            if e.parent_id not in by_id:
                raise InputError(f"{path}: {e.id}: parent '{e.parent_id}' is not an entry")
            e.parent_name = by_id[e.parent_id]
    return ParsedList(entities, published=source.get("published"), meta={"source": source})
