"""Cell values for the spreadsheet outputs: the ``screen_*`` columns, formula safety, numbers.

* **Formula safety.** Text a spreadsheet would read as a formula (starting with
  ``= + - @``, tab or CR) gets a leading ``'``
  (:func:`screener.files.cells.neutralize`), in input cells and appended cells alike.
* **XLSX limits.** Characters XML cannot hold become U+FFFD; text longer than
  Excel's 32,767 UTF-16 units per cell is cut with a visible marker
  (:func:`xlsx_text`).
* **Numbers stay numbers in XLSX.** The readers hand every input cell over as
  text; :func:`as_number` turns back into a number a cell that is plainly one
  (``42``, ``-3.5``, ``0.1``) and that Excel can hold exactly. Identifiers that
  only look numeric stay text: leading zeros (``007``), a leading ``+``, more
  than 15 digits, thousands separators, exponents unless written as Python
  writes a float read from a workbook (``1e-05``).
* **The appended columns** (:data:`APPENDED_COLUMNS`) describe the row's top
  hit, chosen by :func:`~screener.files.reports.severity.top_hit`, with what its most
  severe listing means (``screen_effect``: :func:`effect_line`); then
  ``screen_hit_ids`` names every hit of the row (:func:`hit_ids`), ``screen_decision``
  the reviewers' decisions on them, ``screen_query`` the name as screened.
* **The reviewer's columns** (:data:`REVIEW_COLUMNS`, empty): ``decision`` (one of
  false-positive, confirmed, escalated, cleared, declined), ``decision_reason`` and
  ``decision_by``. ``screener decisions import`` reads them back and records the
  decision for every hit named in the row's ``screen_hit_ids`` (delete ids from the
  cell to narrow it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from screener.files.cells import neutralize
from screener.files.reports.severity import order_hits, top_hit, top_listing
from screener.shapes import HitDict, ListingDict

APPENDED_COLUMNS = [
    "screen_status",
    "screen_top_score",
    "screen_top_name",
    "screen_top_matched_name",
    "screen_relation",
    "screen_source",
    "screen_list",
    "screen_citation",
    "screen_severity",
    "screen_effect",
    "screen_hits",
    "screen_input_row",
    "screen_hit_ids",
    "screen_decision",
    "screen_query",
]
REVIEW_COLUMNS = ["decision", "decision_reason", "decision_by"]
OUTPUT_COLUMNS = APPENDED_COLUMNS + REVIEW_COLUMNS  # what CSV and XLSX add to the input columns
DEFAULT_RELATION = "same"  # a hit without "relation" names the listed entity itself
XLSX_MAX_ROWS = 1_048_576  # per sheet, header included
XLSX_MAX_CELL = 32_767  # UTF-16 units Excel accepts in one cell
TRUNCATED = " …[truncated]"

# Characters XML 1.0 cannot carry (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/F).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_MAX_DIGITS = 15  # Excel keeps 15 significant digits


def text(value: Any) -> str:
    """A value as cell text: None is empty."""
    return "" if value is None else str(value)


def hit_cells(hits: Sequence[HitDict]) -> list[Any]:
    """The values of the ``screen_*`` columns between status and input row, for one row's hits.

    That is: top score (a float), top name, matched name, relation, source,
    list, citation, severity, effect, number of hits (an int). Callers cache it per
    distinct hit list: rows with the same name share one (:func:`row_cells` gives it with
    :func:`trail_cells`, the hits put in order once).
    """
    return _top_cells(top_hit(hits), len(hits))


def row_cells(hits: Sequence[HitDict]) -> tuple[list[Any], list[str]]:
    """:func:`hit_cells` and :func:`trail_cells` of one row's hits."""
    if not hits:
        return hit_cells(hits), trail_cells(hits)
    ordered = order_hits(hits)
    return _top_cells(ordered[0], len(hits)), _trail(ordered)


def _top_cells(top: HitDict | None, count: int) -> list[Any]:
    if top is None:
        return [None, "", "", "", "", "", "", "", "", 0]
    level, list_name, citation = top_listing(top)
    listing = next(
        (
            x
            for x in top.get("listings") or ()
            if x.get("list") == list_name and x.get("citation") == citation
        ),
        top,
    )
    score = top.get("score")
    return [
        round(float(score), 4) if isinstance(score, int | float) else None,
        text(top.get("name")),
        text(top.get("matched_name")),
        text(top.get("relation") or DEFAULT_RELATION),
        text(top.get("source_name") or top.get("source_id")),
        text(list_name),
        text(citation),
        level.id,
        effect_line(listing),
        count,
    ]


