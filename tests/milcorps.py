"""The DoD Section 1260H list as of a date, from the reference copy's listing periods.

``../shared/data/opensanctions/us/dod_chinese_milcorps/sanctions.csv`` holds, per company,
rows with ``Start date``, ``End date`` (a removal) and the edition's ``Source Url``. Up to
2024 a row is a listing period (a company named in 2021 and still listed has one open row
from 2021); from the edition of 2025-01-07 on, every edition names each company again in a
row of its own (:data:`FULL_EDITIONS`), and a removal during the year is the End date of
that row.

:func:`edition` writes the list as it stood on a date, in this project's curated format:
one entity per company (by its clean name), with its 1260H listing: first listed, and for
a company no longer listed the date it ended (``in_force: false``), as the curated list
records a removal. Tests import two editions as two versions of one source.

The transcription is OpenSanctions' (CC BY-NC 4.0): it is read from ../shared/data and
never committed, so the tests that use it are marked ``shared_data`` and skip without it.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml
from excerpts import shared

MILCORPS = "opensanctions/us/dod_chinese_milcorps/sanctions.csv"  # in ../shared/data
SOURCE_ID = "dod-1260h"
FULL_EDITIONS = ("2025-01-07", "2026-06-08")  # editions that name every company again


def key(name: str) -> str:
    """A company's id: its clean name in lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def rows() -> list[dict[str, str]]:
    with open(shared(MILCORPS), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def status_on(date: str) -> dict[str, dict[str, object]]:
    """Each company named by ``date``: name, aliases, former names, listed_on, end_date
    (None while listed) and the latest edition's URL."""
    base = max((d for d in FULL_EDITIONS if d <= date), default=None)
    out: dict[str, dict[str, object]] = {}
    for r in rows():
        start, end = r["Start date"], r["End date"] or None
        if not start or start > date:
            continue
        k = key(r["Clean Name"])
        c = out.setdefault(
            k,
            {
                "name": r["Clean Name"].strip(),
                "aliases": set(),
                "former": set(),
                "starts": [],
                "open": False,
                "ends": [],
                "dropped": False,
                "url": None,
                "url_date": "",
            },
        )
        c["starts"].append(start)
        current = base is None or start >= base  # a row of the edition in force on the date
        if current and (end is None or end > date):
            c["open"] = True
        elif end is not None and end <= date:
            c["ends"].append(end)
        elif not current:  # an open row of an older edition the full edition did not repeat
            c["dropped"] = True
        for a in (r["Alias"] or "").split(";"):
            if a.strip():
                c["aliases"].add(a.strip())
        if r["Previous Name"].strip():
            c["former"].add(r["Previous Name"].strip())
        if r["Source Url"] and start >= c["url_date"]:
            c["url"], c["url_date"] = r["Source Url"], start
    for c in out.values():
        c["listed_on"] = min(c["starts"])
        c["end_date"] = None if c["open"] else max(c["ends"]) if c["ends"] else base
    return out


def bundled_status_on(date: str) -> dict[str, dict[str, object]]:
    """What the bundled list records of the 1260H list on ``date``, in the form of
    :func:`status_on`: the companies of its entries with a 1260H listing (a few dozen of
    the list's, with their dates from DoD's editions), to test with where the
    transcription is absent."""
    from screener.lists.parsers import curated
    from screener.lists.registry import bundled_dir

    out: dict[str, dict[str, object]] = {}
    for e in curated.parse(bundled_dir() / "surveillance.yaml").entities:
        for ls in e.listings:
            if ls.list != "DoD 1260H List" or not ls.listed_on or ls.listed_on > date:
                continue
            ended = ls.end_date if ls.end_date and ls.end_date <= date else None
            out[key(e.name)] = {
                "name": e.name,
                "aliases": {n.name for n in e.names if n.kind == "alias"},
                "former": {n.name for n in e.names if n.kind == "former"},
                "listed_on": ls.listed_on,
                "end_date": ended,
                "url": ls.source_url,
            }
    return out


def edition(date: str, path: Path, companies: dict[str, dict[str, object]] | None = None) -> Path:
    """Write the 1260H list as it stood on ``date`` (curated YAML) to ``path``: the
    ``companies`` of :func:`status_on` or :func:`bundled_status_on` (by default, the
    transcription's)."""
    entities = []
    for k, c in sorted((status_on(date) if companies is None else companies).items()):
        entities.append(
            {
                "id": k,
                "name": c["name"],
                "schema": "organization",
                "country": "cn",
                "aliases": sorted(c["aliases"] - {c["name"]}),
                "former": sorted(c["former"]),
                "listings": [
                    {
                        "list": "DoD 1260H List",
                        "authority": "US Department of Defense",
                        "citation": None,
                        "listed_on": c["listed_on"],
                        "end_date": c["end_date"],
                        "in_force": c["end_date"] is None,
                        "source_url": c["url"],
                    }
                ],
            }
        )
    doc = {
        "source": {
            "id": SOURCE_ID,
            "name": f"DoD 1260H List (edition of {date})",
            "authority": "US Department of Defense",
            "kind": "official",
            "published": date,
        },
        "entities": entities,
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def store_with_edition(master: Path, folder: Path, date: str) -> Path:
    """A copy of the ``master`` store with the edition of ``date`` imported as source
    ``dod-1260h`` and its index cache written, for tests to copy (see :func:`copy_store`)."""
    import shutil

    from screener.lists import catalog
    from screener.lists.bundled import open_store
    from screener.screening.index_cache import load_index

    target = folder / "s.db"
    shutil.copyfile(master, target)
    store = open_store(target)
    try:
        catalog.import_file(
            store, edition(date, folder / f"1260h-{date}.yaml"), "curated", SOURCE_ID
        )
        load_index(store)  # writes <db>.index for the new versions
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return target


def copy_store(template: Path, folder: Path) -> Path:
    """A private copy of a store and its index cache."""
    import shutil

    target = folder / template.name
    shutil.copyfile(template, target)
    cache = template.with_name(template.name + ".index")
    if cache.exists():
        shutil.copyfile(cache, target.with_name(target.name + ".index"))
    return target
