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

from screener.db import decisions
from screener.db.store import Store
from screener.errors import InputError
from screener.files.cells import FORMULA_PREFIXES, neutralize

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
    pending: list[dict[str, Any]] = []
    for df in table.chunks():
        numbers = df.attrs.get(INPUT_ROWS_ATTR)
        if numbers is None or len(numbers) != len(df):
            numbers = [int(i) + first for i in df.index]
        records = df.to_dict("records")
        for row, rec in zip(numbers, records):
            summary.rows += 1
            cell = _cell(rec.get("decision"))
            if not cell:
                continue
            summary.decided_rows += 1
            where = f"{path}: row {row}"
            try:
                kind = decisions.kind_of(cell)
            except InputError as e:
                raise InputError(f"{where}: {e}") from None
            reason = _cell(rec.get("decision_reason"))
            by = _cell(rec.get("decision_by")) or (reviewer or "").strip()
            party = _cell(rec.get("screen_query"))
            if not reason:
                raise InputError(f"{where}: the decision {kind!r} has no decision_reason")
            if not by:
                raise InputError(f"{where}: no reviewer: fill in decision_by, or give --by")
            try:
                ids = parse_hit_ids(_cell(rec.get("screen_hit_ids")))
            except ValueError as e:
                raise InputError(f"{where}: screen_hit_ids: {e}") from None
            if not ids:
                raise InputError(
                    f"{where}: a decision, but no hit to decide on (screen_hit_ids is empty)"
                )
            for source_id, entity_id, version_id in ids:
                listing = decisions.snapshot(store, source_id, entity_id, version_id)
                if listing is None:
                    at = f" version {version_id}" if version_id is not None else ""
                    raise InputError(
                        f"{where}: {source_id}:{entity_id}{at} is not in this list "
                        "store (was the batch run against another --db?)"
                    )
                pending.append(
                    decisions.prepare(
                        store,
                        party,
                        source_id,
                        entity_id,
                        kind,
                        reason,
                        by,
                        listing,
                        origin=f"{path.name} row {row}",
                    )
                )
    new: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for item in pending:
        key = (item["party_key"], item["source_id"], item["entity_id"])
        now = decisions.latest(store, item["party"], item["source_id"], item["entity_id"])
        same = now is not None and all(
            now[k] == item[k] for k in ("kind", "reason", "reviewer", "fingerprint")
        )
        if same or (key in seen and _same_as(new, item)):
            summary.unchanged += 1
            continue
        seen.add(key)
        new.append(item)
    summary.recorded = decisions.record_many(store, new) if new else []
    return summary


def _same_as(items: list[dict[str, Any]], item: dict[str, Any]) -> bool:
    """True when ``items`` already holds this decision (the same party in two rows)."""
    keys = ("party_key", "source_id", "entity_id", "kind", "reason", "reviewer", "fingerprint")
    return any(all(x[k] == item[k] for k in keys) for x in items)


def _cell(value: Any) -> str:
    """A cell as the reviewer wrote it: text, trimmed, without the ``'`` a formula-safe
    output put before a leading ``= + - @``."""
    s = "" if value is None else str(value).strip()
    if len(s) > 1 and s[0] == "'" and s[1] in FORMULA_PREFIXES:
        s = s[1:]
    return s


def export(store: Store, path: str | Path, party: str | None = None) -> int:
    """Write every decision (of one party, when given) to ``path``: ``.csv`` (the listing as
    JSON in its last column), or ``.jsonl`` / ``.json`` (one decision per line). Returns how
    many; the file appears whole or not at all."""
    path = Path(path)
    rows = decisions.all_decisions(store, party)
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
