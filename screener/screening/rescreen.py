"""Portfolios re-screened: what changed for *my* parties since they were last screened.

    from screener.screening import rescreen
    rescreen.add_portfolio(s.store, "funders-2026", "funders.xlsx", column="Funder")
    result = rescreen.rescreen(s, "funders-2026")      # s: a Screener
    for party in result.changes:
        print(party.row, party.party, party.status_before, "->", party.status, party.changes)

A re-screening screens every party of the portfolio through the service (matcher, then
every stage, so reviewers' decisions apply), records the run, keeps what it found per
party (:mod:`screener.db.portfolios`), and compares it with the portfolio's previous
screening. It reports only the parties where something changed, each change one of:

    new-hit          a listed entity the party now matches and did not before
    hit-gone         an entity it matched before and does not now (delisted, renamed,
                     or the party's name changed)
    listing-changed  the same entity, whose listing changed: a new list, an end date, a
                     removal, changed names (the same fingerprint as decisions use)
    status-changed   the same entity and listing, another status: a decision was recorded
                     (hit -> suppressed), or a suppressed hit must be reviewed again
    decided          the same entity, listing and status, and a new decision on it (a
                     confirmed or declined match stays a hit)

A change **needs review** unless a reviewer's decision settles the hit (a new match a
decision already covers, a confirmed, declined, cleared or false-positive match whose
listing has not changed since: :func:`screener.files.reports.decided.is_settled`) or it
leaves the hit suppressed; the run exits 1 when any change needs review. Each hit and
each party reads as its decision ("confirmed by R. Officer on 2026-12-07"), never "to
review" once decided (:mod:`screener.files.reports.decided`, the one place that words
decisions). The first screening of a portfolio compares with nothing: every party with
a hit is new.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener import __version__
from screener.countries import country_option, country_problem
from screener.db import portfolios, runs
from screener.db.runs import Recorded
from screener.db.store import Store, now_iso
from screener.errors import EXIT_CLEAR, EXIT_HIT, InputError
from screener.files.reports.decided import hit_state, is_settled, party_decision
from screener.screening import decisions
from screener.screening.results import NEEDS_REVIEW, row_status
from screener.shapes import (
    ChangeDict,
    HitDict,
    HitState,
    ListChange,
    ListVersion,
    PartyChangeDict,
    PartyState,
    RescreenDict,
)

CHANGE_KINDS = ("new-hit", "hit-gone", "listing-changed", "status-changed", "decided")


@dataclass
class PartyChange:
    """What changed for one party of a portfolio."""

    row: int | None  # as the input spreadsheet numbers it
    party: str
    country: str | None
    status_before: str | None  # None: the portfolio was never screened, or the party is new
    status: str
    changes: list[ChangeDict]
    decision: str = ""  # the party's decisions now ("confirmed", "to review", ...)

    @property
    def needs_review(self) -> bool:
        return any(c["needs_review"] for c in self.changes)

    def to_dict(self) -> PartyChangeDict:
        return {
            "row": self.row,
            "party": self.party,
            "country": self.country,
            "status_before": self.status_before,
            "status": self.status,
            "decision": self.decision,
            "needs_review": self.needs_review,
            "changes": self.changes,
        }


@dataclass
class RescreenResult:
    """A re-screening of one portfolio."""

    portfolio: str
    run_id: str
    screened_at: str
    parties: int
    lists: list[ListVersion]
    previous: dict[str, Any] | None  # run_id, screened_at, lists of the screening compared with
    changes: list[PartyChange]
    lists_changed: list[ListChange]
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_review(self) -> int:
        return sum(1 for c in self.changes if c.needs_review)

    @property
    def exit_code(self) -> int:
        return EXIT_HIT if self.needs_review else EXIT_CLEAR

    def to_dict(self) -> RescreenDict:
        return {
            "portfolio": self.portfolio,
            "run_id": self.run_id,
            "screened_at": self.screened_at,
            "tool_version": __version__,
            "parties": self.parties,
            "previous": self.previous,
            "lists": self.lists,
            "lists_changed": self.lists_changed,
            "counts": self.counts,
            "changed_parties": len(self.changes),
            "needs_review": self.needs_review,
            "changes": [c.to_dict() for c in self.changes],
            "warnings": self.warnings,
        }


# -- portfolios ------------------------------------------------------------------------------


def add_portfolio(
    store: Store,
    name: str,
    path: str | Path,
    *,
    column: str | None = None,
    country_column: str | None = None,
    sheet: str | None = None,
    replace: bool = False,
    header_row: int | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Keep the parties of a file (CSV, XLSX, JSON Lines) as portfolio ``name``, with their
    row data and spreadsheet row numbers; returns the portfolio and warnings (rows without
    a name are left out; a country naming no country is kept as no country)."""
    from screener.files.readers import open_input
    from screener.files.reports.base import INPUT_ROWS_ATTR

    portfolios.check_name(name)
    table = open_input(
        path, column=column, country_column=country_column, sheet=sheet, header_row=header_row
    )
    first = 1 if table.format == "jsonl" else 2
    parties, empty, bad = [], 0, Counter[str]()
    for df in table.chunks():
        numbers = df.attrs.get(INPUT_ROWS_ATTR)
        if numbers is None or len(numbers) != len(df):
            numbers = [int(i) + first for i in df.index]
        for row, rec in zip(numbers, df.to_dict("records")):
            party = str(rec.get(table.name_column) or "").strip()
            if not party:
                empty += 1
                continue
            country = None
            if table.country_column and str(rec.get(table.country_column) or "").strip():
                try:
                    country = country_option(rec[table.country_column])
                except InputError:
                    bad[str(rec[table.country_column]).strip()[:40]] += 1
            parties.append(
                {
                    "row": int(row),
                    "name": party,
                    "country": country,
                    "data": {str(k): v for k, v in rec.items()},
                }
            )
    found = portfolios.add(
        store,
        name,
        parties,
        replace=replace,
        source={
            "path": str(path),
            "sha256": table.sha256,
            "name_column": table.name_column,
            "country_column": table.country_column,
            "columns": table.columns,
        },
    )
    warnings = table.notes()
    if empty:
        warnings.append(f"{empty} rows without a name were left out")
    for value, n in bad.most_common(5):
        warnings.append(
            f"{n} row{'s have' if n != 1 else ' has'} country '{value}', "
            f"{country_problem(value)}: kept without a country"
        )
    return found, warnings


