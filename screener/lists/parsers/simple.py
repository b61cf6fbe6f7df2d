"""OpenSanctions "simple" CSV (targets.simple.csv) -- also the format for your own lists.

OpenSanctions publishes every dataset as ``targets.simple.csv``, UTF-8, one row per
entity, with a header row:

    id, schema, name, aliases, birth_date, countries, addresses, identifiers,
    sanctions, phones, emails, dataset, first_seen, last_seen, last_change

Several values in one cell are separated by ``;``. **Only ``id`` and ``name`` are
required**, so a deny list of your own can be as small as::

    id,name
    acme-1,Acme Surveillance Ltd.

Optional columns are read when present: ``schema`` (Person, Company, Organization,
LegalEntity, PublicBody, Vessel, Airplane; empty means unknown), ``aliases``,
``countries`` (names or ISO codes), ``addresses``, ``identifiers``, ``birth_date``,
``sanctions`` (free text), ``dataset`` (the list name; the file name when absent),
``first_seen`` (its date part becomes the listing date) and ``source_url`` or ``url``.
Column names are matched case-insensitively. The file must be UTF-8 (a BOM is fine).
Ids must be unique; rows with an empty name are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from screener.countries import to_iso2
from screener.errors import InputError
from screener.lists.parsers.textfile import read_text
from screener.model import Entity, Listing, Name, ParsedList

SCHEMAS = {
    "person": "person",
    "individual": "person",
    "company": "organization",
    "organization": "organization",
    "legalentity": "organization",
    "publicbody": "organization",
    "entity": "organization",
    "vessel": "vessel",
    "airplane": "aircraft",
    "aircraft": "aircraft",
}
EXTRA_FIELDS = ("birth_date", "sanctions", "phones", "emails", "last_seen", "last_change")


def parse(path: Path) -> ParsedList:
    """Read an OpenSanctions simple CSV (or a user's id,name list)."""
    path = Path(path)
    text = read_text(path)
    entities: list[Entity] = []
    seen: dict[str, int] = {}
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
        if "id" not in header or "name" not in header:
            found = ", ".join(h for h in header[:8] if h) or "none"
            raise InputError(f"{path}: needs the columns 'id' and 'name' (found: {found})")
        reader.fieldnames = header
        for row in reader:
            ent = _entity(path, row)
            if ent is None:
                continue
            if ent.id in seen:
                raise InputError(
                    f"{path}: line {reader.line_num}: id {ent.id!r} already used "
                    f"on line {seen[ent.id]}"
                )
            seen[ent.id] = reader.line_num
            entities.append(ent)
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None
    if not entities:
        raise InputError(f"{path}: no rows with a name")
    return ParsedList(entities, meta={"format": "opensanctions-simple"})


def _entity(path: Path, row: dict[str, str | None]) -> Entity | None:
    def cell(key: str) -> str:
        value = row.get(key)
        return " ".join(value.split()) if isinstance(value, str) else ""

    def many(key: str) -> list[str]:
        raw = row.get(key)
        return [p.strip() for p in raw.split(";") if p.strip()] if isinstance(raw, str) else []

    name, ent_id = cell("name"), cell("id")
    if not name:
        return None
    if not ent_id:
        raise InputError(f"{path}: the row for {name!r} has an empty id")
    schema_key = re.sub(r"[^a-z]", "", cell("schema").lower())
    ent = Entity(id=ent_id, name=name, schema=SCHEMAS.get(schema_key, "unknown"))
    ent.names = [Name(name, "primary")] + [Name(a, "alias") for a in many("aliases") if a != name]
    ent.countries = list(dict.fromkeys(c for c in map(to_iso2, many("countries")) if c))
    ent.addresses = many("addresses")
    ent.identifiers = many("identifiers")
    ent.source_url = cell("source_url") or cell("url") or None
    ent.listed_on = cell("first_seen")[:10] or None
    ent.extra = {k: cell(k) for k in EXTRA_FIELDS if cell(k)}
    for dataset in many("dataset") or [path.stem]:
        ent.listings.append(
            Listing(list=dataset, listed_on=ent.listed_on, source_url=ent.source_url)
        )
    ent.sub_list = ent.listings[0].list
    return ent
