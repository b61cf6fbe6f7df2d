"""Reviewers' decisions to and from files: a reviewed batch output read back, every
decision written out.

**The spreadsheet loop.** A CSV or XLSX batch output ends with three empty columns for
the reviewer (:data:`screener.files.reports.cells.REVIEW_COLUMNS`): ``decision`` (one of
false-positive, confirmed, escalated, cleared, declined; case and spaces do not matter),
``decision_reason`` and ``decision_by`` (or ``--by`` for every row). The reviewer fills
them in for the rows they decided and leaves the rest empty. :func:`import_reviewed`
records a decision for every hit the row names in ``screen_hit_ids``
(``SOURCE:ENTITY@VERSION``; delete ids from the cell to narrow a decision), for the
party in ``screen_query``, with the listing as that list version held it when the batch
ran: if the list has changed since, the next screening says so (``review-again``).
Rows may be sorted or filtered first; other columns are ignored.

The file is checked whole before anything is recorded, and every decision goes in one
transaction: a bad row (unknown decision, no reason, no reviewer, an id this store does
not hold) is one error line naming the row, and nothing is recorded. A decision equal to
the one in force (same kind, reason, reviewer and listing) is not recorded again, so
importing a file twice changes nothing.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener.db import decisions as decision_table
from screener.db.parties import JUDGEMENT_KINDS, judgements, record_judgement
from screener.db.parties import records_of as party_records
from screener.db.store import Store
from screener.errors import InputError
from screener.files.cells import FORMULA_PREFIXES, neutralize
from screener.matching.normalize import name_key
from screener.screening import decisions

REQUIRED = ("screen_query", "screen_hit_ids", "decision", "decision_reason")
EXPORT_FIELDS = (
    "id",
    "decided_at",
    "party",
    "party_key",
    "source_id",
    "entity_id",
    "version_id",
    "kind",
    "reason",
    "reviewer",
    "fingerprint",
    "supersedes",
    "superseded_by",
    "current",
    "origin",
    "listing",
)


@dataclass
class ImportSummary:
    """What :func:`import_reviewed` found and recorded."""

    path: str
    rows: int = 0  # rows read
    decided_rows: int = 0  # rows with a decision
    recorded: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0  # decisions equal to the one in force

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "rows": self.rows,
            "decided_rows": self.decided_rows,
            "recorded": len(self.recorded),
            "unchanged": self.unchanged,
            "decisions": [
                {k: d[k] for k in ("id", "party", "source_id", "entity_id", "kind", "reviewer")}
                for d in self.recorded
            ],
        }


def import_reviewed(
    store: Store, path: str | Path, *, reviewer: str | None = None, sheet: str | None = None
) -> ImportSummary:
    """Record the decisions a reviewer wrote into a batch output (see the module docstring)."""
    from screener.files.readers import open_input
    from screener.files.reports.base import INPUT_ROWS_ATTR
    from screener.files.reports.cells import parse_hit_ids

    path = Path(path)
    try:
        table = open_input(path, column="screen_query", sheet=sheet)
        missing = [c for c in REQUIRED if c not in table.columns]
    except InputError as e:
        if "has no column" not in str(e):
            raise
        missing = ["screen_query"]
    if missing:
        raise InputError(
            f"{path}: not a reviewed screener output: no column "
            f"{', '.join(missing)} (write the batch output as .csv or .xlsx, fill "
            "in decision, decision_reason and decision_by, and import that file)"
        )
    first = 1 if table.format == "jsonl" else 2
    summary = ImportSummary(str(path))
    # Every row is checked before anything is recorded, keeping per row only what its
    # decision needs: the listing of an entity version is read, viewed and fingerprinted
    # once however many rows decide on it, and a party's key is computed once.
    listings: dict[tuple[str, str, int | None], tuple[Any, str] | None] = {}
    party_keys: dict[str, str] = {}
    latest = decision_table.in_force(store)  # then also the decisions of the file so far
    pending: list[tuple[Any, ...]] = []  # as _PENDING names them
    for df in table.chunks(10_000):  # small chunks: a large file's rows are never all held
        numbers = df.attrs.get(INPUT_ROWS_ATTR)
        if numbers is None or len(numbers) != len(df):
            numbers = [int(i) + first for i in df.index]
        columns = {c: df[c].tolist() for c in (*REQUIRED, "decision_by") if c in df.columns}
        for i, row in enumerate(numbers):
            summary.rows += 1
            cell = _cell(columns["decision"][i])
            if not cell:
                continue
            summary.decided_rows += 1
            where = f"{path}: row {row}"
            try:
                kind = decisions.kind_of(cell)
            except InputError as e:
                raise InputError(f"{where}: {e}") from None
            reason = " ".join(_cell(columns["decision_reason"][i]).split())
            by = _cell(columns["decision_by"][i]) if "decision_by" in columns else ""
            by = " ".join((by or (reviewer or "").strip()).split())
            party = " ".join(_cell(columns["screen_query"][i]).split())
            if not reason:
                raise InputError(f"{where}: the decision {kind!r} has no decision_reason")
            if not by:
                raise InputError(f"{where}: no reviewer: fill in decision_by, or give --by")
            if not party:
                raise InputError(f"{where}: a decision, but no party (screen_query is empty)")
            try:
                ids = parse_hit_ids(_cell(columns["screen_hit_ids"][i]))
            except ValueError as e:
                raise InputError(f"{where}: screen_hit_ids: {e}") from None
            if not ids:
                raise InputError(
                    f"{where}: a decision, but no hit to decide on (screen_hit_ids is empty)"
                )
            pkey = party_keys.get(party)
            if pkey is None:
                if len(party_keys) >= 10_000:
                    party_keys.clear()
                pkey = party_keys[party] = name_key(party, remember=False)
            for source_id, entity_id, version_id in ids:
                ref = (source_id, entity_id, version_id)
                if ref not in listings:
                    listings[ref] = _listing(store, source_id, entity_id, version_id)
                found = listings[ref]
                if found is None:
                    at = f" version {version_id}" if version_id is not None else ""
                    raise InputError(
                        f"{where}: {source_id}:{entity_id}{at} is not in this list "
                        "store (was the batch run against another --db?)"
                    )
                (_, version), fp = found
                key = (pkey, source_id, entity_id)
                decision = (kind, reason, by, fp)
                if latest.get(key) == decision:  # the one in force, or just made by the file
                    summary.unchanged += 1
                    continue
                latest[key] = decision
                pending.append(
                    (party, pkey, source_id, entity_id, version, kind, reason, by, fp, ref, row)
                )
    texts = {ref: found[0][0] for ref, found in listings.items() if found is not None}
    rows = (dict(zip(_PENDING, p), origin=f"{path.name} row {p[-1]}") for p in pending)
    summary.recorded = decision_table.record_prepared(store, rows, texts) if pending else []
    return summary


_PENDING = (
    "party",
    "party_key",
    "source_id",
    "entity_id",
    "version_id",
    "kind",
    "reason",
    "reviewer",
    "fingerprint",
    "listing",
    "row",
)


def _listing(
    store: Store, source_id: str, entity_id: str, version_id: int | None
) -> tuple[tuple[str, int | None], str] | None:
    """((the listing view as JSON, its version id), its fingerprint) of an entity as a
    version of its list holds it; None when the store does not hold it."""
    snap = decisions.snapshot(store, source_id, entity_id, version_id)
    if snap is None:
        return None
    view = decisions.listing_view(snap, snap.get("names"))
    view["party_records"] = party_records(store, source_id, entity_id)
    return (json.dumps(view, ensure_ascii=False), snap.get("version_id")), decisions.fingerprint(
        view
    )


def _cell(value: Any) -> str:
    """A cell as the reviewer wrote it: text, trimmed, without the ``'`` a formula-safe
    output put before a leading ``= + - @``."""
    s = "" if value is None else str(value).strip()
    if len(s) > 1 and s[0] == "'" and s[1] in FORMULA_PREFIXES:
        s = s[1:]
    return s


def export(store: Store, path: str | Path, party: str | None = None) -> int:
    """Write every decision (of one party, when given) to ``path``: ``.csv`` (the listing as
    JSON in its last column), or ``.jsonl`` / ``.json`` (one decision per line). Without a
    party, the reviewers' judgements on parties follow, one row each
    (:func:`judgement_row`; :func:`import_judgements` reads them back). Returns how many
    rows; the file appears whole or not at all."""
    path = Path(path)
    rows = decisions.all_decisions(store, party)
    if party is None:  # reviewers' judgements on parties travel with the decisions
        rows += [judgement_row(j) for j in judgements(store)]
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".json"):
        raise InputError(
            f"{path}: unknown export type {suffix or '(no extension)'!r}; use .csv or .jsonl"
        )
    if not path.parent.is_dir():
        raise InputError(f"{path}: the directory {str(path.parent)!r} does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            if suffix == ".csv":
                f.write("\ufeff")
                w = csv.writer(f, lineterminator="\r\n")
                w.writerow(EXPORT_FIELDS)
                for r in rows:
                    w.writerow([neutralize(_text(r.get(k))) for k in EXPORT_FIELDS])
            else:
                for r in rows:
                    f.write(
                        json.dumps({k: r.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n"
                    )
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return len(rows)


def judgement_row(j: dict[str, Any]) -> dict[str, Any]:
    """A judgement as a row of the decisions export: ``kind`` same or different, ``id``
    ``j<N>``, the first record in ``source_id`` / ``entity_id`` and both in ``listing``."""
    a, b = f"{j['a_source']}:{j['a_entity']}", f"{j['b_source']}:{j['b_entity']}"
    return {
        "id": f"j{j['id']}",
        "decided_at": j["decided_at"],
        "party": None,
        "party_key": None,
        "source_id": j["a_source"],
        "entity_id": j["a_entity"],
        "kind": j["kind"],
        "reason": j["reason"],
        "reviewer": j["reviewer"],
        "origin": j["origin"],
        "listing": {"judgement": j["kind"], "records": [a, b]},
    }


def import_judgements(store: Store, path: str | Path) -> dict[str, int]:
    """Record the judgements of a decisions export (``.csv`` or ``.jsonl``) made by
    :func:`export`, keeping their reviewer, reason and time; one already in this store
    (same kind, records, reviewer, reason and time) is not recorded again. Decisions in
    the file are left alone. Returns ``{"read", "recorded", "unchanged"}``."""
    path = Path(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read it: {e}") from None
    if path.suffix.lower() == ".csv":
        items = list(csv.DictReader(text.splitlines()))
    else:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}: line {n} is not JSON: {e.msg}") from None
    have = {
        (
            j["kind"],
            j["a_source"],
            j["a_entity"],
            j["b_source"],
            j["b_entity"],
            j["reviewer"],
            j["reason"],
            j["decided_at"],
        )
        for j in judgements(store)
    }
    out = {"read": 0, "recorded": 0, "unchanged": 0}
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or item.get("kind") not in JUDGEMENT_KINDS:
            continue
        out["read"] += 1
        listing = item.get("listing")
        if isinstance(listing, str):
            try:
                listing = json.loads(listing)
            except json.JSONDecodeError:
                listing = None
        recs = listing.get("records") if isinstance(listing, dict) else None
        if not isinstance(recs, list) or len(recs) != 2:
            raise InputError(f"{path}: row {n}: a judgement without its two records")
        (a_s, _, a_e), (b_s, _, b_e) = (str(r).partition(":") for r in recs)
        key = (
            item["kind"],
            a_s,
            a_e,
            b_s,
            b_e,
            item.get("reviewer"),
            item.get("reason"),
            item.get("decided_at"),
        )
        if key in have:
            out["unchanged"] += 1
            continue
        record_judgement(
            store,
            item["kind"],
            (a_s, a_e),
            (b_s, b_e),
            str(item.get("reason") or ""),
            str(item.get("reviewer") or ""),
            origin=f"{path.name} row {n}",
            decided_at=str(item.get("decided_at") or "") or None,
        )
        have.add(key)
        out["recorded"] += 1
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def decide(
    store: Store,
    party: str,
    entity_id: str,
    kind: str,
    reason: str,
    reviewer: str,
    source_id: str | None = None,
) -> dict[str, Any]:
    """Record a decision on ``party`` and the listed entity ``entity_id`` as the active list
    version holds it; ``source_id`` is needed only when several sources hold that id."""
    entity_id = str(entity_id).strip()
    if source_id is None:
        found = sorted(
            {
                r[0]
                for r in store.conn.execute(
                    """select e.source_id from entities e join sources s
               on s.id = e.source_id and s.active_version = e.version_id where e.id = ?""",
                    [entity_id],
                )
            }
        )
        if not found:
            raise InputError(
                f"no listed entity with id {entity_id!r} in the active lists "
                "(`screener check` shows each hit's entry id)"
            )
        if len(found) > 1:
            raise InputError(
                f"entity id {entity_id!r} is in several lists ({', '.join(found)}); give --source"
            )
        source_id = found[0]
    listing = decisions.snapshot(store, source_id, entity_id)
    if listing is None:
        raise InputError(f"no entity {entity_id!r} in the active version of {source_id!r}")
    return decisions.record(
        store,
        party,
        source_id,
        entity_id,
        kind,
        reason,
        reviewer,
        listing,
        origin="screener decide",
    )
