"""CSV (and tab-delimited) files, read in chunks by pandas' C parser.

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

Every problem with the file raises :class:`~screener.errors.InputError` with a
one-line message that starts with the file name.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from screener.files.header import text_header
from screener.files.readers.table import (
    INPUT_ROWS_ATTR,
    SNIFF_BYTES,
    InputTable,
    Scan,
    decode_chunk,
    decode_head,
    input_error,
    known_header,
    one_line,
    unique_columns,
)

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
DELIMITERS = (",", ";", "\t", "|")


# --- CSV --------------------------------------------------------------------------------


def open_csv(path: Path, scan: Scan, encoding: str, header_row: int | None) -> InputTable:
    truncated = scan.size > SNIFF_BYTES
    text = decode_head(scan.head[:SNIFF_BYTES], encoding)
    if not text.strip():
        raise input_error(path, "is empty (no header row)")
    prefer = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        skip, delimiter, records, note = text_header(
            text,
            lambda t: _sniff(t, truncated, prefer),
            header_row=header_row,
            known=known_header,
        )
    except ValueError as e:
        raise input_error(path, str(e)) from None
    if not records and truncated:  # no line ends within the sample
        raise input_error(
            path,
            f"the header line is longer than {SNIFF_BYTES >> 10} KB, the most "
            "screener reads; is the first line really the header row?",
        )
    header = records[0].fields if records else []
    if not any(h.strip() for h in header):
        raise input_error(path, "has no header row (the first line is empty)")
    data = records[1:]
    for record in data:
        if any(record.fields[len(header) :]):
            raise input_error(path, _too_many_fields(record.line, len(record.fields), len(header)))
    width = max(len(r.fields) for r in records)  # trailing delimiters add empty columns
    columns = unique_columns(header + [""] * (width - len(header)))
    if not data and not truncated:
        raise input_error(path, "has a header but no rows")
    return InputTable(
        path=path,
        reader=_csv_chunks,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        name_column="",
        country_column=None,
        sha256=scan.sha256,
        # counted only when the sniffer saw the whole file (not every row of a small one)
        rows=None if truncated or len(records) > SNIFF_RECORDS else len(data),
        header_note=note,
        header_rows=skip + 1,
    )


SNIFF_RECORDS = 200  # records the sniffer parses; it stops after one more


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


def _records(
    text: str, delimiter: str, truncated: bool, limit: int = SNIFF_RECORDS
) -> list[_Record]:
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
            skiprows=table.header_rows - 1,  # lines above the header (a title)
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
        raise input_error(path, f"is not valid {table.encoding} text ({e.reason})") from None
    except (OSError, ValueError) as e:
        raise input_error(path, f"cannot read as CSV: {one_line(e)}") from None
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
                raise input_error(
                    path, f"is not valid {table.encoding} text ({e.reason})"
                ) from None
            except (pd.errors.ParserError, pd.errors.ParserWarning) as e:
                raise input_error(path, _csv_problem(e)) from None
            except (OSError, ValueError) as e:
                raise input_error(path, f"cannot read as CSV: {one_line(e)}") from None
            chunk = chunk.fillna("")
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            if table.header_rows > 1:  # numbered from the header's line, as the file shows
                chunk.attrs[INPUT_ROWS_ATTR] = np.arange(len(chunk)) + start + table.header_rows + 1
            if table.per_cell:
                decode_chunk(chunk, table, table.name_column)
            start += len(chunk)
            yield chunk


def _csv_problem(e: Exception) -> str:
    message = one_line(e)
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
