"""The audit record: every `check` and `batch` run, what it screened, against what.

A run row holds: id, start and finish time, tool version, command and options,
input file name and sha256, row count, threshold, the version (sha256) of every
list used, the hit counts, status (running / done / failed / interrupted) and
exit code. ``run_hits`` holds each hit (row, query, entity, source, version,
score, citation). Runs are written in their own transactions, apart from list
imports.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from screener import __version__
from screener.db.store import Store, now_iso
from screener.errors import InputError


def start_run(store: Store, command: str, options: dict[str, Any], lists: list[dict[str, Any]],
              threshold: float, input_path: str | None = None,
              input_sha256: str | None = None) -> str:  # fmt: skip
    """Record a new run as running; return its id."""
    run_id = now_iso().replace("-", "").replace(":", "")[:15] + "-" + uuid.uuid4().hex[:8]
    with store.conn:
        store.conn.execute(
            """insert into runs (id, started_at, tool_version, command, options, input_path,
               input_sha256, threshold, lists, status) values (?,?,?,?,?,?,?,?,?,?)""",
            [run_id, now_iso(), __version__, command, json.dumps(options, default=str),
             input_path, input_sha256, threshold, json.dumps(lists, default=str), "running"],
        )  # fmt: skip
    return run_id


def record_hits(store: Store, run_id: str, rows: Iterable[tuple[int, str, list[dict[str, Any]]]]) -> None:
    """Store the hits of (row, query, hit dicts) triples."""
    data = [
        (run_id, row, query[:1000], h["entity_id"], h["source_id"], h.get("version_id"),
         h["name"], h["matched_name"], h["score"], h.get("citation"))
        for row, query, hits in rows for h in hits
    ]  # fmt: skip
    if data:
        with store.conn:
            store.conn.executemany(
                """insert into run_hits (run_id, row, query, entity_id, source_id, version_id,
                   name, matched_name, score, citation) values (?,?,?,?,?,?,?,?,?,?)""",
                data,
            )


def finish_run(store: Store, run_id: str, *, status: str, exit_code: int, rows: int = 0,
               hits: int = 0, hit_rows: int = 0, output_path: str | None = None) -> None:  # fmt: skip
    with store.conn:
        store.conn.execute(
            """update runs set finished_at = ?, status = ?, exit_code = ?, rows = ?, hits = ?,
               hit_rows = ?, output_path = ? where id = ?""",
            [now_iso(), status, exit_code, rows, hits, hit_rows, output_path, run_id],
        )


def runs(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    out = []
    for r in store.query("select * from runs order by rowid desc limit ?", [limit]):
        out.append(_decode(r))
    return out


def run(store: Store, run_id: str) -> dict[str, Any]:
    """One run with its hits; ``run_id`` may be a unique prefix."""
    found = list(store.query("select * from runs where id like ? order by id",
                                [run_id.replace("%", "") + "%"]))  # fmt: skip
    if not found:
        raise InputError(f"no run with id {run_id}")
    if len(found) > 1:
        raise InputError(f"run id {run_id} is ambiguous ({len(found)} runs); give more of it")
    r = _decode(found[0])
    r["hit_list"] = list(store.query(
        "select row, query, entity_id, source_id, version_id, name, matched_name, score, citation "
        "from run_hits where run_id = ? order by row, score desc", [r["id"]]))  # fmt: skip
    return r


def _decode(r: dict[str, Any]) -> dict[str, Any]:
    r = dict(r)
    for k in ("options", "lists"):
        r[k] = json.loads(r[k]) if r.get(k) else None
    return r
