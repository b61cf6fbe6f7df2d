"""The date of a list's data, which its staleness is judged by (not the day it was loaded).

Each version stores one date (``versions.published``) and says what it rests on
(``meta["data_date_basis"]``), in this order of preference:

``file``
    the date the file states: the UN list's ``dateGenerated``, OFSI's "Last Updated", the
    EU's ``generationDate``, the newest edition of the 1260H list.
``given``
    the date the user gave at import (``lists import --data-date``), for a file that
    states none.
``download``
    the day the list was downloaded from its publisher's URL (``lists update``), for a
    file that states no date of its own, or only a lower bound (below): what the
    publisher serves is current on the day it is served.
``newest-entry``
    the newest date found in the entries (listing dates, removals, "Listing Date" and
    "Effective Date" remarks, dates an ID was issued, and the signing date of the newest
    executive order a programme tag names, e.g. RUSSIA-EO14024: 2021-04-15, from
    ``data/executive_orders.yaml``): the data is at least that old, so a list judged by it
    is never thought fresher than it is. Used for an imported file that states no date
    (an OFAC legacy CSV set states none).
``loaded``
    nothing better is known: the day it was loaded.

A parser whose date is only such a lower bound (the FCC Covered List's newest inclusion)
says so with ``meta["data_date_is_lower_bound"] = True``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from screener.model import ParsedList

BASES = {
    "file": "stated in the file",
    "given": "given at import",
    "download": "the day it was downloaded from the publisher",
    "newest-entry": "the newest date in its entries (the data is at least this old)",
    "loaded": "unknown (the day it was loaded)",
}
_MONTH = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# Dates in remarks that say when something happened (never a date of birth or an expiry).
_REMARK_DATE = re.compile(
    rf"(?:Listing Date|Effective Date|Designation Date|Established Date|Registration Date|"
    rf"issued)[^;:]{{0,40}}?:?\s+(\d{{1,2}}) ({_MONTH})[a-z]* (\d{{4}})\b"
)
_ISO = re.compile(r"^\d{4}(-\d{2}){0,2}$")
_EO = re.compile(r"EO ?(\d{5})\b")


def settle(parsed: ParsedList, *, given: str | None = None, downloaded: str | None = None) -> None:
    """Set ``parsed.published`` to the data's date and ``meta["data_date_basis"]`` to
    what it rests on (see the module docstring); ``downloaded`` is today's date for a
    download, ``given`` the user's date."""
    meta = parsed.meta
    lower_bound = bool(meta.get("data_date_is_lower_bound"))
    if given:
        if not _ISO.match(given):
            from screener.errors import InputError

            raise InputError(f"--data-date {given!r} is not a date (YYYY-MM-DD)")
        parsed.published, meta["data_date_basis"] = given, "given"
    elif parsed.published and not (lower_bound and downloaded):
        meta["data_date_basis"] = "newest-entry" if lower_bound else "file"
    elif downloaded:
        if parsed.published:
            meta["stated_date"] = parsed.published
        parsed.published, meta["data_date_basis"] = downloaded, "download"
    elif newest := newest_date(parsed):
        parsed.published, meta["data_date_basis"] = newest, "newest-entry"
    else:
        meta["data_date_basis"] = "loaded"


def newest_date(parsed: ParsedList, today: dt.date | None = None) -> str | None:
    """The newest past date the entries record: listing and removal dates, and dates in
    remarks that date an event (a listing, an effective date, an ID's issue)."""
    today_iso = (today or dt.date.today()).isoformat()
    orders = _executive_orders()
    best = ""
    for e in parsed.entities:
        dates = [e.listed_on, e.end_date]
        for program in e.programs:
            dates += [orders.get(int(n)) for n in _EO.findall(program)]
        for ls in e.listings:
            dates += [ls.listed_on, ls.end_date]
        for m in _REMARK_DATE.finditer(e.remarks or ""):
            day, month, year = m.groups()
            try:
                dates.append(
                    dt.datetime.strptime(f"{day} {month} {year}", "%d %b %Y").date().isoformat()
                )
            except ValueError:
                continue
        for d in dates:
            if d and _ISO.match(d) and best < d <= today_iso:
                best = d
    return best or None


@cache
def _executive_orders() -> dict[int, str]:
    """EO number -> the date it was signed (``data/executive_orders.yaml``)."""
    from screener.safe_yaml import load_yaml_file

    doc = load_yaml_file(Path(__file__).parent / "data" / "executive_orders.yaml")
    return {int(k): str(v) for k, v in (doc.get("orders") or {}).items()}


def describe(version: dict[str, Any]) -> DataDate:
    """``data_date`` and ``data_date_basis`` (words) of a stored version row."""
    import json

    meta = version.get("meta")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            meta = {}
    basis = (meta or {}).get("data_date_basis") or (
        "file" if version.get("published") else "loaded"
    )
    date = version.get("published") if basis != "loaded" else (version.get("loaded_at") or "")[:10]
    return {"data_date": date or None, "data_date_basis": basis, "data_date_means": BASES[basis]}


class DataDate(TypedDict):
    """The date of a version's data, what it rests on, and that in words."""

    data_date: str | None
    data_date_basis: str
    data_date_means: str
