"""A whole file screened: readers -> the service -> writers, as an overlapping pipeline.

    reader thread      reads the next chunk of rows while the current one is screened
    engine             screens each chunk's rows (:mod:`screener.screening.rows`):
                       local: each distinct name once, in forked workers (or here),
                       which then finish the chunk's new (name, country, date of
                       birth) keys with matches (the stages), the rows made here
                       from them; dask: the names on the workers of a Dask cluster
                       (:mod:`screener.screening.dask_engine`), the keys here
    this thread        writes each chunk's rows, in input order, and records its hits,
                       while the engine screens the next chunks

Each distinct name is screened once; the country, when there is a country column, is
applied per row as secondary evidence (:mod:`screener.screening.stages`). A row's
country value that names no country gives that row no country evidence and one
warning at the end; it is never cut to two letters. The output appears only when the
whole run succeeded (the writers write to a temporary file, recorded with the run so
that a killed run's file is removed later). Ctrl-C or SIGTERM end the run at once:
the workers are killed, nothing is left behind, and the run is recorded as
interrupted.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from screener import __version__
from screener.countries import country_problem
from screener.db import runs
from screener.db.store import now_iso
from screener.errors import (
    EXIT_CLEAR,
    EXIT_HIT,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    InputError,
    ScreenerError,
    Terminated,
)
from screener.heap import collect_young, frozen_heap, paused_collector
from screener.matching.country import floor as country_floor
from screener.matching.rules import DEFAULT_THRESHOLD, MAX_TEXT_CHARS, valid_threshold
from screener.screening.executors import Executor, executor
from screener.screening.results import BatchSummary
from screener.screening.rows import RowScreener, names, recorded
from screener.shapes import RowResult

CHUNK_ROWS = 50_000
# an input of this many rows (or of a number not known before reading) has its output
# rendered in a process of its own where the writer can (XLSX)
WRITER_PROCESS_ROWS = 2_000
ENGINES = ("local", "dask")


def run(
    s: Any,
    input_path: str | Path,
    output_path: str | Path,
    *,
    column: str | None = None,
    country_column: str | None = None,
    sheet: str | None = None,
    threshold: float | None = None,
    fail_stale: bool | None = None,
    workers: int | None = None,
    progress: bool = False,
    related: bool = False,
    dob_column: str | None = None,
    options: dict[str, Any] | None = None,
    report: dict[str, Any] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    max_rows: int | None = None,
    header_row: int | None = None,
    input_name: str | None = None,
) -> BatchSummary:
    """Screen every row of ``input_path`` into ``output_path`` (format by extension) with
    the :class:`~screener.screening.service.Screener` ``s``; ``engine`` "dask" screens
    on a Dask cluster (:mod:`screener.screening.dask_engine`; ``scheduler`` is its
    address, default a local cluster of ``workers`` processes). ``report`` holds what
    the HTML/PDF report adds (``audience``, ``reference``, ``reviewer``; see
    :mod:`screener.files.reports.html`). ``max_rows`` (default
    :data:`screener.files.readers.MAX_ROWS`) refuses a larger input: before a row is
    screened where the file says how many it holds (XLSX, Parquet), else when the
    reading gets there (the run then fails and keeps no hits). ``header_row`` names the
    row of column names of a CSV or XLSX input (default: found, with a warning when it
    is not the first; :mod:`screener.files.header`). ``input_name`` is the name the input
    is known by, when it is not its file's (an uploaded file's own name): the report's
    title and the run record show it."""
    # pandas, openpyxl: batch only. Imported with the collector paused: their hundreds of
    # thousands of objects (classes, functions, their cycles; none of them garbage) made
    # it collect again and again as they grew (0.47 -> 0.37 CPU-s, the median of 6 imports)
    with paused_collector():
        from screener.files.readers import MAX_ROWS, open_input
        from screener.files.reports.formats import open_writer

    thr = valid_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
    if Path(output_path).suffix.lower() in (".html", ".htm", ".pdf"):
        # the report names the frameworks of the config's jurisdiction unless told otherwise
        report = {"jurisdiction": s.settings.jurisdiction, **(report or {})}
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise InputError("--scheduler applies only to --engine dask")
    table = open_input(
        input_path,
        column=column,
        country_column=country_column,
        sheet=sheet,
        max_rows=MAX_ROWS if max_rows is None else max_rows,
        header_row=header_row,
    )
    if dob_column is not None and dob_column not in table.columns:
        found = [c for c in table.columns if c.strip().lower() == dob_column.strip().lower()]
        if not found:
            raise InputError(
                f"{input_path}: no column '{dob_column}' for --dob-column "
                f"(columns: {', '.join(table.columns[:12])})"
            )
        dob_column = found[0]
    coverage = s.coverage(fail_stale)
    lists, notes = coverage["lists"], coverage["notes"]
    floor = country_floor(
        thr, "any" if table.country_column else None, "any" if dob_column else None
    )
    snap = s.snapshot(lazy=False)  # the whole index, before any worker is forked
    screener = RowScreener(s, snap, thr, floor, related)
    if engine == "dask":
        from screener.screening.dask_engine import DaskExecutor

        cluster = DaskExecutor(s.store, snap.matcher, floor, workers=workers, scheduler=scheduler)
        rows = Engine(screener, lambda: cluster, cluster.chunk_rows, cluster.describe())
    else:
        rows = Engine(
            screener,
            lambda: executor(snap.matcher, floor, workers, table.rows, screener),
            CHUNK_ROWS,
            {"name": "local", "workers": workers},
        )
    store = s.store
    shown = input_name or Path(input_path).name
    opts = {
        "input": str(input_path),
        "input_name": shown,
        "output": str(output_path),
        "column": table.name_column,
        "country_column": table.country_column,
        "sheet": sheet,
        "header_row": table.header_row,
        "threshold": thr,
        "related": related,
        "dob_column": dob_column,
        "engine": rows.describe(),
        **(options or {}),
    }
    run_id = runs.start_run(store, "batch", opts, lists, thr, str(input_path), table.sha256)
    meta = {
        "run_id": run_id,
        "tool_version": __version__,
        "created_at": now_iso(),
        "threshold": thr,
        "input": {
            "path": str(input_path),
            "name": shown,
            "sha256": table.sha256,
            "rows": table.rows,
            "name_column": table.name_column,
            "country_column": table.country_column,
            "format": table.format,
            "header_row": table.header_row,
            "number_formats": table.number_formats,
        },
        "lists": lists,
        "warnings": notes,
        "engine": rows.describe(),
        "coverage": {
            "stale": coverage["stale"],
            "stale_detail": coverage["stale_detail"],
            "never_loaded": coverage["never_loaded"],
            "lists": coverage["statement"],  # per list: full, curated subset, not loaded
        },
        **({"report": report} if report else {}),
    }
    tally = _Tally(store, run_id)
    large = table.rows is None or table.rows >= WRITER_PROCESS_ROWS  # before any thread starts
    status, code = "failed", EXIT_INPUT
    try:
        with (
            frozen_heap(),
            open_writer(output_path, table.columns, meta, own_process=large) as writer,
        ):
            for tmp in writer.temp_paths:
                runs.add_temp_path(store, run_id, tmp)
            with (
                rows,
                _progress(progress, table.rows) as bar,
                _Reader(table, rows.chunk_rows) as chunks,
            ):
                pending: deque[tuple[Any, Any]] = deque()
                for df in chunks:
                    found = names(_values(df[table.name_column]))
                    tally.long += sum(len(n) > MAX_TEXT_CHARS for n in found)
                    countries = _values(df[table.country_column]) if table.country_column else None
                    dobs = _values(df[dob_column]) if dob_column else None
                    pending.append((df, rows.submit(int(df.index[0]), found, countries, dobs)))
                    while len(pending) > rows.ahead:  # the workers screen the rest meanwhile
                        tally.write(writer, rows, *pending.popleft())
                        bar(tally.rows)
                    collect_young()
                while pending:
                    tally.write(writer, rows, *pending.popleft())
                    bar(tally.rows)
            if tally.long:
                notes.append(
                    f"{tally.long} rows have a name longer than {MAX_TEXT_CHARS:,} characters: "
                    f"listed names were looked for in the first {MAX_TEXT_CHARS:,} only"
                )
            if tally.bad_dobs:
                notes.append(
                    f"{sum(tally.bad_dobs.values())} rows have a date of birth that is "
                    "not YYYY, YYYY-MM or YYYY-MM-DD: screened without it"
                )
            for value, n in tally.bad_countries.most_common(5):
                note = (
                    f"{n} row{'s have' if n != 1 else ' has'} country '{value}', "
                    f"{country_problem(value)}: screened without country evidence"
                )
                notes.append(note)
            notes.extend(table.notes())
            counts = writer.counts()
            writer.close({**counts, "unique_names": rows.unique_names(), "warnings": notes})
        status, code = "done", (EXIT_HIT if tally.needs_review else EXIT_CLEAR)
    except KeyboardInterrupt:
        status, code = "interrupted", EXIT_INTERRUPTED
        raise
    except Terminated as e:
        status, code = "interrupted", e.exit_code
        raise
    except ScreenerError as e:
        code = e.exit_code
        raise
    finally:
        runs.finish_run(
            store,
            run_id,
            status=status,
            exit_code=code,
            rows=tally.rows,
            hits=tally.hits,
            hit_rows=tally.hit_rows,
            output_path=str(output_path),
        )
    return BatchSummary(
        run_id,
        tally.rows,
        tally.hit_rows,
        tally.hits,
        counts["clear"],
        counts["skipped"],
        rows.unique_names(),
        str(output_path),
        notes,
        suppressed=counts["suppressed"],
        review_again=counts["review_again"],
        suppressed_hits=tally.suppressed_hits,
        needs_review=tally.needs_review,
        unreadable=counts["unreadable"],
    )


def noted(results: list[RowResult], notes: dict[int, tuple[str | None, str]] | None) -> None:
    """Apply what the reader found wrong with some rows' names (``NOTES_ATTR`` of
    :mod:`screener.files.readers`) to their results: a name that cannot be read as text
    is ``unreadable`` unless it hit (a real name taken for mojibake still hits), a
    formula without a value is ``skipped``; the note becomes the row's ``reason``."""
    for i, (status, note) in (notes or {}).items():
        r = results[i] = results[i].copy()
        r["reason"] = note
        if status == "skipped" or (status == "unreadable" and not r["hits"]):
            r["status"] = status


