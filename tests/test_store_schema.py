"""Schema migrations: a store made by screener 0.1.0 (schema version 1, no migrations
table; ``fixtures/stores/store_v1.sql``) upgrades with its data intact; a store from
a newer screener is refused; a failed step leaves the store as it was."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from screener.db import runs, schema
from screener.db.http_cache import cached_validators
from screener.db.store import SCHEMA_VERSION, Store
from screener.errors import ListsError
from screener.lists import catalog

ROOT = Path(__file__).resolve().parents[1]
V1_SQL = ROOT / "fixtures" / "stores" / "store_v1.sql"
MINI = ROOT / "fixtures" / "lists" / "mini_curated.yaml"
AFTER_V1 = [m.version for m in schema.MIGRATIONS if m.version > 1]  # the migrations logged
V1_TABLES = ("sources", "versions", "entities", "names", "runs", "run_hits", "http_cache")


def make_v1_store(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SQL.read_text(encoding="utf-8"))
    conn.close()
    return path


def dump(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the version-1 tables, with the version-1 columns only."""
    conn = sqlite3.connect(path)
    out = {}
    for table in V1_TABLES:
        cur = conn.execute(f"select * from {table} order by rowid")
        cols = [d[0] for d in cur.description]
        out[table] = [dict(zip(cols, r)) for r in cur]
    conn.close()
    return out


def pragma_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_the_fixture_is_a_version_1_store_without_a_migrations_table(tmp_path: Path) -> None:
    path = make_v1_store(tmp_path / "v1.db")
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    conn.close()
    assert pragma_version(path) == 1
    assert "migrations" not in tables and "run_temp_paths" not in tables


def test_a_version_1_store_upgrades_with_its_data_intact(tmp_path: Path) -> None:
    path = make_v1_store(tmp_path / "v1.db")
    before = dump(path)
    assert len(before["entities"]) == 2 and len(before["run_hits"]) == 1

    store = Store.open(path)
    try:
        after = dump(path)
        for table in V1_TABLES:
            old_cols = list(before[table][0])
            assert [{c: r[c] for c in old_cols} for r in after[table]] == before[table], table
        assert pragma_version(path) == SCHEMA_VERSION == schema.MIGRATIONS[-1].version
        log = list(store.query("select version, name, tool_version from migrations"))
        assert [r["version"] for r in log] == AFTER_V1 == [2, 3, 4, 5, 6]  # 1 predates the log

        # The data reads as before through the library.
        names = {e.id: e.name for e in store.entities(["mini"])}
        assert names["hikvision"] == "Hangzhou Hikvision Digital Technology Co., Ltd."
        hik = next(e for e in store.entities(["mini"]) if e.id == "hikvision")
        assert hik.parent_name == "China Electronics Technology Group Corporation"
        assert hik.listings[0].citation == "84 FR 54002"
        done = runs.run(store, before["runs"][0]["id"])
        assert done["status"] == "done" and done["hit_list"][0]["citation"] == "84 FR 54002"
        url = before["http_cache"][0]["url"]
        assert cached_validators(store, url, 1)["etag"] == '"5f3c-61a2b"'
        # Version 5 rebuilt the tables with their foreign keys, rows and indexes kept.
        fks = {
            (r[2], r[3], r[4])
            for r in store.conn.execute("select * from pragma_foreign_key_list('entities')")
        }
        assert fks == {("versions", "version_id", "id")}
        indexes = {r[0] for r in store.conn.execute("select name from sqlite_master")}
        assert {"idx_entities_source_id_version_id", "idx_names_name_nocase"} <= indexes
        # The run left "running" by 0.1.0 has no process recorded: it is left alone.
        old = runs.run(store, before["runs"][1]["id"])
        assert old["status"] == "running" and old["pid"] is None
        assert runs.reap_abandoned(store) == []

        # And the upgraded store takes new versions and new runs.
        r = catalog.import_file(store, MINI.with_name("own_denylist.csv"), "simple", "own")
        assert r.status == "loaded"
        new = runs.start_run(store, "check", {}, [], 0.8)
        assert runs.run(store, new)["pid"] is not None
    finally:
        store.close()
    # Opening again applies nothing.
    Store.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from migrations").fetchone()[0] == len(AFTER_V1)
    conn.close()


