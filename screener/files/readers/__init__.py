"""Read the file a user wants screened: CSV, XLSX, JSON Lines or Parquet, in chunks.

:func:`open_input` looks at a file once and returns an
:class:`~screener.files.readers.table.InputTable` that says what it is (format,
encoding, delimiter, columns, which column holds the names, checksum);
:meth:`~screener.files.readers.table.InputTable.chunks` then streams its rows as
DataFrames (of strings; a Parquet file's keep their types), so a million-row file never
sits in memory at once.

    table.py     the table every reader gives, and what the formats share: the byte
                 pass, the encoding, cells decoded one by one, names checked, columns
                 picked, one error line per problem
    csv.py       CSV and tab-delimited files (how a CSV is understood, step by step)
    xlsx.py      XLSX workbooks, checked before they are decompressed
    jsonl.py     JSON Lines
    parquet.py   Parquet, each column keeping its type

Every problem with the file raises :class:`~screener.errors.InputError` with a one-line
message that starts with the file name.
"""

from __future__ import annotations

import os
from pathlib import Path

from screener.files.readers.csv import CSV_SUFFIXES, open_csv
from screener.files.readers.jsonl import JSONL_SUFFIXES, open_jsonl
from screener.files.readers.parquet import PARQUET_SUFFIXES, open_parquet
from screener.files.readers.table import (
    DEFAULT_CHUNK,
    INPUT_ROWS_ATTR,
    MAX_ROWS,
    NOTES_ATTR,
    SNIFF_BYTES,
    InputTable,
    detect_encoding,
    input_error,
    is_legacy,
    pick_country_column,
    pick_name_column,
    scan_file,
    single_byte,
    too_many_rows,
)
from screener.files.readers.xlsx import XLSX_SUFFIXES, open_xlsx

__all__ = [
    "DEFAULT_CHUNK",
    "INPUT_ROWS_ATTR",
    "MAX_ROWS",
    "NOTES_ATTR",
    "SNIFF_BYTES",
    "InputTable",
    "open_input",
]


def open_input(
    path: str | os.PathLike[str],
    column: str | None = None,
    country_column: str | None = None,
    sheet: str | None = None,
    max_rows: int = MAX_ROWS,
    header_row: int | None = None,
) -> InputTable:
    """Look at ``path`` and say how to read it; raise InputError if it cannot be read.

    ``column`` names the column holding the names (matched exactly, then
    ignoring case); without it an obvious header (``name``, ``company``,
    ``名称``...) or a file's only column is used. ``country_column`` likewise,
    defaulting to a ``country`` / ``country_code`` / ``nationality`` header.
    ``sheet`` picks a workbook sheet by name (default: the first). A file of more than
    ``max_rows`` rows is refused when its chunks are read. The column names are the first
    row of a CSV or sheet that looks like them, within its first 20 rows, with a note
    naming the row when it is not the first (:mod:`screener.files.header`), or row
    ``header_row`` (1-based, as the spreadsheet numbers it).
    """
    path = Path(path)
    if path.is_dir():
        raise input_error(path, "is a directory, not a file")
    if not path.exists() and not path.is_symlink():
        raise input_error(path, "no such file")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES:
        accepted = " ".join(CSV_SUFFIXES + XLSX_SUFFIXES + (".jsonl", ".ndjson", ".parquet"))
        raise input_error(
            path, f"unknown file type {suffix or '(no extension)'!r}; use one of {accepted}"
        )
    if sheet is not None and suffix not in XLSX_SUFFIXES:
        raise input_error(path, "--sheet applies only to .xlsx workbooks")
    if header_row is not None and suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise input_error(path, "--header-row applies only to CSV and XLSX files")
    if header_row is not None and header_row < 1:
        raise input_error(path, f"--header-row {header_row}: rows are numbered from 1")
    scan = scan_file(path)
    if suffix in XLSX_SUFFIXES:
        table = open_xlsx(path, scan, sheet, max_rows, header_row)
    elif suffix in PARQUET_SUFFIXES:
        table = open_parquet(path, scan)
        if table.rows is not None and table.rows > max_rows:
            raise input_error(path, too_many_rows(table.rows, max_rows))
    else:
        encoding = detect_encoding(path, scan)
        # Not UTF-8 throughout: the file may mix encodings, so each cell (each JSON line)
        # is decoded by the encoding its bytes fit (screener.files.encodings).
        legacy = is_legacy(scan, encoding)
        if suffix == ".json" or suffix in (".jsonl", ".ndjson"):
            table = open_jsonl(path, scan, encoding, legacy)
        else:
            table = open_csv(path, scan, encoding, header_row)
            # not where a delimiter byte can be the second byte of a character ("|" in GBK)
            table.per_cell = legacy and (
                table.delimiter in (None, ",", ";", "\t") or single_byte(encoding)
            )
    table.name_column = pick_name_column(path, table.columns, column)
    table.country_column = pick_country_column(path, table.columns, country_column)
    table.max_rows = max_rows
    return table
