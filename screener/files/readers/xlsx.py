"""XLSX workbooks (``.xlsx``, ``.xlsm``), read by openpyxl in read-only mode.

A workbook is checked on its ZIP directory before anything is decompressed (its size,
its parts' expansion, their number, a DTD in an XML part), and refused when it is
encrypted, holds more rows than Excel's last one, or is no workbook. The first sheet
(or ``--sheet``) is read; a sheet with formulas is read twice, for the cached values and
for the formulas' text (a formula without a value is a row to review, never a clear).
Each chunk carries each row's number in its sheet (:data:`INPUT_ROWS_ATTR`).
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import itertools
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from screener.files.cells import formula_text
from screener.files.header import SCAN_ROWS, Header, find_header
from screener.files.number_formats import SAMPLE_ROWS, column_formats
from screener.files.readers.table import (
    ENCRYPTED,
    INPUT_ROWS_ATTR,
    NOTES_ATTR,
    OLE,
    InputTable,
    Scan,
    input_error,
    is_encrypted_ooxml,
    known_header,
    one_line,
    string_frame,
    unique_columns,
)

XLSX_SUFFIXES = (".xlsx", ".xlsm")

# What a workbook may be, checked on its ZIP directory before anything is decompressed
# (an .xlsx is a ZIP of XML parts; a "zip bomb" of a few MB expands to gigabytes).
# Python's zipfile never inflates a part beyond the size its directory declares.
XLSX_MAX_BYTES = 1 << 30  # the file itself: 1 GiB
XLSX_MAX_EXPANDED = 2 << 30  # its parts decompressed, together: 2 GiB
XLSX_MAX_RATIO = 100  # a part may expand 100-fold (Apache POI's limit for Excel files) ...
XLSX_RATIO_GRACE = 1 << 20  # ... once it is over 1 MiB decompressed
XLSX_MAX_PARTS = 10_000
XLSX_MAX_ROWS = 1_048_576  # Excel's last row: a sheet with more was not made by a spreadsheet
XML_PROLOG_BYTES = 64 << 10  # where an XML part's DTD would be


# --- XLSX -------------------------------------------------------------------------------


def open_xlsx(
    path: Path, scan: Scan, sheet: str | None, max_rows: int, header_row: int | None
) -> InputTable:
    if not scan.head.startswith(b"PK\x03\x04"):
        if scan.head.startswith(OLE) and is_encrypted_ooxml(path):
            raise input_error(path, ENCRYPTED)
        if scan.head.startswith(OLE):
            raise input_error(
                path,
                "is an old Excel .xls (OLE) file, not an .xlsx workbook; save it as .xlsx or .csv",
            )
        raise input_error(path, "is not an Excel workbook (not a ZIP file); is it a CSV renamed?")
    formulas = _check_workbook(path, max_rows)
    with _Workbook(path) as wb:
        ws = _worksheet(path, wb, sheet)
        rows: list[list[Any]] = []  # the first rows that are not blank, and their numbers
        numbers: list[int] = []
        with _Workbook(path, formulas=True) if formulas else contextlib.nullcontext() as fwb:
            fws = _worksheet(path, fwb, ws.title) if fwb is not None else None
            for n, row in enumerate(_sheet_rows(path, ws, fws), 1):
                if any(v not in (None, "") or isinstance(v, _Formula) for v in row):
                    rows.append(list(row))
                    numbers.append(n)
                    if len(rows) > 2 * SCAN_ROWS and (header_row or 0) < n:
                        break
        name = ws.title
        if not rows:
            raise input_error(path, f"sheet {name!r} is empty")
        found = _header(path, rows, numbers, header_row, "row")
        formats = column_formats(
            ws.iter_rows(min_row=found.number + 1, max_row=found.number + SAMPLE_ROWS),
            [str(i) for i in range(len(rows[found.index]))],
        )
    labels = [_cell_text(v) for v in rows[found.index]]
    while labels and not labels[-1].strip():
        labels.pop()
    if found.index == len(rows) - 1:
        raise input_error(path, f"sheet {name!r} has a header but no rows")
    columns = unique_columns(labels)
    return InputTable(
        path=path,
        reader=_xlsx_chunks,
        format="xlsx",
        encoding=None,
        delimiter=None,
        columns=columns,
        name_column="",
        country_column=None,
        sha256=scan.sha256,
        rows=None,
        sheet=name,
        formulas=formulas,
        header_note=found.note,
        number_formats={columns[int(i)]: f for i, f in formats.items() if int(i) < len(columns)},
        header_rows=found.number,
    )


def _header(
    path: Path, rows: list[list[Any]], numbers: list[int], header_row: int | None, what: str
) -> Header:
    """The header row among a file's first rows (:mod:`screener.files.header`)."""
    try:
        return find_header(rows, numbers, header_row=header_row, known=known_header, what=what)
    except ValueError as e:
        raise input_error(path, str(e)) from None