def test_a_new_store_is_at_the_current_version_with_every_step_logged(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "new.db")
    try:
        log = [r["version"] for r in store.query("select version from migrations order by 1")]
        assert log == [m.version for m in schema.MIGRATIONS]
        assert pragma_version(store.path) == SCHEMA_VERSION
    finally:
        store.close()


def test_a_store_from_a_newer_screener_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(ListsError) as caught:
        Store.open(path)
    assert str(caught.value) == (
        f"{path}: the list store was written by a newer screener (schema version "
        f"{SCHEMA_VERSION + 5}; this screener 0.1.0 knows up to {SCHEMA_VERSION}); "
        "upgrade screener, or use another store with --db"
    )
    assert pragma_version(path) == SCHEMA_VERSION + 5  # untouched


def test_the_cli_refuses_a_newer_store_with_one_line_and_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from screener.cli import main; main()",
            "--db",
            str(path),
            "lists",
            "show",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        (
            f"screener: error: {path}: the list store was written by a newer screener (schema "
            f"version 99; this screener 0.1.0 knows up to {SCHEMA_VERSION}); upgrade screener, "
            "or use another store with --db"
        )
    ]


def test_a_failed_step_rolls_back_and_leaves_the_store_at_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()
    broken = schema.Migration(
        SCHEMA_VERSION + 1,
        "broken",
        (
            "CREATE TABLE a_future_table (id INTEGER PRIMARY KEY)",
            "ALTER TABLE no_such_table ADD COLUMN x TEXT",
        ),
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(ListsError, match="no such table: no_such_table"):
        Store.open(path)
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert "a_future_table" not in tables
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_another_programs_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("create table invoices (id integer primary key, total real)")
    conn.commit()
    conn.close()
    with pytest.raises(ListsError, match="not a screener list store .*the tables invoices"):
        Store.open(path)
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    conn.close()
    assert tables == {"invoices"}


def test_stores_opened_at_once_migrate_once(tmp_path: Path) -> None:
    """Eight connections opening one old store together: one applies the step, the
    others wait for its lock and find the store already upgraded."""
    import threading

    path = make_v1_store(tmp_path / "v1.db")
    errors: list[BaseException] = []

    def open_close() -> None:
        try:
            Store.open(path).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_close) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    conn = sqlite3.connect(path)
    assert [v for (v,) in conn.execute("select version from migrations")] == AFTER_V1
    conn.close()
    assert dump(path)["entities"] == dump(make_v1_store(tmp_path / "again.db"))["entities"]


# -- the store in the sqlite-utils and Datasette ecosystem ------------------------------------


def test_the_store_opens_and_reads_with_sqlite_utils(db_path: Path) -> None:
    """The store is an ordinary SQLite database: sqlite-utils (and so Datasette) opens it,
    reads its rows and follows the foreign keys of schema version 5."""
    from sqlite_utils import Database

    Store.open(db_path).close()
    db = Database(db_path)
    try:
        assert {"sources", "versions", "entities", "names", "runs", "decisions"} <= set(
            db.table_names()
        )
        [hik] = db.table("entities").rows_where(
            "source_id = ? and id = ? and version_id = "
            "(select active_version from sources where id = ?)",
            ["screener-surveillance", "hikvision", "screener-surveillance"],
        )
        assert hik["name"] == "Hangzhou Hikvision Digital Technology Co., Ltd."
        assert "84 FR 54002" in hik["listings"]
        names = {
            r["name"]
            for r in db.query(
                "select n.name from names n join versions v on v.id = n.version_id "
                "where v.status = 'active' and n.entity_id = 'hikvision'"
            )
        }
        assert "海康威视" in names
        fks = {(fk.column, fk.other_table) for fk in db.table("names").foreign_keys}
        assert fks == {("version_id", "versions")}
        assert ("source_id", "sources") in {
            (fk.column, fk.other_table) for fk in db.table("versions").foreign_keys
        }
    finally:
        db.close()


def test_check_opens_the_store_without_sqlite_utils(db_path: Path) -> None:
    """sqlite-utils imports pandas: a check on a store at the current version never
    imports it (imports, updates, migrations and exports do)."""
    code = (
        "import sys; from screener.cli import main; sys.argv = ['screener', '--db', "
        f"{str(db_path)!r}, 'check', 'Hikvision']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlite_utils', 'pandas') if m in sys.modules), file=sys.stderr)"
    )
    Store.open(db_path).close()
    err = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    ).stderr
    assert err.strip().splitlines()[-1] == "[]", err
