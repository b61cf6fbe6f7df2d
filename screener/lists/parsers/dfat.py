"""Australia's Consolidated List (DFAT, Australian Sanctions Office), XLSX or CSV.

One row per name; every other column is repeated on each row of a listing. Columns
(matched by name, so both layouts read):

    Reference                       ``2`` for the listing's primary row, ``2a``, ``2b``,
                                    ``2b1`` ... for its other names: the leading number
                                    is the listing
    Name of Individual or Entity
    Type                            Individual, Entity, Vessel (case and spaces vary)
    Name Type                       Primary Name, aka, Original Script, Formerly known
                                    as, Previously listed as (case and spaces vary)
    Alias Strength                  Strong / Weak (newer files only)
    Date of Birth                   free text ("a) 1955 b) Approximately 1960"), a year,
                                    or a spreadsheet date
    Place of Birth, Citizenship, Address   free text; several values as "a) .. b) .."
    Additional Information          narrative
    Listing Information             how and when it was listed ("Listed on 12 Apr.
                                    2000 (amended on ...)", "Listed by UN 1267
                                    Committee on 25 January 2001 ...")
    IMO Number                      vessels (newer files only)
    Committees                      the regime: "1267/1989/2253 (ISIL (Da'esh) and
                                    Al-Qaida)", "Autonomous (Russia)" ...
    Control Date                    the date the entry was last edited: NOT the listing
                                    date, kept as ``extra["control_date"]``
    Instrument of Designation       the legal instrument (newer files only)
    Targeted Financial Sanction, Travel Ban, Arms Embargo, Maritime Restriction
                                    1 / 0 (newer files only): ``extra["measures"]``

Rows sharing a reference number are one entity, ``Entity.id`` that
number. "Original Script" names get their script's language (the file names none);
"Formerly known as" / "Previously listed as" are ``former``; a "Weak" alias is
``weak``. The listing date is the first date after "listed ... on" in Listing
Information, when it states one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.lists.parsers.fields import (
    add_name,
    add_unique,
    birth_dates,
    clean,
    country_codes,
    partial_date,
    split_enumerated,
)
from screener.lists.parsers.tabular import read_table
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "Australian Consolidated List"
AUTHORITY = "Australian Government, DFAT (Australian Sanctions Office)"
LIST_URL = "https://www.dfat.gov.au/international-relations/security/sanctions/consolidated-list"
REQUIRED = ["Reference", "Name of Individual or Entity", "Type", "Name Type"]
SCHEMAS = {"individual": "person", "entity": "organization", "vessel": "vessel"}
NAME_KINDS = {
    "primary name": "primary",
    "aka": "alias",
    "original script": "alias",
    "formerly known as": "former",
    "previously listed as": "former",
}
_LISTED = re.compile(
    r"\b(?:listed|designated|declared)\b[^.;]*?\bon:?\s+"
    r"(\d{1,2}[/ ][A-Za-z0-9]+\.?,?[/ ]\d{4}|[A-Za-z]+\.? \d{1,2},? \d{4})",
    re.IGNORECASE,
)
_NONE = {"", "na", "n/a", "nil", "none", "-"}
# Newer files say which measures apply, as 1 / 0 columns: kept in extra["measures"].
MEASURES = ("targeted financial sanction", "travel ban", "arms embargo", "maritime restriction")


def parse(path: Path) -> ParsedList:
    """Read a DFAT Consolidated List (XLSX or CSV) into one entity per reference number."""
    path = Path(path)
    table = read_table(path, REQUIRED, "DFAT Consolidated List")
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in table.rows:
        m = re.match(r"\d+", clean(row.get("reference")))
        ref = m.group(0) if m else ""
        if ref and clean(row.get("name of individual or entity")):
            groups.setdefault(ref, []).append(row)
    if not groups:
        raise InputError(f"{path}: no rows with a Reference and a name")
    entities = [_entity(ref, rows) for ref, rows in groups.items()]
    return ParsedList(
        entities,
        published=table.modified,
        meta={"format": f"dfat-{table.kind}", "sheet": table.sheet},
    )


def _kind(row: dict[str, Any]) -> str:
    kind = NAME_KINDS.get(clean(row.get("name type")).lower(), "alias")
    if kind == "alias" and clean(row.get("alias strength")).lower() == "weak":
        return "weak"
    return kind


def _entity(ref: str, rows: list[dict[str, Any]]) -> Entity:
    first = next((r for r in rows if _kind(r) == "primary"), rows[0])
    name = clean(first.get("name of individual or entity"))
    schema = SCHEMAS.get(clean(first.get("type")).lower(), "unknown")
    ent = Entity(id=ref, name=name, schema=schema)
    add_name(ent, name, "primary")
    extra: dict[str, list[Any]] = {
        k: []
        for k in (
            "birth_dates",
            "birth_dates_circa",
            "birth_date_ranges",
            "birth_places",
            "nationalities",
            "imo_numbers",
            "instruments",
            "control_date",
            "listing_information",
            "additional_information",
            "measures",
        )
    }
    committees: list[str] = []
    for row in rows:
        add_name(ent, row.get("name of individual or entity"), _kind(row))
        dates, circa, ranges = birth_dates(row.get("date of birth"))
        for key, values in (
            ("birth_dates", dates),
            ("birth_dates_circa", circa),
            ("birth_date_ranges", ranges),
        ):
            for v in values:
                add_unique(extra[key], v)
        for place in split_enumerated(row.get("place of birth")):
            add_unique(extra["birth_places"], place)
        for code in country_codes([row.get("citizenship")]):
            add_unique(extra["nationalities"], code)
        for address in split_enumerated(row.get("address")):
            if address.lower() not in _NONE:
                add_unique(ent.addresses, address)
                add_unique(ent.countries, _address_country(address))
        add_unique(committees, clean(row.get("committees")))
        add_unique(extra["imo_numbers"], clean(row.get("imo number")))
        add_unique(extra["instruments"], clean(row.get("instrument of designation")))
        add_unique(extra["control_date"], partial_date(row.get("control date")))
        add_unique(extra["listing_information"], clean(row.get("listing information")))
        add_unique(extra["additional_information"], clean(row.get("additional information")))
        for measure in MEASURES:
            if clean(row.get(measure)).lower() in ("1", "true", "yes", "y"):
                add_unique(extra["measures"], measure)
    for code in extra["nationalities"]:
        add_unique(ent.countries, code)
    listed = next((d for info in extra["listing_information"] if (d := _listed_on(info))), None)
    ent.programs = committees
    ent.listings = [
        Listing(
            list=LIST_NAME, authority=AUTHORITY, listed_on=listed, program=c, source_url=LIST_URL
        )
        for c in committees or [""]
    ]
    for listing in ent.listings:
        listing.program = listing.program or None
    ent.listed_on, ent.sub_list, ent.source_url = listed, LIST_NAME, LIST_URL
    ent.remarks = " | ".join(extra.pop("additional_information")) or None
    ent.identifiers = [f"DFAT reference {ref}"] + [f"IMO {n}" for n in extra["imo_numbers"]]
    extra["control_date"] = sorted(extra["control_date"])[-1:]
    ent.extra = {"reference": ref, **{k: v for k, v in extra.items() if v}}
    if ent.extra.get("control_date"):
        ent.extra["control_date"] = ent.extra["control_date"][0]
    return ent


def _listed_on(info: str) -> str | None:
    """The date in "Listed on 12 Apr. 2000 (amended ...)", "listed this entity on ..."."""
    m = _LISTED.search(info)
    return partial_date(m.group(1)) if m else None


def _address_country(address: str) -> str | None:
    """The country at the end of a free-text address, when it names one."""
    tail = re.sub(r"\([^)]*\)", "", address).strip(" .,;")
    codes = country_codes([tail.rsplit(",", 1)[-1]])
    return codes[0] if codes else None