def effect_line(listing: ListingDict | HitDict) -> str:
    """What a listing requires or does, in one line: "correspondent-account ban: United
    States financial institutions are prohibited from ...", "licence requirement: For
    all items subject to the EAR."; empty when its list says nothing and screener holds no
    statement for it (:mod:`screener.lists.effects`)."""
    effect = text(listing.get("effect")).strip()
    if effect:
        kind = text(listing.get("effect_kind")).strip()
        return f"{kind}: {effect}" if kind else effect
    licence = text(listing.get("license_requirement")).strip()
    return f"licence requirement: {licence}" if licence else ""


def trail_cells(hits: Sequence[HitDict]) -> list[str]:
    """The values of ``screen_hit_ids`` and ``screen_decision`` for one row's hits."""
    if not hits:
        return ["", ""]
    return _trail(order_hits(hits))


def _trail(ordered: Sequence[HitDict]) -> list[str]:
    return [hit_ids(ordered), " | ".join(d for d in map(decision_text, ordered) if d)]


def hit_id(hit: HitDict) -> str:
    """``SOURCE:ENTITY@VERSION``: one hit named so that a reviewed file can be read back."""
    version = hit.get("version_id")
    return f"{hit.get('source_id')}:{hit.get('entity_id')}" + (
        f"@{version}" if version is not None else ""
    )


def hit_ids(hits: Sequence[HitDict]) -> str:
    return "; ".join(hit_id(h) for h in hits)


def parse_hit_ids(cell: str) -> list[tuple[str, str, int | None]]:
    """(source id, entity id, version id or None) of each id in a ``screen_hit_ids`` cell."""
    out = []
    for part in str(cell or "").split(";"):
        part = part.strip()
        if not part:
            continue
        version: int | None = None
        head, at, tail = part.rpartition("@")
        if at and tail.isdigit():
            part, version = head, int(tail)
        source, colon, entity = part.partition(":")
        if not colon or not source.strip() or not entity.strip():
            raise ValueError(f"{part!r} is not SOURCE:ENTITY[@VERSION]")
        out.append((source.strip(), entity.strip(), version))
    return out


def decision_text(hit: HitDict) -> str:
    """A hit's decision in a few words, with what changed since; empty without one."""
    d = hit.get("decision")
    if not isinstance(d, dict):
        return ""
    day = str(d.get("decided_at") or "")[:10]
    out = (
        f"{hit.get('status') or 'hit'}: {d.get('kind')} #{d.get('id')} by {d.get('reviewer')}"
        f" on {day} ({d.get('reason')}) for {hit.get('source_id')}:{hit.get('entity_id')}"
    )
    if d.get("changes"):
        out += "; changed since: " + "; ".join(str(c) for c in d["changes"])
    return out


def as_number(cell: str) -> int | float | None:
    """The number a text cell plainly holds, or None to keep it as text (see the module doc)."""
    if not cell or len(cell) > 24 or not (cell[0].isdigit() or cell[0] == "-"):
        return None
    if _PLAIN_NUMBER.fullmatch(cell) and (
        len(cell.replace("-", "").replace(".", "").lstrip("0")) <= _MAX_DIGITS
    ):
        return float(cell) if "." in cell else int(cell)
    try:
        value = float(cell)
    except ValueError:
        return None
    # Only a float as Python prints it (how the readers render a workbook's floats).
    return value if math.isfinite(value) and repr(value) == cell else None


def xlsx_text(value: str) -> str:
    """Text as one XLSX cell can hold it safely: legal XML, neutralized, within the size limit."""
    if _XML_ILLEGAL.search(value):
        value = _XML_ILLEGAL.sub("\ufffd", value)
    value = neutralize(value)
    if len(value) > XLSX_MAX_CELL // 2 and _utf16_len(value) > XLSX_MAX_CELL:
        value = _utf16_cut(value, XLSX_MAX_CELL - len(TRUNCATED)) + TRUNCATED
    return value


def _utf16_len(value: str) -> int:
    return len(value) + sum(1 for c in value if ord(c) > 0xFFFF)


def _utf16_cut(value: str, units: int) -> str:
    """The longest prefix of ``value`` within ``units`` UTF-16 units (no split characters)."""
    used = 0
    for i, c in enumerate(value):
        used += 2 if ord(c) > 0xFFFF else 1
        if used > units:
            return value[:i]
    return value
