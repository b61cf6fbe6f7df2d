"""What a sanctions listing means, when its list's file does not say: the effect of an
OFAC, UN, UK, EU or Australian listing (blocking, correspondent-account ban, investment
ban, asset freeze), with its official sources (``data/effects.yaml`` beside this module).

    >>> effect({"list": "CAPTA List", "program": "561-Related"},
    ...        "SWIFT/BIC CKLBCNBJ; United States financial institutions are prohibited from "
    ...        "opening or maintaining a correspondent account or a payable-through account "
    ...        "for the foreign financial institution listed here, pursuant to 31 C.F.R. "
    ...        "section 561.201(c).").kind
    'correspondent-account ban'

:func:`annotate` gives a listing (a dict, as hits carry them) its ``effect`` (the
clause of the entry's remarks that states it, else the table's summary),
``effect_kind`` and ``effect_sources``; a listing that states its own effect or licence
requirement keeps it. Every face shows the same: the report, the pages, ``/match`` and
the ``screen_effect`` column of CSV and XLSX outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from screener.safe_yaml import load_yaml_file

DATA = Path(__file__).parent / "data" / "effects.yaml"


@dataclass(frozen=True)
class Effect:
    """What one listing does."""

    id: str  # the effects.yaml entry
    kind: str  # "blocking", "correspondent-account ban", "investment ban", "asset freeze"
    text: str  # the remark's own clause, or the entry's summary
    from_remark: bool  # the text is the list's own words
    sources: tuple[dict[str, str], ...]  # label, url
    checked_on: str | None


@cache
def entries() -> tuple[dict[str, Any], ...]:
    """The entries of ``data/effects.yaml``, compiled, in their order."""
    out = []
    for e in load_yaml_file(DATA)["effects"]:
        out.append(
            {
                **e,
                "effect": " ".join(str(e["effect"]).split()),
                "list_re": re.compile(e["list"], re.IGNORECASE),
                "program_re": re.compile(e["program"], re.IGNORECASE) if e.get("program") else None,
                "remark_re": re.compile(e["remark"], re.IGNORECASE) if e.get("remark") else None,
                "sources": tuple(e.get("sources") or ()),
            }
        )
    return tuple(out)


@lru_cache(maxsize=4096)
def _entry(list_name: str, program: str) -> dict[str, Any] | None:
    for e in entries():
        if e["list_re"].search(list_name) and (
            e["program_re"] is None or e["program_re"].search(program)
        ):
            return e
    return None


def effect(listing: dict[str, Any], remarks: str | None = None) -> Effect | None:
    """The effect of ``listing`` (``list``, ``program``) given its entry's ``remarks``, or
    None when no entry of the table names its list."""
    e = _entry(str(listing.get("list") or ""), str(listing.get("program") or ""))
    if e is None:
        return None
    clause = _clause(e["remark_re"], remarks) if e["remark_re"] is not None else None
    return Effect(
        e["id"], e["kind"], clause or e["effect"], bool(clause), e["sources"], e.get("checked_on")
    )


def annotate(listing: dict[str, Any], remarks: str | None = None) -> dict[str, Any]:
    """``listing`` with ``effect``, ``effect_kind`` and ``effect_sources`` (a new dict),
    or ``listing`` itself when it states its own effect or licence requirement, or the
    table has nothing for it."""
    if listing.get("effect") or listing.get("license_requirement"):
        return listing
    found = effect(listing, remarks)
    if found is None:
        return listing
    return {
        **listing,
        "effect": found.text,
        "effect_kind": found.kind,
        "effect_sources": [dict(s) for s in found.sources],
    }


def _clause(pattern: re.Pattern[str], remarks: str | None) -> str | None:
    """The clause of ``remarks`` (split at "; ") that ``pattern`` finds, as written."""
    for part in re.split(r";\s+", remarks or ""):
        if pattern.search(part):
            return part.strip()
    return None
