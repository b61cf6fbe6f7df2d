"""Screening: one name (`check`) or a whole file (`batch`), with provenance and audit.

    from screener.db.store import Store
    from screener.screening import service as screen
    store = Store.open()
    result = screen.check(store, "Hangzhou Hikvision Digital Technology Co., Ltd.")
    summary = screen.batch(store, "partners.csv", "partners.screened.csv")

Both fail closed: without lists (or, with ``fail_stale``, with lists older than
their max age) they raise :class:`~screener.errors.ListsError` instead of
calling anything clear. Every run is recorded (:mod:`screener.db.runs`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screener import __version__
from screener.countries import country_option
from screener.db import runs as audit
from screener.db.store import Store, now_iso
from screener.errors import EXIT_CLEAR, EXIT_HIT, InputError
from screener.errors import InputError as _InputError
from screener.matching.country import apply_country
from screener.matching.country import floor as country_floor
from screener.matching.matcher import DEFAULT_THRESHOLD, Hit, Matcher
from screener.matching.rules import valid_threshold
from screener.screening.executors import ParallelScreener

CHUNK_ROWS = 50_000
MAX_QUERY_CHARS = 1_000  # a longer cell is screened (normalization bounds it) but shown cut
_NO_HITS: list[Hit] = []  # shared by every name without hits, to keep the cache small


def lists_used(store: Store) -> list[dict[str, Any]]:
    """The list versions screening uses: one per source, the active one."""
    return [
        {"source_id": v["source_id"], "name": v["source_name"], "version_id": v["id"],
         "sha256": v["sha256"], "published": v["published"], "loaded_at": v["loaded_at"],
         "entities": v["entities"], "licence": v["licence"]}
        for v in store.require_lists()
    ]  # fmt: skip


def guard_lists(store: Store, fail_stale: bool | None, warn: Callable[[str], None]) -> list[dict]:
    """The lists to use. Lists older than their max age draw a warning, or, with
    ``fail_stale`` (None: the config file's ``fail_stale``), a ListsError (exit 3)."""
    from screener.lists.freshness import require_fresh, stale_message
    from screener.settings import load_config

    lists = lists_used(store)
    for s in require_fresh(store, load_config(), fail_stale=fail_stale):
        warn(f"screener: warning: {stale_message(s)}; run `screener lists update {s['source_id']}`")
    return lists


def load_matcher(store: Store, threshold: float | None = None) -> Matcher:
    """The matcher for the store's active lists, from a cache file when it is current.

    The cache (``<db>.index.pickle``) is keyed by the active versions, the tool
    version, the normalization vocabulary and the matching code; any change
    rebuilds it.
    """
    versions = store.require_lists()
    key = _cache_key(versions)
    cache = store.path.with_name(store.path.name + ".index.pickle")
    try:
        with open(cache, "rb") as f:
            stored_key, index = pickle.load(f)
        if stored_key == key:
            return Matcher(index, threshold=threshold or DEFAULT_THRESHOLD)
    except Exception:  # a missing, partial or outdated cache is rebuilt, whatever is wrong
        pass
    m = Matcher.from_store(store, threshold=threshold or DEFAULT_THRESHOLD)
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")  # concurrent runs each write their own
    try:
        with open(tmp, "wb") as f:
            pickle.dump((key, m.index), f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
    except OSError:
        tmp.unlink(missing_ok=True)
    return m


def _cache_key(versions: list[dict[str, Any]]) -> str:
    matching = Path(__file__).parents[1] / "matching"
    h = hashlib.sha256(__version__.encode())
    h.update((matching / "data" / "vocabulary.yaml").read_bytes())
    for module in ("normalize.py", "index.py", "score.py", "matcher.py"):
        h.update((matching / module).read_bytes())
    h.update((matching.parent / "model.py").read_bytes())
    h.update(json.dumps([(v["id"], v["sha256"]) for v in versions]).encode())
    return h.hexdigest()


def _hit_dicts(hits: list[Hit]) -> list[dict[str, Any]]:
    return [h.as_dict() for h in hits]


def check(store: Store, name: str, *, country: str | None = None,
          threshold: float | None = None, fail_stale: bool | None = None,
          warn: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
          command: str = "check") -> dict[str, Any]:  # fmt: skip
    """Screen one name; returns ``{"run_id", "query", "hits", "lists", ...}``."""
    thr = valid_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
    country = country_option(country)
    if not name or not name.strip():
        raise InputError("the name to check is empty")
    lists = guard_lists(store, fail_stale, warn)
    m = load_matcher(store, thr)
    run_id = audit.start_run(store, command, {"name": name, "country": country,
                                              "threshold": thr}, lists, thr)  # fmt: skip
    try:
        hits = _hit_dicts(m.screen(name, country, thr))
    except BaseException:
        audit.finish_run(store, run_id, status="failed", exit_code=2)
        raise
    audit.record_hits(store, run_id, [(0, name, hits)])
    code = EXIT_HIT if hits else EXIT_CLEAR
    audit.finish_run(store, run_id, status="done", exit_code=code, rows=1, hits=len(hits),
                     hit_rows=int(bool(hits)))  # fmt: skip
    return {"run_id": run_id, "query": name, "country": country.upper() if country else None,
            "threshold": thr,
            "hits": hits, "lists": lists, "created_at": now_iso(), "tool_version": __version__}  # fmt: skip


@dataclass
class BatchSummary:
    run_id: str
    rows: int
    hit_rows: int
    hits: int
    clear: int
    skipped: int
    unique_names: int
    output: str

    @property
    def exit_code(self) -> int:
        return EXIT_HIT if self.hit_rows else EXIT_CLEAR


def batch(store: Store, input_path: str | Path, output_path: str | Path, *,
          column: str | None = None, country_column: str | None = None,
          sheet: str | None = None, threshold: float | None = None, fail_stale: bool | None = None,
          workers: int | None = None, progress: bool = False,
          warn: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
          options: dict[str, Any] | None = None) -> BatchSummary:  # fmt: skip
    """Screen every row of ``input_path`` into ``output_path`` (format by extension).

    Each distinct name is screened once; the country, when there is a country
    column, is applied per row as secondary evidence. The output appears only
    when the whole run succeeded (see :mod:`screener.files.writers`).
    """
    from screener.files.readers import open_input  # pandas and openpyxl: only batch needs them
    from screener.files.writers import open_writer

    thr = valid_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
    table = open_input(input_path, column=column, country_column=country_column, sheet=sheet)
    lists = guard_lists(store, fail_stale, warn)
    m = load_matcher(store, thr)
    opts = {"input": str(input_path), "output": str(output_path), "column": table.name_column,
            "country_column": table.country_column, "sheet": sheet, "threshold": thr,
            **(options or {})}  # fmt: skip
    run_id = audit.start_run(store, "batch", opts, lists, thr, str(input_path), table.sha256)
    meta = {"run_id": run_id, "tool_version": __version__, "created_at": now_iso(),
            "threshold": thr, "input": {"path": str(input_path), "sha256": table.sha256,
                                        "rows": table.rows, "name_column": table.name_column,
                                        "country_column": table.country_column},
            "lists": lists}  # fmt: skip
    floor = country_floor(thr, "cn" if table.country_column else None)
    bad_countries: dict[str, int] = {}
    raw: dict[str, list[Hit]] = {}  # unique name -> hits before country evidence
    dicts: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    status = "failed"
    rows = hit_rows = hits_total = 0
    try:
        with open_writer(output_path, table.columns, meta) as writer, \
                ParallelScreener(m, floor, workers) as ps, _progress(progress, table.rows) as bar:  # fmt: skip
            for df in table.chunks(CHUNK_ROWS):
                names = [n.strip() for n in df[table.name_column].tolist()]
                countries = ([_row_country(c, bad_countries)
                              for c in df[table.country_column].tolist()]
                             if table.country_column else [None] * len(names))  # fmt: skip
                todo = list(dict.fromkeys(n for n in names if n and n not in raw))
                for n, hits in zip(todo, ps.screen(todo)):
                    raw[n] = hits or _NO_HITS
                results = []
                for row, (n, cc) in enumerate(zip(names, countries), start=int(df.index[0])):
                    query = n if len(n) <= MAX_QUERY_CHARS else n[:MAX_QUERY_CHARS] + "…"
                    if not n:
                        results.append({"row": row, "query": query, "country": cc,
                                        "status": "skipped", "reason": "empty name", "hits": []})  # fmt: skip
                        continue
                    found = raw[n]
                    if found:
                        hits = dicts.get((n, cc))
                        if hits is None:
                            hits = dicts[(n, cc)] = _hit_dicts(apply_country(found, cc, thr))
                    else:
                        hits = []
                    results.append({"row": row, "query": query, "country": cc,
                                    "status": "hit" if hits else "clear", "hits": hits})  # fmt: skip
                    if hits:
                        hit_rows += 1
                        hits_total += len(hits)
                audit.record_hits(store, run_id, ((r["row"], r["query"], r["hits"])
                                                  for r in results if r["hits"]))  # fmt: skip
                writer.write(df, results)
                rows += len(results)
                bar(len(results))
            for value, n in sorted(bad_countries.items(), key=lambda x: -x[1])[:5]:
                warn(f"screener: warning: {n} rows have country '{value}', which names no "
                     "country: screened without country evidence")  # fmt: skip
            counts = writer.counts()
            summary = {**counts, "unique_names": len(raw)}
            writer.close(summary)
        status = "done"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        codes = {"done": EXIT_HIT if hit_rows else EXIT_CLEAR, "interrupted": 130, "failed": 2}
        audit.finish_run(store, run_id, status=status, exit_code=codes[status], rows=rows,
                         hits=hits_total, hit_rows=hit_rows, output_path=str(output_path))
    return BatchSummary(run_id, rows, hit_rows, hits_total, counts["clear"], counts["skipped"],
                        len(raw), str(output_path))  # fmt: skip


def _row_country(value: Any, bad: dict[str, int]) -> str | None:
    """A row's country code; a value that names no country gives that row no country
    evidence, and is counted for one warning at the end (never cut to two letters)."""
    try:
        return country_option(value)
    except _InputError:
        key = str(value).strip()[:40]
        bad[key] = bad.get(key, 0) + 1
        return None


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
        return lambda n: self._p.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()


def iter_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """Read back a JSON Lines output (helper for reviewers and tests)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
