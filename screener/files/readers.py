"""Read the file a user wants screened: CSV, XLSX, JSON Lines or Parquet, in chunks.

:func:`open_input` looks at a file once and returns an :class:`InputTable`
that says what it is (format, encoding, delimiter, columns, which column holds
the names, checksum); :meth:`InputTable.chunks` then streams its rows as
DataFrames (of strings; a Parquet file's keep their types), so a million-row
file never sits in memory at once.

How a CSV file is understood, in order:

1. **Checksum and UTF-8 check.** One pass over the bytes computes the SHA-256
   and checks whether the whole file is valid UTF-8.
2. **Encoding.** A byte-order mark wins (UTF-8, UTF-16 LE/BE). Otherwise valid
   UTF-8 is UTF-8. Otherwise charset-normalizer judges the first 1 MB (plus a
   window around the first non-UTF-8 byte when that lies further in). When its
   candidates include a Chinese GB encoding we read GB18030, the superset of
   GB2312 and GBK; when the text it decodes is equally cp1252 we read cp1252.
3. **Delimiter.** Each of ``,`` ``;`` tab ``|`` is tried on the first 64 KB;
   the winner splits the header into the most columns while the rows agree with
   it. A file no delimiter splits consistently is one column.
4. **Rows.** pandas' C parser reads the rest, every cell a string, empty cells
   ``''``, blank lines skipped. It copes with cells of many megabytes.

A Parquet file (pyarrow) is read a batch of rows at a time, every column with
its own type (``int64[pyarrow]``, ``timestamp[us, tz=UTC][pyarrow]``, ...: pandas'
``ArrowDtype``, so that integers with gaps stay integers and a Parquet output
gets the input's types back; a missing value is ``pd.NA``). Its rows are
numbered from 1, as JSON Lines records are.

Every problem with the file raises :class:`~screener.errors.InputError` with a
one-line message that starts with the file name.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer
import numpy as np
import pandas as pd

from screener.errors import InputError
from screener.files.cells import formula_text
from screener.files.encodings import all_readable, decode_cell, decode_cells, unreadable
from screener.files.header import SCAN_ROWS, Header, find_header, text_header
from screener.files.number_formats import SAMPLE_ROWS, column_formats

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t", "|")

SAMPLE_BYTES = 1 << 20  # what charset-normalizer sees
SNIFF_BYTES = 64 << 10  # what the delimiter sniffer and header peek see
DEFAULT_CHUNK = 50_000
INPUT_ROWS_ATTR = "input_rows"  # chunk attribute: row numbers (screener.files.reports.base)
# Chunk attribute: what the reader found wrong with a row's name, {position in the chunk:
# (status, note)}: status "unreadable" (mojibake, bytes no encoding reads), "skipped" (a
# formula without a value) or None (a note only: the name was decoded another way).
NOTES_ATTR = "row_notes"
MAX_ROWS = 5_000_000  # rows one run reads; a file with more is refused (split it)

# What a workbook may be, checked on its ZIP directory before anything is decompressed
# (an .xlsx is a ZIP of XML parts; a 1.5 MB "zip bomb" expanded to 1.5 GB in memory).
# Python's zipfile never inflates a part beyond the size its directory declares.
XLSX_MAX_BYTES = 1 << 30  # the file itself: 1 GiB
XLSX_MAX_EXPANDED = 2 << 30  # its parts decompressed, together: 2 GiB
XLSX_MAX_RATIO = 100  # a part may expand 100-fold (Apache POI's limit for Excel files) ...
XLSX_RATIO_GRACE = 1 << 20  # ... once it is over 1 MiB decompressed
XLSX_MAX_PARTS = 10_000
XLSX_MAX_ROWS = 1_048_576  # Excel's last row: a sheet with more was not made by a spreadsheet
XML_PROLOG_BYTES = 64 << 10  # where an XML part's DTD would be

# Headers that obviously hold the names to screen, compared after _norm_header().
# A header matching exactly one of these is picked without --column.
NAME_HEADERS = frozenset(
    {
        "name",
        "names",
        "entity",
        "entity_name",
        "company",
        "company_name",
        "organisation",
        "organization",
        "organisation_name",
        "organization_name",
        "org",
        "org_name",
        "party",
        "party_name",
        "counterparty",
        "counterparty_name",
        "funder",
        "funder_name",
        "vendor",
        "vendor_name",
        "supplier",
        "supplier_name",
        "customer",
        "customer_name",
        "partner",
        "partner_name",
        "institution",
        "institution_name",
        "query",
        "full_name",
        "legal_name",
        "名称",
        "公司名称",
        "企业名称",
        "单位名称",
        "机构名称",
        "客户名称",
        "供应商名称",
        "合作方名称",
        "公司",
        "企业",
        "单位",
        "机构",
        "名字",
        "姓名",
    }
)
COUNTRY_HEADERS = ("country", "country_code", "nationality", "国家", "国别", "国家/地区")

_CJK_GB = {"gb2312", "gbk", "gb18030", "hz", "cp936"}
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls / OLE file; save it as .xlsx or .csv",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive; decompress it first",
}

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file (CFB) signature
_ENCRYPTED = (
    "is password-protected (an encrypted Excel workbook); remove the password in "
    "Excel (File > Info > Protect Workbook) and save it again, or save it as .csv"
)
_ENCRYPTED_ENTRY = "EncryptedPackage\0".encode("utf-16-le")


@dataclass
class InputTable:
    """A readable input file and what :func:`open_input` learned about it."""

    path: Path
    format: str  # "csv" | "xlsx" | "jsonl" | "parquet"
    encoding: str | None
    delimiter: str | None  # None for one-column CSV and non-CSV formats
    columns: list[str]
    name_column: str
    country_column: str | None
    sha256: str
    rows: int | None  # total data rows, when known without reading the whole file
    sheet: str | None = None
    max_rows: int = MAX_ROWS
    # cells decoded one by one (a file not in one encoding): ``encoding`` is then the
    # file's own, tried after UTF-8 (screener.files.encodings.decode_cell)
    per_cell: bool = False
    formulas: bool = False  # an XLSX sheet with formulas: read for their text too
    decoded: Counter[str] = field(default_factory=Counter)  # cells decoded otherwise, by how
    header_note: str | None = None  # the header is not the first row: which row was taken
    number_formats: dict[str, str] = field(default_factory=dict)  # XLSX: column -> format
    _header_rows: int = field(default=1, repr=False)  # rows up to and incl. the header

    def chunks(self, size: int = DEFAULT_CHUNK) -> Iterator[pd.DataFrame]:
        """Yield the rows as DataFrames of at most ``size`` rows.

        Every cell is a ``str`` (``''`` when empty), the columns are
        :attr:`columns` in file order, and the index is the 0-based data-row
        number, continuing from one chunk to the next. Blank lines and empty
        spreadsheet rows are not rows. JSON Lines keys first seen in a later
        chunk are added to the end of :attr:`columns` and of that chunk. An
        XLSX chunk also carries each row's number in its sheet (1-based, as
        Excel shows it) in ``attrs["input_rows"]``. A Parquet chunk keeps each
        column's type (see the module docstring) instead of giving strings.
        """
        if size < 1:
            raise ValueError("chunk size must be at least 1")
        self.decoded.clear()  # counted again by this reading
        if self.format == "csv":
            chunks = _csv_chunks(self, size)
        elif self.format == "xlsx":
            chunks = _xlsx_chunks(self, size)
        elif self.format == "parquet":
            chunks = _parquet_chunks(self, size)
        else:
            chunks = _jsonl_chunks(self, size)
        return self._checked(chunks)

    def _checked(self, chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Each chunk with its names checked (:data:`NOTES_ATTR`), within :attr:`max_rows`."""
        read = 0
        try:
            for chunk in chunks:
                read += len(chunk)
                if read > self.max_rows:
                    raise _err(self.path, _too_many_rows(None, self.max_rows))
                if self.name_column in chunk.columns:
                    _check_names(chunk, self.name_column)
                yield chunk
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # the reader's file, at once

    @property
    def header_row(self) -> int | None:
        """The row of column names, as the file numbers it (None: not a CSV or XLSX)."""
        return self._header_rows if self.format in ("csv", "xlsx") else None

    def notes(self) -> list[str]:
        """What the run's summary should say about how the file was read."""
        out = [f"{self.path}: {self.header_note}"] if self.header_note else []
        if not self.decoded:
            return out
        how = ", ".join(f"{n} as {enc}" for enc, n in self.decoded.most_common())
        note = (
            f"{self.path}: the file is not in one encoding: cells decoded one by one "
            f"({how}; {self.encoding} for the rest); each row whose name was says so"
        )
        return [*out, note]


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
        raise _err(path, "is a directory, not a file")
    if not path.exists() and not path.is_symlink():
        raise _err(path, "no such file")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES:
        accepted = " ".join(CSV_SUFFIXES + XLSX_SUFFIXES + (".jsonl", ".ndjson", ".parquet"))
        raise _err(path, f"unknown file type {suffix or '(no extension)'!r}; use one of {accepted}")
    if sheet is not None and suffix not in XLSX_SUFFIXES:
        raise _err(path, "--sheet applies only to .xlsx workbooks")
    if header_row is not None and suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise _err(path, "--header-row applies only to CSV and XLSX files")
    if header_row is not None and header_row < 1:
        raise _err(path, f"--header-row {header_row}: rows are numbered from 1")
    scan = _scan(path)
    if suffix in XLSX_SUFFIXES:
        table = _open_xlsx(path, scan, sheet, max_rows, header_row)
    elif suffix in PARQUET_SUFFIXES:
        table = _open_parquet(path, scan)
        if table.rows is not None and table.rows > max_rows:
            raise _err(path, _too_many_rows(table.rows, max_rows))
    else:
        encoding = _detect_encoding(path, scan)
        # Not UTF-8 throughout: the file may mix encodings, so each cell (each JSON line)
        # is decoded by the encoding its bytes fit (screener.files.encodings).
        legacy = _legacy(scan, encoding)
        if suffix == ".json" or suffix in (".jsonl", ".ndjson"):
            table = _open_jsonl(path, scan, encoding, legacy)
        else:
            table = _open_csv(path, scan, encoding, header_row)
            # not where a delimiter byte can be the second byte of a character ("|" in GBK)
            table.per_cell = legacy and (
                table.delimiter in (None, ",", ";", "\t") or _single_byte(encoding)
            )
    table.name_column = _pick_name_column(path, table.columns, column)
    table.country_column = _pick_country_column(path, table.columns, country_column)
    table.max_rows = max_rows
    return table


