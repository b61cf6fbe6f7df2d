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

One Screener may serve many threads (the HTTP server). The loaded matcher is held
in one immutable snapshot (matcher, list versions, the matches it found), swapped
in one assignment: a call takes the snapshot once and screens all its names with
it, so a list update never mixes two versions in one answer. By default each call
checks the active versions and loads again when they changed (the CLI). With
``auto_reload=False`` a call never touches the store: the snapshot stays until
:meth:`Screener.refresh` loads the new lists (a server does that in a thread of
its own, so that requests keep being answered from the old lists meanwhile).
**Which index.** A single check reads from the index file only the rows its name
needs (a lazy snapshot: a cold ``screener check`` costs the same on 100 or 200,000
entities). Anything that screens more names reads the whole index into memory once,
where a name costs a tenth of what it costs read row by row: a call with more than
``FEW_NAMES`` names (a batch, a re-screening, an API call with a list), and a service
whose lazy snapshot has screened ``LAZY_NAMES`` names one call at a time (a server, or
a loop of checks in a user's script). So only a few checks read postings from disk.
An index read whole is frozen for the garbage collector (``gc.freeze``, as the server
does): it is millions of objects with no cycles among them, which refcounting frees when
new lists replace them, and the collector's next full pass would walk them all.

The snapshot remembers the matches of the names it screened (up to ``MEMO_SIZE`` at
each score floor): screening is a pure function of the index, the name and the score
floor, so a name asked again costs a dictionary look-up. It is the one cache of every
caller: checks, the HTTP API and both batch engines, whose executors screen a file's
distinct names and hand their matches to the service (:meth:`Screener.learn`), the rows
then made from the service's results (:meth:`Screener.rows_hits`). When every stage
says when its answers may change (``token()``, :mod:`screener.screening.stages`), it
also remembers each query's finished hits until a token changes (a decision recorded,
a new day), a name's hits typed once for all its countries; callers of
:meth:`Screener.screen` get copies.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from screener import __version__
from screener.countries import country_option
from screener.db import runs
from screener.db.store import Store, now_iso
from screener.errors import InputError
from screener.heap import paused_collector
from screener.lists.bundled import open_store
from screener.lists.coverage import statement as coverage_statement
from screener.lists.data_date import describe
from screener.lists.freshness import require_fresh, stale_message
from screener.lists.registry import registry
from screener.matching.country import apply_country, dob_option
from screener.matching.country import floor as country_floor
from screener.matching.hit import Hit
from screener.matching.index_file import IndexDamaged
from screener.matching.matcher import Matcher
from screener.matching.rules import DEFAULT_THRESHOLD, MAX_TEXT_CHARS, valid_threshold
from screener.screening.executors import Executor, InProcess, Match, expand, screen_chunk
from screener.screening.index_cache import load_index, rebuild_index
from screener.screening.parties import ensure as ensure_parties
from screener.screening.results import BatchSummary, CheckResult, ScreenHit
from screener.screening.stages import Query, Stage, default_stages, finish, run_stages
from screener.settings import Config, load_config
from screener.shapes import Coverage, ListVersion

# Names whose matches a snapshot remembers at one floor, and finished hit lists (queries,
# and names' typed hits); when one is full its older half is let go. A batch's distinct
# names stay known from its engine's screening until their rows are made: a batch of more
# distinct names screens one that comes back after it was let go again, in this process.
MEMO_SIZE = 1_000_000
FINISHED_SIZE = 60_000
# A lazily read index costs more a name than one in memory, and reading it whole costs
# more than a few names do (docs/benchmarks.md): a call screening more than FEW_NAMES
# loads it whole at once, and a lazy snapshot that has screened LAZY_NAMES names, one
# call at a time, is loaded whole for the calls after it.
FEW_NAMES = 10
LAZY_NAMES = 200

