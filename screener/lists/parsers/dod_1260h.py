"""The DoD Section 1260H list of Chinese military companies (format ``dod-1260h``).

Section 1260H of the NDAA for FY2021 (Pub. L. 116-283) has the Secretary of Defense
publish, every year, a list of "Chinese military companies" operating directly or
indirectly in the United States. DoD posts each edition as a PDF and notices it in the
Federal Register (the edition of 2025-01-07: 90 FR 1105, FR Doc. 2025-00070; the edition
of 2026-06-08: 91 FR 35189). No edition is published as data, so the importer reads the
hand transcription OpenSanctions keeps of every edition
(``datasets/us/dod_chinese_milcorps/sanctions.csv``, CC BY-NC 4.0: non-commercial use only
without an OpenSanctions licence; screener ships no copy).

Columns (UTF-8, header row): ``Name, Clean Name, Alias, Previous Name, Parent Name, Note,
Start date, End date, Source Url``. How the rows read:

* Up to 2024 a row is a listing period: the edition that first named the company, and the
  edition that dropped it (``End date``). From the edition of 2025-01-07 on, each edition
  names every company again in a row of its own, with that edition's PDF as
  ``Source Url``: those are the *full editions*.
* A company is listed from the first edition naming it until the first full edition that
  no longer names it (or an earlier ``End date``); named again later, it has a second
  listing period. It is in force when the newest full edition names it.
* ``End date`` 2026-02-17 comes from a list posted on 2026-02-13 and withdrawn the same day
  (:data:`WITHDRAWN`): it ends nothing. A company the edition of 2026-06-08 no longer names
  ended on 2026-06-08; one it still names never ended.
* Rows of one company are found by their clean name compared without case, punctuation,
  trailing asterisks or a trailing short name in brackets ("Dawning Information Industry
  Co., Ltd. (Sugon)" is "Dawning Information Industry Co., Ltd."), and through ``Previous
  Name`` (a renamed company keeps its earlier names as former names).

Each company becomes one entity: the newest edition's spelling as its name, every other
spelling and the ``Alias`` column as aliases, ``Previous Name`` as former names, the
newest ``Parent Name`` as its parent (the parent's entity id too, when the parent is itself
listed), and ``Note`` (the newest edition's reasons) as remarks. Each listing period is
one :class:`~screener.model.Listing` whose ``program`` names the editions it rests on
("editions 2025-01-07, 2026-06-08") and whose citation joins the Federal Register notices
of those editions that were checked (:data:`NOTICES`); an edition whose notice was not
checked adds none. The list's date (``published``) is its newest edition.
"""

from __future__ import annotations

import re
from pathlib import Path

from rapidfuzz import fuzz

from screener.errors import InputError
from screener.lists.parsers.fields import add_name
from screener.lists.parsers.textfile import csv_rows
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "DoD 1260H List"
AUTHORITY = "US Department of Defense"
EFFECT = (
    "Identified by the US Secretary of Defense as a 'Chinese military company' operating "
    "directly or indirectly in the United States (Section 1260H, NDAA FY2021, Pub. L. "
    "116-283); Section 805 of the NDAA FY2024 restricts DoD contracting with listed "
    "entities from June 30, 2026."
)
LICENCE = "CC BY-NC 4.0 (OpenSanctions transcription of the DoD editions)"
TRANSCRIPTION = (
    "OpenSanctions transcription of the DoD 1260H editions (datasets/us/dod_chinese_milcorps)"
)
# Federal Register notices of editions, each checked against the notice itself (or,
# for 2026, the project's curation notes); editions not here get no citation.
NOTICES = {
    "2025-01-07": "90 FR 1105",  # FR Doc. 2025-00070, Notice of Availability of Designation
    "2026-06-08": "91 FR 35189",  # FR Doc. 2026-11571, published 2026-06-10, DOD-2026-OS-1288
}
# End dates that end nothing: a list posted and withdrawn the same day.
WITHDRAWN = {"2026-02-17": "from the list posted on 2026-02-13 and withdrawn the same day"}
REQUIRED = ("name", "clean name", "alias", "parent name", "start date", "end date", "source url")
_SHORT_NAME = re.compile(r"\s*[(\[]([^()\[\]]{1,40})[)\]]\s*$")


def parse(path: Path) -> ParsedList:
    """Read the 1260H transcription into one entity per company."""
    path = Path(path)
    rows = _rows(path)
    editions = sorted({r["start date"] for _, r in rows})
    full = sorted({r["start date"] for _, r in rows if r["source url"]})
    groups = _group(rows)
    entities = [_entity(group, full) for group in groups]
    ids: dict[str, int] = {}
    for e in entities:  # two companies whose names slug alike keep apart
        ids[e.id] = ids.get(e.id, 0) + 1
        if ids[e.id] > 1:
            e.id = f"{e.id}-{ids[e.id]}"
    by_name = {_key(n.name): e for e in entities for n in e.all_names()}
    for e in entities:
        if e.parent_name and (parent := by_name.get(_key(e.parent_name))) and parent is not e:
            e.parent_id = parent.id
    return ParsedList(
        entities,
        published=editions[-1] if editions else None,
        meta={
            "format": "dod-1260h",
            "edition": editions[-1] if editions else None,
            "editions": editions,
            "full_editions": full,
            "read_from": TRANSCRIPTION,
            "licence": LICENCE,
            "withdrawn_end_dates_ignored": sum(1 for _, r in rows if r["end date"] in WITHDRAWN),
        },
    )


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    rows = csv_rows(path, REQUIRED, "a DoD 1260H transcription", "name")
    for line, row in rows:
        for col in ("start date", "end date"):
            if row.get(col) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[col]):
                raise InputError(f"{path}: line {line}: {col} {row[col]!r} is not a date")
        if not row.get("start date"):
            raise InputError(f"{path}: line {line}: no start date")
    return rows


