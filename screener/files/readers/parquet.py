"""Parquet files, read by pyarrow.

A Parquet file (pyarrow) is read a batch of rows at a time, every column with
its own type (``int64[pyarrow]``, ``timestamp[us, tz=UTC][pyarrow]``, ...: pandas'
``ArrowDtype``, so that integers with gaps stay integers and a Parquet output
gets the input's types back; a missing value is ``pd.NA``). Its rows are
numbered from 1, as JSON Lines records are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from screener.files.readers.table import (
    MAGIC,
    InputTable,
    Scan,
    input_error,
    one_line,
    unique_columns,
)

PARQUET_SUFFIXES = (".parquet", ".pq")


# --- Parquet ----------------------------------------------------------------------------

_PARQUET_MAGIC = b"PAR1"


def open_parquet(path: Path, scan: Scan) -> InputTable:
    if not scan.head.startswith(_PARQUET_MAGIC):
        for magic, what in MAGIC.items():
            if scan.head.startswith(magic):
                raise input_error(path, f"is {what}, not a Parquet file")
        raise input_error(path, "is not a Parquet file (it does not start with PAR1)")
    pf = _parquet_file(path)
    try:
        names = list(pf.schema_arrow.names)
        rows = pf.metadata.num_rows
    finally:
        pf.close()
    if not names:
        raise input_error(path, "has no columns")
    if rows == 0:
        raise input_error(path, "has no rows")
    return InputTable(
        path=path,
        reader=_parquet_chunks,
        format="parquet",
        encoding=None,
        delimiter=None,
        columns=unique_columns([str(n) for n in names]),
        name_column="",
        country_column=None,
        sha256=scan.sha256,
        rows=rows,
    )


def _parquet_file(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as e:
        raise input_error(path, f"is not a readable Parquet file: {one_line(e)}") from None


def _parquet_chunks(table: InputTable, size: int) -> Iterator[pd.DataFrame]:
    import pyarrow as pa

    path = table.path
    pf = _parquet_file(path)
    start = 0
    try:
        batches = pf.iter_batches(batch_size=size)
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                # ignore_metadata: the file's columns as they are (a pandas index written
                # into the file is a column here), each with its Arrow type
                chunk = batch.to_pandas(types_mapper=pd.ArrowDtype, ignore_metadata=True)
            except (pa.ArrowException, OSError, ValueError) as e:
                raise input_error(
                    path, f"cannot read the Parquet data after row {start}: {one_line(e)}"
                ) from None
            chunk.columns = table.columns
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    finally:
        pf.close()
