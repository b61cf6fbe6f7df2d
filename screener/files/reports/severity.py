"""How severe a listing is, and so which hit a one-line output shows first.

A row of a CSV or XLSX output has room for one hit: :func:`top_hit` picks, among
the hits still to review (a hit a reviewer's decision suppressed comes last), the
hit whose most severe listing ranks highest, then the higher score, then a hit
whose listing carries a citation, then the matcher's order. So Huawei's row
shows its Entity List listing (licence required, "84 FR 22961") rather than an
NS-CMIC entry with no citation that happens to score the same.

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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

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
    raw = yaml.safe_load(DATA.read_text("utf-8"))
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


def listing_level(listing: dict[str, Any]) -> Level:
    """The level of one listing (``list``, ``in_force``, ``end_date``, ``license_requirement``)."""
    return _level(
        str(listing.get("list") or ""),
        bool(listing.get("license_requirement")),
        listing.get("in_force", True) is not False,
        str(listing.get("end_date") or ""),
        dt.date.today().isoformat(),
    )


@lru_cache(maxsize=4096)
def _level(name: str, licence: bool, in_force: bool, end_date: str, today: str) -> Level:
    table = _table()
    if not in_force or (end_date and end_date < today):
        return table.by_id[ENDED_LEVEL]
    level = next((lv for pattern, lv in table.patterns if pattern.search(name)), None)
    level = level or table.by_id[UNKNOWN_LEVEL]
    floor = table.by_id[LICENCE_LEVEL]
    return floor if licence and level.rank > floor.rank else level


def top_listing(hit: dict[str, Any]) -> tuple[Level, str | None, str | None]:
    """The hit's most severe listing as (level, list name, citation).

    The hit's own ``list`` and ``citation`` (its main listing) are kept when
    they are as severe as any of its listings; otherwise the first most severe
    listing, preferring one with a citation, speaks for the hit.
    """
    main = listing_level(hit)
    best: dict[str, Any] | None = None
    best_key: tuple[int, bool] | None = None
    for listing in hit.get("listings") or ():
        key = (listing_level(listing).rank, not listing.get("citation"))
        if best_key is None or key < best_key:
            best, best_key = listing, key
    if best is None or best_key is None or main.rank <= best_key[0]:
        return main, hit.get("list"), hit.get("citation")
    return listing_level(best), best.get("list"), best.get("citation")


def hit_key(hit: dict[str, Any]) -> tuple[bool, int, float, bool]:
    """Sort key, smallest first: a hit still to review before a suppressed one (a reviewer's
    decision), then the most severe level, then the highest score, then cited."""
    level, _, citation = top_listing(hit)
    score = hit.get("score")
    return (
        hit.get("status") == "suppressed",
        level.rank,
        -float(score) if isinstance(score, int | float) else 0.0,
        not citation,
    )


def order_hits(hits: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hits, most severe first (ties keep the matcher's order)."""
    return sorted(hits, key=hit_key)


def top_hit(hits: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The hit a one-line output shows: the first of :func:`order_hits`."""
    return min(hits, key=hit_key) if hits else None