# --- the byte pass ----------------------------------------------------------------------


@dataclass
class _Scan:
    sha256: str
    size: int
    head: bytes  # the first SAMPLE_BYTES
    utf8: bool  # the whole file decodes as UTF-8
    window: bytes  # bytes around the first non-UTF-8 byte, when beyond head


def _scan(path: Path) -> _Scan:
    """Hash the file and check it is UTF-8, in one pass of 1 MB blocks."""
    try:
        if path.is_dir():
            raise _err(path, "is a directory, not a file")
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise _err(path, "no such file") from None
    except PermissionError:
        raise _err(path, "permission denied; cannot read the file") from None
    except OSError as e:
        raise _err(path, f"cannot open the file: {e.strerror or e}") from None
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    window = b""
    utf8 = True
    size = 0
    try:
        with f:
            while block := f.read(SAMPLE_BYTES):
                digest.update(block)
                if not head:
                    head = block
                if utf8:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError as e:
                        utf8 = False
                        if size:  # the first bad byte lies beyond the head
                            window = block[max(0, e.start - 32_768) : e.start + 32_768]
                size += len(block)
            if utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
    except OSError as e:
        raise _err(path, f"cannot read the file: {e.strerror or e}") from None
    if size == 0:
        raise _err(path, "is empty (0 bytes)")
    return _Scan(digest.hexdigest(), size, head, utf8, window)


