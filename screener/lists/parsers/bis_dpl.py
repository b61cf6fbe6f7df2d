"""US BIS Denied Persons List, in BIS's tab-delimited ``dpl.txt``.

One row per denied party and address, every field double-quoted, with the header

    Name, Street_Address, City, State, Country, Postal_Code, Effective_Date,
    Expiration_Date, Standard_Order, Last_Update, Action, FR_Citation

Effective_Date and Expiration_Date are MM/DD/YYYY, Last_Update YYYY-MM-DD, FR_Citation
the denial orders as published ("68 F.R. 38290 6/27/03 71 F.R. 38843 7/10/06").

Rows with the same name, effective date, expiration date and FR citations are one
denial order with several addresses: one entity (the Consolidated Screening List
groups DPL rows the same way). Citations are compared normalized, so "81 F.R.45276" and
"81 F.R. 45276" are the same. There is no id, so ``Entity.id`` is a hash of those four
fields, stable across versions of the file while the order stands.

The listing is dated by the effective date and ends at the expiration date; it is in
force while that date is not past. Its citation is the FR citations normalized to
"68 FR 38290; 71 FR 38843" (the text as printed stays in ``extra["fr_citation"]``).

The source has typo dates (Last_Update "0222-05-18", "2922-09-01", "3017-08-22"): a
date more than a year after the latest effective date in the file, or before 1900, is
not used; it is kept as printed in ``extra["last_update_as_printed"]`` and counted in
``meta["bad_dates"]``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.lists.parsers.fields import add_name, add_unique, clean, country_code, partial_date
from screener.lists.parsers.tabular import read_table
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "Denied Persons List"
AUTHORITY = "US Commerce BIS"
LIST_URL = (
    "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/"
    "denied-persons-list"
)
REQUIRED = ["Name", "Effective_Date", "FR_Citation"]
_FR = re.compile(r"\b(\d{1,3})\s*F\.?\s*R\.?\s*(\d{1,6})")


def parse(path: Path) -> ParsedList:
    """Read a DPL file into one entity per denial order."""
    path = Path(path)
    table = read_table(path, REQUIRED, "BIS Denied Persons List")
    orders: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in table.rows:
        name = clean(row.get("name"))
        if name:
            citation = clean(row.get("fr_citation"))
            key = (
                name,
                clean(row.get("effective_date")),
                clean(row.get("expiration_date")),
                "; ".join(fr_citations(citation)) or citation,
            )
            orders.setdefault(key, []).append(row)
    if not orders:
        raise InputError(f"{path}: no rows with a Name")
    effective = [d for k in orders if (d := partial_date(k[1], "mdy"))]
    latest = max(effective, default=date.today().isoformat())
    bad: list[str] = []
    entities = [_entity(key, rows, latest, bad) for key, rows in orders.items()]
    meta: dict[str, Any] = {"format": "bis-dpl-txt", "rows": sum(map(len, orders.values()))}
    if bad:
        meta["bad_dates"] = bad
    return ParsedList(entities, meta=meta)


def fr_citations(text: str) -> list[str]:
    """'80 F.R 57572 9/24/15, 81 F.R.45276 7/13/16' -> ['80 FR 57572', '81 FR 45276']."""
    out: list[str] = []
    for volume, page in _FR.findall(text):
        add_unique(out, f"{int(volume)} FR {int(page)}")
    return out


def _plausible(iso: str | None, latest: str) -> bool:
    return bool(iso) and "1900" <= iso[:4] <= str(int(latest[:4]) + 1)  # type: ignore[index]


def _entity(
    key: tuple[str, ...], rows: list[dict[str, Any]], latest: str, bad: list[str]
) -> Entity:
    name, effective_text, expiration_text, _ = key
    citation_text = clean(rows[0].get("fr_citation"))
    ent_id = hashlib.sha1("|".join(key).encode()).hexdigest()[:16]
    ent = Entity(id=ent_id, name=name, schema="unknown")  # the file does not say
    add_name(ent, name, "primary")
    updates: list[str] = []
    for row in rows:
        parts = [
            clean(row.get(k)) for k in ("street_address", "city", "state", "postal_code", "country")
        ]
        add_unique(ent.addresses, ", ".join(p for p in parts if p))
        add_unique(
            ent.countries, country_code(row.get("country")) if clean(row.get("country")) else None
        )
        printed = clean(row.get("last_update"))
        when = partial_date(printed)
        if _plausible(when, latest):
            add_unique(updates, when)
        elif printed:
            ent.extra.setdefault("last_update_as_printed", []).append(printed)
            bad.append(f"{name}: Last_Update {printed}")
        for field in ("action", "standard_order"):
            if value := clean(row.get(field)):
                ent.extra.setdefault(field, [])
                add_unique(ent.extra[field], value)
    effective = partial_date(effective_text, "mdy")
    expiration = partial_date(expiration_text, "mdy")
    citations = fr_citations(citation_text)
    ent.listings = [
        Listing(
            list=LIST_NAME,
            authority=AUTHORITY,
            citation="; ".join(citations) or None,
            listed_on=effective,
            end_date=expiration,
            in_force=expiration is None or expiration >= date.today().isoformat(),
            effect="Export privileges denied by a BIS denial order",
            source_url=LIST_URL,
        )
    ]
    main = ent.listings[0]
    ent.citation, ent.listed_on, ent.end_date = main.citation, main.listed_on, main.end_date
    ent.sub_list, ent.source_url = LIST_NAME, LIST_URL
    ent.extra.update(
        {
            "fr_citation": citation_text or None,
            "last_update": max(updates or [""]) or None,
            "effective_date_as_printed": effective_text or None,
            "expiration_date_as_printed": expiration_text or None,
        }
    )
    ent.extra = {k: v for k, v in ent.extra.items() if v}
    return ent
