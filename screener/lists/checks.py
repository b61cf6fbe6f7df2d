"""The checks a downloaded or imported list copy must pass before it becomes active:
complete (not cut off), with enough entries, and not dropping too many of the
previous version's entries (unless forced)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from typing import Any

from screener.db.store import ImportCheck
from screener.errors import InputError, UpdateError
from screener.lists.parsers import tabular
from screener.model import ParsedList

DEFAULT_MAX_DROP = 0.2  # when neither sources.yaml nor the config gives max_drop


class Refused(UpdateError):
    """A check refused the new copy; another URL for the same list would not help."""


def import_checks(sid: str, entry: dict[str, Any], force: bool) -> list[ImportCheck]:
    """The entry-count and drop checks of source ``sid`` (run inside the import transaction)."""
    min_n = int(entry.get("min_entities") or 0)
    max_drop = float(entry.get("max_drop", DEFAULT_MAX_DROP))

    def enough(parsed: ParsedList, previous: dict[str, Any] | None) -> None:
        n = len(parsed.entities)
        if n < min_n:
            raise Refused(
                f"only {n} entries, fewer than the {min_n} a complete copy of "
                f"{sid} has; refused (truncated, or the wrong list? to accept it, "
                f"lower min_entities under [sources.{sid}] in the config file)"
            )

    def no_big_drop(parsed: ParsedList, previous: dict[str, Any] | None) -> None:
        if force or not previous or not previous["entities"]:
            return
        before, after = previous["entities"], len(parsed.entities)
        if (before - after) / before > max_drop:
            raise Refused(
                f"{after} entries against {before} in version {previous['id']}: a drop of "
                f"{(before - after) / before:.0%}, more than the {max_drop:.0%} allowed; "
                "refused (use --force if the publisher really removed them)"
            )

    return [enough, no_big_drop]


def check_complete(path: Path) -> None:
    """Refuse a download that was cut off: a CSV (or tab-delimited) file that ends inside
    a quoted field or in a short last row, or an XLSX workbook without its zip directory.

    Whole rows cut off are caught by the entry-count checks. JSON and XML files are left
    to their parsers, which fail on a cut and name the line.
    """
    with open(path, "rb") as fb:
        head = fb.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise InputError(
                f"{path}: the workbook has no zip directory at its end; it looks truncated"
            )
        return
    if path.suffix.lower() == ".json" or head[:1] in (b"{", b"[", b"<"):
        return
    first = last = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        delimiter = tabular.delimiter(f.readline())
        f.seek(0)
        try:
            for row in csv.reader(f, delimiter=delimiter, strict=True):
                if not row or all(not c.strip("\x1a \t") for c in row):
                    continue
                first, last = first or len(row), len(row)
        except csv.Error as e:
            raise InputError(
                f"{path}: the file ends in the middle of a row ({e}); it looks truncated"
            ) from None
    if last < first:
        raise InputError(
            f"{path}: the last row has {last} of {first} fields; the file looks truncated"
        )
