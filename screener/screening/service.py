"""The screening service: the one path every caller takes to screen a name.

    from screener.screening.service import Screener
    s = Screener.open()                                   # $SCREENER_DB or the default store
    result = s.check("Hangzhou Hikvision Digital Technology Co., Ltd.")
    for hit in result.hits:
        print(hit.score, hit.name, hit.relation, hit.citation, hit.source_url)
    summary = s.batch("partners.xlsx", "partners.screened.csv", column="Company")

A :class:`Screener` owns the store, the settings (read once, or given) and the loaded
matcher, which it keeps while the active list versions stay the same; the CLI, the
HTTP API and every batch engine call it. It fails closed: without lists, or with
stale ones under ``fail_stale``, it raises :class:`~screener.errors.ListsError`
rather than calling anything clear, and it says which official lists were never
loaded. Every run is recorded (:mod:`screener.db.runs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from screener import __version__
from screener.countries import country_option
from screener.db import runs
from screener.db.store import Store, now_iso
from screener.errors import InputError
from screener.lists.bundled import open_store
from screener.lists.freshness import require_fresh, stale_message
from screener.lists.registry import registry
from screener.matching.country import dob_option
from screener.matching.country import floor as country_floor
from screener.matching.matcher import Matcher
from screener.matching.rules import DEFAULT_THRESHOLD, valid_threshold
from screener.screening.executors import InProcess, expand
from screener.screening.index_cache import load_index
from screener.screening.results import BatchSummary, CheckResult, ScreenHit
from screener.screening.stages import Query, Stage, default_stages, finish
from screener.settings import Config, load_config


class Screener:
    """Store + settings + a loaded matcher; see the module docstring."""

    def __init__(self, store: Store, settings: Config | None = None, *,
                 stages: Sequence[Stage] | None = None):  # fmt: skip
        self.store = store
        self.settings = settings if settings is not None else load_config()
        # The stages after matching: the default list (ownership, reviewers' decisions).
        self.stages = list(default_stages(store) if stages is None else stages)
        self._matcher: Matcher | None = None
        self._versions: tuple[tuple[int, str], ...] = ()
        self._lazy = True

    @classmethod
    def open(cls, db: Path | str | None = None, settings: Config | None = None,
             **kw: Any) -> Screener:  # fmt: skip
        """The service over the store at ``db`` (default: ``$SCREENER_DB`` or the per-user
        store), with the bundled lists loaded and runs killed earlier marked abandoned."""
        store = open_store(db)
        runs.reap_abandoned(store)
        return cls(store, settings, **kw)

    def close(self) -> None:
        self.store.close()

    # -- lists ---------------------------------------------------------------------------
    def lists(self) -> list[dict[str, Any]]:
        """The list versions screening uses: the active one of each source."""
        return [
            {"source_id": v["source_id"], "name": v["source_name"], "version_id": v["id"],
             "sha256": v["sha256"], "published": v["published"], "loaded_at": v["loaded_at"],
             "entities": v["entities"], "licence": v["licence"], "kind": v["kind"]}
            for v in self.store.require_lists()
        ]  # fmt: skip

    def guard(self, fail_stale: bool | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """The lists to screen against, and notes on what a clear result does not cover:
        lists older than their max age (or a ListsError with ``fail_stale``), and official
        lists never loaded. The notes travel with the result (``warnings``)."""
        c = self.coverage(fail_stale)
        return c["lists"], c["notes"]

    def coverage(self, fail_stale: bool | None = None) -> dict[str, Any]:
        """What screening now covers, as data: ``lists`` (the versions used), ``stale``
        (source ids older than their max age), ``never_loaded`` (official sources never
        downloaded, with their names) and ``notes`` (the same in words; see :meth:`guard`)."""
        lists = self.lists()
        notes = []
        stale = []
        for s in require_fresh(self.store, self.settings, fail_stale=fail_stale):
            stale.append(s["source_id"])
            notes.append(f"{stale_message(s)}; run `screener lists update {s['source_id']}`")
        loaded = {x["source_id"] for x in lists}
        never = [{"source_id": sid, "name": e.get("name") or sid}
                 for sid, e in registry().items()
                 if (e.get("urls") or e.get("files")) and e.get("default_update", True)
                 and e.get("coverage", True) and sid not in loaded]  # fmt: skip
        if never:
            notes.append(f"these official lists were never loaded, so a clear result does not "
                         f"cover them: {', '.join(x['source_id'] for x in never)}; "
                         "run `screener lists update`")  # fmt: skip
        return {"lists": lists, "stale": stale, "never_loaded": never, "notes": notes}

    @property
    def matcher(self) -> Matcher:
        """The matcher over the active lists, loaded once and again only when they change;
        its index is read from disk as screening needs it."""
        return self._load(lazy=True)

    def full_matcher(self) -> Matcher:
        """The matcher with its whole index in memory (a batch, before forking workers)."""
        return self._load(lazy=False)

    def _load(self, lazy: bool) -> Matcher:
        versions = tuple((v["id"], v["sha256"]) for v in self.store.require_lists())
        if self._matcher is None or versions != self._versions or (not lazy and self._lazy):
            self._matcher = Matcher(load_index(self.store, lazy=lazy))
            self._versions, self._lazy = versions, lazy
        return self._matcher

    # -- screening -----------------------------------------------------------------------
    def query(self, name: str, country: str | None = None, threshold: float | None = None,
              related: bool = False, dob: str | None = None) -> Query:  # fmt: skip
        """A checked query: a finite threshold in [0, 1], a country that names one, and a
        date of birth written YYYY, YYYY-MM or YYYY-MM-DD."""
        thr = valid_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
        return Query(name, country_option(country), thr, related, dob_option(dob))

    def screen(self, queries: Sequence[Query], executor: Any = None) -> list[list[ScreenHit]]:
        """The hits of each query, in order: the matcher (in ``executor``, default this
        process), then every stage. Used by checks, the HTTP API and batches."""
        m = self.matcher
        out: list[list[ScreenHit]] = []
        by_floor: dict[float, list[int]] = {}
        for i, q in enumerate(queries):
            by_floor.setdefault(country_floor(q.threshold, q.country, q.dob), []).append(i)
        found: list[list[Any]] = [[] for _ in queries]
        for fl, idx in by_floor.items():
            ex = executor or InProcess(m, fl)
            names = [queries[i].name for i in idx]
            for i, matches in zip(idx, ex.result(ex.submit(names))):
                found[i] = matches
        for q, matches in zip(queries, found):
            out.append(finish(expand(m, q.name, matches), q, self.stages) if matches else [])
        return out

    def check(self, name: str, *, country: str | None = None, threshold: float | None = None,
              fail_stale: bool | None = None, related: bool = False, dob: str | None = None,
              command: str = "check") -> CheckResult:  # fmt: skip
        """Screen one name, record the run, and return every hit with its provenance."""
        if not isinstance(name, str) or not name.strip():
            raise InputError("the name to check is empty")
        q = self.query(name, country, threshold, related, dob)
        lists, notes = self.guard(fail_stale)
        run_id = runs.start_run(self.store, command, {"name": name, "country": country, "dob": dob,
                                                      "threshold": q.threshold}, lists, q.threshold)  # fmt: skip
        try:
            hits = self.screen([q])[0]
        except BaseException:
            runs.finish_run(self.store, run_id, status="failed", exit_code=InputError.exit_code)
            raise
        result = CheckResult(run_id, name, q.country.upper() if q.country else None, q.threshold,
                             hits, lists, now_iso(), __version__, notes)  # fmt: skip
        dicts = [h.to_dict() for h in hits]
        runs.record_hits(self.store, run_id, [(0, name, dicts)])
        runs.finish_run(self.store, run_id, status="done", exit_code=result.exit_code, rows=1,
                        hits=len(hits), hit_rows=int(bool(hits)))  # fmt: skip
        return result

    def batch(self, input_path: str | Path, output_path: str | Path, **kw: Any) -> BatchSummary:
        """Screen every row of a file into another (see :func:`screener.screening.batch.run`)."""
        from screener.screening.batch import run

        return run(self, input_path, output_path, **kw)