def _check_workbook(path: Path, max_rows: int) -> bool:
    """Refuse a workbook over the limits (``XLSX_*``: sizes, expansion, parts), with an
    XML part that declares a DTD, or with a sheet of more rows than ``max_rows`` or
    Excel's last row, before anything else reads it: from its ZIP directory, the first
    bytes of each XML part, and its sheets' XML decompressed in blocks (the rows are
    counted, not read). Returns whether a sheet holds formulas."""
    size = path.stat().st_size
    if size > XLSX_MAX_BYTES:
        raise input_error(
            path,
            f"is {size / 2**20:,.0f} MB, more than the {XLSX_MAX_BYTES >> 20:,} MB a workbook may be",
        )
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            if len(parts) > XLSX_MAX_PARTS:
                raise input_error(
                    path,
                    f"holds {len(parts):,} parts, more than a workbook has ({XLSX_MAX_PARTS:,})",
                )
            expanded = sum(p.file_size for p in parts)
            if expanded > XLSX_MAX_EXPANDED:
                raise input_error(
                    path,
                    f"would expand to {expanded / 2**20:,.0f} MB, more than the "
                    f"{XLSX_MAX_EXPANDED >> 20:,} MB screener reads (a zip bomb?)",
                )
            for p in parts:
                if p.file_size > XLSX_RATIO_GRACE and p.file_size > XLSX_MAX_RATIO * max(
                    1, p.compress_size
                ):
                    raise input_error(
                        path,
                        f"its part {p.filename} would expand {p.file_size // max(1, p.compress_size):,}-fold "
                        f"to {p.file_size / 2**20:,.0f} MB, more than {XLSX_MAX_RATIO}-fold (a zip bomb?)",
                    )
            for p in parts:
                if p.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with z.open(p) as f:
                        head = f.read(XML_PROLOG_BYTES)
                    why = _dtd(head)
                    if why:
                        raise input_error(path, f"its part {p.filename} {why}; refused")
            formulas = False
            for sheet in _sheet_parts(z):
                rows, has_formulas = _sheet_census(path, z, sheet)
                formulas = formulas or has_formulas
                if rows > min(max_rows, XLSX_MAX_ROWS):
                    limit = (
                        "Excel's last row" if max_rows > XLSX_MAX_ROWS else "the most one run reads"
                    )
                    raise input_error(
                        path,
                        f"its sheet {sheet} has {rows:,} rows, more than {min(max_rows, XLSX_MAX_ROWS):,} "
                        f"({limit}); split it into smaller files",
                    )
            return formulas
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        ValueError,
        EOFError,
    ) as e:
        raise input_error(path, f"is not a readable Excel workbook: {one_line(e)}") from None
    except OSError as e:
        raise input_error(path, f"cannot read the file: {e.strerror or e}") from None


