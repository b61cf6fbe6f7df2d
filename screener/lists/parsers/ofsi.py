"""UK OFSI Consolidated List of Financial Sanctions Targets (HM Treasury), CSV or XLSX.

OFSI published one row per name variant, under a "Last Updated, dd/mm/yyyy" row, in
two column layouts, both read here (told apart by their columns, the file type by its
bytes: see :mod:`tabular`):

* **2022 format** (``2022format/ConList.csv`` / ``.xlsx``, from February 2022): Name 6,
  Name 1 .. Name 5, Title, Name Non-Latin Script, Non-Latin Script Type, Non-Latin
  Script Language, DOB, Town of Birth, Country of Birth, Nationality, Passport Number,
  Passport Details, National Identification Number, National Identification Details,
  Position, Address 1 .. Address 6, Post/Zip Code, Country, Other Information, Group
  Type, Alias Type, Alias Quality, Regime, Listed On, UK Sanctions List Date
  Designated, Last Updated, Group ID;
* **legacy format** (HM Treasury ``sanctionsconlist.csv``, to 2022; Windows-1252):
  the same without the non-Latin script, passport/ID number, alias quality and UK
  Sanctions List columns (``NI Number`` for the identification number).

All rows with one Group ID are one entity (``Entity.id`` = the Group ID). Name 6 is
the surname or the entity's name, Name 1-5 the forenames; the name is Name 1 .. Name 6
in that order. Alias Type "Primary name" (legacy "Prime Alias") is the primary name,
"Primary name variation" and "AKA" aliases, "FKA" a former name; an AKA of "Low
quality" is a ``weak`` name. The non-Latin name gets the language the file states
("Russian" -> ``ru``) or its script's. DOB is dd/mm/yyyy with ``00`` for an unknown
day or month (``00/00/1980`` -> ``1980``). One listing per regime, dated by its
"Listed On". "Other Information" holds the UK Sanctions List reference ("(UK Sanctions
List Ref):RUS1831") and, in legacy files, the UN reference ("UN Ref QDe.004").

OFSI closed this list on 28 January 2026; the FCDO's UK Sanctions List replaced it.
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
    country_code,
    country_codes,
    lang_code,
    partial_date,
)
from screener.lists.parsers.tabular import read_table
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "OFSI Consolidated List"
AUTHORITY = "HM Treasury (OFSI)"
LIST_URL = (
    "https://www.gov.uk/government/publications/financial-sanctions-consolidated-list-of-targets"
)
REQUIRED = ["Name 6", "Group Type", "Group ID"]
SCHEMAS = {"individual": "person", "entity": "organization", "ship": "vessel"}
PRIMARY = {"primary name", "prime alias"}
_UK_REF = re.compile(r"\(UK Sanctions List Ref\)\s*:\s*([A-Z]{2,4}\d{3,5})")
_UN_REF = re.compile(
    r"\bUN\s*Ref(?:erence)?\b\.?\s*(?:No\.?)?\s*:?\s*"
    r"([A-Za-z]{2,4}\.[A-Za-z0-9.]*\d)"
)


def parse(path: Path) -> ParsedList:
    """Read an OFSI ConList (2022 or legacy layout, CSV or XLSX); one entity per Group ID."""
    path = Path(path)
    table = read_table(path, REQUIRED, "OFSI Consolidated List")
    layout = "2022" if "alias quality" in {h.lower() for h in table.header} else "legacy"
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in table.rows:
        gid = clean(row.get("group id"))
        if gid:
            groups.setdefault(gid, []).append(row)
    if not groups:
        raise InputError(f"{path}: no rows with a Group ID")
    entities = [_entity(gid, rows) for gid, rows in groups.items()]
    updated = next(
        (
            partial_date(r[1])
            for r in table.preamble
            if len(r) > 1 and clean(r[0]).lower() == "last updated"
        ),
        None,
    )
    return ParsedList(
        entities,
        published=updated,
        meta={"format": f"ofsi-{layout}-{table.kind}", "layout": layout},
    )


def _full_name(row: dict[str, Any]) -> str:
    return " ".join(p for p in (clean(row.get(f"name {i}")) for i in (1, 2, 3, 4, 5, 6)) if p)


def _entity(gid: str, rows: list[dict[str, Any]]) -> Entity:
    first = next((r for r in rows if clean(r.get("alias type")).lower() in PRIMARY), rows[0])
    schema = SCHEMAS.get(clean(first.get("group type")).lower(), "unknown")
    ent = Entity(
        id=gid, name=_full_name(first) or clean(first.get("name non-latin script")), schema=schema
    )
    add_name(ent, ent.name, "primary")
    extra: dict[str, list[Any]] = {
        k: []
        for k in (
            "birth_dates",
            "birth_dates_circa",
            "birth_places",
            "nationalities",
            "titles",
            "positions",
            "passports",
            "national_ids",
            "uk_sanctions_list_refs",
            "un_references",
            "uk_date_designated",
            "last_updated",
        )
    }
    remarks: list[str] = []
    listed: dict[str, str | None] = {}
    for row in rows:
        _names(ent, row)
        for d in birth_dates(row.get("dob"))[0]:
            add_unique(extra["birth_dates"], d)
        place = ", ".join(
            p for p in (clean(row.get("town of birth")), clean(row.get("country of birth"))) if p
        )
        add_unique(extra["birth_places"], place)
        for code in country_codes([row.get("nationality")]):
            add_unique(extra["nationalities"], code)
        add_unique(extra["titles"], clean(row.get("title")))
        add_unique(extra["positions"], clean(row.get("position")))
        for col, out in (
            ("passport number", "passports"),
            ("passport details", "passports"),
            ("national identification number", "national_ids"),
            ("national identification details", "national_ids"),
            ("ni number", "national_ids"),
        ):
            add_unique(extra[out], clean(row.get(col)))
        _address(ent, row)
        info = clean(row.get("other information"))
        if info and info not in remarks:
            remarks.append(info)
            for pattern, out in ((_UK_REF, "uk_sanctions_list_refs"), (_UN_REF, "un_references")):
                for ref in pattern.findall(info):
                    add_unique(extra[out], ref)
        regime = clean(row.get("regime"))
        on = partial_date(row.get("listed on"))
        if regime and (regime not in listed or (on and (listed[regime] or "9") > on)):
            listed[regime] = on
        add_unique(
            extra["uk_date_designated"], partial_date(row.get("uk sanctions list date designated"))
        )
        add_unique(extra["last_updated"], partial_date(row.get("last updated")))
    for code in extra["nationalities"]:
        add_unique(ent.countries, code)
    ent.programs = list(listed)
    ent.listings = [
        Listing(
            list=LIST_NAME, authority=AUTHORITY, listed_on=on, program=regime, source_url=LIST_URL
        )
        for regime, on in listed.items()
    ]
    ent.listed_on = min((on for on in listed.values() if on), default=None)
    ent.sub_list, ent.source_url = LIST_NAME, LIST_URL
    ent.remarks = " | ".join(remarks) or None
    ent.identifiers = [f"OFSI Group ID {gid}"]
    ent.identifiers += [f"UK Sanctions List {r}" for r in extra["uk_sanctions_list_refs"]]
    ent.identifiers += [f"UN reference {r}" for r in extra["un_references"]]
    ent.identifiers += extra["passports"] + extra["national_ids"]
    extra["last_updated"] = sorted(extra["last_updated"])
    ent.extra = {"group_id": gid, **{k: v for k, v in extra.items() if v}}
    return ent


def _names(ent: Entity, row: dict[str, Any]) -> None:
    alias_type = clean(row.get("alias type")).lower()
    if alias_type == "fka":
        kind = "former"
    elif clean(row.get("alias quality")).lower().startswith("low"):
        kind = "weak"
    else:
        kind = "alias"
    add_name(ent, _full_name(row), kind)
    other = clean(row.get("name non-latin script"))
    if other:
        add_name(ent, other, "alias", lang_code(row.get("non-latin script language"), other))


def _address(ent: Entity, row: dict[str, Any]) -> None:
    parts = [clean(row.get(f"address {i}")) for i in range(1, 7)]
    parts += [clean(row.get("post/zip code")), clean(row.get("country"))]
    add_unique(ent.addresses, ", ".join(p for p in parts if p))
    add_unique(ent.countries, country_code(row.get("country")))
