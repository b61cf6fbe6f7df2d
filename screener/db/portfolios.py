"""Portfolios: named sets of parties (funders-2026, customers, deal-123) and their screenings.

Tables (schema version 4)
    portfolios            one row per portfolio: where its parties came from (file, sha256,
                          name and country columns, the file's columns) and how many
    portfolio_parties     each party in input order (``seq``), its row number as the
                          spreadsheet shows it, name, country (ISO alpha-2) and row data (JSON)
    portfolio_screenings  each screening of a portfolio: run id, time, list versions, counts
    portfolio_results     what a screening found per party: the row status and its hits, each
                          reduced to what tells one screening from the next (source, entity,
                          status, decision, listing fingerprint and view)

Adding a portfolio again with ``replace`` swaps its parties and keeps its screenings, so
the next re-screening reports what the new file changed. This module only stores; the
screening is :mod:`screener.screening.rescreen`'s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from screener.db.store import Store, now_iso
from screener.errors import InputError
from screener.shapes import ListVersion, PartyState

MAX_NAME = 100


def check_name(name: str) -> str:
    """A portfolio name: any text of 1-100 characters, spaces at the ends dropped."""
    name = str(name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InputError(f"a portfolio name needs 1 to {MAX_NAME} characters")
    return name


def add(
    store: Store,
    name: str,
    parties: Sequence[dict[str, Any]],
    *,
    source: dict[str, Any],
    replace: bool = False,
) -> dict[str, Any]:
    """Keep ``parties`` (dicts with ``row``, ``name``, ``country``, ``data``) as portfolio
    ``name``; ``source`` holds ``path``, ``sha256``, ``name_column``, ``country_column``,
    ``columns``. An existing portfolio is refused unless ``replace``."""
    name = check_name(name)
    if not parties:
        raise InputError(f"{source.get('path')}: no parties to keep (every name is empty)")
    existing = get(store, name)
    if existing and not replace:
        raise InputError(f"portfolio {name!r} exists; add --replace to give it the new parties")
    now = now_iso()
    with store.conn:
        store.conn.execute("delete from portfolio_parties where portfolio = ?", [name])
        store.conn.execute(
            """insert or replace into portfolios (name, created_at, updated_at, source_path,
               source_sha256, name_column, country_column, columns, parties)
               values (?,?,?,?,?,?,?,?,?)""",
            [
                name,
                existing["created_at"] if existing else now,
                now,
                source.get("path"),
                source.get("sha256"),
                source.get("name_column"),
                source.get("country_column"),
                json.dumps(source.get("columns") or [], ensure_ascii=False),
                len(parties),
            ],
        )
        store.conn.executemany(
            """insert into portfolio_parties (portfolio, seq, row, name, country, data)
               values (?,?,?,?,?,?)""",
            [
                [
                    name,
                    i,
                    p.get("row"),
                    p["name"],
                    p.get("country"),
                    json.dumps(p.get("data") or {}, ensure_ascii=False),
                ]
                for i, p in enumerate(parties)
            ],
        )
    found = get(store, name)
    assert found is not None
    return found


def get(store: Store, name: str) -> dict[str, Any] | None:
    for r in store.query("select * from portfolios where name = ?", [str(name).strip()]):
        r["columns"] = json.loads(r["columns"]) if r.get("columns") else []
        return r
    return None


def require(store: Store, name: str) -> dict[str, Any]:
    found = get(store, name)
    if found is None:
        known = ", ".join(p["name"] for p in all_portfolios(store)[:10]) or "none yet"
        raise InputError(
            f"no portfolio named {name!r} (portfolios: {known}); "
            "add one with `screener portfolio add NAME FILE`"
        )
    return found


def all_portfolios(store: Store) -> list[dict[str, Any]]:
    """Every portfolio with the time and run of its last screening."""
    rows = store.query(
        """select p.*, s.screened_at as last_screened, s.run_id as last_run
           from portfolios p left join portfolio_screenings s on s.id = (
               select max(id) from portfolio_screenings where portfolio = p.name)
           order by p.name"""
    )
    out = []
    for r in rows:
        r["columns"] = json.loads(r["columns"]) if r.get("columns") else []
        out.append(r)
    return out


def parties(store: Store, name: str) -> list[dict[str, Any]]:
    """The parties of a portfolio, in input order."""
    rows = store.query(
        """select seq, row, name, country, data from portfolio_parties
                          where portfolio = ? order by seq""",
        [name],
    )
    return [{**r, "data": json.loads(r["data"]) if r.get("data") else {}} for r in rows]


def last_screening(store: Store, name: str) -> dict[str, Any] | None:
    """The latest screening of a portfolio with its ``results`` (a list in input order)."""
    found = list(
        store.query(
            """select * from portfolio_screenings where portfolio = ?
                                order by id desc limit 1""",
            [name],
        )
    )
    if not found:
        return None
    s = found[0]
    s["lists"] = json.loads(s["lists"]) if s.get("lists") else []
    s["summary"] = json.loads(s["summary"]) if s.get("summary") else {}
    s["results"] = [
        {**r, "hits": json.loads(r["hits"]) if r.get("hits") else []}
        for r in store.query(
            """select seq, row, party, country, status, hits
                                from portfolio_results where screening_id = ? order by seq""",
            [s["id"]],
        )
    ]
    return s


def save_screening(
    store: Store,
    name: str,
    run_id: str,
    lists: Sequence[ListVersion],
    summary: dict[str, Any],
    results: Sequence[PartyState],
) -> int:
    """Record a screening of portfolio ``name``; ``results`` in input order, each with
    ``row``, ``party``, ``country``, ``status`` and ``hits``. Returns its id."""
    with store.conn:
        cur = store.conn.execute(
            """insert into portfolio_screenings (portfolio, run_id, screened_at, lists, summary)
               values (?,?,?,?,?)""",
            [
                name,
                run_id,
                now_iso(),
                json.dumps(lists, default=str),
                json.dumps(summary, default=str),
            ],
        )
        sid = int(cur.lastrowid or 0)
        store.conn.executemany(
            """insert into portfolio_results (screening_id, seq, row, party, country, status, hits)
               values (?,?,?,?,?,?,?)""",
            (
                [
                    sid,
                    i,
                    r.get("row"),
                    r.get("party"),
                    r.get("country"),
                    r.get("status"),
                    json.dumps(r.get("hits") or [], ensure_ascii=False, default=str),
                ]
                for i, r in enumerate(results)
            ),
        )
    return sid
