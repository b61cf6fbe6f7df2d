"""A whole file screened: readers -> the service -> writers, as an overlapping pipeline.

    reader thread      reads the next chunk of rows while the current one is screened
    executor           screens each distinct name once, in forked workers (or here)
    this thread        turns a chunk's matches into rows and writes them while the
                       workers screen the next chunk

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
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from screener import __version__
from screener.countries import country_option
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
from screener.matching.country import dob_option
from screener.matching.country import floor as country_floor
from screener.matching.rules import DEFAULT_THRESHOLD, valid_threshold
from screener.screening.executors import executor, expand
from screener.screening.results import NEEDS_REVIEW, BatchSummary, row_status
from screener.screening.stages import Query, finish

CHUNK_ROWS = 50_000
MAX_QUERY_CHARS = 1_000  # a longer cell is screened (normalization bounds it) but shown cut
_NONE: list[Any] = []  # shared by every name without matches, to keep the cache small


def run(s: Any, input_path: str | Path, output_path: str | Path, *,
        column: str | None = None, country_column: str | None = None,
        sheet: str | None = None, threshold: float | None = None,
        fail_stale: bool | None = None, workers: int | None = None, progress: bool = False,
        related: bool = False, dob_column: str | None = None,
        options: dict[str, Any] | None = None,
        report: dict[str, Any] | None = None) -> BatchSummary:  # fmt: skip
    """Screen every row of ``input_path`` into ``output_path`` (format by extension) with
    the :class:`~screener.screening.service.Screener` ``s``. ``report`` holds what the
    HTML/PDF report adds (``audience``, ``reference``, ``reviewer``; see
    :mod:`screener.files.reports.html`)."""
    from screener.files.readers import open_input  # pandas and openpyxl: only batch needs them
    from screener.files.reports.formats import open_writer

    thr = valid_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
    table = open_input(input_path, column=column, country_column=country_column, sheet=sheet)
    if dob_column is not None and dob_column not in table.columns:
        found = [c for c in table.columns if c.strip().lower() == dob_column.strip().lower()]
        if not found:
            raise InputError(f"{input_path}: no column '{dob_column}' for --dob-column "
                             f"(columns: {', '.join(table.columns[:12])})")  # fmt: skip
        dob_column = found[0]
    coverage = s.coverage(fail_stale)
    lists, notes = coverage["lists"], coverage["notes"]
    m = s.full_matcher()
    store = s.store
    opts = {"input": str(input_path), "output": str(output_path), "column": table.name_column,
            "country_column": table.country_column, "sheet": sheet, "threshold": thr,
            "related": related, "dob_column": dob_column, **(options or {})}  # fmt: skip
    run_id = runs.start_run(store, "batch", opts, lists, thr, str(input_path), table.sha256)
    meta = {"run_id": run_id, "tool_version": __version__, "created_at": now_iso(),
            "threshold": thr, "input": {"path": str(input_path), "sha256": table.sha256,
                                        "rows": table.rows, "name_column": table.name_column,
                                        "country_column": table.country_column,
                                        "format": table.format},
            "lists": lists, "warnings": notes,
            "coverage": {"stale": coverage["stale"], "never_loaded": coverage["never_loaded"]},
            **({"report": report} if report else {})}  # fmt: skip
    floor = country_floor(thr, "any" if table.country_column else None,
                          "any" if dob_column else None)  # fmt: skip
    state = _State(s, m, thr, related)
    status, code = "failed", EXIT_INPUT
    try:
        with open_writer(output_path, table.columns, meta) as writer:
            for tmp in writer.temp_paths:
                runs.add_temp_path(store, run_id, tmp)
            with executor(m, floor, workers, table.rows) as ex, \
                    _progress(progress, table.rows) as bar, _Reader(table, CHUNK_ROWS) as chunks:  # fmt: skip
                pending: deque[tuple[Any, ...]] = deque()
                for df in chunks:
                    names = [str(n).strip() for n in df[table.name_column].tolist()]
                    countries = ([state.country(c) for c in df[table.country_column].tolist()]
                                 if table.country_column else [None] * len(names))  # fmt: skip
                    if dob_column:
                        dobs = [state.dob(v) for v in df[dob_column].tolist()]
                        countries = list(zip(countries, dobs))  # type: ignore[arg-type]
                    todo = [n for n in dict.fromkeys(names) if n and n not in state.seen]
                    state.seen.update(todo)
                    pending.append((df, names, countries, todo, ex.submit(todo)))
                    if len(pending) > 1:  # the workers screen this chunk meanwhile
                        state.write(writer, ex, run_id, *pending.popleft())
                        bar(state.rows)
                while pending:
                    state.write(writer, ex, run_id, *pending.popleft())
                    bar(state.rows)
            if state.bad_dobs:
                notes.append(f"{state.bad_dobs} rows have a date of birth that is not YYYY, "
                             "YYYY-MM or YYYY-MM-DD: screened without it")  # fmt: skip
            for value, n in sorted(state.bad_countries.items(), key=lambda x: -x[1])[:5]:
                note = (f"{n} rows have country '{value}', which names no country: screened "
                        "without country evidence")  # fmt: skip
                notes.append(note)
            counts = writer.counts()
            writer.close({**counts, "unique_names": len(state.seen), "warnings": notes})
        status, code = "done", (EXIT_HIT if state.needs_review else EXIT_CLEAR)
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
        runs.finish_run(store, run_id, status=status, exit_code=code, rows=state.rows,
                        hits=state.hits, hit_rows=state.hit_rows, output_path=str(output_path))  # fmt: skip
    return BatchSummary(run_id, state.rows, state.hit_rows, state.hits, counts["clear"],
                        counts["skipped"], len(state.seen), str(output_path), notes,
                        suppressed=counts["suppressed"], review_again=counts["review_again"],
                        suppressed_hits=state.suppressed_hits,
                        needs_review=state.needs_review)  # fmt: skip


class _State:
    """What a batch run carries from chunk to chunk."""

    def __init__(self, s: Any, m: Any, thr: float, related: bool):
        self.s, self.m, self.thr, self.related = s, m, thr, related
        self.seen: set[str] = set()  # names sent to be screened
        self.matches: dict[str, list[Any]] = {}  # name -> its compact matches
        self.dicts: dict[tuple[str, str | None, str | None], list[dict[str, Any]]] = {}
        self.bad_dobs = 0
        self.statuses: dict[tuple[str, str | None], tuple[str, int]] = {}  # row status, suppressed
        self.bad_countries: dict[str, int] = {}
        self.rows = self.hit_rows = self.hits = self.suppressed_hits = self.needs_review = 0

    def country(self, value: Any) -> str | None:
        try:
            return country_option(value)
        except InputError:
            key = str(value).strip()[:40]
            self.bad_countries[key] = self.bad_countries.get(key, 0) + 1
            return None

    def dob(self, value: Any) -> str | None:
        """A row's date of birth; one that is not YYYY[-MM[-DD]] gives no evidence and is
        counted for a warning."""
        try:
            return dob_option(value)
        except InputError:
            self.bad_dobs += 1
            return None

    def write(self, writer: Any, ex: Any, run_id: str, df: Any, names: list[str],
              countries: list[str | None], todo: list[str], ticket: Any) -> None:  # fmt: skip
        for n, found in zip(todo, ex.result(ticket)):
            self.matches[n] = found or _NONE
        results = []
        recorded = []
        for row, (n, cc) in enumerate(zip(names, countries), start=int(df.index[0])):
            cc, dob = cc if isinstance(cc, tuple) else (cc, None)
            query = n if len(n) <= MAX_QUERY_CHARS else n[:MAX_QUERY_CHARS] + "…"
            if not n:
                results.append({"row": row, "query": query, "country": cc, "status": "skipped",
                                "reason": "empty name", "hits": []})  # fmt: skip
                continue
            found = self.matches[n]
            hits = _NONE
            status, suppressed = "clear", 0
            if found:
                hits = self.dicts.get((n, cc, dob))  # type: ignore[assignment]
                if hits is None:
                    q = Query(n, cc, self.thr, self.related, dob)
                    done = finish(expand(self.m, n, found), q, self.s.stages)
                    hits = self.dicts[(n, cc, dob)] = [h.to_dict() for h in done]
                    self.statuses[(n, cc)] = (
                        row_status(h.status for h in done) if done else "clear",
                        sum(1 for h in done if h.status == "suppressed"))  # fmt: skip
                status, suppressed = self.statuses[(n, cc)]
            results.append({"row": row, "query": query, "country": cc,
                            "status": status, "hits": hits})  # fmt: skip
            if hits:
                self.hit_rows += 1
                self.hits += len(hits)
                self.suppressed_hits += suppressed
                self.needs_review += status in NEEDS_REVIEW
                recorded.append((row, query, hits))
        runs.record_hits(self.s.store, run_id, recorded)
        writer.write(df, results)
        self.rows += len(results)


class _Reader:
    """The input's chunks, read one ahead in a thread of their own."""

    def __init__(self, table: Any, size: int):
        self._q: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(table, size), daemon=True,
                                        name="screener-reader")  # fmt: skip

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
