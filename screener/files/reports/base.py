"""What every output writer shares: atomic replacement, the sidecar metadata, counts, row numbers.

* **Atomic.** Everything is written to ``.OUTPUT.<random>.tmp`` beside the
  output (a writer that needs scratch space gets a folder of the same pattern)
  and renamed over OUTPUT only by :meth:`Writer.close`. An error, an exception
  inside ``with``, Ctrl-C or :meth:`Writer.abort` removes the temporary files
  and leaves an existing OUTPUT as it was.
* **Provenance.** CSV, JSONL and XLSX get a sidecar ``OUTPUT.meta.json`` with
  the run metadata (input checksum, list versions), the summary counts and how
  rows are numbered; the HTML report carries the same at its top.
* **Rows numbered as in the spreadsheet.** The batch hands each result the
  0-based number of its data row (``result["row"]``). Outputs show instead the
  row a reviewer sees when opening the input (:meth:`Writer.input_rows`): the
  numbers the reader attached to the chunk (``df.attrs["input_rows"]``; the
  XLSX reader does, so rows after a blank row or under a header that is not on
  row 1 are still right), else for CSV and XLSX input the header is row 1 and
  the first data row is row 2, and for JSON Lines input the first record is
  row 1. (A CSV reader skips blank lines without numbering them, so in a CSV
  with blank lines the rows after one are numbered as if it were not there.)
  Parquet input is numbered as JSON Lines is: the first row is row 1.
* **Typed input cells.** A Parquet input keeps its column types
  (:mod:`screener.files.readers`). A writer that keeps types too (Parquet:
  ``keeps_types``) gets the chunk as it is; the others get plain Python values,
  with a missing value as ``None`` (an empty cell), never ``<NA>`` or ``nan``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import weakref
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from screener.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

CAUTION = (
    "A potential match is not a determination. Confirm every hit against the official "
    "list at the source URL before acting; a name match alone does not establish identity."
)
JSONL_INPUT_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_INPUT_SUFFIXES = (".parquet", ".pq")
INPUT_ROWS_ATTR = "input_rows"  # set by screener.files.readers on each chunk it can number


def row_numbering(meta: dict[str, Any]) -> tuple[int, str]:
    """(number shown for data row 0, how rows are numbered) for the run's input."""
    source = meta.get("input") or {}
    fmt = str(source.get("format") or "")
    jsonl = fmt == "jsonl" or (
        not fmt and str(source.get("path") or "").lower().endswith(JSONL_INPUT_SUFFIXES)
    )
    if jsonl:
        return 1, "input rows are numbered by record: the first JSON record is row 1"
    if fmt == "parquet" or (
        not fmt and str(source.get("path") or "").lower().endswith(PARQUET_INPUT_SUFFIXES)
    ):
        return 1, "input rows are numbered by record: the first Parquet row is row 1"
    return 2, (
        "input rows are numbered as in the spreadsheet: the header is row 1, "
        "the first data row under it row 2"
    )


