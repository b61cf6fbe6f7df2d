"""The number formats of a workbook's columns, so that the XLSX output shows the input's
amounts, percentages and dates as the input did (``$250,000.00``, not ``250000``).

The readers hand every cell over as text (:mod:`screener.files.readers`); what a column
looked like is read once, from its first data rows: :func:`column_formats` gives, for
each column whose number or date cells carry a format other than ``General``, the
format most of them carry. The XLSX writer applies it to the column's cells that are
plainly a number (:func:`screener.files.reports.cells.as_number`) or, for a date format,
an ISO date.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

GENERAL = "General"
SAMPLE_ROWS = 50  # data rows looked at
_DATE_CODES = ("yy", "mm", "dd", "d/", "m/", "mmm", "h:mm")


def column_formats(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> dict[str, str]:
    """{column: number format} from rows of spreadsheet cells (objects with ``value`` and
    ``number_format``, as openpyxl gives them), for the number and date cells only."""
    seen: list[Counter[str]] = [Counter() for _ in columns]
    for row in rows:
        for i, cell in enumerate(row[: len(columns)]):
            value = getattr(cell, "value", None)
            fmt = getattr(cell, "number_format", None)
            if value is None or isinstance(value, bool | str) or not isinstance(fmt, str):
                continue
            if isinstance(value, int | float | dt.date | dt.time):
                seen[i][fmt] += 1
    out = {}
    for column, counts in zip(columns, seen):
        if counts:
            fmt, _ = counts.most_common(1)[0]
            if fmt and fmt != GENERAL:
                out[column] = fmt
    return out


def is_date_format(fmt: str) -> bool:
    """Whether a number format shows a date (``yyyy-mm-dd``, ``d/m/yyyy``, ``mmm-yy``)."""
    bare = fmt.lower()
    for quoted in ('"', "\\"):
        if quoted in bare:  # literal text ("$") is not a code
            bare = "".join(bare.split('"')[::2]).replace("\\", "")
    return any(code in bare for code in _DATE_CODES) and "#" not in bare


def excel_date(text: str) -> float | None:
    """An ISO date (or date and time, as the readers write them) as an Excel serial number
    (1900 date system), or None when it is not one."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    delta = value - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400
