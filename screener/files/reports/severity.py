"""How severe a listing is, and the one order in which every output shows a party's hits.

The order (:func:`hit_key`), the same for the hits of a check or a batch row, the
one-line row of a CSV or XLSX (:func:`top_hit`), the headline of the report and the
results of ``/match``:

1. a hit still to review before one a reviewer's decision suppressed;
2. **identity**: how surely the hit is the party (:data:`RELATION_RANK`): the listed
   entity itself (``same``), then a group it is a unit of (``unit``), then its owners
   (``brand``, ``owned-by``), then ``related``. "CETC 14" headlines the listed 14th
   Research Institute, then CETC as the group it is a unit of;
3. **severity**: the hit whose most severe listing ranks highest. So Huawei's row shows
   its Entity List listing (licence required, "84 FR 22961") rather than an NS-CMIC
   entry that happens to score as high;
4. the higher score, then a hit whose listing carries a citation;
5. the listed name, then the entity id (a total order: the same hits give the same
   order in every process).

The levels, most severe first, and the rules that place a listing are data:
``data/severity.yaml`` beside this module says what each level means and why
each list sits where it does. The rules, in short: a listing not in force is
"ended"; otherwise the first level whose list-name pattern matches; otherwise
"restricted"; and a listing that states a licence requirement is at least
"licence-required".
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

from screener.safe_yaml import load_yaml_file
from screener.shapes import HitDict, ListingDict

DATA = Path(__file__).parent / "data" / "severity.yaml"
UNKNOWN_LEVEL = "restricted"  # an in-force listing on a list no pattern names
LICENCE_LEVEL = "licence-required"  # the least a listing with a licence requirement gets
ENDED_LEVEL = "ended"


@dataclass(frozen=True)
class Level:
    """One severity level; ``rank`` 0 is the most severe."""

    id: str
    label: str
    meaning: str
    rank: int


@dataclass(frozen=True)
class _Table:
    levels: tuple[Level, ...]
    patterns: tuple[tuple[re.Pattern[str], Level], ...]  # in rule order
    by_id: dict[str, Level]


@cache
def _table() -> _Table:
    raw = load_yaml_file(DATA)  # libyaml: a check orders its hits, and pays for this load
    levels, patterns = [], []
    for rank, item in enumerate(raw["levels"]):
        level = Level(item["id"], item["label"], " ".join(item["meaning"].split()), rank)
        levels.append(level)
        patterns += [(re.compile(p["pattern"], re.IGNORECASE), level) for p in item["lists"]]
    by_id = {lv.id: lv for lv in levels}
    for needed in (UNKNOWN_LEVEL, LICENCE_LEVEL, ENDED_LEVEL):
        if needed not in by_id:
            raise ValueError(f"{DATA}: no level {needed!r}")
    return _Table(tuple(levels), tuple(patterns), by_id)


def levels() -> tuple[Level, ...]:
    """Every level, most severe first."""
    return _table().levels


def listing_level(listing: ListingDict | HitDict) -> Level:
    """The level of one listing (``list``, ``in_force``, ``end_date``, ``license_requirement``)."""
    return _level(
        str(listing.get("list") or ""),
        bool(listing.get("license_requirement")),
        listing.get("in_force", True) is not False,
        str(listing.get("end_date") or ""),
        _today(),
    )


_day = (-2.0, "")  # (when it was asked, today's date): asked for every listing ordered


def _today() -> str:
    """Today's date (ISO), asked of the clock at most once a second."""
    global _day
    now = time.monotonic()
    if now - _day[0] > 1.0:
        _day = (now, dt.date.today().isoformat())
    return _day[1]


@lru_cache(maxsize=4096)
def _level(name: str, licence: bool, in_force: bool, end_date: str, today: str) -> Level:
    table = _table()
    if not in_force or (end_date and end_date < today):
        return table.by_id[ENDED_LEVEL]
    level = next((lv for pattern, lv in table.patterns if pattern.search(name)), None)
    level = level or table.by_id[UNKNOWN_LEVEL]
    floor = table.by_id[LICENCE_LEVEL]
    return floor if licence and level.rank > floor.rank else level


def top_listing(hit: HitDict) -> tuple[Level, str | None, str | None]:
    """The hit's most severe listing as (level, list name, citation).

    The hit's own ``list`` and ``citation`` (its main listing) are kept when
    they are as severe as any of its listings; otherwise the first most severe
    listing, preferring one with a citation, speaks for the hit.
    """
    main = listing_level(hit)
    best: ListingDict | None = None
    best_key: tuple[int, bool] | None = None
    for listing in hit.get("listings") or ():
        key = (listing_level(listing).rank, not listing.get("citation"))
        if best_key is None or key < best_key:
            best, best_key = listing, key
    if best is None or best_key is None or main.rank <= best_key[0]:
        return main, hit.get("list"), hit.get("citation")
    return listing_level(best), best.get("list"), best.get("citation")


# How surely a hit is the party screened, by its relation: the listed entity itself, a
# group the party is a unit of, an owner (of a brand, a subsidiary), a red flag.
RELATION_RANK = {"same": 0, "unit": 1, "brand": 2, "owned-by": 2, "related": 3}
OTHER_RELATION = 2  # a relation not named above ranks with the owners


def hit_key(hit: Any) -> tuple[bool, int, int, float, bool, str, str]:
    """Sort key of the one order (see the module docstring), smallest first, for a hit
    as a dict (outputs, JSON Lines read back) or as a ``ScreenHit``."""
    get = hit.get if isinstance(hit, dict) else _attr(hit)
    level, _, citation = top_listing(
        cast(HitDict, hit) if isinstance(hit, dict) else _listing_view(hit)
    )
    score = get("score")
    return (
        get("status") == "suppressed",
        RELATION_RANK.get(str(get("relation") or "same"), OTHER_RELATION),
        level.rank,
        -float(score) if isinstance(score, int | float) else 0.0,
        not citation,
        str(get("name") or ""),
        str(get("entity_id") or ""),
    )


def _attr(hit: Any) -> Any:
    return lambda key, default=None: getattr(hit, key, default)


def _listing_view(hit: Any) -> HitDict:
    """What :func:`top_listing` reads of a hit, from a ``ScreenHit``."""
    return {
        "list": hit.list,
        "citation": hit.citation,
        "end_date": hit.end_date,
        "license_requirement": hit.license_requirement,
        "listings": hit.listings,
    }


def listings_of(hit: HitDict) -> list[ListingDict]:
    """The listings of a hit, or its main listing (the hit's own listing fields) when it
    names none."""
    listings = hit.get("listings")
    if listings:
        return listings
    main: ListingDict = {
        "list": hit.get("list"),
        "citation": hit.get("citation"),
        "listed_on": hit.get("listed_on"),
        "end_date": hit.get("end_date"),
        "license_requirement": hit.get("license_requirement"),
        "license_policy": hit.get("license_policy"),
        "source_url": hit.get("source_url"),
    }
    return [main]


def order_hits(hits: Sequence[Any]) -> list[Any]:
    """The hits in the one order (see the module docstring)."""
    if len(hits) < 2:
        return list(hits)  # (most names hit one party: no key to make)
    return sorted(hits, key=hit_key)


def top_hit(hits: Sequence[HitDict]) -> HitDict | None:
    """The hit a one-line output shows: the first of :func:`order_hits`."""
    return min(hits, key=hit_key) if hits else None
