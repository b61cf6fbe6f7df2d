"""The store's schema and its migrations.

A store records its schema version in SQLite's ``PRAGMA user_version``. On every
open, :func:`migrate` reads it and applies the migrations above it, in order, each
in its own ``BEGIN IMMEDIATE`` transaction that also sets the new version and
logs the step in the ``migrations`` table. A failed step rolls back and leaves
the store at the version before it; a second process opening the store at the
same time waits for the lock, sees the new version and skips the step.

A store whose version is higher than :data:`SCHEMA_VERSION` was written by a
newer screener and is refused (:class:`~screener.errors.ListsError`), since this
one cannot know what the newer tables mean.

Versions
    1  sources, versions, entities, names, runs, run_hits: the first schema. Stores
       made before migrations existed are at version 1 and have no ``migrations``
       table (and perhaps an ``http_cache`` table, which was created on first use).
    2  runs record the process that ran them (pid, host, boot id, process start
       time) so that a run killed without notice can be told apart from a live one;
       ``run_temp_paths`` holds the temporary files and folders each run creates;
       ``http_cache`` is part of the schema.
    3  the ownership graph: ``ownership_versions`` (each load of an origin of links:
       the bundled file, the CSL, GLEIF, a user's file), ``ownership_edges`` (the links
       child -> owner of the active loads) and ``ownership_keys`` (the names and entity
       references each link's child and owner are known by, to walk the graph);
       ``names`` gets a case-insensitive index on the name, to resolve a named owner.
    4  reviewers' workflow: ``decisions`` (append-only: triggers refuse UPDATE and
       DELETE), ``portfolios``, ``portfolio_parties``, ``portfolio_screenings`` and
       ``portfolio_results`` (named party sets and what their last screenings found);
       ``run_hits`` records each hit's status and the decision applied to it.
    5  the tables say how they refer to each other (:data:`FOREIGN_KEYS`: a name to its
       list version, a version to its source, a hit to its run...), so that Datasette
       and ``sqlite-utils`` show and follow the links. SQLite cannot add a foreign key
       to a table, so each table is rebuilt by sqlite-utils' ``transform`` (its rows,
       columns and indexes kept). They are declared, not enforced (``PRAGMA
       foreign_keys`` stays off): a store is written by screener alone, in
       transactions.
    6  parties: ``party_builds`` (each resolution of the active records into parties:
       the key of the list versions and judgements it was made from, when, how long,
       how many records and parties), ``party_records`` (every record of a party of
       more than one record: its party, the rule that joined it and the record it
       joined through) and ``judgements`` (append-only, like decisions: a reviewer's
       "same" or "different" on two records).

Migrations are written as SQL, or as a function of the connection for a step SQL's
``ALTER TABLE`` cannot take (a table transform, through sqlite-utils, imported by that
step only), and never edited once released: a change to the schema is a new migration
at the end of :data:`MIGRATIONS`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from screener import __version__
from screener.errors import ListsError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    # a step SQL cannot say, run after the statements in the same transaction
    transform: Callable[[sqlite3.Connection], None] | None = None


# (column, other table, other column) of each table that refers to another (version 5)
FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "sources": [("active_version", "versions", "id")],
    "versions": [("source_id", "sources", "id")],
    "entities": [("version_id", "versions", "id")],
    "names": [("version_id", "versions", "id")],
    "run_hits": [("run_id", "runs", "id")],
    "run_temp_paths": [("run_id", "runs", "id")],
    "ownership_edges": [("version_id", "ownership_versions", "id")],
    "ownership_keys": [("edge_id", "ownership_edges", "id")],
    "portfolio_parties": [("portfolio", "portfolios", "name")],
    "portfolio_screenings": [("portfolio", "portfolios", "name")],
    "portfolio_results": [("screening_id", "portfolio_screenings", "id")],
}


def _declare_foreign_keys(conn: sqlite3.Connection) -> None:
    """Version 5: each table of :data:`FOREIGN_KEYS` rebuilt with its foreign keys."""
    from screener.db.tables import tables  # sqlite-utils: this step only

    db = tables(conn)
    for table, keys in FOREIGN_KEYS.items():
        db.table(table).transform(add_foreign_keys=keys)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema",
        (
            """CREATE TABLE IF NOT EXISTS "sources" ("id" TEXT PRIMARY KEY, "name" TEXT,
           "authority" TEXT, "kind" TEXT, "url" TEXT, "licence" TEXT, "format" TEXT,
           "active_version" INTEGER, "updated_at" TEXT)""",
            """CREATE TABLE IF NOT EXISTS "versions" ("id" INTEGER PRIMARY KEY, "source_id" TEXT,
           "sha256" TEXT, "origin" TEXT, "loaded_at" TEXT, "published" TEXT,
           "entities" INTEGER, "names" INTEGER, "status" TEXT, "meta" TEXT)""",
            """CREATE INDEX IF NOT EXISTS "idx_versions_source_id_sha256"
           ON "versions" ("source_id", "sha256")""",
            """CREATE TABLE IF NOT EXISTS "entities" ("version_id" INTEGER, "id" TEXT,
           "source_id" TEXT, "schema" TEXT, "name" TEXT, "countries" TEXT, "addresses" TEXT,
           "programs" TEXT, "sub_list" TEXT, "citation" TEXT, "listed_on" TEXT,
           "end_date" TEXT, "license_requirement" TEXT, "license_policy" TEXT,
           "source_url" TEXT, "remarks" TEXT, "parent_id" TEXT, "parent_name" TEXT,
           "identifiers" TEXT, "listings" TEXT, "extra" TEXT,
           PRIMARY KEY ("version_id", "id"))""",
            """CREATE INDEX IF NOT EXISTS "idx_entities_source_id_version_id"
           ON "entities" ("source_id", "version_id")""",
            """CREATE TABLE IF NOT EXISTS "names" ("version_id" INTEGER, "entity_id" TEXT,
           "name" TEXT, "kind" TEXT, "lang" TEXT)""",
            """CREATE INDEX IF NOT EXISTS "idx_names_version_id_entity_id"
           ON "names" ("version_id", "entity_id")""",
            """CREATE TABLE IF NOT EXISTS "runs" ("id" TEXT PRIMARY KEY, "started_at" TEXT,
           "finished_at" TEXT, "tool_version" TEXT, "command" TEXT, "options" TEXT,
           "input_path" TEXT, "input_sha256" TEXT, "rows" INTEGER, "threshold" REAL,
           "lists" TEXT, "hits" INTEGER, "hit_rows" INTEGER, "status" TEXT,
           "exit_code" INTEGER, "output_path" TEXT)""",
            """CREATE TABLE IF NOT EXISTS "run_hits" ("run_id" TEXT, "row" INTEGER, "query" TEXT,
           "entity_id" TEXT, "source_id" TEXT, "version_id" INTEGER, "name" TEXT,
           "matched_name" TEXT, "score" REAL, "citation" TEXT)""",
            """CREATE INDEX IF NOT EXISTS "idx_run_hits_run_id_row"
           ON "run_hits" ("run_id", "row")""",
        ),
    ),
    Migration(
        2,
        "runs record their process and temporary paths; http_cache in the schema",
        (
            'ALTER TABLE "runs" ADD COLUMN "pid" INTEGER',
            'ALTER TABLE "runs" ADD COLUMN "host" TEXT',
            'ALTER TABLE "runs" ADD COLUMN "boot_id" TEXT',
            'ALTER TABLE "runs" ADD COLUMN "process_started" TEXT',
            'CREATE INDEX "idx_runs_status" ON "runs" ("status")',
            """CREATE TABLE "run_temp_paths" ("run_id" TEXT NOT NULL, "path" TEXT NOT NULL,
           "added_at" TEXT, PRIMARY KEY ("run_id", "path"))""",
            """CREATE TABLE IF NOT EXISTS "http_cache" ("url" TEXT PRIMARY KEY, "source_id" TEXT,
           "version_id" INTEGER, "etag" TEXT, "last_modified" TEXT, "sha256" TEXT,
           "fetched_at" TEXT)""",
        ),
    ),
    Migration(
        3,
        "the ownership graph",
        (
            """CREATE TABLE "ownership_versions" ("id" INTEGER PRIMARY KEY, "origin_id" TEXT NOT NULL,
           "origin" TEXT NOT NULL, "sha256" TEXT, "path" TEXT, "loaded_at" TEXT,
           "published" TEXT, "edges" INTEGER, "status" TEXT, "meta" TEXT)""",
            """CREATE INDEX "idx_ownership_versions_origin_id"
           ON "ownership_versions" ("origin_id", "status")""",
            """CREATE TABLE "ownership_edges" ("id" INTEGER PRIMARY KEY, "version_id" INTEGER NOT NULL,
           "origin_id" TEXT NOT NULL, "origin" TEXT NOT NULL, "child_key" TEXT NOT NULL,
           "child_name" TEXT NOT NULL, "child_aliases" TEXT, "child_country" TEXT,
           "child_source_id" TEXT, "child_entity_id" TEXT, "owner_source_id" TEXT,
           "owner_entity_id" TEXT, "owner_name" TEXT, "owner_list" TEXT, "owner_key" TEXT,
           "share" REAL, "controlled" INTEGER, "kind" TEXT NOT NULL, "as_of" TEXT,
           "end_date" TEXT, "source" TEXT, "note" TEXT)""",
            """CREATE INDEX "idx_ownership_edges_version_id" ON "ownership_edges" ("version_id")""",
            """CREATE TABLE "ownership_keys" ("edge_id" INTEGER NOT NULL, "role" TEXT NOT NULL,
           "key" TEXT NOT NULL)""",
            """CREATE INDEX "idx_ownership_keys_key" ON "ownership_keys" ("key", "role")""",
            """CREATE INDEX "idx_ownership_keys_edge_id" ON "ownership_keys" ("edge_id")""",
            """CREATE INDEX IF NOT EXISTS "idx_names_name_nocase" ON "names" ("name" COLLATE NOCASE)""",
        ),
    ),
    Migration(
        4,
        "reviewers' decisions and portfolios",
        (
            """CREATE TABLE "decisions" ("id" INTEGER PRIMARY KEY AUTOINCREMENT,
           "party" TEXT NOT NULL, "party_key" TEXT NOT NULL, "source_id" TEXT NOT NULL,
           "entity_id" TEXT NOT NULL, "version_id" INTEGER, "kind" TEXT NOT NULL CHECK ("kind" IN
           ('false-positive', 'confirmed', 'escalated', 'cleared', 'declined')),
           "reason" TEXT NOT NULL, "reviewer" TEXT NOT NULL, "decided_at" TEXT NOT NULL,
           "fingerprint" TEXT NOT NULL, "listing" TEXT NOT NULL, "supersedes" INTEGER,
           "origin" TEXT)""",
            """CREATE INDEX "idx_decisions_key" ON "decisions" ("party_key", "source_id",
           "entity_id", "id")""",
            """CREATE TRIGGER "decisions_append_only_update" BEFORE UPDATE ON "decisions"
           BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new one'); END""",
            """CREATE TRIGGER "decisions_append_only_delete" BEFORE DELETE ON "decisions"
           BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new one'); END""",
            """CREATE TABLE "portfolios" ("name" TEXT PRIMARY KEY, "created_at" TEXT,
           "updated_at" TEXT, "source_path" TEXT, "source_sha256" TEXT, "name_column" TEXT,
           "country_column" TEXT, "columns" TEXT, "parties" INTEGER)""",
            """CREATE TABLE "portfolio_parties" ("portfolio" TEXT NOT NULL, "seq" INTEGER NOT NULL,
           "row" INTEGER, "name" TEXT NOT NULL, "country" TEXT, "data" TEXT,
           PRIMARY KEY ("portfolio", "seq"))""",
            """CREATE TABLE "portfolio_screenings" ("id" INTEGER PRIMARY KEY AUTOINCREMENT,
           "portfolio" TEXT NOT NULL, "run_id" TEXT, "screened_at" TEXT, "lists" TEXT,
           "summary" TEXT)""",
            """CREATE INDEX "idx_portfolio_screenings_portfolio" ON "portfolio_screenings"
           ("portfolio", "id")""",
            """CREATE TABLE "portfolio_results" ("screening_id" INTEGER NOT NULL,
           "seq" INTEGER NOT NULL, "row" INTEGER, "party" TEXT, "country" TEXT, "status" TEXT,
           "hits" TEXT, PRIMARY KEY ("screening_id", "seq"))""",
            'ALTER TABLE "run_hits" ADD COLUMN "status" TEXT',
            'ALTER TABLE "run_hits" ADD COLUMN "decision_id" INTEGER',
        ),
    ),
    Migration(5, "foreign keys declared", (), _declare_foreign_keys),
    Migration(
        6,
        "parties: records of several lists resolved into one party; reviewers' judgements",
        (
            """CREATE TABLE "party_builds" ("id" INTEGER PRIMARY KEY AUTOINCREMENT,
           "key" TEXT NOT NULL, "built_at" TEXT NOT NULL, "seconds" REAL, "records" INTEGER,
           "parties" INTEGER, "merged" INTEGER, "versions" TEXT)""",
            """CREATE TABLE "party_records" ("source_id" TEXT NOT NULL, "entity_id" TEXT NOT NULL,
           "version_id" INTEGER, "party_id" TEXT NOT NULL, "rule" TEXT NOT NULL,
           "via_source" TEXT, "via_entity" TEXT, "detail" TEXT,
           PRIMARY KEY ("source_id", "entity_id"))""",
            """CREATE INDEX "idx_party_records_party_id" ON "party_records" ("party_id")""",
            """CREATE TABLE "judgements" ("id" INTEGER PRIMARY KEY AUTOINCREMENT,
           "kind" TEXT NOT NULL CHECK ("kind" IN ('same', 'different')),
           "a_source" TEXT NOT NULL, "a_entity" TEXT NOT NULL, "b_source" TEXT NOT NULL,
           "b_entity" TEXT NOT NULL, "reason" TEXT NOT NULL, "reviewer" TEXT NOT NULL,
           "decided_at" TEXT NOT NULL, "origin" TEXT)""",
            """CREATE TRIGGER "judgements_append_only_update" BEFORE UPDATE ON "judgements"
           BEGIN SELECT RAISE(ABORT, 'judgements are append-only: record a new one'); END""",
            """CREATE TRIGGER "judgements_append_only_delete" BEFORE DELETE ON "judgements"
           BEGIN SELECT RAISE(ABORT, 'judgements are append-only: record a new one'); END""",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

_LOG_TABLE = """CREATE TABLE IF NOT EXISTS "migrations" ("version" INTEGER PRIMARY KEY,
    "name" TEXT, "applied_at" TEXT, "tool_version" TEXT)"""
# Tables a screener store may hold; a version-0 database holding any other table
# is some other program's, and screener leaves it alone.
_KNOWN_TABLES = {
    "sources",
    "versions",
    "entities",
    "names",
    "runs",
    "run_hits",
    "http_cache",
    "migrations",
    "run_temp_paths",
    "ownership_versions",
    "ownership_edges",
    "ownership_keys",
    "decisions",
    "portfolios",
    "portfolio_parties",
    "portfolio_screenings",
    "portfolio_results",
    "party_builds",
    "party_records",
    "judgements",
}


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, where: str, now: str) -> list[int]:
    """Bring the store on ``conn`` up to :data:`SCHEMA_VERSION`; return the versions applied.

    ``where`` names the store in error messages (its path); ``now`` is logged as
    the time each step was applied.
    """
    current = user_version(conn)
    _refuse_newer(current, where)
    if current == 0:
        _refuse_foreign(conn, where)
    applied: list[int] = []
    for m in MIGRATIONS:
        if m.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = user_version(conn)  # another process may have got here first
            _refuse_newer(current, where)
            if m.version > current:
                for sql in m.statements:
                    conn.execute(sql)
                if m.transform is not None:
                    m.transform(conn)
                conn.execute(_LOG_TABLE)
                conn.execute(
                    "INSERT OR REPLACE INTO migrations VALUES (?, ?, ?, ?)",
                    [m.version, m.name, now, __version__],
                )
                conn.execute(f"PRAGMA user_version = {m.version:d}")
                applied.append(m.version)
                current = m.version
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return applied


def _refuse_newer(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise ListsError(
            f"{where}: the list store was written by a newer screener (schema version "
            f"{version}; this screener {__version__} knows up to {SCHEMA_VERSION}); "
            "upgrade screener, or use another store with --db"
        )


def _refuse_foreign(conn: sqlite3.Connection, where: str) -> None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    foreign = sorted(t for t in tables - _KNOWN_TABLES if not t.startswith("sqlite_"))
    if foreign:
        raise ListsError(
            f"{where}: not a screener list store (it holds the tables "
            f"{', '.join(foreign[:5])}); use another file with --db"
        )
