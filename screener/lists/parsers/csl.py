"""US Consolidated Screening List (CSL) from trade.gov, as CSV or JSON.

The CSL merges eleven US government lists (BIS Entity List, Denied Persons, Unverified,
Military End User; OFAC SDN and non-SDN lists; State ISN and ITAR debarred). One row per
listed party; ``source`` names the list the row comes from, e.g.
"Entity List (EL) - Bureau of Industry and Security". Columns:

    _id (newer files only), source, entity_number, type, programs, name, title, addresses,
    federal_register_notice, start_date, end_date, standard_order, license_requirement,
    license_policy, call_sign, vessel_type, gross_tonnage, gross_registered_tonnage,
    vessel_flag, vessel_owner, remarks, source_list_url, alt_names, citizenships,
    dates_of_birth, nationalities, places_of_birth, source_information_url, ids

In the CSV, several values in one cell are separated by "; ". The JSON API form is
``{"results": [{...}]}`` (or a bare list) with the same keys, where ``alt_names``,
``addresses`` etc. may be lists and an address a dict of address/city/state/
postal_code/country. The format is chosen by extension, else by the first byte.

Each row becomes one :class:`Entity` with ``sub_list`` = ``source`` as given and one
:class:`Listing` whose ``list`` is the source without its agency ("Entity List (EL)")
and whose ``authority`` is the agency ("US Commerce BIS").
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from screener.countries import to_iso2
from screener.errors import InputError
from screener.lists.parsers.ofac import reorder_person, split_programs
from screener.model import Entity, Listing, Name, ParsedList

AUTHORITIES = {
    "Bureau of Industry and Security": "US Commerce BIS",
    "Treasury Department": "US Treasury OFAC",
    "State Department": "US State Department",
}
SCHEMAS = {
    "individual": "person",
    "entity": "organization",
    "vessel": "vessel",
    "aircraft": "aircraft",
}
EXTRA_FIELDS = (
    "title",
    "standard_order",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
)
_SUCCESSOR = re.compile(r";?\s*and any successor, sub-unit, or subsidiary thereof\.?$", re.I)


def parse(path: Path) -> ParsedList:
    """Read a CSL file (CSV or JSON) into one entity per row."""
    path = Path(path)
    text = _read(path)
    stripped = text.lstrip()
    if not stripped:
        raise InputError(f"{path}: file is empty")
    is_json = path.suffix.lower() == ".json" or stripped[0] in "{["
    rows = _json_rows(path, stripped) if is_json else _csv_rows(path, text)
    entities: list[Entity] = []
    seen: dict[str, int] = {}
    for row in rows:
        ent = _entity(row)
        if ent is None:
            continue
        seen[ent.id] = seen.get(ent.id, 0) + 1
        if seen[ent.id] > 1:  # same source+name twice without an id: keep both
            ent.id = f"{ent.id}-{seen[ent.id]}"
        entities.append(ent)
    if not entities:
        raise InputError(f"{path}: no rows with a name")
    return ParsedList(entities, meta={"format": "csl-json" if is_json else "csl-csv"})


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_rows(path: Path, text: str) -> list[dict[str, Any]]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        _check_header(path, header, text)
        reader.fieldnames = header
        return list(reader)
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None


def _json_rows(path: Path, text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    rows = data.get("results") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f'{path}: expected {{"results": [...]}} or a list of CSL records')
    rows = [{str(k).lower(): v for k, v in r.items()} for r in rows]
    if rows:
        _check_header(path, sorted(set().union(*rows)), text)
    return rows


def _check_header(path: Path, columns: list[str], text: str) -> None:
    if "name" in columns and "source" in columns:
        return
    hint = " (it looks like an HTML page)" if text.lstrip()[:1] == "<" else ""
    raise InputError(f"{path}: not a CSL file{hint}: the columns 'name' and 'source' are missing")


def _entity(row: dict[str, Any]) -> Entity | None:
    name = _text(row.get("name"))
    if not name:
        return None
    source = _text(row.get("source"))
    number = _text(row.get("entity_number")) or _text(row.get("_id"))
    ent_id = number or hashlib.sha1(f"{source}|{name}".encode()).hexdigest()[:16]
    schema = SCHEMAS.get(_text(row.get("type")).lower(), "organization")
    ent = Entity(id=ent_id, name=name, schema=schema, sub_list=source or None)
    ent.names.append(Name(name, "primary"))
    if (short := _SUCCESSOR.sub("", name)) != name:
        ent.names.append(Name(short, "alias"))
    for alias in _multi(row.get("alt_names")):
        ent.names.append(Name(alias, "alias"))
    if schema == "person":
        ent.names += [Name(n, "alias") for n in map(reorder_person, _names(ent)) if n]
    ent.names = _dedupe(ent.names)
    for address in _addresses(row.get("addresses")):
        ent.addresses.append(address)
        code = to_iso2(address.rsplit(",", 1)[-1])
        if code and code not in ent.countries:
            ent.countries.append(code)
    ent.programs = [p for v in _multi(row.get("programs")) for p in split_programs(v)]
    ent.identifiers = _multi(row.get("ids"))
    ent.remarks = _text(row.get("remarks")) or None
    ent.extra = {k: _text(row.get(k)) for k in EXTRA_FIELDS if _text(row.get(k))}
    listing = _listing(row, source, ent.programs)
    ent.listings = [listing]
    ent.citation, ent.listed_on = listing.citation, listing.listed_on
    ent.end_date = listing.end_date
    ent.license_requirement = listing.license_requirement
    ent.license_policy = listing.license_policy
    ent.source_url = listing.source_url
    return ent


def _listing(row: dict[str, Any], source: str, programs: list[str]) -> Listing:
    list_name, _, agency = source.rpartition(" - ")
    end_date = _date(row.get("end_date"))
    return Listing(
        list=list_name or source or "Consolidated Screening List",
        authority=AUTHORITIES.get(agency.strip(), agency.strip() or None),
        citation=_text(row.get("federal_register_notice")) or None,
        listed_on=_date(row.get("start_date")),
        end_date=end_date,
        in_force=end_date is None or end_date >= datetime.now().date().isoformat(),
        program="; ".join(programs) or None,
        license_requirement=_text(row.get("license_requirement")) or None,
        license_policy=_text(row.get("license_policy")) or None,
        source_url=_text(row.get("source_list_url"))
        or _text(row.get("source_information_url"))
        or None,
    )


def _text(value: Any) -> str:
    """One cell as clean text: None -> '', lists joined by '; ', whitespace collapsed."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items() if _text(v))
    return " ".join(str(value).split())


def _multi(value: Any) -> list[str]:
    """A multi-value cell ("A; B", "A; and B" or a JSON list) as non-empty strings."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        parts = (re.sub(r"^and\s+", "", p.strip()) for p in _text(item).split(";"))
        out += [p for p in parts if p]
    return out


def _addresses(value: Any) -> list[str]:
    """Addresses as text; a JSON address dict is joined in address..country order."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            keys = ("address", "city", "state", "postal_code", "country")
            text = ", ".join(_text(item.get(k)) for k in keys if _text(item.get(k)))
            out += [text] if text else []
        else:
            out += _multi(item)
    return out


def _date(value: Any) -> str | None:
    """'2018-08-01' or '08/01/2018' -> '2018-08-01'; other text is dropped."""
    text = _text(value)[:10]
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _names(ent: Entity) -> list[str]:
    return [n.name for n in ent.names]


def _dedupe(names: list[Name]) -> list[Name]:
    out: list[Name] = []
    for n in names:
        if all(n.name != kept.name for kept in out):
            out.append(n)
    return out
