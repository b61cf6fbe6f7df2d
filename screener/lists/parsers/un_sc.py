"""UN Security Council Consolidated List, in the UN's own XML (``consolidated.xml``).

The file (schema ``sc-sanctions.xsd``) is ``CONSOLIDATED_LIST dateGenerated=...`` with
``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY`` records. Each record has:

    DATAID, VERSIONNUM            the UN's database id and its version
    REFERENCE_NUMBER              the permanent reference (QDi.237, KPe.045): the entity id
    FIRST_NAME .. FOURTH_NAME     the name in parts (an entity has FIRST_NAME only)
    UN_LIST_TYPE                  the regime: Al-Qaida, DPRK, Taliban, Iran, Iraq, DRC,
                                  Libya, Somalia, CAR, Haiti, Yemen, GB (Guinea-Bissau),
                                  Sudan, SouthSudan
    LISTED_ON, LAST_DAY_UPDATED   listing date; the dates of later amendments
    NAME_ORIGINAL_SCRIPT          the name in Arabic, Cyrillic, Korean ... script
    TITLE, DESIGNATION, NATIONALITY, LIST_TYPE   each holding VALUE children
    *_ALIAS                       QUALITY (Good, Low, a.k.a., f.k.a.) and ALIAS_NAME
    *_ADDRESS                     STREET, CITY, STATE_PROVINCE, ZIP_CODE, COUNTRY, NOTE
    INDIVIDUAL_DATE_OF_BIRTH      TYPE_OF_DATE (EXACT, APPROXIMATELY, BETWEEN) with DATE,
                                  YEAR or FROM_YEAR/TO_YEAR
    INDIVIDUAL_PLACE_OF_BIRTH     CITY, STATE_PROVINCE, COUNTRY
    INDIVIDUAL_DOCUMENT           TYPE_OF_DOCUMENT, NUMBER, ISSUING_COUNTRY, DATE_OF_ISSUE ...
    COMMENTS1                     the narrative summary

A "Low" quality alias is the UN's weak alias ("too broad to identify a person on its
own"): it becomes a name of kind ``weak``; "f.k.a." becomes ``former``. The original-
script name gets the language its script stands for (:func:`fields.script_lang`; the
file does not name the language). Dates of birth go to ``extra["birth_dates"]`` (ISO
partial dates; approximate ones also in ``extra["birth_dates_circa"]``, BETWEEN years
in ``extra["birth_date_ranges"]``), nationalities to ``extra["nationalities"]`` as ISO
codes. The file has no per-entry web page, so each listing points at the list.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from screener.errors import InputError
from screener.lists.parsers import xmlfile
from screener.lists.parsers.fields import (
    add_name,
    add_unique,
    country_code,
    country_codes,
    partial_date,
)
from screener.lists.parsers.xmlfile import children, text
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "UN Security Council Consolidated List"
AUTHORITY = "UN Security Council"
LIST_URL = "https://www.un.org/securitycouncil/content/un-sc-consolidated-list"
ALIAS_KINDS = {"good": "alias", "low": "weak", "a.k.a.": "alias", "f.k.a.": "former"}
_SEVERAL = re.compile(r";\s*|\s+[b-z]\)\s+")  # "A; B b) C" packed into one alias


def parse(path: Path) -> ParsedList:
    """Read the UN consolidated XML into one entity per INDIVIDUAL / ENTITY."""
    path = Path(path)
    attrs, records = xmlfile.records(
        path, ("CONSOLIDATED_LIST",), ("INDIVIDUAL", "ENTITY"), "UN consolidated list"
    )
    entities = [_entity(rec) for rec in records]
    if not entities:
        raise InputError(f"{path}: no INDIVIDUAL or ENTITY records")
    generated = attrs.get("dateGenerated", "")
    return ParsedList(
        entities,
        published=partial_date(generated[:10]),
        meta={"format": "un-sc-xml", "date_generated": generated or None},
    )


def _values(rec: ET.Element, name: str) -> list[str]:
    """The VALUE texts under each ``name`` child (NATIONALITY, TITLE, DESIGNATION ...)."""
    return [t for c in children(rec, name) for v in children(c, "VALUE") if (t := text(v))]


def _entity(rec: ET.Element) -> Entity:
    person = xmlfile.local(rec.tag) == "INDIVIDUAL"
    parts = [text(rec, p) for p in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(p for p in parts if p)
    ref = text(rec, "REFERENCE_NUMBER") or f"DATAID {text(rec, 'DATAID')}"
    ent = Entity(id=ref, name=name or ref, schema="person" if person else "organization")
    add_name(ent, ent.name, "primary")
    add_name(ent, text(rec, "NAME_ORIGINAL_SCRIPT"), "alias")
    for alias in children(rec, "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"):
        kind = ALIAS_KINDS.get(text(alias, "QUALITY").lower(), "alias")
        for one in _SEVERAL.split(text(alias, "ALIAS_NAME")):
            add_name(ent, one.strip(" ;,"), kind)
    for address in children(rec, "INDIVIDUAL_ADDRESS" if person else "ENTITY_ADDRESS"):
        line = ", ".join(
            t
            for t in (
                text(address, k)
                for k in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
            )
            if t
        )
        note = text(address, "NOTE")
        add_unique(ent.addresses, f"{line} ({note})" if line and note else line or note)
        add_unique(ent.countries, country_code(text(address, "COUNTRY")))
    nationalities = _values(rec, "NATIONALITY")
    codes = country_codes(nationalities)
    for code in codes:
        add_unique(ent.countries, code)
    program = text(rec, "UN_LIST_TYPE")
    ent.programs = [program] if program else []
    ent.listed_on = partial_date(text(rec, "LISTED_ON"))
    ent.source_url = LIST_URL
    ent.remarks = text(rec, "COMMENTS1") or None
    ent.identifiers = [f"UN reference {ref}", *_documents(rec)]
    ent.listings = [
        Listing(
            list=LIST_NAME,
            authority=AUTHORITY,
            listed_on=ent.listed_on,
            program=program or None,
            source_url=LIST_URL,
        )
    ]
    ent.sub_list = LIST_NAME
    extra: dict[str, object] = {
        "un_reference": ref,
        "dataid": text(rec, "DATAID") or None,
        "version": text(rec, "VERSIONNUM") or None,
        "nationalities": codes,
        "titles": _values(rec, "TITLE"),
        "positions": _values(rec, "DESIGNATION"),
        "last_updated": sorted(_values(rec, "LAST_DAY_UPDATED")),
        "list_types": _values(rec, "LIST_TYPE"),
        "gender": text(rec, "GENDER") or None,
    }
    if any(not country_codes([n]) for n in nationalities):
        extra["nationalities_as_written"] = nationalities
    if person:
        extra.update(_birth(rec))
    ent.extra = {k: v for k, v in extra.items() if v}
    return ent


def _birth(rec: ET.Element) -> dict[str, object]:
    dates: list[str] = []
    circa: list[str] = []
    ranges: list[list[str]] = []
    for dob in children(rec, "INDIVIDUAL_DATE_OF_BIRTH"):
        kind = text(dob, "TYPE_OF_DATE").upper()
        if kind == "BETWEEN":
            years = [text(dob, "FROM_YEAR"), text(dob, "TO_YEAR")]
            if all(years):
                ranges.append(years)
            continue
        date = partial_date(text(dob, "DATE")[:10]) or partial_date(text(dob, "YEAR"))
        add_unique(dates, date)
        if date and kind == "APPROXIMATELY":
            add_unique(circa, date)
    places: list[str] = []
    for pob in children(rec, "INDIVIDUAL_PLACE_OF_BIRTH"):
        add_unique(
            places,
            ", ".join(
                t
                for t in (text(pob, k) for k in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY"))
                if t
            ),
        )
    return {
        "birth_dates": dates,
        "birth_dates_circa": circa,
        "birth_date_ranges": ranges,
        "birth_places": places,
    }


def _documents(rec: ET.Element) -> list[str]:
    out: list[str] = []
    for doc in children(rec, "INDIVIDUAL_DOCUMENT"):
        number = text(doc, "NUMBER")
        if not number:
            continue
        kind = text(doc, "TYPE_OF_DOCUMENT") or text(doc, "TYPE_OF_DOCUMENT2") or "Document"
        country = text(doc, "ISSUING_COUNTRY") or text(doc, "COUNTRY_OF_ISSUE")
        add_unique(out, f"{kind} {number}" + (f" ({country})" if country else ""))
    return out
