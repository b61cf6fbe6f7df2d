"""DoD Section 1286 lists (format ``section-1286``): research-security references, not export rules.

Section 1286 of the NDAA for FY2019 (Pub. L. 115-232) has the Department of Defense
publish, once a year, lists of foreign talent recruitment programs and of foreign
institutions that pose a threat to the research security of DoD-funded fundamental
research at US institutions of higher education. Being named there is **not** an
export restriction or a sanction: it is a reference that DoD grant reviewers (and
universities) use for research funded by DoD.

The importer reads the CSV transcription OpenSanctions keeps in its repository
(``datasets/us/special_leg/source_files/section_1286.csv``). That transcription is
licensed CC BY-NC 4.0 (non-commercial use only without an OpenSanctions licence), so
screener does not ship a copy: import yours with
``screener lists import section_1286.csv --format section-1286 --source dod-section-1286``.

Columns (UTF-8, header row): ``schema, name, aliases, topics, program, authority,
reason, report-date, start-date, end-date, country, notes, source_url``. One row per
name and yearly report (``report-date`` is the fiscal year of the list, e.g. 2025);
``aliases`` are separated by ``;``; ``source_url`` is the official PDF of that year.

The rows of one name become one entity with one listing per report year; names that
differ only in case, spacing or punctuation ("Solid-State" / "Solid State") count as
one, and the spelling of the newest year is the primary name. A listing is in force
when its year is the newest year in the file and it has no ``end-date``: each yearly
list replaces the one before. The report year
is kept as the listing's ``program`` ("FY2025 list"), not as a listing date, because
the lists are published months after the fiscal year they are named for.
"""

from __future__ import annotations

import re
from pathlib import Path

from screener.countries import to_iso2
from screener.errors import InputError
from screener.lists.parsers.textfile import csv_rows
from screener.model import Entity, Listing, Name, ParsedList

LIST_NAME = "DoD Section 1286 List"
AUTHORITY = "US Department of Defense"
EFFECT = (
    "Named on a DoD list of foreign talent recruitment programs and foreign institutions of "
    "concern published under Section 1286 of the NDAA FY2019 (Pub. L. 115-232): a research-"
    "security reference for DoD-funded fundamental research at US institutions of higher "
    "education, not an export restriction or a sanction."
)
LICENCE = "CC BY-NC 4.0 (OpenSanctions transcription of the DoD lists)"
REQUIRED = ("name", "report-date", "source_url")


def parse(path: Path) -> ParsedList:
    """Read the Section 1286 CSV into one entity per listed name."""
    path = Path(path)
    rows = _rows(path)
    years = [y for r in rows if (y := _year(r, path))]
    if not years:
        raise InputError(f"{path}: no row has a report-date year")
    latest = max(years)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in rows:
        groups.setdefault(_slug(row["name"]), []).append((line, row))
    entities = [_entity(path, key, group, latest) for key, group in groups.items()]
    return ParsedList(
        entities,
        published=None,
        meta={"format": "section-1286", "latest_report_year": latest, "licence": LICENCE},
    )


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    return csv_rows(path, REQUIRED, "a Section 1286 CSV", "name")


def _year(item: tuple[int, dict[str, str]], path: Path) -> int | None:
    line, row = item
    raw = row.get("report-date", "")
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}", raw):
        raise InputError(f"{path}: line {line}: report-date {raw!r} is not a year")
    return int(raw)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:80] or "unnamed"


def _entity(path: Path, slug: str, group: list[tuple[int, dict[str, str]]], latest: int) -> Entity:
    group = sorted(group, key=lambda g: g[1].get("report-date", ""))
    name = group[-1][1]["name"]
    names, countries, listings = [Name(name, "primary")], [], []
    for line, row in group:
        if row["name"].casefold() not in {n.name.casefold() for n in names}:
            names.append(Name(row["name"], "alias"))
        for alias in (a.strip() for a in row.get("aliases", "").split(";")):
            if alias and alias.casefold() not in {n.name.casefold() for n in names}:
                names.append(Name(alias, "alias"))
        if (cc := to_iso2(row.get("country", ""))) and cc not in countries:
            countries.append(cc)
        year = _year((line, row), path)
        end = row.get("end-date") or None
        listings.append(
            Listing(
                list=LIST_NAME,
                authority=AUTHORITY,
                end_date=end,
                in_force=year == latest and not end,
                program=f"FY{year} list" if year else None,
                effect=EFFECT,
                source_url=row.get("source_url") or None,
            )
        )
    main = max(listings, key=lambda x: (x.in_force, x.program or ""))
    notes = sorted({r["notes"] for _, r in group if r.get("notes")})
    return Entity(
        id=f"us-1286-{slug}",
        name=name,
        schema="organization",
        names=names,
        countries=countries,
        listings=listings,
        sub_list=LIST_NAME,
        end_date=None if main.in_force else main.end_date,
        source_url=main.source_url,
        remarks="; ".join(notes) or None,
        programs=sorted({x.program for x in listings if x.program}),
    )
