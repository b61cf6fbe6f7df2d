"""GLEIF Level 2 relationship records (RR-CDF XML) as ownership links.

A relationship file (``rr:RelationshipData``, namespace
``http://www.gleif.org/data/schema/rr/2016``) holds one ``rr:RelationshipRecord`` per
relationship between two LEIs: ``StartNode`` (the child) and ``EndNode`` (the parent),
a ``RelationshipType``, ``RelationshipPeriods`` (each a ``StartDate``, an optional
``EndDate`` and a ``PeriodType``), a ``RelationshipStatus`` (ACTIVE / INACTIVE),
optional ``RelationshipQuantifiers`` (a percentage) and a ``Registration`` whose
``ValidationReference`` may point at the filing checked.

Only accounting consolidation counts as ownership here: ``IS_DIRECTLY_CONSOLIDATED_BY``
(the direct parent) and ``IS_ULTIMATELY_CONSOLIDATED_BY`` (the ultimate parent) become
links of kind ``subsidiary`` with ``controlled`` true (consolidation means control);
fund relationships (``IS_FUND-MANAGED_BY``, ``IS_SUBFUND_OF``, ``IS_FEEDER_TO``) are
left out. ``as_of`` is the start of the relationship period, ``end_date`` its end; an
INACTIVE relationship without an end date ends on its last update. A percentage
quantifier gives the share; without one the share is unknown.

GLEIF's relationship file names no one: names and countries come from Level 1 LEI
records (``lei:LEIRecord``: ``LegalName``, ``OtherEntityNames``,
``TransliteratedOtherEntityNames``, ``LegalAddress/Country``), read from ``names``
or from a ``lei-data.xml`` beside the file. An LEI without a record keeps the LEI as
its name.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.model import OwnershipLink, ParsedLinks

RR = "{http://www.gleif.org/data/schema/rr/2016}"
LEI = "{http://www.gleif.org/data/schema/leidata/2016}"
CONSOLIDATION = {
    "IS_DIRECTLY_CONSOLIDATED_BY": "direct parent",
    "IS_ULTIMATELY_CONSOLIDATED_BY": "ultimate parent",
}
NAMES_FILE = "lei-data.xml"


def parse(path: Path, names: Path | None = None) -> ParsedLinks:
    """The consolidation relationships of ``path`` as links child -> parent."""
    path = Path(path)
    _refuse_dtd(path)
    names_path = Path(names) if names else path.with_name(NAMES_FILE)
    parties = read_names(names_path) if names_path.exists() and names_path != path else {}
    records, published, skipped = [], None, 0
    try:
        for _, el in ET.iterparse(path, events=("end",)):
            if el.tag == f"{RR}ContentDate":
                published = (el.text or "")[:10] or None
            elif el.tag == f"{RR}RelationshipRecord":
                rec = _record(el)
                if rec is None:
                    skipped += 1
                else:
                    records.append(rec)
                el.clear()
    except ET.ParseError as e:
        raise InputError(f"{path}: not valid XML ({e})") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    if not records and not skipped:
        raise InputError(f"{path}: not a GLEIF relationship file (no rr:RelationshipRecord)")
    children = {r["child"] for r in records}
    links = []
    for r in records:
        child_name, aliases, country = parties.get(r["child"], (r["child"], [], None))
        owner = parties.get(r["parent"])
        links.append(
            OwnershipLink(
                child_key=lei_key(r["child"]),
                child_name=child_name,
                child_aliases=[a for a in aliases if a != child_name],
                child_country=country,
                owner_name=owner[0] if owner else r["parent"],
                owner_key=lei_key(r["parent"]) if r["parent"] in children else None,
                share=r["share"],
                controlled=True,
                kind="subsidiary",
                as_of=r["start"],
                end_date=r["end"],
                source=r["source"],
                note=r["note"],
            )
        )
    meta = {
        "format": "gleif-rr",
        "relationships": len(records),
        "skipped_not_consolidation": skipped,
        "lei_records": len(parties),
    }
    if parties:
        meta["names_file"] = str(names_path)
    return ParsedLinks(links, published=published, meta=meta)


def lei_key(lei: str) -> str:
    """The node id of a party known by its LEI."""
    return f"lei-{lei.lower()}"


def read_names(path: Path) -> dict[str, tuple[str, list[str], str | None]]:
    """LEI -> (legal name, other names, country) from a Level 1 LEI-CDF file."""
    _refuse_dtd(path)
    out: dict[str, tuple[str, list[str], str | None]] = {}
    try:
        for _, el in ET.iterparse(path, events=("end",)):
            if el.tag != f"{LEI}LEIRecord":
                continue
            lei = _text(el.find(f"{LEI}LEI"))
            entity = el.find(f"{LEI}Entity")
            name = _text(entity.find(f"{LEI}LegalName")) if entity is not None else None
            if lei and name and entity is not None:
                others = [
                    _text(x)
                    for tag in ("OtherEntityNames", "TransliteratedOtherEntityNames")
                    for x in entity.iter(f"{LEI}{tag[:-1]}")
                ]
                country = _text(entity.find(f"{LEI}LegalAddress/{LEI}Country"))
                out[lei] = (name, [x for x in others if x], country.lower() if country else None)
            el.clear()
    except ET.ParseError as e:
        raise InputError(f"{path}: not valid XML ({e})") from None
    return out


def _record(el: ET.Element) -> dict[str, Any] | None:
    rel = el.find(f"{RR}Relationship")
    if rel is None:
        return None
    kind = _text(rel.find(f"{RR}RelationshipType"))
    if kind not in CONSOLIDATION:
        return None
    child = _text(rel.find(f"{RR}StartNode/{RR}NodeID"))
    parent = _text(rel.find(f"{RR}EndNode/{RR}NodeID"))
    if not child or not parent:
        return None
    start = end = None
    for p in rel.iter(f"{RR}RelationshipPeriod"):
        if _text(p.find(f"{RR}PeriodType")) == "RELATIONSHIP_PERIOD":
            start = _day(p.find(f"{RR}StartDate"))
            end = _day(p.find(f"{RR}EndDate"))
    status = _text(rel.find(f"{RR}RelationshipStatus"))
    reg = el.find(f"{RR}Registration")
    updated = _day(reg.find(f"{RR}LastUpdateDate")) if reg is not None else None
    note = f"GLEIF: {child} {kind} {parent} ({CONSOLIDATION[kind]}), status {status}"
    if status == "INACTIVE" and not end:
        end = updated
        note += f"; inactive, so taken as ended on its last update {updated}"
    share = None
    for q in rel.iter(f"{RR}RelationshipQuantifier"):
        if _text(q.find(f"{RR}QuantifierUnits")) == "PERCENTAGE":
            try:
                share = float(_text(q.find(f"{RR}QuantifierAmount")) or "")
            except ValueError:
                share = None
    if reg is not None and _text(reg.find(f"{RR}RegistrationStatus")):
        note += f"; registration {_text(reg.find(f'{RR}RegistrationStatus'))}"
    ref = _text(reg.find(f"{RR}ValidationReference")) if reg is not None else None
    source = ref or f"GLEIF Level 2 relationship record {child} {kind} {parent}"
    return {
        "child": child,
        "parent": parent,
        "start": start,
        "end": end,
        "share": share,
        "source": source,
        "note": note,
    }


def _text(el: ET.Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return " ".join(el.text.split()) or None


def _day(el: ET.Element | None) -> str | None:
    t = _text(el)
    return t[:10] if t else None


def _refuse_dtd(path: Path) -> None:
    """GLEIF files declare no DTD; one that does is refused before parsing (entity
    expansion is how XML bombs work)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise InputError(f"{path}: declares a DTD; GLEIF files have none, so it is refused")
