"""Canada's Consolidated Canadian Autonomous Sanctions List (Global Affairs Canada), XML.

``sema-lmes.xml`` is a ``data-set`` of flat ``record`` elements, one per listed person,
entity or ship, under the Special Economic Measures Act (SEMA) and the Justice for
Victims of Corrupt Foreign Officials Act (JVCFOA):

    Country                     the regime, bilingual: "Russia / Russie", "China / Chine",
                                "Justice for Victims of Corrupt Foreign Officials
                                Regulations (JVCFOR) / Règlement ..." (trailing spaces vary)
    LastName, GivenName         a person's name
    EntityOrShip                an entity's or ship's name; may say "(also known as X)"
    TitleOrShip                 a person's title, or a ship's type
    Aliases                     every other name in one string: "A; B", "A, B"
    DateOfBirthOrShipBuildDate  "1972", "1955-11", "1965-04-29"
    ShipIMONumber               ships only
    Schedule, Item              where the regulations list it ("1, Part 1", item 112)
    DateOfListing

Newer files name each element in both languages ("LastName-NomDeFamille",
"TitleOrShipType-TitreOuTypeDeNavire"); elements are read by their English part, so
both forms import.

There is no id: (regime, schedule, item) is the key, so ``Entity.id`` is
``"Russia | 1, Part 1 | item 112"``. Aliases are split on ";" and ","; in a person's
aliases a one-word piece ("SALIAIEV" in "Aleksei, Oleksii SALYAYEV, SALIAIEV") is a
spelling fragment and becomes a ``weak`` name. Names in Cyrillic, Arabic or Chinese script get their
script's language. The regime is the programme, not the entity's country, so
``countries`` stays empty.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from screener.errors import InputError
from screener.lists.parsers import xmlfile
from screener.lists.parsers.fields import add_name, birth_dates, clean, partial_date
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "Consolidated Canadian Autonomous Sanctions List"
AUTHORITY = "Government of Canada (Global Affairs Canada)"
LIST_URL = (
    "https://www.international.gc.ca/world-monde/international_relations-"
    "relations_internationales/sanctions/consolidated-consolide.aspx?lang=eng"
)
_AKA = re.compile(
    r"\(\s*(?:also known as|a\.k\.a\.?|formerly known as|formerly)\s+([^)]*)\)?", re.IGNORECASE
)


def parse(path: Path) -> ParsedList:
    """Read ``sema-lmes.xml`` into one entity per record."""
    path = Path(path)
    _, records = xmlfile.records(path, ("data-set",), ("record",), "Canadian sanctions list")
    entities = [e for e in (_entity(rec) for rec in records) if e is not None]
    if not entities:
        raise InputError(f"{path}: no record with a name")
    return ParsedList(entities, meta={"format": "ca-sema-xml"})


ENGLISH = {"TitleOrShipType": "TitleOrShip"}  # newer files' name -> the older one


def _fields(rec: ET.Element) -> dict[str, str]:
    """Child text by English element name, raw (``Aliases`` keeps its line breaks)."""
    out: dict[str, str] = {}
    for child in rec:
        name = xmlfile.local(child.tag).split("-")[0]
        out[ENGLISH.get(name, name)] = child.text or ""
    return out


def _entity(rec: ET.Element) -> Entity | None:
    raw = _fields(rec)

    def text(name: str) -> str:
        return clean(raw.get(name))

    regime_full = text("Country")
    regime = clean(regime_full.split(" / ")[0])
    schedule, item = text("Schedule"), text("Item")
    person_name = " ".join(p for p in (text("GivenName"), text("LastName")) if p)
    other = text("EntityOrShip")
    imo = text("ShipIMONumber")
    name, former_names, akas = person_name, [], []
    if not person_name:
        akas = [clean(m) for m in _AKA.findall(other)]
        name = clean(_AKA.sub("", other))
        former_names = [
            a for a, m in zip(akas, _AKA.finditer(other)) if "formerly" in m.group(0).lower()
        ]
    if not name:
        return None
    schema = "person" if person_name else "vessel" if imo else "organization"
    ent = Entity(
        id=" | ".join(p for p in (regime, schedule, f"item {item}") if p), name=name, schema=schema
    )
    add_name(ent, name, "primary")
    for alias in akas:
        add_name(ent, alias, "former" if alias in former_names else "alias")
    for piece in re.split(r"[;,]", raw.get("Aliases", "")):
        piece = clean(piece)
        fragment = schema == "person" and len(piece.split()) == 1
        add_name(ent, piece, "weak" if fragment else "alias")
    listed = partial_date(text("DateOfListing"))
    ent.programs = [regime] if regime else []
    ent.listings = [
        Listing(
            list=LIST_NAME,
            authority=AUTHORITY,
            listed_on=listed,
            program=regime or None,
            source_url=LIST_URL,
        )
    ]
    ent.listed_on, ent.sub_list, ent.source_url = listed, LIST_NAME, LIST_URL
    ent.identifiers = [f"IMO {imo}"] if imo else []
    extra: dict[str, object] = {"regime": regime_full, "schedule": schedule, "item": item}
    born = text("DateOfBirthOrShipBuildDate")
    if schema == "person":
        dates, circa, _ = birth_dates(born)
        extra.update(birth_dates=dates, birth_dates_circa=circa, titles=[text("TitleOrShip")])
    else:
        extra.update(build_date=partial_date(born), vessel_type=text("TitleOrShip"), imo_number=imo)
    ent.extra = {k: v for k, v in extra.items() if v and v != [""]}
    return ent
