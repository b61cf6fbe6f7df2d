"""Reading an official list published as a spreadsheet: XLSX or CSV, told apart by content.

OFSI and DFAT publish the same columns as XLSX and as CSV, and a download URL may
serve either whatever its name says, so :func:`read_table` looks at the bytes:

* ``PK\\x03\\x04`` (a zip) is an XLSX workbook, read by :mod:`xlsx`; the first sheet
  whose first rows hold the ``required`` columns is used;
* the old binary Excel format (``.xls``, OLE2) is refused with a hint to save it as XLSX;
* an HTML page (an error or login page served with status 200) is refused;
* anything else is CSV text: UTF-8 (with or without BOM), else Windows-1252; the
  delimiter (comma, tab or semicolon) is the one the header line uses most.

The header need not be the first row: OFSI puts a "Last Updated" row above it. Rows
above the header come back as ``preamble``. Column names are matched ignoring case
and spacing: each row is a dict keyed by :func:`key` of its column name ("Name 6" ->
``"name 6"``), with the workbook's values (str, int, float, datetime, None) or CSV
strings.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.lists.parsers.xlsx import Workbook, XlsxError

HEADER_SEARCH_ROWS = 10
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


@dataclass
class Table:
    """The rows of one sheet or CSV file under its header."""

    header: list[str]
    rows: Iterator[dict[str, Any]]
    preamble: list[list[Any]] = field(default_factory=list)
    kind: str = "csv"  # "xlsx" or "csv"
    sheet: str | None = None
    modified: str | None = None  # workbook's own "last modified" date, when it has one


def key(name: Any) -> str:
    """A column name compared ignoring case and spacing."""
    return " ".join(str(name or "").split()).lower()


def sniff(path: Path) -> str:
    """``xlsx``, ``xls``, ``html``, ``empty`` or ``text`` by the file's first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a list file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not start:
        return "empty"
    if start.startswith(HTML_STARTS):
        return "html"
    return "text"


def read_table(path: Path, required: list[str], what: str) -> Table:
    """The table under the first header row that names every ``required`` column."""
    kind = sniff(path)
    if kind == "empty":
        raise InputError(f"{path}: file is empty")
    if kind == "html":
        raise InputError(f"{path}: is an HTML page, not the {what} (an error or login page?)")
    if kind == "xls":
        raise InputError(
            f"{path}: is an old binary Excel (.xls) file; open it and save it "
            "as .xlsx (or CSV), then import that"
        )
    if kind == "xlsx":
        return _xlsx(path, required, what)
    return _csv(path, required, what)


def _find_header(rows: list[list[Any]], required: list[str]) -> int | None:
    want = {key(r) for r in required}
    for i, row in enumerate(rows):
        if want <= {key(c) for c in row}:
            return i
    return None


def _missing(path: Path, rows: list[list[Any]], required: list[str], what: str) -> InputError:
    first = next((r for r in rows if any(str(c or "").strip() for c in r)), [])
    found = ", ".join(str(c).strip() for c in first[:6] if str(c or "").strip()) or "nothing"
    return InputError(
        f"{path}: not the {what}: no header row with the columns "
        f"{', '.join(required)} (first row: {found})"
    )


def _xlsx(path: Path, required: list[str], what: str) -> Table:
    try:
        wb = Workbook(path)
    except XlsxError as exc:
        raise InputError(
            f"{path}: not a readable XLSX workbook (truncated or damaged?): {exc}"
        ) from None
    try:
        first_rows: list[list[Any]] = []
        for sheet in wb.sheets:
            rows = wb.rows(sheet)
            head = [r for _, r in zip(range(HEADER_SEARCH_ROWS), rows)]
            first_rows = first_rows or head
            at = _find_header(head, required)
            if at is None:
                continue
            width = max(i for i, c in enumerate(head[at]) if str(c or "").strip()) + 1
            header = [" ".join(str(c or "").split()) for c in head[at][:width]]
            body = [*head[at + 1 :]]
            return Table(
                header,
                _xlsx_rows(path, wb, body, rows, header),
                head[:at],
                "xlsx",
                sheet,
                wb.modified,
            )
    except XlsxError as exc:
        wb.close()
        raise InputError(
            f"{path}: not a readable XLSX workbook (truncated or damaged?): {exc}"
        ) from None
    wb.close()
    raise _missing(path, first_rows, required, what)


def _xlsx_rows(
    path: Path, wb: Workbook, body: list[list[Any]], rest: Iterator[list[Any]], header: list[str]
) -> Iterator[dict[str, Any]]:
    keys = [key(h) for h in header]
    try:
        for row in itertools.chain(body, rest):
            if any(v is not None and str(v).strip() for v in row):
                yield dict(zip(keys, row))
    except XlsxError as exc:
        raise InputError(f"{path}: damaged XLSX data (truncated?): {exc}") from None
    finally:
        wb.close()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def delimiter(line: str) -> str:
    """The delimiter a line uses most outside quotes: comma, tab or semicolon."""
    bare = re.sub(r'"[^"]*"?', "", line)
    return max((",", "\t", ";"), key=bare.count)


def _csv(path: Path, required: list[str], what: str) -> Table:
    text = _decode(path.read_bytes())
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    want = {key(r) for r in required}
    delim = next(
        (delimiter(ln) for ln in lines if sum(key(r) in key(ln) for r in want) == len(want)), ","
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    head: list[list[Any]] = []
    try:
        for row in reader:
            head.append(row)
            if _find_header([row], required) is not None:
                break
            if len(head) >= HEADER_SEARCH_ROWS:
                raise _missing(path, head, required, what)
        else:
            raise _missing(path, head, required, what)
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None
    header = [" ".join(c.split()) for c in head[-1]]
    keys = [key(h) for h in header]

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for row in reader:
                if any(c.strip() for c in row):
                    yield dict(zip(keys, row))
        except csv.Error as exc:
            raise InputError(
                f"{path}: malformed CSV at line {reader.line_num}: {exc} (the file looks truncated)"
            ) from None

    return Table(header, rows(), head[:-1], "csv")
