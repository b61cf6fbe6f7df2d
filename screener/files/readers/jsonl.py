"""JSON Lines (``.jsonl``, ``.ndjson``, ``.json`` of one object per line).

Each line is one record; its keys are the columns, those first seen in a later chunk
added at the end. Values that are not text are written as JSON. Records are numbered
from 1. A file in a legacy encoding is decoded line by line by the encoding its bytes
fit (:mod:`screener.files.encodings`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from screener.files.encodings import decode_cell
from screener.files.readers.table import (
    DEFAULT_CHUNK,
    NOTES_ATTR,
    SNIFF_BYTES,
    InputTable,
    Scan,
    decode_head,
    input_error,
    string_frame,
)

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


# --- JSON Lines -------------------------------------------------------------------------


def open_jsonl(path: Path, scan: Scan, encoding: str, per_cell: bool) -> InputTable:
    text = decode_head(scan.head[:SNIFF_BYTES], encoding).lstrip("\ufeff \t\r\n")
    if not text:
        raise input_error(path, "is empty (no JSON lines)")
    if text.startswith("["):
        raise input_error(path, "is a JSON array; give one JSON object per line (JSON Lines)")
    if not text.startswith("{"):
        raise input_error(path, "is not JSON Lines: the first line is not a JSON object")
    table = InputTable(
        path=path,
        reader=_jsonl_chunks,
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
        raise input_error(path, "has no rows")
    if len(first) < DEFAULT_CHUNK:
        table.rows = len(first)
    return table


def _jsonl_chunks(table: InputTable, size: int) -> Generator[pd.DataFrame]:
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
                    raise input_error(path, f"line {lineno} is not valid JSON ({e.msg})") from None
                if not isinstance(obj, dict):
                    raise input_error(path, f"line {lineno} is not a JSON object")
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
        raise input_error(path, f"is not valid {table.encoding} text ({e.reason})") from None
    except OSError as e:
        raise input_error(path, f"cannot read the file: {e.strerror or e}") from None
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
    frame = string_frame(rows, columns, start)
    if notes:
        frame.attrs[NOTES_ATTR] = dict(notes)
    return frame
