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
  hit, chosen by :func:`~screener.files.reports.severity.top_hit`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from screener.files.cells import neutralize
from screener.files.reports.severity import top_hit, top_listing

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
    "screen_hits",
    "screen_input_row",
]
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


def hit_cells(hits: Sequence[dict[str, Any]]) -> list[Any]:
    """The values of the ``screen_*`` columns between status and input row, for one row's hits.

    That is: top score (a float), top name, matched name, relation, source,
    list, citation, severity, number of hits (an int). Callers cache it per
    distinct hit list: rows with the same name share one.
    """
    top = top_hit(hits)
    if top is None:
        return [None, "", "", "", "", "", "", "", 0]
    level, list_name, citation = top_listing(top)
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
        len(hits),
    ]


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
