"""Reading a list published as UTF-8 text: the file, its CSV rows under a header, its JSON.

Every failure is an :class:`~screener.errors.InputError` naming the file: missing,
unreadable, not UTF-8, empty, a CSV without the columns the list needs or cut inside a
quoted field, JSON that does not parse.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from screener.errors import InputError


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a byte-order mark dropped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path}: file is empty")
    return text


def csv_rows(
    path: Path, required: tuple[str, ...], what: str, key: str
) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each row with a ``key`` value, columns in lower case and
    cells with their whitespace collapsed; ``what`` names the list in the error when a
    ``required`` column is missing ("not a Section 1286 CSV")."""
    text = read_text(path)
    out = []
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{path}: not {what} (missing column(s) {', '.join(missing)})")
        reader.fieldnames = header
        for row in reader:
            clean = {k: " ".join((v or "").split()) for k, v in row.items() if k}
            if clean.get(key):
                out.append((reader.line_num, clean))
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None
    if not out:
        raise InputError(f"{path}: no rows with a {key}")
    return out


def read_json(path: Path) -> Any:
    """The JSON document in the file."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not JSON: {e.msg} (line {e.lineno})") from None
