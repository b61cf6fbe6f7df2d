"""The FCC Covered List (format ``fcc-covered``): equipment and services that pose an
unacceptable risk to US national security (Secure and Trusted Communications Networks Act
of 2019, 47 U.S.C. 1601 et seq.; 47 CFR 1.50002).

The FCC publishes the list as an HTML table on https://www.fcc.gov/supplychain/coveredlist:
one row per entry, two columns, "Covered Equipment or Services" (free text naming the
producer or provider) and "Date of Inclusion on Covered List" ("March 12, 2021"; an entry
changed later reads "December 22, 2025Updated:January 7, 2026..."). The importer reads
that page, or the same two columns as CSV (``covered_equipment_or_services,
date_of_inclusion_on_covered_list``, as OpenSanctions scrapes it).

Each entry that names a company becomes one entity per company: "produced by Huawei
Technologies Company" -> Huawei Technologies Company; "provided by Pacific Networks Corp
and its wholly-owned subsidiary ComNet (USA) LLC" -> both, the subsidiary with its parent.
The entry's text is the listing's ``effect`` (what equipment or service is covered), its
first date the listing date, and later updates are kept in ``remarks``. An entry that
covers equipment named by a statute rather than by the FCC's own text (the December 2025
entry for "equipment and services listed in Section 1709(a)(1)" of the FY2025 NDAA) names
the companies that section names (:data:`NAMED_BY_STATUTE`). An entry covering a class of
equipment from any foreign producer (drones, routers, power inverters) names no party a
name can be screened against: it is counted in ``meta["classes"]``, not made an entity.
The list's date (``published``) is its newest inclusion or update date.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

from screener.errors import InputError
from screener.lists.parsers.fields import add_name, partial_date
from screener.lists.parsers.tabular import sniff
from screener.lists.parsers.textfile import read_text
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "FCC Covered List"
AUTHORITY = "US FCC"
PAGE = "https://www.fcc.gov/supplychain/coveredlist"
# Companies a statute names where the FCC's entry only cites the statute. Section
# 1709(a)(1) of the FY2025 NDAA (Pub. L. 118-159) names the communications or video
# surveillance equipment of Shenzhen Da-Jiang Innovations Sciences and Technologies
# Company Limited ("DJI Technologies") and of Autel Robotics (checked against the text
# quoted in the House request to ODNI of 2025, stefanik.house.gov).
NAMED_BY_STATUTE = {
    "1709(a)(1)": (
        (
            "Shenzhen Da-Jiang Innovations Sciences and Technologies Company Limited",
            ("DJI Technologies", "DJI"),
        ),
        ("Autel Robotics", ()),
    ),
}
_BY = re.compile(
    r"\b(?:produced|provided|supplied)(?: or provided)?(?:,? directly or indirectly,?)? by "
    r"(?P<name>.+?)(?:,? (?:including|to the extent|subject to|or any of its|or any)\b|\.\s*$|$)"
)
_SUBSIDIARY = re.compile(r"\s+and its (?:wholly[- ]owned )?subsidiary\s+", re.I)
_STATUTE = re.compile(r"Section\s+(\d+\([a-z]\)\(\d+\))", re.I)
_DATE = re.compile(r"[A-Z][a-z]+\.? \d{1,2}, \d{4}")


def parse(path: Path) -> ParsedList:
    """Read the Covered List page (HTML) or its two columns as CSV."""
    path = Path(path)
    rows = _html_rows(path) if sniff(path) == "html" else _csv_rows(path)
    if not rows:
        raise InputError(f"{path}: no Covered List entries (no table of covered equipment)")
    entities: list[Entity] = []
    classes: list[str] = []
    dates: list[str] = []
    for i, (text, when) in enumerate(rows, start=1):
        found = [d for d in map(_date, _DATE.findall(when)) if d is not None]
        if not found:
            raise InputError(f"{path}: entry {i}: no date of inclusion in {when!r}")
        dates.extend(found)
        named = _named(text)
        if not named:
            classes.append(text)
            continue
        updates = found[1:]
        for name, aliases, parent in named:
            ent = Entity(id=f"fcc-{_slug(name)}", name=name, schema="organization")
            for a in aliases:
                add_name(ent, a, "alias")
            ent.parent_name = parent
            ent.listings.append(
                Listing(
                    list=LIST_NAME,
                    authority=AUTHORITY,
                    listed_on=found[0],
                    in_force=True,
                    effect=text,
                    source_url=PAGE,
                )
            )
            ent.sub_list, ent.listed_on, ent.source_url = LIST_NAME, found[0], PAGE
            if updates:
                ent.remarks = "entry updated " + ", ".join(updates)
            entities.append(ent)
    by_id: dict[str, Entity] = {}
    for e in entities:  # one company in two entries: one entity, both listings
        if e.id in by_id:
            by_id[e.id].listings.extend(e.listings)
        else:
            by_id[e.id] = e
    by_name = {e.name: e for e in by_id.values()}
    for e in by_id.values():
        if e.parent_name and e.parent_name in by_name:
            e.parent_id = by_name[e.parent_name].id
    return ParsedList(
        list(by_id.values()),
        published=max(dates),
        meta={
            "format": "fcc-covered",
            "entries": len(rows),
            "classes": classes,
            # the newest inclusion: the page states no date, so the list is at least this old
            "data_date_is_lower_bound": True,
        },
    )


def _named(text: str) -> list[tuple[str, tuple[str, ...], str | None]]:
    """(company, aliases, parent) for each company an entry names."""
    if found := _BY.search(text):
        names = _SUBSIDIARY.split(found.group("name").strip().rstrip(",."))
        parent = names[0].strip()
        return [(n.strip(), (), None if n is names[0] else parent) for n in names if n.strip()]
    for ref in _STATUTE.findall(text):
        if ref in NAMED_BY_STATUTE:
            return [(n, aliases, None) for n, aliases in NAMED_BY_STATUTE[ref]]
    return []


def _date(text: str) -> str | None:
    return partial_date(text.replace(".", ""), "mdy")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:80] or "unnamed"


def _csv_rows(path: Path) -> list[tuple[str, str]]:
    text = read_text(path)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
        need = ("covered_equipment_or_services", "date_of_inclusion_on_covered_list")
        if any(c not in header for c in need):
            raise InputError(
                f"{path}: not the FCC Covered List (needs the page, or a CSV with columns "
                f"{', '.join(need)})"
            )
        reader.fieldnames = header
        return [
            (" ".join((r[need[0]] or "").split()), " ".join((r[need[1]] or "").split()))
            for r in reader
            if (r.get(need[0]) or "").strip()
        ]
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None


class _Table(HTMLParser):
    """The rows of the page's tables, each a list of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_rows(path: Path) -> list[tuple[str, str]]:
    table = _Table()
    table.feed(read_text(path))
    out = []
    for cells in table.rows:
        if (
            len(cells) >= 2
            and _DATE.search(cells[-1])
            and not cells[0].lower().startswith("covered")
        ):
            out.append((cells[0], cells[-1]))
    return out
