"""CSV output: the input columns as read, the ``screen_*`` columns of the row's top hit, and
the reviewer's empty ``decision`` columns (see :mod:`screener.files.reports.cells`)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screener.files.cells import FORMULA_PREFIXES, neutralize
from screener.files.reports.base import Writer
from screener.files.reports.cells import (
    OUTPUT_COLUMNS,
    REVIEW_COLUMNS,
    hit_cells,
    text,
    trail_cells,
)
from screener.shapes import RowResult

if TYPE_CHECKING:
    import pandas as pd

_PREFIXES = frozenset(FORMULA_PREFIXES)


class CsvWriter(Writer):
    """UTF-8 with a BOM (so Excel reads Chinese), CRLF line ends, every cell formula-safe.

    ``screen_input_row`` is the input row as its spreadsheet numbers it (see
    :mod:`screener.files.reports.base`).
    """

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        assert self._stream is not None
        # The BOM by hand: the "utf-8-sig" codec would encode every row through Python code.
        self._stream.write("\ufeff")
        self._csv = csv.writer(self._stream, lineterminator="\r\n")
        self._csv.writerow([neutralize(c) for c in columns + OUTPUT_COLUMNS])

    def _write(self, df: pd.DataFrame, results: list[RowResult]) -> None:
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        rows = df.to_numpy(dtype=object).tolist()
        if len(rows) != len(results):
            raise ValueError(f"{len(rows)} input rows but {len(results)} results")
        # The middle cells depend only on the hit list, which rows with one name share.
        middles: dict[int, tuple[object, list[str], list[str]]] = {}
        no_hits = [neutralize(text(v)) for v in hit_cells([])]
        no_trail = [neutralize(v) for v in trail_cells([])]
        review = [""] * len(REVIEW_COLUMNS)
        statuses: dict[Any, str] = {}
        out = []
        for cells, result, row in zip(rows, results, self.input_rows(df, results)):
            try:
                for i, c in enumerate(cells):
                    if c[:1] in _PREFIXES:  # as neutralize(), faster
                        cells[i] = "'" + c
            except TypeError:  # a cell that is not text (readers give text only)
                cells[:] = [neutralize(text(c)) for c in cells]
            status = result.get("status")
            shown = statuses.get(status)
            if shown is None:
                shown = statuses[status] = neutralize(text(status))
            cells.append(shown)
            hits = result.get("hits")
            trail = no_trail
            if hits:
                cached = middles.get(id(hits))
                if cached is None or cached[0] is not hits:
                    cached = middles[id(hits)] = (
                        hits,
                        [neutralize(text(v)) for v in hit_cells(hits)],
                        [neutralize(v) for v in trail_cells(hits)],
                    )
                cells.extend(cached[1])
                trail = cached[2]
            else:
                cells.extend(no_hits)
            cells.append(str(row) if row.__class__ is int else neutralize(text(row)))
            cells.extend(trail)
            cells.append(neutralize(text(result.get("query"))))
            cells.extend(review)
            out.append(cells)
        self._csv.writerows(out)