def _dtd(head: bytes) -> str | None:
    """Why the XML whose first bytes are ``head`` is refused: a DTD (``<!DOCTYPE``), which
    no workbook part needs and which brings entity expansion ("billion laughs") and
    external entities; or a prolog longer than those bytes. None when it has neither."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    cut = len(head) >= XML_PROLOG_BYTES  # the part goes on beyond what was read
    i = 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if text[i : i + 9].upper() == "<!DOCTYPE":
            return (
                "declares a DTD (<!DOCTYPE ...>), which no workbook needs "
                "(entity expansion, external entities)"
            )
        closing = (
            "?>" if text.startswith("<?", i) else "-->" if text.startswith("<!--", i) else None
        )
        if closing is None:  # the root element: the prolog is over
            return "has an XML prolog too long to check" if cut and i >= len(text) else None
        end = text.find(closing, i)
        if end < 0:
            return "has an XML prolog too long to check" if cut else None
        i = end + len(closing)


_ROW_TAGS = (b"<row ", b"<row>", b"<row/>", b":row ", b":row>", b":row/>")  # x:row: a prefix
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _sheet_parts(z: zipfile.ZipFile) -> list[str]:
    """The ZIP parts holding worksheets: as [Content_Types].xml names them, else by path."""
    import xml.etree.ElementTree as ET

    names = set(z.namelist())
    parts: list[str] = []
    try:
        types = ET.fromstring(z.read("[Content_Types].xml"))
        for o in types:
            if o.tag.endswith("Override") and o.get("ContentType") == _WORKSHEET_TYPE:
                name = (o.get("PartName") or "").lstrip("/")
                if name in names:
                    parts.append(name)
    except (KeyError, ET.ParseError):
        pass
    return parts or sorted(n for n in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n))


def _sheet_census(path: Path, z: zipfile.ZipFile, part: str) -> tuple[int, bool]:
    """(rows, whether any cell has a formula) of a worksheet part, counted in its XML
    decompressed in blocks (within the size its ZIP directory declares)."""
    rows, formulas, carry = 0, False, b""
    keep = 16  # longer than any tag matched
    with z.open(part) as f:
        while block := f.read(1 << 20):
            buf = carry + block
            limit = len(buf) - keep
            # each tag starting before ``limit`` is counted now, the others with the next block
            rows += sum(buf.count(t, 0, limit + len(t) - 1) for t in _ROW_TAGS)
            formulas = formulas or _FORMULA_TAG.search(buf) is not None
            carry = buf[limit:]
    rows += sum(carry.count(t) for t in _ROW_TAGS)
    return rows, formulas


class _Workbook:
    """Open a workbook read-only; always closes it (read-only mode keeps the file open).
    Cells give their cached values, or with ``formulas`` their formulas (``=...``)."""

    def __init__(self, path: Path, formulas: bool = False) -> None:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            with warnings.catch_warnings():
                # openpyxl's notes about unsupported extensions are not the user's problem
                warnings.simplefilter("ignore")
                self.wb = openpyxl.load_workbook(path, read_only=True, data_only=not formulas)
        except (
            zipfile.BadZipFile,
            InvalidFileException,
            KeyError,
            ValueError,
            OSError,
            SyntaxError,  # xml.etree's ParseError
        ) as e:
            raise input_error(path, f"is not a readable Excel workbook: {one_line(e)}") from None

    def __enter__(self) -> Any:
        return self.wb

    def __exit__(self, *exc: object) -> None:
        self.wb.close()


def _worksheet(path: Path, wb: Any, sheet: str | None) -> Any:
    sheets = [ws for ws in wb.worksheets if hasattr(ws, "iter_rows")]
    if not sheets:
        raise input_error(path, "has no worksheets")
    if sheet is None:
        return sheets[0]
    for ws in sheets:
        if ws.title == sheet:
            return ws
    folded = [ws for ws in sheets if ws.title.casefold() == sheet.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    names = ", ".join(ws.title for ws in sheets)
    raise input_error(path, f"has no sheet {sheet!r} (sheets: {names})")


def _sheet_rows(path: Path, ws: Any, formulas: Any = None) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows of values; with ``formulas`` (the same sheet opened for its
    formulas) a formula cell without a cached value is a :class:`_Formula`."""
    ws.reset_dimensions()  # don't trust the stored dimensions: some writers get them wrong
    rows = ws.iter_rows(values_only=True)
    if formulas is not None:
        formulas.reset_dimensions()
        rows = _with_formulas(rows, formulas.iter_rows(values_only=True))
    try:
        yield from rows
    except (SyntaxError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as e:
        raise input_error(path, f"is not a readable Excel workbook: {one_line(e)}") from None


def _with_formulas(
    values: Iterator[tuple[Any, ...]], formulas: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    for row, frow in itertools.zip_longest(values, formulas, fillvalue=()):
        if any(v is None and _formula(f) for v, f in zip(row, frow)):
            row = tuple(
                _Formula(formula) if v is None and (formula := _formula(f)) else v
                for v, f in itertools.zip_longest(row, frow)
            )
        yield row


def _formula(cell: Any) -> str | None:
    """A formula cell's formula (``=...``; an array formula's too), else None."""
    text = getattr(cell, "text", cell)  # openpyxl's ArrayFormula
    return text if isinstance(text, str) and text.startswith("=") else None


class _Formula(str):
    """A formula cell without a cached value (never calculated, as a script writes one):
    the text it shows (:func:`screener.files.cells.formula_text`: a HYPERLINK's label, a
    string literal), "" when that cannot be known; ``formula`` is the formula."""

    formula: str

    def __new__(cls, formula: str) -> _Formula:
        self = super().__new__(cls, formula_text(formula) or "")
        self.formula = formula
        return self


def _xlsx_chunks(table: InputTable, size: int) -> Iterator[pd.DataFrame]:
    width = len(table.columns)
    start = 0
    rows: list[list[str]] = []
    numbers: list[int] = []  # each row's number in the sheet, for the outputs
    notes: dict[int, tuple[str | None, str]] = {}
    name_at = table.columns.index(table.name_column) if table.name_column in table.columns else -1
    with (
        _Workbook(table.path) as wb,
        _Workbook(table.path, formulas=True) if table.formulas else contextlib.nullcontext() as fwb,
    ):
        ws = _worksheet(table.path, wb, table.sheet)
        fws = _worksheet(table.path, fwb, table.sheet) if fwb is not None else None
        for n, row in enumerate(_sheet_rows(table.path, ws, fws)):
            if n < table.header_rows:
                continue
            cells = [_cell_text(v) for v in row[:width]]
            if not any(cells) and not any(isinstance(v, _Formula) for v in row[:width]):
                continue  # a blank row; a row of formulas is a row, even without values
            cells.extend([""] * (width - len(cells)))
            name = cells[name_at] if name_at >= 0 else None
            if isinstance(name, _Formula):
                notes[len(rows)] = (
                    (None, f"name read from the formula {name.formula[:80]}")
                    if name
                    else ("skipped", f"formula without a value: {name.formula[:80]}")
                )
            rows.append([str(c) for c in cells])
            numbers.append(n + 1)
            if len(rows) == size:
                yield _numbered(string_frame(rows, table.columns, start), numbers, notes)
                start += len(rows)
                rows, numbers, notes = [], [], {}
    if rows:
        yield _numbered(string_frame(rows, table.columns, start), numbers, notes)


def _numbered(
    frame: pd.DataFrame, numbers: list[int], notes: dict[int, tuple[str | None, str]]
) -> pd.DataFrame:
    """Attach the sheet's row numbers (``attrs["input_rows"]``, read by the output writers),
    so outputs number rows as the sheet does, also after blank rows this reader skipped;
    and the notes on names read from formulas."""
    frame.attrs[INPUT_ROWS_ATTR] = np.array(numbers, dtype=np.int64)  # an array copies fast
    if notes:
        frame.attrs[NOTES_ATTR] = dict(notes)
    return frame


def _cell_text(value: Any) -> str:
    """A spreadsheet value as the text a user sees (numbers without a stray ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
