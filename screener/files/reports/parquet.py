"""Parquet output: the input columns with their types, then the ``screen_*`` columns.

The columns are those of the CSV output (:data:`~.cells.APPENDED_COLUMNS`: status,
the top hit's score, names, relation, source, list, citation and severity, the
number of hits, the input row, the hits' ids, the reviewers' decisions applied, the
name as screened) plus ``screen_hits_json``: every hit of the row as
a JSON array, exactly the ``hits`` of the JSON Lines output (``[]`` for a row
without hits).

Why a JSON string and not a nested list column: a hit is an open record (each
stage after matching may add keys, listings and evidence differ from list to
list), and a nested column needs one schema for the whole file, fixed by the
first row group. A JSON string keeps every key of every hit, and DuckDB, Spark,
Polars and pandas read it with their JSON functions
(``json_extract(screen_hits_json, '$[0].citation')``).

Types: a Parquet input's columns keep their Arrow types (the reader hands them
over as pandas ``ArrowDtype``), text inputs' columns are strings. Nothing is
formula-neutralized: a Parquet file is data, not a spreadsheet. ``screen_top_score``
is a double (null for a row without hits), ``screen_hits`` and ``screen_input_row``
are int64, the rest strings. Each chunk of the batch is one row group. The reviewer's empty ``decision``
columns of the CSV and XLSX outputs are left out: a Parquet file is not filled in by
hand (decisions are imported from CSV or XLSX).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screener.errors import InputError
from screener.files.reports.base import Writer
from screener.files.reports.cells import APPENDED_COLUMNS, hit_cells, row_cells, trail_cells
from screener.shapes import RowResult

if TYPE_CHECKING:
    import pandas as pd

HITS_JSON = "screen_hits_json"
COLUMNS = [*APPENDED_COLUMNS, HITS_JSON]
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _screen_types() -> dict[str, Any]:
    import pyarrow as pa

    types: dict[str, pa.DataType] = dict.fromkeys(COLUMNS, pa.string())
    types.update(
        {
            "screen_top_score": pa.float64(),
            "screen_hits": pa.int64(),
            "screen_input_row": pa.int64(),
        }
    )
    return types


class ParquetWriter(Writer):
    """One Parquet file, written a row group per chunk through pyarrow."""

    binary = True
    keeps_types = True

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        clash = [c for c in COLUMNS if c in columns]
        if clash:
            raise InputError(
                f"{path}: the input already has the column {clash[0]!r} that the "
                "results go to; is it a screened file? Drop the screen_* columns "
                "first"
            )
        super().__init__(path, columns, meta)
        self._pq: Any = None  # pyarrow.parquet.ParquetWriter, opened with the first chunk
        self._schema: Any = None

    def _write(self, df: pd.DataFrame, results: list[RowResult]) -> None:
        import pyarrow as pa

        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns)
        inputs = pa.Table.from_pandas(df, preserve_index=False)
        table = inputs.replace_schema_metadata(None)
        for name, values in zip(COLUMNS, self._screen_columns(df, results)):
            table = table.append_column(
                pa.field(name, _screen_types()[name]), pa.array(values, _screen_types()[name])
            )
        if self._pq is None:
            import pyarrow.parquet as pq

            self._schema = table.schema
            self._pq = pq.ParquetWriter(self._tmp, self._schema)
        elif table.schema != self._schema:
            try:
                table = table.cast(self._schema)
            except (pa.ArrowException, ValueError) as e:
                raise InputError(
                    f"{self.path}: a column changes type between rows of the "
                    f"input ({' '.join(str(e).split())[:200]})"
                ) from None
        self._pq.write_table(table)

    def _screen_columns(self, df: pd.DataFrame, results: list[RowResult]) -> list[list[Any]]:
        """The values of the ``screen_*`` columns, column by column."""
        # Rows with one name share one hit list: its cells and JSON are made once.
        done: dict[int, tuple[object, list[Any]]] = {}
        no_hits = [*hit_cells([]), *trail_cells([]), "[]"]
        rows = []
        for result in results:
            hits = result.get("hits")
            if hits:
                cached = done.get(id(hits))
                if cached is None or cached[0] is not hits:
                    cells, trail = row_cells(hits)
                    cached = done[id(hits)] = (hits, [*cells, *trail, _encode(hits)])
                tail = cached[1]
            else:
                tail = no_hits
            rows.append(tail)
        statuses = [r.get("status") for r in results]
        queries = [r.get("query") for r in results]
        middle = [list(c) for c in zip(*rows)] if rows else [[] for _ in no_hits]
        numbers = self.input_rows(df, results)
        # status, the hit cells, input row, hit ids and decisions, query, the hits' JSON
        return [statuses, *middle[:-3], numbers, *middle[-3:-1], queries, middle[-1]]

    def _finish(self, summary: dict[str, Any]) -> None:
        if self._pq is None:  # no rows: an empty file with the columns
            import pyarrow as pa
            import pyarrow.parquet as pq

            types = _screen_types()
            schema = pa.schema(
                [(c, pa.string()) for c in self.columns] + [(c, types[c]) for c in COLUMNS]
            )
            pq.write_table(schema.empty_table(), self._tmp)
            return
        self._pq.close()
        self._pq = None

    def _discard(self) -> None:
        if self._pq is not None:
            try:
                self._pq.close()
            except Exception:
                pass
            self._pq = None