def _detect_encoding(path: Path, scan: _Scan) -> str:
    """Pick the text encoding; the rules are in the module docstring."""
    head = scan.head
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(_OLE) and _is_encrypted_ooxml(path):
        raise _err(path, _ENCRYPTED)
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise _err(path, f"is {what}, not a text file")
    if scan.utf8:
        return "utf-8"
    sample = head + scan.window
    matches = charset_normalizer.from_bytes(_not_utf8_lines(sample))
    best = matches.best()
    if best is None:
        # no one encoding fits (a file of rows in several): cp1252 first, each cell then
        # decoded by the encoding its bytes fit (screener.files.encodings), unless binary
        if b"\x00" in sample:
            raise _err(path, "contains NUL bytes; it looks binary, not text")
        controls = sum(1 for b in sample if b < 0x20 and b not in b"\t\r\n")
        if controls > max(4, len(sample) // 100):
            raise _err(path, "is binary or in an unrecognised encoding; save it as UTF-8 CSV")
        return "cp1252"
    encoding = best.encoding.lower()
    if "utf_16" in encoding or "utf_32" in encoding:
        if b"\x00" in sample:
            return encoding  # BOM-less UTF-16/32: NUL bytes are expected (line ends)
        # without a NUL byte it is no UTF-16 text (a few GBK characters can look so)
        others = [m for m in matches if "utf_16" not in m.encoding and "utf_32" not in m.encoding]
        if not others:
            return "cp1252"  # each cell decoded by the encoding its bytes fit
        best, encoding = others[0], others[0].encoding.lower()
    if b"\x00" in sample:
        raise _err(path, "contains NUL bytes; it looks binary, not text")
    candidates = [m.encoding.lower() for m in matches] + [
        c.lower() for c in best.could_be_from_charset
    ]
    if any(c in _CJK_GB for c in candidates):
        return "gb18030"
    if encoding == "ascii":
        return "cp1252"  # cannot happen for non-UTF-8 bytes; be safe
    if "cp1252" in (c.lower() for c in best.could_be_from_charset):
        return "cp1252"  # same text as the best guess, the commoner code page
    text = str(best)
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    if controls > max(4, len(text) // 100):
        raise _err(path, f"looks binary ({controls} control characters in the first MB)")
    return encoding


def _not_utf8_lines(sample: bytes) -> bytes:
    """The lines of ``sample`` that are not UTF-8 (what a file mixing UTF-8 rows with
    rows of another encoding is in, besides), or the whole sample when it has none or a
    line too long to tell apart (the last, cut, line is always kept)."""
    lines = sample.split(b"\n")
    if len(lines) < 3:
        return sample
    kept = []
    for line in lines[:-1]:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            kept.append(line)
    kept.append(lines[-1])
    return b"\n".join(kept) if len(kept) > 1 else sample


def _legacy(scan: _Scan, encoding: str) -> bool:
    """Whether the file is in a legacy encoding (not UTF-8, UTF-16 or UTF-32)."""
    return not scan.utf8 and not codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _single_byte(encoding: str) -> bool:
    """Whether every character of ``encoding`` is one byte (no delimiter inside a character)."""
    return len(b"\x81|".decode(encoding, errors="replace")) == 2


def _decode_cells(frame: pd.DataFrame, table: InputTable, name_column: str) -> None:
    """Decode, cell by cell, a chunk read as Latin-1 (each byte one character); note in
    ``frame.attrs`` the names decoded otherwise than the file, or not readably."""
    notes: dict[int, tuple[str | None, str]] = {}
    encoding = table.encoding or "utf-8"
    for column in frame.columns:
        values = frame[column].tolist()
        at = [i for i, value in enumerate(values) if not value.isascii()]
        if not at:
            continue
        decoded = decode_cells([values[i].encode("latin-1") for i in at], encoding)
        for i, (text, how) in zip(at, decoded):
            values[i] = text
            if how is None:
                continue
            table.decoded[how] += 1
            if column != name_column:
                continue
            if how == "unreadable":
                notes[i] = (
                    "unreadable",
                    f"name unreadable: no encoding reads its bytes as text ({encoding}: {text[:40]!r})",
                )
            else:
                notes[i] = (None, f"decoded as {how}, unlike the file's {encoding}")
        frame[column] = pd.Series(values, index=frame.index, dtype=str)
    if notes:
        frame.attrs[NOTES_ATTR] = notes


def _check_names(frame: pd.DataFrame, name_column: str) -> None:
    """Note in ``frame.attrs`` the names that are mojibake (screener.files.encodings)."""
    notes: dict[int, tuple[str | None, str]] = frame.attrs.get(NOTES_ATTR) or {}
    values = frame[name_column].tolist()
    if all(v.__class__ is str for v in values) and all_readable(values):
        return  # ASCII and Chinese names, none of them garbled: the usual file, quickly
    for i, value in enumerate(values):
        if value.__class__ is not str or value.isascii() or i in notes:
            continue
        why = unreadable(value)
        if why:
            notes[i] = ("unreadable", f"name unreadable: {why}")
    if notes:
        frame.attrs[NOTES_ATTR] = notes


# --- CSV --------------------------------------------------------------------------------


def _open_csv(path: Path, scan: _Scan, encoding: str, header_row: int | None) -> InputTable:
    truncated = scan.size > SNIFF_BYTES
    text = _decode_head(scan.head[:SNIFF_BYTES], encoding)
    if not text.strip():
        raise _err(path, "is empty (no header row)")
    prefer = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        skip, delimiter, records, note = text_header(
            text,
            lambda t: _sniff(t, truncated, prefer),
            header_row=header_row,
            known=_known_header,
        )
    except ValueError as e:
        raise _err(path, str(e)) from None
    if not records and truncated:  # no line ends within the sample
        raise _err(
            path,
            f"the header line is longer than {SNIFF_BYTES >> 10} KB, the most "
            "screener reads; is the first line really the header row?",
        )
    header = records[0].fields if records else []
    if not any(h.strip() for h in header):
        raise _err(path, "has no header row (the first line is empty)")
    data = records[1:]
    for record in data:
        if any(record.fields[len(header) :]):
            raise _err(path, _too_many_fields(record.line, len(record.fields), len(header)))
    width = max(len(r.fields) for r in records)  # trailing delimiters add empty columns
    columns = _unique_columns(header + [""] * (width - len(header)))
    if not data and not truncated:
        raise _err(path, "has a header but no rows")
    return InputTable(
        path=path,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        name_column="",
        country_column=None,
        sha256=scan.sha256,
        rows=None if truncated else len(data),
        header_note=note,
        _header_rows=skip + 1,
    )


def _decode_head(data: bytes, encoding: str) -> str:
    """Decode a prefix of a file, tolerating a character cut at the end."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data, final=False)


def _sniff(text: str, truncated: bool, prefer: str) -> tuple[str | None, list[_Record]]:
    """Choose the delimiter; return it (None: one column) and the parsed records.

    A delimiter is a candidate when it splits the header into two or more
    columns. A row agrees with the header when it has no more fields than the
    header, or its extra fields are empty (trailing delimiters). Candidates
    where at least 90% of sampled rows agree beat those where fewer do; then
    the most header columns wins; ties go to ``prefer``, then DELIMITERS order.
    A file where no delimiter splits the header is one column.
    """
    order = [prefer] + [d for d in DELIMITERS if d != prefer]
    best: tuple[tuple[bool, int, float, int], str, list[_Record]] | None = None
    for rank, delimiter in enumerate(order):
        records = _records(text, delimiter, truncated)
        if not records or len(records[0].fields) < 2:
            continue
        n = len(records[0].fields)
        rows = records[1:]
        agree = sum(1 for r in rows if not any(r.fields[n:])) / len(rows) if rows else 1.0
        score = (agree >= 0.9, n, agree, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter, records)
    if best is None:
        return None, _records(text, "\x1f", truncated)
    return best[1], best[2]


@dataclass
class _Record:
    line: int  # line number in the file where the record ends (1-based)
    fields: list[str]


def _records(text: str, delimiter: str, truncated: bool, limit: int = 200) -> list[_Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    out: list[_Record] = []
    try:
        for fields in reader:
            if fields:  # blank lines are not rows, as in pandas
                out.append(_Record(reader.line_num, fields))
            if len(out) > limit:
                break
    except csv.Error:
        pass  # a cell longer than the csv module's limit: the rows read so far will do
    else:
        if truncated and len(out) <= limit and out:
            out.pop()  # the last record may be cut by the sample's end
    return out


def _csv_chunks(table: InputTable, size: int) -> Iterator[pd.DataFrame]:
    path = table.path
    sep = table.delimiter or "\x1f"
    encoding = "latin-1" if table.per_cell else table.encoding
    try:
        reader = pd.read_csv(
            path,
            sep=sep,
            quotechar='"',
            header=0,
            skiprows=table._header_rows - 1,  # lines above the header (a title)
            names=table.columns,
            index_col=False,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            encoding=encoding,
            encoding_errors="strict",
            engine="c",
            chunksize=size,
        )
    except UnicodeDecodeError as e:
        raise _err(path, f"is not valid {table.encoding} text ({e.reason})") from None
    except (OSError, ValueError) as e:
        raise _err(path, f"cannot read as CSV: {_one_line(e)}") from None
    start = 0
    with reader:
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", pd.errors.ParserWarning)
                    chunk = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as e:
                raise _err(path, f"is not valid {table.encoding} text ({e.reason})") from None
            except (pd.errors.ParserError, pd.errors.ParserWarning) as e:
                raise _err(path, _csv_problem(e)) from None
            except (OSError, ValueError) as e:
                raise _err(path, f"cannot read as CSV: {_one_line(e)}") from None
            chunk = chunk.fillna("")
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            if table._header_rows > 1:  # numbered from the header's line, as the file shows
                chunk.attrs[INPUT_ROWS_ATTR] = (
                    np.arange(len(chunk)) + start + table._header_rows + 1
                )
            if table.per_cell:
                _decode_cells(chunk, table, table.name_column)
            start += len(chunk)
            yield chunk


def _csv_problem(e: Exception) -> str:
    message = _one_line(e)
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found:
        want, line, saw = found.groups()
        return _too_many_fields(int(line), int(saw), int(want))
    return message


def _too_many_fields(line: int, saw: int, want: int) -> str:
    return (
        f"line {line} has {saw} fields but the header has {want}; "
        "quote names that contain the delimiter"
    )


# --- XLSX -------------------------------------------------------------------------------


def _open_xlsx(
    path: Path, scan: _Scan, sheet: str | None, max_rows: int, header_row: int | None
) -> InputTable:
    if not scan.head.startswith(b"PK\x03\x04"):
        if scan.head.startswith(_OLE) and _is_encrypted_ooxml(path):
            raise _err(path, _ENCRYPTED)
        if scan.head.startswith(_OLE):
            raise _err(
                path,
                "is an old Excel .xls (OLE) file, not an .xlsx workbook; save it as .xlsx or .csv",
            )
        raise _err(path, "is not an Excel workbook (not a ZIP file); is it a CSV renamed?")
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
            raise _err(path, f"sheet {name!r} is empty")
        found = _header(path, rows, numbers, header_row, "row")
        formats = column_formats(
            ws.iter_rows(min_row=found.number + 1, max_row=found.number + SAMPLE_ROWS),
            [str(i) for i in range(len(rows[found.index]))],
        )
    labels = [_cell_text(v) for v in rows[found.index]]
    while labels and not labels[-1].strip():
        labels.pop()
    if found.index == len(rows) - 1:
        raise _err(path, f"sheet {name!r} has a header but no rows")
    columns = _unique_columns(labels)
    return InputTable(
        path=path,
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
        _header_rows=found.number,
    )


def _header(
    path: Path, rows: list[list[Any]], numbers: list[int], header_row: int | None, what: str
) -> Header:
    """The header row among a file's first rows (:mod:`screener.files.header`)."""
    try:
        return find_header(rows, numbers, header_row=header_row, known=_known_header, what=what)
    except ValueError as e:
        raise _err(path, str(e)) from None


def _known_header(label: str) -> bool:
    norm = _norm_header(label)
    return norm in NAME_HEADERS or norm in COUNTRY_HEADERS


def _too_many_rows(rows: int | None, max_rows: int) -> str:
    has = f"{rows:,} rows" if rows is not None else f"more than {max_rows:,} rows"
    return f"has {has}, more than the {max_rows:,} one run reads; split it into smaller files"


def _check_workbook(path: Path, max_rows: int) -> bool:
    """Refuse a workbook over the limits (``XLSX_*``: sizes, expansion, parts), with an
    XML part that declares a DTD, or with a sheet of more rows than ``max_rows`` or
    Excel's last row, before anything else reads it: from its ZIP directory, the first
    bytes of each XML part, and its sheets' XML decompressed in blocks (the rows are
    counted, not read). Returns whether a sheet holds formulas."""
    size = path.stat().st_size
    if size > XLSX_MAX_BYTES:
        raise _err(
            path,
            f"is {size / 2**20:,.0f} MB, more than the {XLSX_MAX_BYTES >> 20:,} MB a workbook may be",
        )
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            if len(parts) > XLSX_MAX_PARTS:
                raise _err(
                    path,
                    f"holds {len(parts):,} parts, more than a workbook has ({XLSX_MAX_PARTS:,})",
                )
            expanded = sum(p.file_size for p in parts)
            if expanded > XLSX_MAX_EXPANDED:
                raise _err(
                    path,
                    f"would expand to {expanded / 2**20:,.0f} MB, more than the "
                    f"{XLSX_MAX_EXPANDED >> 20:,} MB screener reads (a zip bomb?)",
                )
            for p in parts:
                if p.file_size > XLSX_RATIO_GRACE and p.file_size > XLSX_MAX_RATIO * max(
                    1, p.compress_size
                ):
                    raise _err(
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
                        raise _err(path, f"its part {p.filename} {why}; refused")
            formulas = False
            for sheet in _sheet_parts(z):
                rows, has_formulas = _sheet_census(path, z, sheet)
                formulas = formulas or has_formulas
                if rows > min(max_rows, XLSX_MAX_ROWS):
                    limit = (
                        "Excel's last row" if max_rows > XLSX_MAX_ROWS else "the most one run reads"
                    )
                    raise _err(
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
        raise _err(path, f"is not a readable Excel workbook: {_one_line(e)}") from None
    except OSError as e:
        raise _err(path, f"cannot read the file: {e.strerror or e}") from None


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


def _is_encrypted_ooxml(path: Path) -> bool:
    """Whether an OLE compound file holds an ``EncryptedPackage`` stream.

    A workbook with a password to open is not a ZIP file: Excel encrypts the whole
    .xlsx and stores it as the ``EncryptedPackage`` stream of a compound file
    (MS-OFFCRYPTO). Compound-file directory entries are 128 bytes, at offsets
    that are multiples of 128: a UTF-16 name padded to 64 bytes, its length in
    bytes (NUL included) and the entry type (2, a stream).
    """
    try:
        with open(path, "rb") as f:
            offset = 0
            while block := f.read(1 << 20):  # a multiple of 128: entries never straddle
                i = block.find(_ENCRYPTED_ENTRY)
                while i != -1:
                    entry = block[i : i + 0x43]
                    if (
                        (offset + i) % 128 == 0
                        and len(entry) == 0x43
                        and int.from_bytes(entry[0x40:0x42], "little") == len(_ENCRYPTED_ENTRY)
                        and entry[0x42] == 2
                    ):
                        return True
                    i = block.find(_ENCRYPTED_ENTRY, i + 1)
                offset += len(block)
    except OSError:
        return False
    return False


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
            raise _err(path, f"is not a readable Excel workbook: {_one_line(e)}") from None

    def __enter__(self) -> Any:
        return self.wb

    def __exit__(self, *exc: object) -> None:
        self.wb.close()


def _worksheet(path: Path, wb: Any, sheet: str | None) -> Any:
    sheets = [ws for ws in wb.worksheets if hasattr(ws, "iter_rows")]
    if not sheets:
        raise _err(path, "has no worksheets")
    if sheet is None:
        return sheets[0]
    for ws in sheets:
        if ws.title == sheet:
            return ws
    folded = [ws for ws in sheets if ws.title.casefold() == sheet.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    names = ", ".join(ws.title for ws in sheets)
    raise _err(path, f"has no sheet {sheet!r} (sheets: {names})")


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
        raise _err(path, f"is not a readable Excel workbook: {_one_line(e)}") from None


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
            if n < table._header_rows:
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
                yield _numbered(_frame(rows, table.columns, start), numbers, notes)
                start += len(rows)
                rows, numbers, notes = [], [], {}
    if rows:
        yield _numbered(_frame(rows, table.columns, start), numbers, notes)


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


# --- JSON Lines -------------------------------------------------------------------------


def _open_jsonl(path: Path, scan: _Scan, encoding: str, per_cell: bool) -> InputTable:
    text = _decode_head(scan.head[:SNIFF_BYTES], encoding).lstrip("\ufeff \t\r\n")
    if not text:
        raise _err(path, "is empty (no JSON lines)")
    if text.startswith("["):
        raise _err(path, "is a JSON array; give one JSON object per line (JSON Lines)")
    if not text.startswith("{"):
        raise _err(path, "is not JSON Lines: the first line is not a JSON object")
    table = InputTable(
        path=path,
        format="jsonl",
        encoding=encoding,
        delimiter=None,
        columns=[],
        name_column="",
        country_column=None,
        sha256=scan.sha256,
        rows=None,
        per_cell=per_cell,
    )
    with contextlib.closing(_jsonl_chunks(table, DEFAULT_CHUNK)) as chunks:
        first = next(chunks, None)
    if first is None:
        raise _err(path, "has no rows")
    if len(first) < DEFAULT_CHUNK:
        table.rows = len(first)
    return table


def _jsonl_chunks(table: InputTable, size: int) -> Iterator[pd.DataFrame]:
    path = table.path
    known = dict.fromkeys(table.columns)
    records: list[dict[str, str]] = []
    notes: dict[int, tuple[str | None, str]] = {}
    start = 0
    try:
        with _jsonl_lines(table) as lines:
            for lineno, (line, how) in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise _err(path, f"line {lineno} is not valid JSON ({e.msg})") from None
                if not isinstance(obj, dict):
                    raise _err(path, f"line {lineno} is not a JSON object")
                record = {str(k): _json_text(v) for k, v in obj.items()}
                for key in record:
                    if key not in known:
                        known[key] = None
                        table.columns.append(key)
                if how is not None:
                    table.decoded[how] += 1
                    notes[len(records)] = (
                        ("unreadable", f"name unreadable: no encoding reads line {lineno} as text")
                        if how == "unreadable"
                        else (
                            None,
                            f"line {lineno} decoded as {how}, unlike the file's {table.encoding}",
                        )
                    )
                records.append(record)
                if len(records) == size:
                    yield _frame_from_records(records, table.columns, start, notes)
                    start += len(records)
                    records, notes = [], {}
    except UnicodeDecodeError as e:
        raise _err(path, f"is not valid {table.encoding} text ({e.reason})") from None
    except OSError as e:
        raise _err(path, f"cannot read the file: {e.strerror or e}") from None
    if records:
        yield _frame_from_records(records, table.columns, start, notes)


@contextlib.contextmanager
def _jsonl_lines(table: InputTable) -> Iterator[Iterator[tuple[str, str | None]]]:
    """The file's lines, each with how it was decoded when not as the file (see
    :func:`~screener.files.encodings.decode_cell`): line by line in a legacy file."""
    if not table.per_cell:
        with open(table.path, encoding=table.encoding, newline="") as f:
            yield ((line, None) for line in f)
        return
    encoding = table.encoding or "utf-8"
    with open(table.path, "rb") as b:
        yield (decode_cell(line, encoding) for line in b)


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _frame_from_records(
    records: list[dict[str, str]],
    columns: list[str],
    start: int,
    notes: dict[int, tuple[str | None, str]] | None = None,
) -> pd.DataFrame:
    rows = [[r.get(c, "") for c in columns] for r in records]
    frame = _frame(rows, columns, start)
    if notes:
        frame.attrs[NOTES_ATTR] = dict(notes)
    return frame


# --- Parquet ----------------------------------------------------------------------------

_PARQUET_MAGIC = b"PAR1"


def _open_parquet(path: Path, scan: _Scan) -> InputTable:
    if not scan.head.startswith(_PARQUET_MAGIC):
        for magic, what in _MAGIC.items():
            if scan.head.startswith(magic):
                raise _err(path, f"is {what}, not a Parquet file")
        raise _err(path, "is not a Parquet file (it does not start with PAR1)")
    pf = _parquet_file(path)
    try:
        names = list(pf.schema_arrow.names)
        rows = pf.metadata.num_rows
    finally:
        pf.close()
    if not names:
        raise _err(path, "has no columns")
    if rows == 0:
        raise _err(path, "has no rows")
    return InputTable(
        path=path,
        format="parquet",
        encoding=None,
        delimiter=None,
        columns=_unique_columns([str(n) for n in names]),
        name_column="",
        country_column=None,
        sha256=scan.sha256,
        rows=rows,
    )


def _parquet_file(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as e:
        raise _err(path, f"is not a readable Parquet file: {_one_line(e)}") from None


def _parquet_chunks(table: InputTable, size: int) -> Iterator[pd.DataFrame]:
    import pyarrow as pa

    path = table.path
    pf = _parquet_file(path)
    start = 0
    try:
        batches = pf.iter_batches(batch_size=size)
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                # ignore_metadata: the file's columns as they are (a pandas index written
                # into the file is a column here), each with its Arrow type
                chunk = batch.to_pandas(types_mapper=pd.ArrowDtype, ignore_metadata=True)
            except (pa.ArrowException, OSError, ValueError) as e:
                raise _err(
                    path, f"cannot read the Parquet data after row {start}: {_one_line(e)}"
                ) from None
            chunk.columns = table.columns
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    finally:
        pf.close()


# --- shared -----------------------------------------------------------------------------


def _frame(rows: list[list[str]], columns: list[str], start: int) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=str)
    frame.index = pd.RangeIndex(start, start + len(rows))
    return frame


def _unique_columns(labels: list[str]) -> list[str]:
    """Name blank headers ``column_N`` (1-based); suffix repeats ``.1``, ``.2`` as pandas does."""
    out: list[str] = []
    seen: set[str] = set()
    for i, label in enumerate(labels, 1):
        label = label if label.strip() else f"column_{i}"
        candidate, n = label, 0
        while candidate in seen:
            n += 1
            candidate = f"{label}.{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _norm_header(label: str) -> str:
    return re.sub(r"[\s\-.]+", "_", label.strip().casefold()).strip("_")


def _find_column(path: Path, columns: list[str], wanted: str, option: str) -> str:
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.strip().casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    listing = ", ".join(columns)
    if folded:
        raise _err(path, f"{option} {wanted!r} matches several columns ({', '.join(folded)})")
    raise _err(path, f"has no column {wanted!r} for {option} (columns: {listing})")


def _pick_name_column(path: Path, columns: list[str], column: str | None) -> str:
    if column is not None:
        return _find_column(path, columns, column, "--column")
    candidates = [c for c in columns if _norm_header(c) in NAME_HEADERS]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and len(columns) == 1:
        return columns[0]
    raise _err(
        path,
        f"cannot tell which column holds the names; use --column (columns: {', '.join(columns)})",
    )


def _pick_country_column(path: Path, columns: list[str], country_column: str | None) -> str | None:
    if country_column is not None:
        return _find_column(path, columns, country_column, "--country-column")
    normalized = {_norm_header(c): c for c in reversed(columns)}
    for header in COUNTRY_HEADERS:
        if header in normalized:
            return normalized[header]
    return None


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] or type(e).__name__


def _err(path: Path, problem: str) -> InputError:
    return InputError(f"{path}: {problem}")