def _values(column: Any) -> list[Any]:
    """A column's cells as Python values, missing ones None (a Parquet input's Arrow-backed
    columns convert at once, not value by value)."""
    return column.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[no-any-return]


class _Tally:
    """Writes each chunk's results and keeps the run's counts and the audit record."""

    def __init__(self, store: Any, run_id: str):
        self.store, self.run_id = store, run_id
        self.bad_countries: Counter[str] = Counter()
        self.bad_dobs: Counter[str] = Counter()
        self.rows = self.hit_rows = self.hits = self.suppressed_hits = self.needs_review = 0
        self.long = 0  # names longer than MAX_TEXT_CHARS

    def write(self, writer: Any, rows: Any, df: Any, ticket: Any) -> None:
        from screener.files.readers import NOTES_ATTR

        results, bad, bad_dobs = rows.results(ticket)
        noted(results, df.attrs.get(NOTES_ATTR))
        self.bad_countries.update(bad)
        self.bad_dobs.update(bad_dobs)
        runs.record_hits(self.store, self.run_id, recorded(results))
        writer.write(df, results)
        self.rows += len(results)
        self.counted(writer.counts())

    def counted(self, counts: dict[str, int]) -> None:
        """The hit counts of the rows written so far, as the writer counted them."""
        self.hit_rows, self.hits = counts["hit_rows"], counts["hits"]
        self.suppressed_hits, self.needs_review = counts["suppressed_hits"], counts["needs_review"]


