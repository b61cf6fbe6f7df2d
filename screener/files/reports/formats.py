"""Which writer serves which output: the file's extension decides.

:func:`open_writer` is the one entry point. Each format's module is imported
only when it is used (XLSX needs XlsxWriter, Parquet pyarrow, HTML nothing else,
PDF a Chromium binary).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.files.reports.base import Writer

# extension -> (module, class)
FORMATS = {
    ".csv": ("screener.files.reports.csv", "CsvWriter"),
    ".jsonl": ("screener.files.reports.jsonl", "JsonlWriter"),
    ".xlsx": ("screener.files.reports.xlsx", "XlsxWriter"),
    ".html": ("screener.files.reports.html", "HtmlWriter"),
    ".htm": ("screener.files.reports.html", "HtmlWriter"),
    ".parquet": ("screener.files.reports.parquet", "ParquetWriter"),
    ".pdf": ("screener.files.reports.pdf", "PdfWriter"),
}


def writer_class(suffix: str) -> type[Writer] | None:
    """The writer for an extension such as ``.csv`` (any case), or None."""
    where = FORMATS.get(suffix.lower())
    if where is None:
        return None
    kind: type[Writer] = getattr(importlib.import_module(where[0]), where[1])
    return kind


def open_writer(
    path: str | os.PathLike[str],
    columns: list[str],
    meta: dict[str, Any],
    *,
    own_process: bool = False,
) -> Writer:
    """Start writing results to ``path``; the format follows its extension.

    ``columns`` are the input columns to keep (CSV, XLSX, and the HTML report's
    input excerpt); ``meta`` describes the run: ``run_id``, ``tool_version``,
    ``created_at``, ``threshold``, ``input`` (``path``, ``sha256``, ``rows``,
    ...), ``lists``. ``own_process`` (a large batch) lets a writer that can (XLSX) render
    in a forked process of its own (:mod:`screener.files.reports.process`). Raises InputError for an unknown extension, a missing or
    unwritable directory, or an output that would replace the input file.
    """
    path = Path(path)
    kind = writer_class(path.suffix)
    if kind is None:
        given = path.suffix or "(no extension)"
        raise InputError(
            f"{path}: unknown output type {given!r}; use .csv .jsonl .xlsx .parquet .html or .pdf"
        )
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name for the output")
    if not path.parent.is_dir():
        raise InputError(f"{path}: the directory {str(path.parent)!r} does not exist")
    source = (meta.get("input") or {}).get("path")
    if source and path.exists() and Path(source).exists() and path.samefile(source):
        raise InputError(f"{path}: is the input file; write the results to another file")
    if own_process and getattr(kind, "forks", False):
        return kind(path, list(columns), meta, own_process=True)  # type: ignore[call-arg]
    return kind(path, list(columns), meta)