Versions = tuple[tuple[int, str], ...]  # (version id, sha256) of each active list


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A loaded matcher and the list versions it was built from; never changed, only
    replaced. What it remembers (the service's one cache, for checks, the API and both
    batch engines) only grows, and lets go of its older half when full."""

    matcher: Matcher
    versions: Versions
    lazy: bool
    # floor -> name -> its compact matches down to that floor
    memo: dict[float, dict[str, list[Match]]] = field(default_factory=dict, compare=False)
    screened: list[int] = field(default_factory=lambda: [0], compare=False)  # names, if lazy
    # (name, floor) -> its hits expanded once, and each as a typed hit
    named: dict[tuple[str, float], tuple[list[Hit], list[ScreenHit]]] = field(
        default_factory=dict, compare=False
    )
    # a query, or a name with the hits its evidence kept unmoved -> (stage tokens, hits
    # after the stages)
    finished: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[ScreenHit]]] = field(
        default_factory=dict, compare=False
    )

    @property
    def lists(self) -> list[ListVersion]:
        """The list versions the matcher was built from, as results show them."""
        return [_described(v) for v in self.matcher.index.versions]


class Screener:
    """Store + settings + a loaded matcher; see the module docstring."""

    def __init__(
        self,
        store: Store,
        settings: Config | None = None,
        *,
        stages: Sequence[Stage] | None = None,
        auto_reload: bool = True,
    ):
        self.store = store
        self.settings = settings if settings is not None else load_config()
        # The stages after matching: the default list (ownership, reviewers' decisions).
        self.stages = list(default_stages(store) if stages is None else stages)
        self.auto_reload = auto_reload
        self._snapshot: Snapshot | None = None
        self._loading = threading.Lock()  # one load at a time

    @classmethod
    def open(
        cls, db: Path | str | None = None, settings: Config | None = None, **kw: Any
    ) -> Screener:
        """The service over the store at ``db`` (default: ``$SCREENER_DB`` or the per-user
        store), with the bundled lists loaded and runs killed earlier marked abandoned."""
        store = open_store(db)
        runs.reap_abandoned(store)
        return cls(store, settings, **kw)

    def close(self) -> None:
        self.store.close()

    def after_fork(self) -> None:
        """In a process forked from the one that loaded this service (``serve
        --workers``): a store connection of its own (an SQLite connection must not be
        used across a fork), the default stages over it, and the loaded snapshot kept,
        shared with the parent's memory page by page. The inherited connection is kept
        open and never used: closing it could end the parent's locks or WAL."""
        self._inherited = self.store
        self.store = Store(self.store.path)
        self.stages = list(default_stages(self.store))
        self._loading = threading.Lock()

    # -- lists ---------------------------------------------------------------------------
    def lists(self) -> list[ListVersion]:
        """The list versions screening uses: the active one of each source."""
        return [_described(v) for v in self.store.require_lists()]

    def guard(self, fail_stale: bool | None = None) -> tuple[list[ListVersion], list[str]]:
        """The lists to screen against, and notes on what a clear result does not cover:
        lists older than their max age (or a ListsError with ``fail_stale``), and official
        lists never loaded. The notes travel with the result (``warnings``)."""
        c = self.coverage(fail_stale, statement=False)
        return c["lists"], c["notes"]

    def coverage(self, fail_stale: bool | None = None, *, statement: bool = True) -> Coverage:
        """What screening now covers, as data: ``lists`` (the versions used), ``stale``
        (source ids older than their max age), ``never_loaded`` (official sources never
        downloaded, with their names), ``notes`` (the same in words; see :meth:`guard`),
        ``stale_detail`` (each stale list with its data date and load date) and
        ``statement`` (per official list: checked in full, as the curated subset, or not
        loaded; :mod:`screener.lists.coverage`)."""
        lists = self.lists()
        notes = []
        stale, stale_detail = [], []
        for s in require_fresh(self.store, self.settings, fail_stale=fail_stale):
            stale.append(s["source_id"])
            stale_detail.append(s)
            notes.append(f"{stale_message(s)}; run `screener lists update {s['source_id']}`")
        loaded = {x["source_id"] for x in lists}
        never = [
            {"source_id": sid, "name": e.get("name") or sid}
            for sid, e in registry().items()
            if (e.get("urls") or e.get("files"))
            and e.get("default_update", True)
            and e.get("coverage", True)
            and sid not in loaded
        ]
        if never:
            notes.append(
                f"these official lists were never loaded, so a clear result does not "
                f"cover them: {', '.join(x['source_id'] for x in never)}; "
                "run `screener lists update`"
            )
        return {
            "lists": lists,
            "stale": stale,
            "stale_detail": stale_detail,
            "never_loaded": never,
            "notes": notes,
            "statement": coverage_statement(self.store, lists) if statement else [],
        }

    @property
    def matcher(self) -> Matcher:
        """The matcher over the active lists, loaded once and again only when they change;
        its index is read from disk as screening needs it."""
        return self.snapshot().matcher

    def full_matcher(self) -> Matcher:
        """The matcher with its whole index in memory (a batch, before forking workers)."""
        return self.snapshot(lazy=False).matcher

    def snapshot(self, lazy: bool = True) -> Snapshot:
        """The current snapshot (see the module docstring): checked against the active
        versions first, unless ``auto_reload`` is off and one is loaded."""
        snap = self._snapshot
        if snap is not None and not self.auto_reload and (lazy or not snap.lazy):
            return snap
        return self._load(lazy)

    def refresh(self, lazy: bool | None = None) -> bool:
        """Load the active lists if they are not the ones loaded (whole in memory unless
        ``lazy``; default: as loaded before, else lazily); True when a new snapshot was
        swapped in. Calls in flight finish with the snapshot they took."""
        before = self._snapshot
        if lazy is None:
            lazy = before.lazy if before is not None else True
        return self._load(lazy) is not before

    @property
    def loaded(self) -> Snapshot | None:
        """The snapshot in use now, without looking at the store (None before a load)."""
        return self._snapshot

    @property
    def loaded_versions(self) -> list[ListVersion]:
        """The list versions of the loaded snapshot (empty before the first load)."""
        snap = self._snapshot
        return snap.lists if snap else []

    def _load(self, lazy: bool) -> Snapshot:
        versions = tuple((v["id"], v["sha256"]) for v in self.store.require_lists())
        snap = self._snapshot
        if snap is not None and snap.versions == versions and (lazy or not snap.lazy):
            return snap
        with self._loading:
            snap = self._snapshot
            if snap is not None and snap.versions == versions and (lazy or not snap.lazy):
                return snap  # another thread loaded it meanwhile
            if lazy:
                snap = Snapshot(Matcher(load_index(self.store, lazy=True)), versions, True)
            else:
                with paused_collector():
                    snap = Snapshot(Matcher(load_index(self.store, lazy=False)), versions, False)
                    gc.freeze()  # see the module docstring
            ensure_parties(self.store)  # the parties of these versions, built if need be
            changed = self._snapshot is not None and self._snapshot.versions != versions
            self._snapshot = snap  # one assignment: callers see the old or the new one
            if changed:  # what stages read from the store belongs to the versions replaced
                for stage in self.stages:
                    reset = getattr(stage, "reset", None)
                    if reset is not None:
                        reset()
            return snap

    # -- screening -----------------------------------------------------------------------
    def query(
        self,
        name: str,
        country: str | None = None,
        threshold: float | None = None,
        related: bool = False,
        dob: str | None = None,
    ) -> Query:
        """A checked query: a finite threshold in [0, 1], a country that names one, and a
        date of birth written YYYY, YYYY-MM or YYYY-MM-DD."""
        thr = valid_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
        return Query(name, country_option(country), thr, related, dob_option(dob))

    def screen(
        self,
        queries: Sequence[Query],
        executor: Executor | None = None,
        snapshot: Snapshot | None = None,
        stages: Sequence[Stage] | None = None,
    ) -> list[list[ScreenHit]]:
        """The hits of each query, in order: the matcher (in ``executor``, default this
        process; names the snapshot screened before are not screened again), then every
        stage (``stages``, default the service's own). Used by checks, the HTTP API and
        batches. ``snapshot`` (default the current one) lets a caller name the list
        versions it screened against; it is replaced by the same versions read whole when
        it is lazy and the call screens many names (see the module docstring).

        Damage found in the index file while screening (:class:`IndexDamaged`) builds
        the index again from the store and screens once more; damage again is a
        ListsError (exit 3), never a clear."""
        snap = self._for(snapshot or self.snapshot(lazy=len(queries) <= FEW_NAMES), len(queries))
        try:
            return self._screen(queries, executor, snap, stages)
        except IndexDamaged as e:
            if executor is not None:
                raise
            snap = self._rebuilt(snap)
            try:
                return self._screen(queries, None, snap, stages)
            except IndexDamaged as again:
                raise IndexDamaged(
                    f"{again} (and again after building it anew from the store: {e})"
                ) from None

    def _rebuilt(self, damaged: Snapshot) -> Snapshot:
        """A snapshot whose index was built again from the store (the old one is damaged)."""
        with self._loading:
            snap = self._snapshot
            if snap is not None and snap is not damaged:
                return snap  # another thread built it again meanwhile
            versions = tuple((v["id"], v["sha256"]) for v in self.store.require_lists())
            snap = Snapshot(
                Matcher(rebuild_index(self.store, lazy=damaged.lazy)), versions, damaged.lazy
            )
            self._snapshot = snap
            return snap

    def _screen(
        self,
        queries: Sequence[Query],
        executor: Executor | None,
        snap: Snapshot,
        stages: Sequence[Stage] | None = None,
    ) -> list[list[ScreenHit]]:
        by_floor: dict[float, list[str]] = {}
        floors = []
        for q in queries:
            fl = country_floor(q.threshold, q.country, q.dob)
            floors.append(fl)
            if q.name not in snap.memo.get(fl, _EMPTY):
                by_floor.setdefault(fl, []).append(q.name)
        for fl, names in by_floor.items():
            todo = list(dict.fromkeys(names))
            ex = executor or InProcess(snap.matcher, fl)
            self.learn(snap, fl, todo, ex.result(ex.submit(todo)))
        # the finished hits are remembered for the service's own stages only
        tokens = self.stage_tokens() if stages is None else None
        stages = self.stages if stages is None else stages
        out: list[list[ScreenHit]] = []
        for q, fl in zip(queries, floors):
            matches = snap.memo[fl].get(q.name)
            if matches is None:  # let go meanwhile by a call of another thread
                [matches] = screen_chunk(snap.matcher, [q.name], fl)
            if not matches:
                out.append([])
            elif tokens is None:
                out.append(finish(expand(snap.matcher, matches), q, stages))
            else:
                out.append([h.copy() for h in _finished(snap, q, fl, matches, stages, tokens)])
        return out

    def learn(
        self, snap: Snapshot, floor: float, names: Sequence[str], found: Sequence[list[Match]]
    ) -> None:
        """Remember in ``snap`` the compact matches of ``names`` screened down to ``floor``
        (by an executor: this process, forked workers, a Dask cluster)."""
        memo = snap.memo.setdefault(floor, {})
        if len(memo) + len(names) > MEMO_SIZE:
            _halve(memo)
        for n, matches in zip(names, found):
            memo[n] = matches or _NONE

    def rows_hits(
        self,
        snap: Snapshot,
        floor: float,
        threshold: float,
        related: bool,
        keys: Sequence[tuple[str, str | None, str | None]],
    ) -> list[list[ScreenHit]]:
        """The finished hits of each (name, country, date of birth) of a batch, every name
        screened down to the batch's one ``floor`` (what its engine screened and
        :meth:`learn` remembered; a name let go since is screened again here). The lists
        are the service's own, shared and not copied: a batch renders each once and
        changes none. A name's hits are expanded and typed once, and the stages run once
        for each set of hits its countries and dates leave (:func:`_finished`)."""
        memo = snap.memo.setdefault(floor, {})
        missing = [n for n in dict.fromkeys(k[0] for k in keys) if n not in memo]
        if missing:
            self.learn(snap, floor, missing, screen_chunk(snap.matcher, missing, floor))
            memo = snap.memo[floor]
        tokens = self.stage_tokens()
        out: list[list[ScreenHit]] = []
        for n, cc, dob in keys:
            matches = memo.get(n)
            if matches is None:
                [matches] = screen_chunk(snap.matcher, [n], floor)
            if not matches:
                out.append(_NONE_HITS)
                continue
            q = Query(n, cc, threshold, related, dob)
            if tokens is None:
                out.append(finish(expand(snap.matcher, matches), q, self.stages))
            else:
                out.append(_finished(snap, q, floor, matches, self.stages, tokens))
        return out

    def _for(self, snap: Snapshot, names: int) -> Snapshot:
        """``snap``, or the same list versions read whole when ``snap`` is lazy and has
        screened enough names, this call's included (see the module docstring)."""
        if not snap.lazy:
            return snap
        snap.screened[0] += names
        if names <= FEW_NAMES and snap.screened[0] < LAZY_NAMES:
            return snap
        whole = self.snapshot(lazy=False) if self.auto_reload else self._whole(snap)
        return whole if whole.versions == snap.versions else snap

    def _whole(self, snap: Snapshot) -> Snapshot:
        """The whole-index snapshot of ``snap``'s versions, for a service that does not
        look at the store by itself (``auto_reload=False``): loaded once and swapped in
        unless another snapshot replaced ``snap`` meanwhile."""
        with self._loading:
            current = self._snapshot
            if current is not None and current is not snap:
                return current
            whole = Snapshot(Matcher(load_index(self.store, lazy=False)), snap.versions, False)
            if whole.matcher.index.versions != snap.matcher.index.versions:
                return snap  # the store holds other lists now: those wait for a refresh
            self._snapshot = whole
            return whole

    def stage_tokens(self) -> tuple[Any, ...] | None:
        """Every stage's token, or None when a stage has none (nothing is remembered)."""
        tokens = []
        for stage in self.stages:
            token = getattr(stage, "token", None)
            if token is None:
                return None
            tokens.append(token())
        return tuple(tokens)

    def entities(self, name: str) -> list[tuple[str, str, float]]:
        """The entities ``name`` screens to at the default threshold, best first: (source
        id, entity id, score), before the stages after matching, so that a company of the
        ownership graph is itself and not a hit on its owners. What the ownership view
        explains (:func:`screener.screening.ownership.explain`) and what a parent cell of
        an ownership file is resolved to (:meth:`entity_named`)."""
        [hits] = self.screen([self.query(name)], stages=())
        return [
            (str(h.source_id), h.entity_id, float(h.score))
            for h in sorted(hits, key=lambda h: -h.score)
        ]

    def entity_named(self, name: str) -> tuple[str, str, float] | None:
        """The best of :meth:`entities`, or None."""
        found = self.entities(name)
        return found[0] if found else None

    def check(
        self,
        name: str,
        *,
        country: str | None = None,
        threshold: float | None = None,
        fail_stale: bool | None = None,
        related: bool = False,
        dob: str | None = None,
        command: str = "check",
        recorded: dict[str, Any] | None = None,
    ) -> CheckResult:
        """Screen one name, record the run, and return every hit with its provenance.
        ``recorded``: more to keep in the run's options (an HTTP request's id)."""
        if not isinstance(name, str) or not name.strip():
            raise InputError("the name to check is empty")
        q = self.query(name, country, threshold, related, dob)
        _, notes = self.guard(fail_stale)
        if len(name) > MAX_TEXT_CHARS:
            notes = [*notes, long_text_warning(len(name))]
        snap = self.snapshot()
        lists = snap.lists  # those screened against (a server may still be loading newer ones)
        run_id = runs.start_run(
            self.store,
            command,
            {
                "name": name,
                "country": country,
                "dob": dob,
                "threshold": q.threshold,
                **(recorded or {}),
            },
            lists,
            q.threshold,
        )
        try:
            hits = self.screen([q], snapshot=snap)[0]
        except BaseException:
            runs.finish_run(self.store, run_id, status="failed", exit_code=InputError.exit_code)
            raise
        result = CheckResult(
            run_id,
            name,
            q.country.upper() if q.country else None,
            q.threshold,
            hits,
            lists,
            now_iso(),
            __version__,
            notes,
            coverage_statement(self.store, lists),
        )
        dicts = [h.to_dict() for h in hits]
        runs.record_hits(self.store, run_id, [(0, name, dicts)])
        runs.finish_run(
            self.store,
            run_id,
            status="done",
            exit_code=result.exit_code,
            rows=1,
            hits=len(hits),
            hit_rows=int(bool(hits)),
        )
        return result

    def batch(self, input_path: str | Path, output_path: str | Path, **kw: Any) -> BatchSummary:
        """Screen every row of a file into another (see :func:`screener.screening.batch.run`)."""
        from screener.screening.batch import run

        return run(self, input_path, output_path, **kw)


