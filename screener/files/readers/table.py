"""The table every reader gives, and what the formats share.

:class:`InputTable` says what a file is (format, encoding, delimiter, columns, which
column holds the names, checksum) and streams its rows as DataFrames
(:meth:`InputTable.chunks`, through the reader of its format's module), so a
million-row file never sits in memory at once. Shared by every format:

* the byte pass (:func:`scan_file`): the SHA-256 and whether the whole file is UTF-8,
  in one pass; a byte-order mark, a binary file's magic bytes or an encrypted workbook
  told at once;
* the text encoding (:func:`detect_encoding`; the rules in :mod:`.csv`) and cells
  decoded one by one when a file mixes encodings (:func:`decode_chunk`);
* names checked for mojibake, noted per row (:data:`NOTES_ATTR`);
* the name and country columns picked (:func:`pick_name_column`,
  :func:`pick_country_column`);
* one :class:`~screener.errors.InputError` line per problem, starting with the file
  name (:func:`input_error`).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import pandas as pd

from screener.errors import InputError
from screener.files.encodings import all_readable, decode_cells, unreadable

SAMPLE_BYTES = 1 << 20  # what charset-normalizer sees
SNIFF_BYTES = 64 << 10  # what the delimiter sniffer and header peek see
DEFAULT_CHUNK = 50_000
INPUT_ROWS_ATTR = "input_rows"  # chunk attribute: row numbers (screener.files.reports.base)
# Chunk attribute: what the reader found wrong with a row's name, {position in the chunk:
# (status, note)}: status "unreadable" (mojibake, bytes no encoding reads), "skipped" (a
# formula without a value) or None (a note only: the name was decoded another way).
NOTES_ATTR = "row_notes"
MAX_ROWS = 5_000_000  # rows one run reads; a file with more is refused (split it)

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
MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls / OLE file; save it as .xlsx or .csv",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive; decompress it first",
}

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file (CFB) signature
ENCRYPTED = (
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
    header_rows: int = field(default=1, repr=False)  # rows up to and incl. the header
    # the format module's chunk reader (set by the function that opened the file)
    reader: Callable[[InputTable, int], Iterator[pd.DataFrame]] | None = field(
        default=None, repr=False, compare=False
    )

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
        if self.reader is None:
            raise ValueError(f"{self.path}: no reader for format {self.format!r}")
        return self._checked(self.reader(self, size))

    def _checked(self, chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Each chunk with its names checked (:data:`NOTES_ATTR`), within :attr:`max_rows`."""
        read = 0
        try:
            for chunk in chunks:
                read += len(chunk)
                if read > self.max_rows:
                    raise input_error(self.path, too_many_rows(None, self.max_rows))
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
        return self.header_rows if self.format in ("csv", "xlsx") else None

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


# --- the byte pass ----------------------------------------------------------------------


@dataclass
class Scan:
    sha256: str
    size: int
    head: bytes  # the first SAMPLE_BYTES
    utf8: bool  # the whole file decodes as UTF-8
    window: bytes  # bytes around the first non-UTF-8 byte, when beyond head


def scan_file(path: Path) -> Scan:
    """Hash the file and check it is UTF-8, in one pass of 1 MB blocks."""
    try:
        if path.is_dir():
            raise input_error(path, "is a directory, not a file")
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise input_error(path, "no such file") from None
    except PermissionError:
        raise input_error(path, "permission denied; cannot read the file") from None
    except OSError as e:
        raise input_error(path, f"cannot open the file: {e.strerror or e}") from None
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
        raise input_error(path, f"cannot read the file: {e.strerror or e}") from None
    if size == 0:
        raise input_error(path, "is empty (0 bytes)")
    return Scan(digest.hexdigest(), size, head, utf8, window)


def detect_encoding(path: Path, scan: Scan) -> str:
    """Pick the text encoding; the rules are in the module docstring."""
    head = scan.head
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(OLE) and is_encrypted_ooxml(path):
        raise input_error(path, ENCRYPTED)
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise input_error(path, f"is {what}, not a text file")
    if scan.utf8:
        return "utf-8"
    sample = head + scan.window
    matches = charset_normalizer.from_bytes(_not_utf8_lines(sample))
    best = matches.best()
    if best is None:
        # no one encoding fits (a file of rows in several): cp1252 first, each cell then
        # decoded by the encoding its bytes fit (screener.files.encodings), unless binary
        if b"\x00" in sample:
            raise input_error(path, "contains NUL bytes; it looks binary, not text")
        controls = sum(1 for b in sample if b < 0x20 and b not in b"\t\r\n")
        if controls > max(4, len(sample) // 100):
            raise input_error(
                path, "is binary or in an unrecognised encoding; save it as UTF-8 CSV"
            )
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
        raise input_error(path, "contains NUL bytes; it looks binary, not text")
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
        raise input_error(path, f"looks binary ({controls} control characters in the first MB)")
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


def is_legacy(scan: Scan, encoding: str) -> bool:
    """Whether the file is in a legacy encoding (not UTF-8, UTF-16 or UTF-32)."""
    return not scan.utf8 and not codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def single_byte(encoding: str) -> bool:
    """Whether every character of ``encoding`` is one byte (no delimiter inside a character)."""
    return len(b"\x81|".decode(encoding, errors="replace")) == 2


def decode_chunk(frame: pd.DataFrame, table: InputTable, name_column: str) -> None:
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


def decode_head(data: bytes, encoding: str) -> str:
    """Decode a prefix of a file, tolerating a character cut at the end."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data, final=False)


def too_many_rows(rows: int | None, max_rows: int) -> str:
    has = f"{rows:,} rows" if rows is not None else f"more than {max_rows:,} rows"
    return f"has {has}, more than the {max_rows:,} one run reads; split it into smaller files"


def is_encrypted_ooxml(path: Path) -> bool:
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


# --- shared -----------------------------------------------------------------------------


def string_frame(rows: list[list[str]], columns: list[str], start: int) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns), dtype=str)
    frame.index = pd.RangeIndex(start, start + len(rows))
    return frame


def unique_columns(labels: list[str]) -> list[str]:
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


def known_header(label: str) -> bool:
    """A column name screener knows (a name or a country column's), as header detection
    looks for one (:mod:`screener.files.header`)."""
    norm = _norm_header(label)
    return norm in NAME_HEADERS or norm in COUNTRY_HEADERS


def _find_column(path: Path, columns: list[str], wanted: str, option: str) -> str:
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.strip().casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    listing = ", ".join(columns)
    if folded:
        raise input_error(
            path, f"{option} {wanted!r} matches several columns ({', '.join(folded)})"
        )
    raise input_error(path, f"has no column {wanted!r} for {option} (columns: {listing})")


def pick_name_column(path: Path, columns: list[str], column: str | None) -> str:
    if column is not None:
        return _find_column(path, columns, column, "--column")
    candidates = [c for c in columns if _norm_header(c) in NAME_HEADERS]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and len(columns) == 1:
        return columns[0]
    raise input_error(
        path,
        f"cannot tell which column holds the names; use --column (columns: {', '.join(columns)})",
    )


def pick_country_column(path: Path, columns: list[str], country_column: str | None) -> str | None:
    if country_column is not None:
        return _find_column(path, columns, country_column, "--country-column")
    normalized = {_norm_header(c): c for c in reversed(columns)}
    for header in COUNTRY_HEADERS:
        if header in normalized:
            return normalized[header]
    return None


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] or type(e).__name__


def input_error(path: Path, problem: str) -> InputError:
    return InputError(f"{path}: {problem}")