# -- re-screening ----------------------------------------------------------------------------


def rescreen(
    s: Any, name: str, *, fail_stale: bool | None = None, threshold: float | None = None
) -> RescreenResult:
    """Screen portfolio ``name`` with the service ``s`` and report what changed since its
    last screening (see the module docstring)."""
    store = s.store
    portfolio = portfolios.require(store, name)
    name = portfolio["name"]
    parties = portfolios.parties(store, name)
    lists, notes = s.guard(fail_stale)
    queries = {}
    for p in parties:
        key = (p["name"], p["country"])
        if key not in queries:
            queries[key] = s.query(p["name"], p["country"], threshold)
    keys = list(queries)
    thr = next(iter(queries.values())).threshold if queries else 0.0
    run_id = runs.start_run(
        store,
        "rescreen",
        {"portfolio": name, "threshold": thr},
        lists,
        thr,
        portfolio.get("source_path"),
        portfolio.get("source_sha256"),
    )
    try:
        found = dict(zip(keys, s.screen([queries[k] for k in keys])))
        results: list[PartyState] = []
        recorded: list[Recorded] = []
        for p in parties:
            hits = [h.to_dict() for h in found[(p["name"], p["country"])]]
            results.append(
                {
                    "row": p["row"],
                    "party": p["name"],
                    "country": p["country"],
                    "status": row_status(h["status"] for h in hits) if hits else "clear",
                    "decision": party_decision(hits).label,
                    "hits": [_state(h) for h in hits],
                }
            )
            if hits:
                recorded.append((p["row"], p["name"], hits))
        previous = portfolios.last_screening(store, name)
        changes = compare(previous["results"] if previous else None, results)
        counts = {
            "parties": len(results),
            "with_hits": sum(1 for r in results if r["hits"]),
            "needs_review_now": sum(1 for r in results if r["status"] in NEEDS_REVIEW),
            "suppressed": sum(1 for r in results if r["status"] == "suppressed"),
            "changed": len(changes),
            "changes_to_review": sum(1 for c in changes if c.needs_review),
        }
        portfolios.save_screening(
            store,
            name,
            run_id,
            lists,
            counts,
            results,
        )
        runs.record_hits(store, run_id, recorded)
    except BaseException:
        runs.finish_run(store, run_id, status="failed", exit_code=InputError.exit_code)
        raise
    result = RescreenResult(
        name,
        run_id,
        now_iso(),
        len(results),
        lists,
        {k: previous[k] for k in ("run_id", "screened_at", "lists")} if previous else None,
        changes,
        lists_changed(previous["lists"] if previous else [], lists),
        counts,
        notes,
    )
    runs.finish_run(
        store,
        run_id,
        status="done",
        exit_code=result.exit_code,
        rows=len(results),
        hits=sum(len(r["hits"]) for r in results),
        hit_rows=counts["with_hits"],
    )
    return result