def _base(row: dict[str, str]) -> tuple[str, str | None]:
    """(the company's name, a short name in brackets after it, if any)."""
    name = (row.get("clean name") or row["name"]).rstrip("* ").strip()
    if name.endswith(")."):  # "360 Security Technology Inc. (Qihoo 360)."
        name = name[:-1]
    found = _SHORT_NAME.search(name)
    if found and found.start() > 0:
        return name[: found.start()].strip(), found.group(1).strip()
    return name, None


def _key(name: str) -> str:
    """A name compared without case, quotes, punctuation or spacing."""
    name = name.replace("\u2019", "'").casefold()
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]+", " ", name).strip()


def _group(rows: list[tuple[int, dict[str, str]]]) -> list[list[dict[str, str]]]:
    """The rows of each company: same name key, or linked by a previous name."""
    groups: dict[str, list[dict[str, str]]] = {}
    for _, row in sorted(rows, key=lambda r: r[1]["start date"]):
        groups.setdefault(_key(_base(row)[0]), []).append(row)
    # A renamed company: rows naming an earlier name join the group under its new name.
    for k in list(groups):
        if k not in groups:
            continue
        for row in list(groups[k]):
            for prev in _split(row.get("previous name", "")):
                pk = _key(prev)
                match = pk if pk in groups else _near(pk, groups)
                if match and match != k:
                    groups[k].extend(groups.pop(match))
    return [sorted(g, key=lambda r: r["start date"]) for g in groups.values()]


def _near(key: str, groups: dict[str, list[dict[str, str]]]) -> str | None:
    """A group key one typo away from ``key`` ("Chen Du Westone" / "Cheng Du Westone")."""
    if len(key) < 12:
        return None
    best = max(groups, key=lambda g: fuzz.ratio(key, g), default=None)
    return best if best is not None and fuzz.ratio(key, best) >= 95 else None


def _split(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split(";") if p.strip()]


def _periods(rows: list[dict[str, str]], full: list[str]) -> list[tuple[str, str | None]]:
    """(listed from, ended or None) for each listing period of one company."""
    named = sorted({r["start date"] for r in rows})
    ends = sorted({r["end date"] for r in rows if r["end date"] and r["end date"] not in WITHDRAWN})
    periods: list[tuple[str, str | None]] = []
    start: str | None = named[0]
    for day in sorted(set(full) | set(ends)):
        if start is None or day <= start or day in named:
            continue
        periods.append((start, day))  # dropped by this full edition, or removed that day
        start = next((d for d in named if d > day), None)
    if start is not None:
        periods.append((start, None))
    return periods


def _entity(rows: list[dict[str, str]], full: list[str]) -> Entity:
    newest = rows[-1]
    name = _base(newest)[0]
    ent = Entity(id=f"1260h-{_slug(name)}", name=name, schema="organization")
    for row in reversed(rows):
        spelling, bracketed = _base(row)
        add_name(ent, spelling, "alias")
        for alias in [bracketed, *_split(row.get("alias", ""))]:
            if alias:
                add_name(ent, alias, "abbreviation" if _is_abbreviation(alias) else "alias")
        for prev in _split(row.get("previous name", "")):
            add_name(ent, prev, "abbreviation" if _is_abbreviation(prev) else "former")
    ent.names = [n for n in ent.names if n.name != name]
    ent.parent_name = next((r["parent name"] for r in reversed(rows) if r["parent name"]), None)
    ent.remarks = next((r["note"] for r in reversed(rows) if r.get("note")), None)
    for start, end in _periods(rows, full):
        within = sorted(
            {
                r["start date"]
                for r in rows
                if r["start date"] >= start and (not end or r["start date"] < end)
            }
        )
        url = next(
            (
                r["source url"]
                for r in reversed(rows)
                if r["source url"] and r["start date"] in within
            ),
            None,
        )
        cites = [NOTICES[d] for d in within if d in NOTICES]
        ent.listings.append(
            Listing(
                list=LIST_NAME,
                authority=AUTHORITY,
                citation="; ".join(cites) or None,
                listed_on=start,
                end_date=end,
                in_force=end is None,
                program="editions " + ", ".join(within),
                effect=EFFECT,
                source_url=url,
            )
        )
    current = ent.listings[-1]
    ent.sub_list = LIST_NAME
    ent.listed_on = ent.listings[0].listed_on
    ent.citation = current.citation
    ent.source_url = current.source_url
    ent.end_date = current.end_date
    ent.programs = [current.program] if current.program else []
    ent.extra["editions"] = sorted({r["start date"] for r in rows})
    return ent


def _is_abbreviation(text: str) -> bool:
    """'CETC', 'SMIC HK', 'AVIC Jonhon': one or two short words, the first in capitals."""
    words = text.split()
    return len(words) <= 2 and words[0].isupper() and len(words[0]) <= 8


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:80] or "unnamed"