def long_text_warning(chars: int) -> str:
    """What a result says of a name longer than screening reads."""
    return (
        f"the name has {chars:,} characters; listed names were looked for in the first "
        f"{MAX_TEXT_CHARS:,} only"
    )


def _described(v: dict[str, Any]) -> ListVersion:
    """A list version as results show it (``v``: a row of the store's versions)."""
    return {
        "source_id": v["source_id"],
        "name": v["source_name"],
        "version_id": v["id"],
        "sha256": v["sha256"],
        "published": v["published"],
        **describe(v),
        "loaded_at": v["loaded_at"],
        "entities": v["entities"],
        "licence": v["licence"],
        "kind": v["kind"],
    }


_EMPTY: dict[str, list[Match]] = {}
_NONE: list[Match] = []  # shared by every name without matches
_NONE_HITS: list[ScreenHit] = []


def _halve(memo: dict[Any, Any]) -> None:
    """Let go of the older half of ``memo`` (dicts keep the order things came in)."""
    for key in list(islice(memo, len(memo) // 2 + 1)):
        memo.pop(key, None)  # another thread may have let it go too


def _finished(
    snap: Snapshot,
    q: Query,
    floor: float,
    matches: list[Match],
    stages: Sequence[Stage],
    tokens: tuple[Any, ...],
) -> list[ScreenHit]:
    """The hits of ``q`` after the country and date-of-birth evidence and every stage,
    remembered in ``snap`` until a stage's token changes. A name's hits are expanded and
    typed once; the evidence applied to them, a hit it moved is made from the name's
    typed hit (:meth:`ScreenHit.rescored`), and the stages run once for each set of hits
    the evidence leaves unmoved: every country that moves none of a name's hits (its
    entities have no countries, or there is none) shares one finished list."""
    done = snap.finished
    key = (q.name, q.country, q.threshold, q.related, q.dob, floor)
    held = done.get(key)
    if held is not None and held[0] == tokens:
        return held[1]
    named = snap.named.get((q.name, floor))
    if named is None:
        if len(snap.named) >= FINISHED_SIZE:
            _halve(snap.named)
        hits = expand(snap.matcher, matches)
        named = snap.named[(q.name, floor)] = (hits, [ScreenHit.from_match(h) for h in hits])
    hits, typed = named
    kept = apply_country(hits, q.country, q.threshold, q.dob)
    # which of the name's hits were kept, and whether the evidence moved any of them
    at = {h.name_id: i for i, h in enumerate(hits)}
    which = tuple(at[k.name_id] for k in kept)
    same = all(k is hits[i] for k, i in zip(kept, which))
    shared = (q.name, floor, q.related, which)
    held = done.get(shared) if same else None
    if held is None or held[0] != tokens:
        fresh = [
            typed[i].copy() if k is hits[i] else typed[i].rescored(k) for k, i in zip(kept, which)
        ]
        held = (tokens, run_stages(fresh, q, stages))
        if same:
            done[shared] = held
    if len(done) >= FINISHED_SIZE:
        _halve(done)
    done[key] = held
    return held[1]