def rescreen_all(s: Any, *, fail_stale: bool | None = None) -> list[RescreenResult]:
    """Re-screen every portfolio, by name."""
    return [
        rescreen(s, p["name"], fail_stale=fail_stale) for p in portfolios.all_portfolios(s.store)
    ]


def _state(hit: HitDict) -> HitState:
    """What a screening keeps of a hit to tell the next one what changed."""
    view = decisions.listing_view(hit)
    d = hit.get("decision") or {}
    found = hit.get("party")
    party: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "source_id": hit.get("source_id"),
        "entity_id": hit.get("entity_id"),
        "party_id": party.get("id"),
        "records": [f"{r['source_id']}:{r['entity_id']}" for r in party.get("records") or ()],
        "version_id": hit.get("version_id"),
        "name": hit.get("name"),
        "score": hit.get("score"),
        "status": hit.get("status") or "hit",
        "decision_id": d.get("id"),
        "decision_kind": d.get("kind"),
        "decision": hit_state(hit) if d else None,  # as the report words it
        "settled": is_settled(hit),
        "fingerprint": decisions.fingerprint(view),
        "listing": view,
    }


def compare(before: list[PartyState] | None, after: list[PartyState]) -> list[PartyChange]:
    """The parties of ``after`` whose hits changed since ``before`` (both lists of results
    with ``row``, ``party``, ``country``, ``status``, ``hits`` as :func:`_state` keeps them)."""
    old_by_party = {(r["party"], r["country"]): r for r in before or ()}
    out = []
    for r in after:
        old = old_by_party.get((r["party"], r["country"]))
        now = {_key(h): h for h in r["hits"]}
        # a hit kept before parties existed, or whose party is named after another record
        # now (a curated entry joined it), is the party now holding one of its records
        of_record = {x: _key(h) for h in r["hits"] for x in h.get("records") or ()}
        was = {_key(h, of_record, now): h for h in (old["hits"] if old else ())}
        changes = []
        for key, h in now.items():
            if key not in was:
                changes.append(
                    _change(
                        "new-hit",
                        h,
                        f"new potential match: {_entity(h)}{_lists_of(h)}{_status_note(h)}",
                        _open(h),
                    )
                )
        for key, h in was.items():
            if key not in now:
                changes.append(
                    _change(
                        "hit-gone",
                        h,
                        f"no longer matched: {_entity(h)} (was {h['status']})",
                        h["status"] != "suppressed",
                    )
                )
        for key, h in now.items():
            o = was.get(key)
            if o is None:
                continue
            if o["fingerprint"] != h["fingerprint"]:
                what = "; ".join(decisions.changes(o["listing"], h["listing"]))
                changes.append(
                    _change(
                        "listing-changed",
                        h,
                        f"{_entity(h)}: {what}{_status_note(h)}",
                        _open(h),
                    )
                )
            elif o["status"] != h["status"]:
                changes.append(
                    _change(
                        "status-changed",
                        h,
                        f"{_entity(h)}: {o['status']} -> {h['status']}{_status_note(h)}",
                        h["status"] in NEEDS_REVIEW and _open(h),
                    )
                )
            elif o.get("decision_id") != h.get("decision_id") and h.get("decision_id"):
                changes.append(
                    _change("decided", h, f"{_entity(h)}: {h.get('decision')}", _open(h))
                )
        if changes:
            out.append(
                PartyChange(
                    r["row"],
                    r["party"],
                    r["country"],
                    old["status"] if old else None,
                    r["status"],
                    changes,
                    r.get("decision") or "",
                )
            )
    return out


