"""CSV output: the input columns as read, the ``screen_*`` columns of the row's top hit, and
the reviewer's empty ``decision`` columns (see :mod:`screener.files.reports.cells`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screener.files.cells import FORMULA_PREFIXES, neutralize
from screener.files.reports.base import Writer
from screener.files.reports.cells import (
    OUTPUT_COLUMNS,
    REVIEW_COLUMNS,
    hit_cells,
    row_cells,
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

    Speed: the lines are exactly what ``csv.writer(lineterminator="\\r\\n")`` writes
    (:func:`csv_field` quotes as its minimal quoting does), but built from parts: each
    input column is made safe and quoted as a whole, the ``screen_*`` cells of a hit
    list once for every row that shares it (and the empty ones of a row without hits
    once), so that a row costs a string join.
    """

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        assert self._stream is not None
        # The BOM by hand: the "utf-8-sig" codec would encode every row through Python code.
        self._stream.write("\ufeff")
        self._stream.write(_line([neutralize(c) for c in columns + OUTPUT_COLUMNS]))
        # hit list -> its encoded middle and trail: (the list, middle, trail), by id
        self._middles: dict[int, tuple[object, str, str]] = {}
        self._no_hits = _joined(hit_cells([]))
        self._no_trail = _joined(trail_cells([]))
        self._statuses: dict[Any, str] = {}

    def _write(self, df: pd.DataFrame, results: list[RowResult]) -> None:
        assert self._stream is not None
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        if len(df) != len(results):
            raise ValueError(f"{len(df)} input rows but {len(results)} results")
        columns = [_column(df[c].to_numpy(dtype=object).tolist()) for c in df.columns]
        inputs = [",".join(cells) for cells in zip(*columns)]
        middles, statuses = self._middles, self._statuses
        if len(middles) > MIDDLES:
            middles.clear()
        no_hits, no_trail = self._no_hits, self._no_trail
        queries = _column([r.get("query") for r in results])
        lines = []
        for cells, result, row, query in zip(
            inputs, results, self.input_rows(df, results), queries
        ):
            status = result.get("status")
            shown = statuses.get(status)
            if shown is None:
                shown = statuses[status] = csv_field(neutralize(text(status)))
            hits = result.get("hits")
            middle, trail = no_hits, no_trail
            if hits:
                cached = middles.get(id(hits))
                if cached is None or cached[0] is not hits:
                    hit_values, trail_values = row_cells(hits)
                    cached = middles[id(hits)] = (hits, _joined(hit_values), _joined(trail_values))
                middle, trail = cached[1], cached[2]
            number = str(row) if row.__class__ is int else csv_field(neutralize(text(row)))
            lines.append(f"{cells},{shown},{middle},{number},{trail},{query}{_REVIEW}")
        self._stream.write("".join(lines))


MIDDLES = 20_000  # encoded hit lists kept for the rows that share them; then afresh
_QUOTED = re.compile('[,"\r\n]')  # what makes the csv module quote a field (minimal quoting)
_REVIEW = "," * len(REVIEW_COLUMNS) + "\r\n"  # the reviewer's empty columns, the line end


def csv_field(value: str) -> str:
    """One field as ``csv.writer`` writes it with minimal quoting: in double quotes, its
    own doubled, when it holds a comma, a double quote, CR or LF."""
    if _QUOTED.search(value) is None:
        return value
    return '"' + value.replace('"', '""') + '"'


def _joined(values: list[Any]) -> str:
    """Cells made safe (``neutralize``) and joined as one piece of a CSV line."""
    return ",".join(csv_field(neutralize(text(v))) for v in values)


def _line(values: list[str]) -> str:
    return ",".join(csv_field(v) for v in values) + "\r\n"


def _column(cells: list[Any]) -> list[str]:
    """An input column made safe and quoted: text a spreadsheet would read as a formula
    gets its ``'`` (:func:`~screener.files.cells.neutralize`), a missing cell is empty."""
    try:
        out = ["'" + c if c[:1] in _PREFIXES else c for c in cells]
    except TypeError:  # a cell that is not text (missing, or a number)
        out = [neutralize(c if c.__class__ is str else text(c)) for c in cells]
    if _QUOTED.search("".join(out)) is None:  # most columns need no quotes at all
        return out
    return [csv_field(c) for c in out]