class Writer:
    """Writes one output file atomically; use as a context manager.

    Leaving the ``with`` block normally closes the writer with its own counts
    if :meth:`close` was not called; leaving it with any exception (including
    KeyboardInterrupt) aborts it.
    """

    binary = False  # subclasses writing through a library set True and get no text stream
    keeps_types = False  # True: write() hands typed input chunks over as they are
    encoding = "utf-8"

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        self.path = path
        self.columns = columns
        self.meta = meta
        self.first_row, self.row_numbers = row_numbering(meta)
        self.tally: Counter[str] = Counter()
        self.skip_reasons: Counter[str] = Counter()
        self._state = "open"
        self._temps: list[Path] = []
        self._cleanup = weakref.finalize(self, _remove_all, self._temps)
        fd, name = self._mkstemp(path)
        self._tmp = Path(name)
        if self.binary:
            os.close(fd)
            self._stream: IO[str] | None = None
        else:
            self._stream = os.fdopen(fd, "w", encoding=self.encoding, newline="")

    # -- public API ---------------------------------------------------------------------

    @property
    def temp_path(self) -> Path:
        """The ``.OUTPUT.<random>.tmp`` file written until :meth:`close` moves it into place.

        A batch records it (:func:`screener.db.runs.add_temp_path`) so that the file
        of a run killed with SIGKILL is removed by the next start. Record
        :attr:`temp_paths` instead to include scratch folders (XLSX has one).
        """
        return self._tmp

    @property
    def temp_paths(self) -> list[Path]:
        """Every temporary file and folder this writer has on disk now (``.OUTPUT.*.tmp``)."""
        return list(self._temps)

    def write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        """Write one chunk: ``results[i]`` belongs to the input row ``df.iloc[i]``.

        Rows with the same name may share one hit list (the batch does): a
        writer renders a hit list or hit dict once and reuses it, so do not
        change one after it was written.
        """
        if self._state != "open":
            raise RuntimeError(f"writer for {self.path} is {self._state}")
        if len(results) != len(df):
            raise ValueError(f"{len(df)} input rows but {len(results)} results")
        tally = self.tally
        statuses = Counter([result.get("status") or "clear" for result in results])
        tally.update(statuses)
        for result in results:
            hits = result.get("hits")
            if hits:  # a few rows in a batch
                tally["hits"] += len(hits)
                tally["hit_rows"] += 1
                tally["suppressed_hits"] += sum(h.get("status") == "suppressed" for h in hits)
        if statuses["skipped"]:
            for result in results:
                if (result.get("status") or "clear") == "skipped":
                    self.skip_reasons[result.get("reason") or "no reason given"] += 1
        tally["rows"] += len(results)
        if not self.keeps_types:
            df = plain_cells(df)
        try:
            self._write(df, results)
        except BaseException:
            self.abort()
            raise

    def close(self, summary: dict[str, Any]) -> None:
        """Finish the file, write the sidecar metadata and move both into place."""
        if self._state != "open":
            raise RuntimeError(f"writer for {self.path} is {self._state}")
        summary = {**self.counts(), **summary}
        self.meta = self._completed_meta()
        try:
            self._finish(summary)
            self._stream = None
            _make_durable(self._tmp, self.path)
            sidecar = self._sidecar(summary)
            os.replace(self._tmp, self.path)
            self._temps.remove(self._tmp)
            if sidecar is not None:
                os.replace(sidecar, meta_path(self.path))
                self._temps.remove(sidecar)
        except BaseException:
            self.abort()
            raise
        self._state = "closed"
        _remove_all(self._temps)  # scratch folders, if any
        self._cleanup.detach()

    def abort(self) -> None:
        """Drop the temporary file(s); an existing OUTPUT stays untouched."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self._discard()
        finally:
            if self._stream is not None:
                self._stream.close()
                self._stream = None
            _remove_all(self._temps)

    def counts(self) -> dict[str, int]:
        """What this writer has seen: rows, rows with hits (``hit_rows``), hits, suppressed
        hits, rows that need review (status ``hit``, ``review-again`` or ``unreadable``), and
        rows by status: ``suppressed`` (every hit suppressed), ``review_again``, ``clear``,
        ``skipped``, ``unreadable``."""
        t = self.tally
        return {
            "rows": t["rows"],
            "hit_rows": t["hit_rows"],
            "hits": t["hits"],
            "suppressed_hits": t["suppressed_hits"],
            "needs_review": t["hit"] + t["review-again"] + t["unreadable"],
            "suppressed": t["suppressed"],
            "review_again": t["review-again"],
            "clear": t["clear"],
            "skipped": t["skipped"],
            "unreadable": t["unreadable"],
        }

    def input_rows(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> list[Any]:
        """The row number a reviewer sees for each result (see the module docstring)."""
        exact = getattr(df, "attrs", {}).get(INPUT_ROWS_ATTR)
        if exact is not None and len(exact) == len(results):
            return [int(n) for n in exact]
        first = self.first_row
        return [r + first if (r := result.get("row")).__class__ is int else r for result in results]

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            self.close(self.counts())

    # -- for subclasses -----------------------------------------------------------------

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _finish(self, summary: dict[str, Any]) -> None:
        """Complete the temporary file and close it."""
        assert self._stream is not None
        self._stream.close()

    def _discard(self) -> None:
        """Release anything besides the temporary files (which abort() removes)."""

    def _completed_meta(self) -> dict[str, Any]:
        """The run metadata, with the input's row count filled in when the caller did not know it
        (an XLSX or a large CSV input: this writer has seen every row by now)."""
        source = dict(self.meta.get("input") or {})
        if source.get("rows") is None:
            source["rows"] = self.tally["rows"]
        return {**self.meta, "input": source}

    def _sidecar(self, summary: dict[str, Any]) -> Path | None:
        """Write ``OUTPUT.meta.json`` to a temporary file; return its path."""
        document = {
            **self.meta,
            "summary": summary,
            "output": {
                "path": str(self.path),
                "format": self.path.suffix.lower().lstrip("."),
                "sha256": _sha256(self._tmp),
                "row_numbers": self.row_numbers,
            },
        }
        fd, name = self._mkstemp(meta_path(self.path))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, ensure_ascii=False, indent=2, default=str)
            f.write("\n")
        _make_durable(Path(name), meta_path(self.path))
        return Path(name)

    def _mkstemp(self, target: Path) -> tuple[int, str]:
        try:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as e:
            raise InputError(f"{target}: cannot write here: {e.strerror or e}") from None
        self._temps.append(Path(name))
        return fd, name

    def _mkdtemp(self) -> Path:
        """A scratch folder beside the output, named like the temporary file and removed with it."""
        try:
            name = tempfile.mkdtemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
        except OSError as e:
            raise InputError(f"{self.path}: cannot write here: {e.strerror or e}") from None
        self._temps.append(Path(name))
        return Path(name)


def plain_cells(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with typed columns (a Parquet input's) as Python values, missing values as
    None and nested values (lists, structs, maps) as JSON text; a chunk of text columns
    (every other reader's) is returned as it is."""
    import pandas as pd

    typed = [
        c
        for c, t in zip(df.columns, df.dtypes)
        if not (t == object or isinstance(t, pd.StringDtype))  # noqa: E721 (a numpy dtype equals object)
    ]
    if not typed:
        return df
    df = df.copy(deep=False)
    for c, t in zip(df.columns, df.dtypes):
        if c not in typed:
            continue
        if isinstance(t, pd.ArrowDtype) and _nested(t.pyarrow_dtype):
            # a list, struct or map cell: its JSON text (hashable, readable in a cell)
            import pyarrow as pa

            values = pa.array(df[c]).to_pylist()
            df[c] = pd.Series(
                [
                    None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                    for v in values
                ],
                index=df.index,
                dtype=object,
            )
            continue
        col = df[c].astype(object)
        df[c] = col.where(col.notna(), None)
    return df


def _nested(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_nested(arrow_type))


def meta_path(path: Path) -> Path:
    """Where the sidecar metadata of ``path`` goes: ``OUTPUT.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def _make_durable(tmp: Path, target: Path) -> None:
    """Give the temporary file the permissions a new or the existing target has; fsync it."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _remove_all(paths: list[Path]) -> None:
    while paths:
        path = paths.pop()
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            continue
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
