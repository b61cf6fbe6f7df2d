"""A Federal Register rule that adds entries to the BIS Entity List, in FR (GPO) XML.

This is the XML federalregister.gov serves for one document
(``/documents/full_text/xml/YYYY/MM/DD/<document number>.xml``): a ``RULE`` with
``PREAMB`` (AGENCY, SUBAGY, CFR, SUBJECT, EFFDATE "This rule is effective February 24,
2023."), ``SUPLINF`` and ``FRDOC`` ("[FR Doc. 2023-03929 Filed 2-24-23; 8:45 am]").
A GPO daily-issue file (``FEDREG`` holding several ``RULE``s) is read the same way.
Page breaks are ``<PRTPAGE P="12172"/>`` markers: what follows one is printed on that
page; what comes before the first is on the page before it.

The Entity List entries are in the Supplement No. 4 table, a ``GPOTABLE`` of five
columns: Country, Entity, License requirement, License review policy, Federal
Register citation. Its rows are, in order:

* a country row ("CHINA, PEOPLE'S REPUBLIC OF") opening that country's entries;
* an entry row: the entity cell holds the name ("X, a.k.a., the following two
  aliases:"), one ``<LI>`` per alias ("—AOOK;") and ``<LI>`` addresses (several joined
  by "; and"); then the licence requirement, review policy and citation cells;
* a continuation row (entity cell only) with more addresses of the entry above;
* elision rows ("* * *") and the header row, skipped.

``<SU>3</SU>`` after a section number is a footnote mark: it is taken out of the text
and kept in ``extra["footnotes"]``; ``9<SU>th</SU>`` is an ordinal and stays "9th".

Each entry is one entity (an entity listed under three destinations is three
entries, as on the Entity List), with one "Entity List" listing whose citation is the
volume and the page where the entry's name is printed ("88 FR 12172"). The rule
prints its own citation as "88 FR [INSERT FR PAGE NUMBER AND 2/27/2023]": the volume
and publication date come from there. The listing date is the publication date (as
the Consolidated Screening List dates Entity List entries); the effective date is in
``extra["effective_date"]``. The source URL is the document's federalregister.gov
address. An entity cell without ``<LI>`` items ("Name, address") is split before the
first comma-separated part that holds a digit; check such entries by hand.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from screener.errors import InputError
from screener.lists.parsers import xmlfile
from screener.lists.parsers.fields import add_name, add_unique, clean, country_code, partial_date
from screener.lists.parsers.xmlfile import local
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "Entity List"
AUTHORITY = "US Commerce BIS"
DOC_URL = "https://www.federalregister.gov/d/{}"
_PLACEHOLDER = re.compile(
    r"(\d+)\s*FR\s*\[\s*INSERT FR PAGE NUMBER AND\s*([\d/]+)\s*\]", re.IGNORECASE
)
_FOLLOWING = re.compile(
    r"^(?P<name>.+?),?\s*(?:(?P<akind>[af])\.k\.a\.,?\s*)?the following "
    r"(?:\w+ )?alias(?:es)?:?$",
    re.IGNORECASE,
)
_SEE = re.compile(r"\s*\((?:See|Also see)\b[^)]*\)\.?", re.IGNORECASE)
_ABBREVIATIONS = {
    "co",
    "corp",
    "inc",
    "ltd",
    "llc",
    "s.a",
    "b.v",
    "n.v",
    "jr",
    "sr",
    "st",
    "no",
    "bhd",
    "pte",
    "pvt",
    "plc",
    "gmbh",
    "s.r.l",
    "e.u",
    "u.s",
}
_LEGAL_PARTS = re.compile(
    r"^(?:ltd|limited|inc|llc|l\.l\.c|s\.a|jsc|co|plc|gmbh|pte|pvt)\.?$", re.IGNORECASE
)
_STARS = re.compile(r"^[*\s]+$")


def parse(path: Path) -> ParsedList:
    """Read the Entity List entries that a Federal Register rule adds."""
    path = Path(path)
    root = xmlfile.parse(path, ("RULE", "FEDREG", "RULES"), "Federal Register rule")
    pages = _pages(root)
    rules = [r for r in root.iter() if local(r.tag) == "RULE"]  # the root itself, or in FEDREG
    entities: list[Entity] = []
    meta: dict[str, object] = {"format": "fr-rule-xml", "documents": []}
    for rule in rules:
        doc = _document(rule, root)
        meta["documents"].append(doc)  # type: ignore[attr-defined]
        for table in (t for t in rule.iter() if local(t.tag) == "GPOTABLE"):
            entities += _table(table, pages, doc)
    if not entities:
        raise InputError(
            f"{path}: no Entity List table (Supplement No. 4 to Part 744) in "
            "this Federal Register document"
        )
    published = next((d["published"] for d in meta["documents"] if d["published"]), None)  # type: ignore[attr-defined]
    return ParsedList(entities, published=published, meta=meta)


def _pages(root: ET.Element) -> dict[int, int]:
    """id(element) -> the page it starts on, from the PRTPAGE markers in document order."""
    markers = [
        int(m)
        for e in root.iter()
        if local(e.tag) == "PRTPAGE" and (m := (e.get("P") or "").strip()).isdigit()
    ]
    page = markers[0] - 1 if markers else 0
    out: dict[int, int] = {}
    for e in root.iter():
        if local(e.tag) == "PRTPAGE" and (e.get("P") or "").strip().isdigit():
            page = int(e.get("P", "0"))
        out[id(e)] = page
    return out


def _text(e: ET.Element) -> str:
    return clean("".join(e.itertext()))


def _document(rule: ET.Element, root: ET.Element) -> dict[str, str | None]:
    frdoc = next((_text(e) for e in rule.iter() if local(e.tag) == "FRDOC"), "")
    number = m.group(1) if (m := re.search(r"FR Doc\.?\s*([\w-]+)", frdoc)) else None
    cells = " ".join(_text(e) for e in rule.iter() if local(e.tag) == "ENT")
    placeholder = _PLACEHOLDER.search(cells)
    volume = placeholder.group(1) if placeholder else None
    published = partial_date(placeholder.group(2), "mdy") if placeholder else None
    if volume is None and (vol := next((e for e in root.iter() if local(e.tag) == "VOL"), None)):
        volume = clean(vol.text) or None
    effdate = next((_text(e) for e in rule.iter() if local(e.tag) == "EFFDATE"), "")
    effective = m2.group(0) if (m2 := re.search(r"[A-Z][a-z]+\.? \d{1,2}, \d{4}", effdate)) else ""
    subject = next((_text(e) for e in rule.iter() if local(e.tag) == "SUBJECT"), "")
    return {
        "document_number": number,
        "volume": volume,
        "published": published,
        "effective_date": partial_date(effective),
        "title": subject or None,
        "url": DOC_URL.format(number) if number else None,
    }


def _render(elem: ET.Element, notes: list[str]) -> list[str]:
    """The cell as text segments: the text before the first LI, then one per LI."""
    segments: list[str] = []
    current: list[str] = [elem.text or ""]

    def inline(child: ET.Element, into: list[str]) -> None:
        tag = local(child.tag)
        if tag == "SU":
            mark = clean(child.text)
            if mark.isdigit():
                add_unique(notes, mark)
            else:  # an ordinal suffix: "9" + "th"
                into[-1] = into[-1].rstrip()
                into.append(mark)
        elif tag != "PRTPAGE":
            into.append(child.text or "")
            for sub in child:
                inline(sub, into)
        into.append(child.tail or "")

    for child in elem:
        if local(child.tag) == "LI":
            segments.append("".join(current))
            item: list[str] = [child.text or ""]
            for sub in child:
                inline(sub, item)
            segments.append("".join(item))
            current = [child.tail or ""]
        else:
            inline(child, current)
    segments.append("".join(current))
    return [s for s in (clean(x) for x in segments) if s]


def _table(table: ET.Element, pages: dict[int, int], doc: dict[str, str | None]) -> list[Entity]:
    entities: list[Entity] = []
    country = ""
    for row in (r for r in table if local(r.tag) == "ROW"):
        cells = [c for c in row if local(c.tag) == "ENT"]
        texts = [_text(c) for c in cells]
        if not cells or (texts[0] == "Country" and len(texts) > 1 and texts[1] == "Entity"):
            continue
        if texts[0] and not _STARS.match(texts[0]):
            country = texts[0]
            continue
        if len(cells) < 2 or not texts[1] or _STARS.match(texts[1]):
            continue
        if len(cells) == 2 and entities:  # more addresses of the entry above
            for segment in _render(cells[1], entities[-1].extra.setdefault("footnotes", [])):
                _add_addresses(entities[-1], segment)
            continue
        entities.append(_entry(cells, country, pages[id(cells[1])], doc))
    return entities


def _entry(cells: list[ET.Element], country: str, page: int, doc: dict[str, str | None]) -> Entity:
    notes: list[str] = []
    segments = _render(cells[1], notes)
    name, aliases, addresses, former = _split_entity(segments)
    code = country_code(country)
    number = doc["document_number"] or "fr"
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    ent = Entity(id=f"{number}/{code or 'xx'}/{slug}", name=name, schema="unknown")
    add_name(ent, name, "primary")
    for alias in aliases:
        add_name(ent, alias, "former" if former else "alias")
    for address in addresses:
        _add_addresses(ent, address)
    add_unique(ent.countries, code)
    requirement = " ".join(_render(cells[2], notes)) if len(cells) > 2 else ""
    policy = " ".join(_render(cells[3], notes)) if len(cells) > 3 else ""
    printed = " ".join(_render(cells[4], notes)) if len(cells) > 4 else ""
    citation = f"{doc['volume']} FR {page}" if doc["volume"] and page else None
    full = _PLACEHOLDER.sub(lambda m: f"{m.group(1)} FR {page}, {m.group(2)}", printed)
    ent.listings = [
        Listing(
            list=LIST_NAME,
            authority=AUTHORITY,
            citation=citation if _PLACEHOLDER.search(printed) or not printed else printed,
            listed_on=doc["published"],
            license_requirement=requirement or None,
            license_policy=policy or None,
            source_url=doc["url"],
        )
    ]
    main = ent.listings[0]
    ent.citation, ent.listed_on, ent.source_url = main.citation, main.listed_on, main.source_url
    ent.license_requirement, ent.license_policy = main.license_requirement, main.license_policy
    ent.sub_list = LIST_NAME
    ent.extra.update(
        {
            "country": country,
            "page": page or None,
            "volume": doc["volume"],
            "citation_as_printed": printed or None,
            "citations": full or None,
            "document_number": doc["document_number"],
            "published": doc["published"],
            "effective_date": doc["effective_date"],
            "footnotes": notes,
        }
    )
    ent.extra = {k: v for k, v in ent.extra.items() if v}
    return ent


def _split_entity(segments: list[str]) -> tuple[str, list[str], list[str], bool]:
    """(name, aliases, address texts, aliases are former names) of an entity cell."""
    if not segments:
        return "", [], [], False
    head, rest = segments[0], segments[1:]
    m = _FOLLOWING.match(head)
    former = bool(m and (m.group("akind") or "").lower() == "f")
    if m:
        name = m.group("name")
    elif rest:
        name = head
    else:
        name, address = _name_and_address(head)
        return name, [], [address] if address else [], False
    aliases = [_alias(s) for s in rest if s[:1] in "—–-"]
    addresses = [s for s in rest if s[:1] not in "—–-"]
    return name.rstrip(" ,"), [a for a in aliases if a], addresses, former


def _alias(text: str) -> str:
    text = re.sub(r"(?:;\s*(?:and)?|\s+and)$", "", text.lstrip("—–- ").strip()).strip()
    return _strip_period(text)


def _strip_period(text: str) -> str:
    """Drop a sentence's final period, but not an abbreviation's ("Co.", "S.A.")."""
    if not text.endswith("."):
        return text
    last = text[:-1].rsplit(" ", 1)[-1].lower()
    return text if last in _ABBREVIATIONS or "." in last else text[:-1]


def _name_and_address(text: str) -> tuple[str, str]:
    """'Name Co., Ltd., No. 5 Road, City, China.' -> (name, address), best effort."""
    parts = [p.strip() for p in text.split(",")]
    at = next((i for i, p in enumerate(parts) if i and re.search(r"\d", p)), None)
    if at is None:
        at = 1 if len(parts) > 2 and country_code(parts[-1].rstrip(".")) else len(parts)
        while at < len(parts) and _LEGAL_PARTS.match(parts[at]):
            at += 1
    return ", ".join(parts[:at]).rstrip(" ,"), ", ".join(parts[at:])


def _add_addresses(ent: Entity, text: str) -> None:
    for note in _SEE.findall(text):
        add_unique(ent.extra.setdefault("notes", []), clean(note).strip(" ."))
    text = _SEE.sub("", text)
    for address in re.split(r";\s*(?:and\s+)?", text):
        address = _strip_period(clean(address).strip(" ;"))
        if address and address.lower() != "and":
            add_unique(ent.addresses, address)
            last = address.rsplit(",", 1)[-1]
            add_unique(ent.countries, country_code(last) or country_code(last.split()[-1]))