class Engine:
    """The batch's one path, whatever screens the names: each chunk's distinct names not
    sent before go to the executor (forked workers sharing the loaded index, this
    process, or a Dask cluster: :mod:`screener.screening.executors`), which screens
    them down to the batch's floor; once they are back the service learns them and the
    chunk's rows are made from the service's results (:class:`RowScreener`).

    ``submit`` hands a chunk's new names to the executor and returns at once, checking
    the chunk's cells meanwhile; ``results`` waits for them and makes the chunk's rows.
    ``ahead`` chunks are screened while the previous one is written."""

    def __init__(
        self,
        screener: RowScreener,
        executor: Callable[[], Executor],
        chunk_rows: int,
        about: dict[str, Any],
    ):
        self.screener, self.chunk_rows, self.about = screener, chunk_rows, about
        self._make = executor  # called on entering: a pool's workers fork then
        self._ex: Executor | None = None
        self.seen: set[str] = set()  # names sent to be screened

    @property
    def ahead(self) -> int:
        """Chunks in flight while one is written: as many as a cluster asks, else one."""
        return int(getattr(self._ex, "ahead", 1))

    @property
    def ex(self) -> Executor:
        assert self._ex is not None, "the engine is used as a context manager"
        return self._ex

    def describe(self) -> dict[str, Any]:
        """What the audit record and the sidecar say about the engine."""
        return self.about

    def __enter__(self) -> Engine:
        self._ex = self._make().__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.ex.__exit__(*exc)

    def submit(
        self,
        first: int,
        names: list[str],
        countries: list[Any] | None,
        dobs: list[Any] | None = None,
    ) -> Any:
        todo = [n for n in dict.fromkeys(names) if n and n not in self.seen]
        self.seen.update(todo)
        job = self.ex.submit(todo)
        return first, names, self.screener.cells(names, countries, dobs), todo, job

    def results(self, ticket: Any) -> tuple[list[RowResult], Counter[str], Counter[str]]:
        first, names, (ccs, dobs, bad, bad_dobs), todo, job = ticket
        self.screener.learn(todo, self.ex.result(job))
        return self.screener.rows(first, names, ccs, dobs, self.ex), bad, bad_dobs

    def unique_names(self) -> int:
        return len(self.seen)


class _Reader:
    """The input's chunks, read one ahead in a thread of their own."""

    def __init__(self, table: Any, size: int):
        self._q: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(table, size), daemon=True, name="screener-reader"
        )

    def _read(self, table: Any, size: int) -> None:
        try:
            for df in table.chunks(size):
                while not self._stop.is_set():
                    try:
                        self._q.put(("chunk", df), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._q.put(("end", None))
        except BaseException as e:  # handed to the reading thread, raised there
            self._q.put(("error", e))

    def __enter__(self) -> Iterator[Any]:
        self._thread.start()
        return self._chunks()

    def _chunks(self) -> Iterator[Any]:
        while True:
            kind, value = self._q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._q.get_nowait()
            except queue.Empty:
                self._thread.join(0.1)


class _progress:
    """A rich progress bar on a terminal; nothing otherwise. Called with rows done."""

    def __init__(self, enabled: bool, total: int | None):
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total
        self._p: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        from rich.progress import Progress

        self._p = Progress(transient=True)
        self._p.start()
        task = self._p.add_task("screening", total=self.total)
        return lambda done: self._p.update(task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()
