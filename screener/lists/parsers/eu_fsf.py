"""EU Financial Sanctions Files (FSF): the EU consolidated list in its XML export (v1.1).

The root is ``export`` (namespace ``http://eu.europa.ec/fpi/fsd/export``, attributes
``generationDate``, ``globalFileId``); each ``sanctionEntity`` (attributes
``logicalId``, ``euReferenceNumber``, ``unitedNationId``, ``designationDate``,
``designationDetails``) holds:

    regulation       the act it is listed under: regulationType, publicationDate,
                     entryIntoForceDate, numberTitle ("2019/555 (OJ L97)"), programme
                     (the regime code: TAQA, PRK, RUS, TERR ...) and a publicationUrl
    subjectType      code "person" or "enterprise"
    nameAlias        firstName, middleName, lastName, wholeName, function, gender, title,
                     nameLanguage, strong ("false" = a weak alias); each name, address
                     ... also carries the regulationSummary of the act that added it
    citizenship      countryIso2Code, countryDescription, region
    birthdate        birthdate (full date) or year / monthOfYear / dayOfMonth, circa,
                     city, place, region, countryDescription
    address          street, poBox, zipCode, city, region, place, countryIso2Code
    identification   identificationTypeDescription, number, countryDescription ...
    remark           free text

``Entity.id`` is the ``logicalId``; the EU and UN reference numbers go to
``identifiers``. The first strong name is the primary name; ``strong="false"`` names are
``weak``; a name's ``nameLanguage`` (ISO 639-1) is its language, else its script's.
The listing's citation is the act's ``numberTitle`` and its URL the act's
``publicationUrl`` on EUR-Lex; ``designationDate`` is the listing date when given.
Country code ``00`` means unknown and is dropped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from screener.errors import InputError
from screener.lists.parsers import xmlfile
from screener.lists.parsers.fields import (
    add_name,
    add_unique,
    clean,
    country_code,
    partial_date,
    script_lang,
)
from screener.lists.parsers.xmlfile import children, text
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "EU Consolidated Financial Sanctions List"
AUTHORITY = "European Union (Council of the EU / European Commission)"
LIST_URL = "https://webgate.ec.europa.eu/fsd/fsf"
SCHEMAS = {"person": "person", "enterprise": "organization", "vessel": "vessel"}


def parse(path: Path) -> ParsedList:
    """Read an EU FSF XML export into one entity per sanctionEntity."""
    path = Path(path)
    attrs, records = xmlfile.records(path, ("export",), ("sanctionEntity",), "EU FSF")
    entities: list[Entity] = []
    seen: set[str] = set()
    duplicates: list[str] = []
    for rec in records:
        ent = _entity(rec)
        if ent is None:
            continue
        if ent.id in seen:
            duplicates.append(ent.id)
        seen.add(ent.id)
        entities.append(ent)
    if not entities:
        raise InputError(f"{path}: no sanctionEntity with a name")
    meta = {
        "format": "eu-fsf-xml",
        "global_file_id": attrs.get("globalFileId"),
        "generation_date": attrs.get("generationDate"),
        "duplicate_ids": duplicates,
    }
    return ParsedList(
        entities,
        published=partial_date(attrs.get("generationDate", "")[:10]),
        meta={k: v for k, v in meta.items() if v},
    )


def _attr(elem: ET.Element, name: str) -> str:
    return clean(elem.get(name))


def _entity(rec: ET.Element) -> Entity | None:
    aliases = children(rec, "nameAlias")
    names = [
        (
            a,
            _attr(a, "wholeName")
            or " ".join(
                p
                for p in (_attr(a, "firstName"), _attr(a, "middleName"), _attr(a, "lastName"))
                if p
            ),
        )
        for a in aliases
    ]
    names = [(a, n) for a, n in names if n]
    if not names:
        return None
    primary = next((n for a, n in names if _attr(a, "strong") != "false"), names[0][1])
    subject = next(iter(children(rec, "subjectType")), None)
    code = _attr(subject, "code") if subject is not None else ""
    ent = Entity(
        id=_attr(rec, "logicalId") or _attr(rec, "euReferenceNumber") or primary,
        name=primary,
        schema=SCHEMAS.get(code, "unknown"),
    )
    add_name(ent, primary, "primary")
    extra: dict[str, list[str]] = {
        k: []
        for k in (
            "titles",
            "positions",
            "genders",
            "nationalities",
            "birth_dates",
            "birth_dates_circa",
            "birth_places",
            "regulations",
        )
    }
    for alias, name in names:
        lang = _attr(alias, "nameLanguage").lower() or None
        kind = "weak" if _attr(alias, "strong") == "false" else "alias"
        add_name(ent, name, kind, lang if lang and script_lang(name) else None)
        add_unique(extra["titles"], _attr(alias, "title"))
        add_unique(extra["positions"], _attr(alias, "function"))
        add_unique(extra["genders"], _attr(alias, "gender"))
    for cit in children(rec, "citizenship"):
        add_unique(extra["nationalities"], _country(cit))
    for born in children(rec, "birthdate"):
        _birth(born, extra)
    for address in children(rec, "address"):
        parts = [
            _attr(address, k)
            for k in ("street", "poBox", "zipCode", "city", "region", "place", "countryDescription")
        ]
        line = ", ".join(p for p in parts if p and p != "UNKNOWN")
        add_unique(ent.addresses, line)
        add_unique(ent.countries, _country(address))
    for code in extra["nationalities"]:
        add_unique(ent.countries, code)
    eu_ref, un_ref = _attr(rec, "euReferenceNumber"), _attr(rec, "unitedNationId")
    ent.identifiers = [f"EU reference {eu_ref}"] if eu_ref else []
    ent.identifiers += [f"UN reference {un_ref}"] if un_ref else []
    ent.identifiers += [
        _identification(i) for i in children(rec, "identification") if _attr(i, "number")
    ]
    remarks = [text(r) for r in children(rec, "remark") if text(r)]
    ent.remarks = " | ".join(remarks) or None
    ent.listings = [_listing(reg, rec) for reg in children(rec, "regulation")] or [
        Listing(
            list=LIST_NAME,
            authority=AUTHORITY,
            listed_on=partial_date(_attr(rec, "designationDate")),
            source_url=LIST_URL,
        )
    ]
    for reg in children(rec, "regulation"):
        add_unique(extra["regulations"], _attr(reg, "numberTitle"))
    ent.programs = [ls.program for ls in ent.listings if ls.program]
    main = ent.listings[0]
    ent.sub_list, ent.listed_on, ent.citation = LIST_NAME, main.listed_on, main.citation
    ent.source_url = main.source_url
    ent.extra = {
        "eu_reference": eu_ref or None,
        "un_reference": un_ref or None,
        "designation_details": _attr(rec, "designationDetails") or None,
        **{k: v for k, v in extra.items() if v},
    }
    ent.extra = {k: v for k, v in ent.extra.items() if v}
    return ent


def _listing(reg: ET.Element, rec: ET.Element) -> Listing:
    url = text(reg, "publicationUrl")
    return Listing(
        list=LIST_NAME,
        authority=AUTHORITY,
        citation=_attr(reg, "numberTitle") or None,
        listed_on=partial_date(_attr(rec, "designationDate")),
        program=_attr(reg, "programme") or None,
        source_url=url or LIST_URL,
    )


def _country(elem: ET.Element) -> str | None:
    code = _attr(elem, "countryIso2Code")
    if code and code != "00":
        return code.lower()
    return country_code(_attr(elem, "countryDescription"))


def _birth(born: ET.Element, extra: dict[str, list[str]]) -> None:
    date = partial_date(_attr(born, "birthdate"))
    if date is None and _attr(born, "year").isdigit():
        y, m, d = (_attr(born, k) for k in ("year", "monthOfYear", "dayOfMonth"))
        date = partial_date("-".join(p.zfill(2) for p in (y, m, d) if p.isdigit()))
    add_unique(extra["birth_dates"], date)
    if date and _attr(born, "circa") == "true":
        add_unique(extra["birth_dates_circa"], date)
    place = ", ".join(
        p
        for p in (_attr(born, k) for k in ("place", "city", "region", "countryDescription"))
        if p and p not in ("-", "UNKNOWN")
    )
    add_unique(extra["birth_places"], place)


def _identification(elem: ET.Element) -> str:
    kind = _attr(elem, "identificationTypeDescription") or _attr(elem, "identificationTypeCode")
    country = _attr(elem, "countryDescription")
    country = "" if country in ("", "UNKNOWN") else f" ({country})"
    return f"{kind or 'Identification'} {_attr(elem, 'number')}{country}"
