"""Write screening results: CSV, JSON Lines, XLSX, Parquet or an HTML report.

:func:`open_writer` picks the format from the output's extension
(:mod:`.formats`) and returns a :class:`~.base.Writer`. Rows go in chunk by
chunk (``write(df, results)``), so memory stays bounded; ``close(summary)``
finishes the file and moves it into place.

    with open_writer("partners.screened.xlsx", columns, meta) as writer:
        for df, results in chunks:
            writer.write(df, results)   # results[i]: {"row", "query", "country", "status", "hits"}
        writer.close({**writer.counts(), "unique_names": n})

The modules, one job each:

* :mod:`.base`: atomic replacement, the sidecar ``OUTPUT.meta.json``, counts,
  rows numbered as in the input spreadsheet;
* :mod:`.formats`: extension -> writer;
* :mod:`.cells`: the ``screen_*`` columns, formula safety, numbers, Excel limits;
* :mod:`.severity` (with ``data/severity.yaml``): which hit a row shows first;
* :mod:`.verdicts` (with ``data/verdicts.yaml``, ``data/audiences.yaml``,
  ``data/jurisdictions.yaml``, ``data/coverage.yaml``): the report's verdict per party
  and its wording for each audience, each listing's meaning for its reader, the national
  frameworks of each jurisdiction, and what a clear result does not cover;
* :mod:`.decided`: how a hit's and a party's decisions read (the report, the re-screening);
* :mod:`.markup` (escaping, links, the printed page's stylesheet) and :mod:`.statement`
  (the report's coverage statement, verdict table, meanings and sign-off);
* :mod:`.csv`, :mod:`.jsonl`, :mod:`.xlsx`, :mod:`.parquet`, :mod:`.html`, :mod:`.pdf`: one format each.

The names below are read from their modules when first asked for, so that a check,
which needs only :mod:`.severity` to order its hits, does not import every writer.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_FROM = {
    "CAUTION": "base",
    "Writer": "base",
    "APPENDED_COLUMNS": "cells",
    "OUTPUT_COLUMNS": "cells",
    "REVIEW_COLUMNS": "cells",
    "open_writer": "formats",
}


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = [
    "APPENDED_COLUMNS",
    "CAUTION",
    "OUTPUT_COLUMNS",
    "REVIEW_COLUMNS",
    "Writer",
    "open_writer",
]
