"""Which row of a sheet holds the column names: registers often put a title, a date or a
"prepared by" line above them.

:func:`find_header` looks at the first :data:`SCAN_ROWS` rows that are not blank and
takes the first that looks like a header:

* it has at least two cells (or the sheet has one column), and at least half as many
  cells as the widest row after it: a title is one cell over a table of several;
* every cell is text, and no cell is a number, a date or a yes/no: a data row, or a
  "Date: 2026-03-01" line, holds values;
* its labels differ from one another;
* or it names a column screener knows (``Name``, ``Funder``, ``Country``, ``名称``...),
  whatever else it holds;

and no row above it is as wide (a first row such as ``Name, 2024, 2025`` is the header,
years and all). A row naming a column screener knows is taken before any other, so a
"Prepared by | Research Office" line above the table is not mistaken for it.
When the header is not the first of those rows, the reader warns, naming the row it
took and what it passed over, and the user can say otherwise with ``--header-row N``
(the row's number as the spreadsheet shows it, or the CSV line's). When no row looks
like a header, the first row is taken, as it always was.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

SCAN_ROWS = 20  # rows (not blank) looked at for the header
_NUMBER = re.compile(r"[-+]?[$€£¥]?\s?\d[\d,.\s]*%?")


@dataclass(frozen=True)
class Header:
    """The row chosen: its position among the rows given, its number as the file
    numbers it, and the warning to give (None when it is the first row)."""

    index: int
    number: int
    note: str | None


def is_value(cell: Any) -> bool:
    """A cell that holds a value rather than a label: a number, a date, a yes/no, or
    text that reads as a number ("1,250", "$ 30,000", "12%")."""
    if isinstance(cell, bool | int | float | dt.date | dt.time):
        return True
    text = str(cell).strip()
    return bool(text) and _NUMBER.fullmatch(text) is not None


def filled(row: Sequence[Any]) -> list[Any]:
    """The cells of ``row`` that are not empty."""
    return [c for c in row if c is not None and str(c).strip() != ""]


def looks_like_header(row: Sequence[Any], width: int, known: Callable[[str], bool]) -> bool:
    """Whether ``row`` reads as column names above data rows ``width`` cells wide."""
    cells = filled(row)
    if not cells:
        return False
    if any(_names(c, known) for c in cells):
        return True
    if any(is_value(c) for c in cells):
        return False
    if len(cells) < min(2, width) or len(cells) * 2 < width:
        return False
    labels = [str(c).strip().casefold() for c in cells]
    return len(set(labels)) == len(labels)


def find_header(
    rows: Sequence[Sequence[Any]],
    numbers: Sequence[int],
    *,
    header_row: int | None = None,
    known: Callable[[str], bool] | Collection[str] = (),
    what: str = "row",
) -> Header:
    """The header among ``rows`` (the first rows of a sheet that are not blank, numbered
    ``numbers`` as the file numbers them); ``header_row`` is the user's choice.

    Raises ValueError with the problem when ``header_row`` names no row given, or a blank
    one (the caller gives every row up to ``header_row``). ``known`` tells a column label screener recognises (a set of labels, compared
    case-folded, or a function). ``what`` names a row in the warning ("row", "line").
    """
    if not rows:
        raise ValueError("no rows")
    if header_row is not None:
        if header_row in numbers:
            return Header(numbers.index(header_row), header_row, None)
        if header_row <= numbers[-1]:
            raise ValueError(f"--header-row {header_row}: that {what} is blank")
        raise ValueError(f"--header-row {header_row}: the last {what} with data is {numbers[-1]}")
    test = known if callable(known) else _in(known)
    scanned = list(rows[:SCAN_ROWS])
    # a row naming a column screener knows wins; else the first that looks like a header
    naming = [i for i, row in enumerate(scanned) if any(_names(c, test) for c in filled(row))]
    for i, row in [(naming[0], scanned[naming[0]])] if naming else enumerate(scanned):
        after = [len(filled(r)) for r in rows[i + 1 : i + 1 + SCAN_ROWS]]
        width = max(after, default=len(filled(row)))
        if looks_like_header(row, width, test):
            if i and any(len(filled(r)) >= len(filled(row)) for r in rows[:i]):
                break  # a row above is as wide: it is the header, with values in it
            if i == 0:
                return Header(0, numbers[0], None)
            above = "; ".join(" ".join(map(_shown, filled(r)))[:60] for r in rows[:i])
            note = (
                f"took {what} {numbers[i]} as the header (column names: "
                f"{', '.join(map(_shown, filled(row)))[:120]}); the {what}"
                f"{'s' if i > 1 else ''} above it look like a title ({above[:160]}); "
                f"give --header-row N if the column names are on another {what}"
            )
            return Header(i, numbers[i], note)
    return Header(0, numbers[0], None)


def _names(cell: Any, known: Callable[[str], bool]) -> bool:
    """Whether a cell is a column label screener knows ("Funder", "Country", "名称")."""
    return not is_value(cell) and known(str(cell))


def _shown(cell: Any) -> str:
    if isinstance(cell, dt.datetime) and cell.time() == dt.time():
        return cell.date().isoformat()
    return str(cell)


def _in(labels: Collection[str]) -> Callable[[str], bool]:
    folded = {str(x).casefold() for x in labels}
    return lambda text: " ".join(str(text).split()).casefold() in folded


def text_header(
    text: str,
    sniff: Callable[[str], tuple[str | None, list[Any]]],
    *,
    header_row: int | None = None,
    known: Callable[[str], bool] | Collection[str] = (),
) -> tuple[int, str | None, list[Any], str | None]:
    """Where the column names of a delimited text file start: (lines to skip, delimiter,
    records from the header on, warning or None).

    ``sniff`` reads a text that starts at its header and returns its delimiter (None:
    one column) and records (each with ``fields`` and ``line``, 1-based, in that text).
    A file whose first line is split by a delimiter into column names is read as it is;
    otherwise (a title line over the table) the first of the next lines from which the
    file reads as a table under a header is taken, with a warning, and ``header_row``
    (a 1-based line number) says which line without guessing.
    """
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    test = known if callable(known) else _in(known)

    def at(line: int) -> tuple[str | None, list[Any]]:
        return sniff(text[starts[line] :])

    if header_row is not None:
        if header_row > len(starts) or not text[starts[header_row - 1] :].strip():
            raise ValueError(f"--header-row {header_row}: the file has fewer lines")
        delimiter, records = at(header_row - 1)
        if not records or records[0].line != 1:
            raise ValueError(f"--header-row {header_row}: that line is blank")
        return header_row - 1, delimiter, records, None
    delimiter, records = at(0)
    if not records or (delimiter is not None and _heads(records, test)):
        return 0, delimiter, records, None
    if any(test(str(c)) for c in filled(records[0].fields)):
        return 0, delimiter, records, None  # a column screener knows: the header is here
    for line in range(1, min(SCAN_ROWS, len(starts))):
        d, recs = at(line)
        if d is None or not recs or recs[0].line != 1 or not _heads(recs, test):
            continue
        rows = [len(filled(r.fields)) for r in recs[1 : 1 + SCAN_ROWS]]
        if not rows or sum(n >= 2 for n in rows) * 2 < len(rows):
            continue  # not a table under it: names with commas in a one-column list
        width = len(filled(recs[0].fields))
        if any(
            len(filled(f)) >= width
            for f in csv.reader(text[: starts[line]].splitlines(), delimiter=d)
        ):
            break  # a line above is as wide: it is the header, with values in it
        above = "; ".join(
            " ".join(r.fields).strip()[:60] for r in records if r.line <= line and any(r.fields)
        )
        note = (
            f"took line {line + 1} as the header (column names: "
            f"{', '.join(recs[0].fields)[:120]}); the line{'s' if line > 1 else ''} above it "
            f"look like a title ({above[:160]}); give --header-row N if the column names "
            "are on another line"
        )
        return line, d, recs, note
    return 0, delimiter, records, None


def _heads(records: list[Any], known: Callable[[str], bool]) -> bool:
    width = max((len(filled(r.fields)) for r in records[1 : 1 + SCAN_ROWS]), default=1)
    return looks_like_header(records[0].fields, width, known)