def _key(
    h: HitState,
    of_record: dict[str, Any] | None = None,
    now: dict[Any, Any] | None = None,
) -> Any:
    """What a hit is about: its party (one hit per party), else its record. With
    ``of_record`` (each record of the hits found now -> their key), a hit of an earlier
    screening whose party is not found now is the party that holds one of its records."""
    if h.get("party_id") and (now is None or ("party", h["party_id"]) in now):
        return ("party", h["party_id"])
    for ref in [f"{h.get('source_id')}:{h.get('entity_id')}", *(h.get("records") or ())]:
        if of_record and ref in of_record:
            return of_record[ref]
    if h.get("party_id"):
        return ("party", h["party_id"])
    return (h.get("source_id"), h.get("entity_id"))


def lists_changed(before: list[ListVersion], after: list[ListVersion]) -> list[ListChange]:
    """The list versions that differ between two screenings (source, from, to)."""
    was = {x["source_id"]: x for x in before or ()}
    now = {x["source_id"]: x for x in after or ()}
    out: list[ListChange] = []
    for sid in sorted(set(was) | set(now)):
        a, b = was.get(sid), now.get(sid)
        # a stored screening's versions are read back from JSON: .get, not [...]
        if (a.get("sha256") if a else None) != (b.get("sha256") if b else None):
            out.append(
                {
                    "source_id": sid,
                    "from_version": a.get("version_id") if a else None,
                    "to_version": b.get("version_id") if b else None,
                    "published": b.get("published") if b else None,
                }
            )
    return out


def _change(kind: str, hit: HitState, text: str, review: bool) -> ChangeDict:
    return {
        "kind": kind,
        "source_id": hit.get("source_id"),
        "entity_id": hit.get("entity_id"),
        "name": hit.get("name"),
        "status": hit.get("status"),
        "text": text,
        "needs_review": bool(review),
    }


def _entity(h: HitState) -> str:
    return f"{h.get('name')} ({h.get('source_id')}:{h.get('entity_id')})"


def _lists_of(h: HitState) -> str:
    names = [
        str(x.get("list")) + (" ended" if not x.get("in_force", True) else "")
        for x in (h.get("listing") or {}).get("listings") or ()
        if x.get("list")
    ]
    return f" on {', '.join(dict.fromkeys(names))}" if names else ""


def _open(h: HitState) -> bool:
    """Whether a hit (as :func:`_state` keeps it) still needs a reviewer: not suppressed,
    and no decision settles it."""
    return h.get("status") != "suppressed" and not h.get("settled")


def _status_note(h: HitState) -> str:
    if h.get("status") == "review-again":
        return f" (review again: decision #{h.get('decision_id')} predates the change)"
    if h.get("decision"):
        return f" ({h['decision']}, decision #{h.get('decision_id')})"
    return ""
