"""The store: one SQLite database holding list sources, their versions, entities,
names, and the audit record of screening runs.

Tables (the SQL and its migrations are in :mod:`screener.db.schema`)
    sources         one row per list source (id, name, authority, kind, url, licence,
                    format, active_version)
    versions        every load of a source: sha256 of the input, origin, loaded_at,
                    published, entity and name counts, status (active / superseded)
    entities        one row per entity per version, with its provenance columns and
                    listings (JSON)
    names           every name of an entity per version, with its kind
    runs            one row per `check` / `batch` run (see :mod:`screener.db.runs`)
    run_hits        the hits each run found
    run_temp_paths  temporary files and folders of runs still going
    http_cache      ETag / Last-Modified per URL (see :mod:`screener.db.http_cache`)
    migrations      the schema migrations applied, and when

Opening a store applies any pending migration; a store written by a newer
screener is refused. Imports are transactions: a failed import changes nothing,
and the previous version stays active. Re-importing bytes identical to the
active version is a no-op.

Opening and reading the store take the standard library's ``sqlite3`` only, so that a
``check`` starts quickly; imports, updates, migrations and exports write through
sqlite-utils (:mod:`screener.db.tables`), which imports pandas, on those paths only.

Each thread gets a connection of its own (:attr:`Store.conn`), opened on its first
use: the HTTP server screens, records runs and runs batch jobs in several threads
over one store, and an SQLite connection must not be shared by threads (one
thread's transaction would take in another's statements). The database is in WAL
mode, so readers never wait for a writer.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from screener.db.schema import SCHEMA_VERSION, migrate
from screener.errors import InputError, ListsError
from screener.model import Entity, Listing, Name, ParsedList

__all__ = [
    "SCHEMA_VERSION",
    "ImportCheck",
    "ImportResult",
    "Store",
    "default_db_path",
    "now_iso",
    "sha256_file",
    "sha256_paths",
]
JSON_COLUMNS = ("countries", "addresses", "programs", "identifiers", "listings", "extra")
ENTITY_COLUMNS = (
    "version_id",
    "id",
    "source_id",
    "schema",
    "name",
    "countries",
    "addresses",
    "programs",
    "sub_list",
    "citation",
    "listed_on",
    "end_date",
    "license_requirement",
    "license_policy",
    "source_url",
    "remarks",
    "parent_id",
    "parent_name",
    "identifiers",
    "listings",
    "extra",
)
SOURCE_FIELDS = ("name", "authority", "kind", "url", "licence", "format")
IMPORT_BATCH = 2_000  # rows of one INSERT statement when a version is written
# a forked process's copies of its parent's connections (Store.forked): held, never used
_INHERITED: list[Any] = []


def default_db_path() -> Path:
    """``$SCREENER_DB`` if set, else ``screener.db`` in the per-user data directory."""
    env = os.environ.get("SCREENER_DB")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("screener", appauthor=False)) / "screener.db"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_paths(paths: Iterable[Path]) -> str:
    """One digest for a file, or for a folder of files (names and bytes, sorted)."""
    files = sorted(paths)
    if len(files) == 1:
        return sha256_file(files[0])
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode() + b"\0" + sha256_file(p).encode() + b"\n")
    return h.hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class ImportResult:
    source_id: str
    version_id: int
    sha256: str
    status: str  # "loaded" or "unchanged"
    entities: int
    names: int
    previous_version: int | None = None


# A check runs inside the import transaction, before the version becomes active;
# it gets (parsed, previous_version_row or None) and raises to refuse the import.
ImportCheck = Callable[[ParsedList, dict[str, Any] | None], None]


class Store:
    """The screener database. Open with :meth:`open`; use as a library."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        conn = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(self.path)
            _wal(conn)
            migrate(conn, str(self.path), now_iso())
        except BaseException as e:
            if conn is not None:
                conn.close()
            if isinstance(e, sqlite3.DatabaseError | OSError):
                raise ListsError(f"{self.path}: {_open_problem(self.path, e)}") from None
            raise
        self._local = threading.local()
        self._local.conn = conn
        self._lock = threading.Lock()
        self._conns: list[tuple[threading.Thread, sqlite3.Connection]] = [
            (threading.current_thread(), conn)
        ]
        self._closed = False

    @property
    def conn(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on its first use (see the module
        docstring); connections of threads that have ended are closed then."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise ListsError(f"{self.path}: the store is closed")
        try:
            conn = _connect(self.path)
        except sqlite3.Error as e:
            raise ListsError(f"{self.path}: {_open_problem(self.path, e)}") from None
        with self._lock:
            gone = [c for t, c in self._conns if not t.is_alive()]
            self._conns = [(t, c) for t, c in self._conns if t.is_alive()]
            self._conns.append((threading.current_thread(), conn))
        for c in gone:
            c.close()
        self._local.conn = conn
        return conn

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """Open (creating if needed) the store at ``path`` or the default location.

        The store holds what it is given; loading the bundled lists is the lists
        wing's job (:func:`screener.lists.bundled.open_store`).
        """
        return cls(path or default_db_path())

    def forked(self) -> None:
        """In a process forked from the one that opened the store: open connections of
        its own from now on. The parent's copies are kept, never used nor closed (SQLite
        forbids using a connection across a fork; closing it could release the parent's
        locks)."""
        _INHERITED.append((self._local, self._conns))
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns = []

    def close(self) -> None:
        """Close every thread's connection (call it when no other thread uses the store)."""
        with self._lock:
            conns, self._conns, self._closed = self._conns, [], True
        for _, c in conns:
            c.close()
        self._local = threading.local()

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows of ``sql`` as dicts keyed by column name."""
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description or ()]
        for row in cur:
            yield dict(zip(cols, row))

    # -- sources and versions ----------------------------------------------
    def sources(self) -> list[dict[str, Any]]:
        """Every source with its active version (joined), ordered by id."""
        rows = self.query(
            """select s.*, v.sha256, v.origin, v.loaded_at, v.published, v.entities, v.names,
                      (select count(*) from versions w where w.source_id = s.id) as versions
               from sources s left join versions v on v.id = s.active_version
               order by s.id"""
        )
        return list(rows)

    def source(self, source_id: str) -> dict[str, Any] | None:
        for row in self.query("select * from sources where id = ?", [source_id]):
            return row
        return None

    def active_versions(self) -> list[dict[str, Any]]:
        """The active version of each source that has one, with the source's fields."""
        return list(
            self.query(
                """select v.*, s.name as source_name, s.kind, s.authority, s.url, s.licence
                   from sources s join versions v on v.id = s.active_version order by s.id"""
            )
        )

    def versions(self, source_id: str) -> list[dict[str, Any]]:
        return list(
            self.query("select * from versions where source_id = ? order by id", [source_id])
        )

    def version(self, version_id: int) -> dict[str, Any] | None:
        for row in self.query("select * from versions where id = ?", [version_id]):
            return row
        return None

    # -- import -------------------------------------------------------------
    def import_parsed(
        self,
        source: dict[str, Any],
        parsed: ParsedList,
        *,
        sha256: str,
        origin: str,
        checks: Iterable[ImportCheck] = (),
        after: Callable[[ImportResult], None] | None = None,
    ) -> ImportResult:
        """Store ``parsed`` as a new version of ``source`` and make it active.

        ``source`` holds at least ``id`` and may hold the fields of the sources
        table. All of it happens in one transaction: when a check raises, or
        anything else fails, the store is as it was. ``after`` runs inside that
        transaction once the version is written (the CSL import records the
        ownership links its entries state there, so both land or neither does).
        """
        source_id = source["id"]
        current = self.source(source_id)
        previous = (
            self.version(current["active_version"])
            if current and current.get("active_version")
            else None
        )
        if previous and previous["sha256"] == sha256:
            return ImportResult(
                source_id,
                previous["id"],
                sha256,
                "unchanged",
                previous["entities"],
                previous["names"],
                previous["id"],
            )
        if not parsed.entities:
            raise InputError(f"{origin}: no usable entries")
        try:
            with self.conn:  # one transaction: commit on success, roll back on any error
                for check in checks:
                    check(parsed, previous)
                result = self.write_version(source, parsed, sha256=sha256, origin=origin)
                if after is not None:
                    after(result)
        except sqlite3.DatabaseError as e:
            raise ListsError(f"{self.path}: cannot write to the list store: {e}") from None
        return result

    def write_version(
        self, source: dict[str, Any], parsed: ParsedList, *, sha256: str, origin: str
    ) -> ImportResult:
        """Insert ``parsed`` as the new active version of ``source``, in the caller's
        transaction (:meth:`import_parsed` holds one; so does the ownership graph,
        which rewrites its node source with its links). A version may be empty."""
        source_id = source["id"]
        current = self.source(source_id)
        previous = (
            self.version(current["active_version"])
            if current and current.get("active_version")
            else None
        )
        from screener.db.tables import tables  # sqlite-utils: imports and updates only

        rows, name_rows = _entity_rows(source_id, parsed.entities)
        db = tables(self.conn)
        fields = {k: source.get(k) for k in SOURCE_FIELDS if source.get(k) is not None}
        if current is None:
            db.table("sources").insert(
                {
                    "id": source_id,
                    "name": source.get("name") or source_id,
                    "format": source.get("format"),
                }
            )
        if fields:
            db.table("sources").update(source_id, fields)
        versions = db.table("versions").insert(
            {
                "source_id": source_id,
                "sha256": sha256,
                "origin": origin,
                "loaded_at": now_iso(),
                "published": parsed.published,
                "entities": len(rows),
                "names": len(name_rows),
                "status": "active",
                "meta": json.dumps(parsed.meta, default=str),
            }
        )
        version_id = int(versions.last_rowid or 0)
        columns = ENTITY_COLUMNS[1:]
        db.table("entities").insert_all(
            ({"version_id": version_id, **dict(zip(columns, r))} for r in rows),
            batch_size=IMPORT_BATCH,
        )
        db.table("names").insert_all(
            (
                {"version_id": version_id, "entity_id": e, "name": n, "kind": k, "lang": lang}
                for e, n, k, lang in name_rows
            ),
            batch_size=IMPORT_BATCH,
        )
        if previous:
            db.table("versions").update(previous["id"], {"status": "superseded"})
        db.table("sources").update(
            source_id, {"active_version": version_id, "updated_at": now_iso()}
        )
        return ImportResult(
            source_id,
            version_id,
            sha256,
            "loaded",
            len(rows),
            len(name_rows),
            previous["id"] if previous else None,
        )

    # -- reading entities ---------------------------------------------------
    def entities(
        self, source_ids: Iterable[str] | None = None, *, version_ids: Iterable[int] | None = None
    ) -> Iterator[Entity]:
        """Entities of the active versions (or of the given versions), with names."""
        if version_ids is None:
            vs = [
                v["id"]
                for v in self.active_versions()
                if source_ids is None or v["source_id"] in set(source_ids)
            ]
        else:
            vs = list(version_ids)
        for vid in vs:
            names: dict[str, list[Name]] = {}
            for r in self.conn.execute(
                "select entity_id, name, kind, lang from names where version_id = ?", [vid]
            ):
                names.setdefault(r[0], []).append(Name(r[1], r[2], r[3]))
            cur = self.conn.execute(
                f"select {','.join(ENTITY_COLUMNS)} from entities where version_id = ?", [vid]
            )
            for r in cur:
                yield _row_entity(dict(zip(ENTITY_COLUMNS, r)), names.get(r[1], []))

    def entity_names(self, source_id: str, entity_id: str) -> list[str]:
        """Every name of one entity of the active version of ``source_id`` (none when
        there is no such entity), without decoding the entity itself."""
        return [
            n
            for (n,) in self.conn.execute(
                """select name from names where entity_id = ? and version_id =
               (select active_version from sources where id = ?)""",
                [entity_id, source_id],
            )
        ]

    def entity(self, source_id: str, entity_id: str) -> Entity | None:
        """One entity of the active version of ``source_id``, with its names."""
        for e in self._entities_where("e.source_id = ? and e.id = ?", [source_id, entity_id]):
            return e
        return None

    def entities_named(self, names: Iterable[str]) -> list[Entity]:
        """Entities of active versions that carry one of ``names`` exactly (ignoring
        ASCII case): a name as a list spells it, resolved to its entries."""
        wanted = sorted({n for n in names if n})
        out: list[Entity] = []
        seen: set[tuple[int, str]] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            keys = list(
                self.conn.execute(
                    # the name index first (a join on sources let SQLite scan every name)
                    f"""select distinct n.version_id, n.entity_id from names n
                    where n.name collate nocase in ({marks})
                    and n.version_id in (select active_version from sources)""",
                    chunk,
                )
            )
            for vid, eid in keys:
                if (vid, eid) in seen:
                    continue
                seen.add((vid, eid))
                out += self._entities_where("e.version_id = ? and e.id = ?", [vid, eid])
        return out

    def _entities_where(self, where: str, params: Sequence[Any]) -> list[Entity]:
        cols = ",".join(f"e.{c}" for c in ENTITY_COLUMNS)
        rows = list(
            self.conn.execute(
                f"""select {cols} from entities e join sources s on s.active_version = e.version_id
                where {where}""",
                params,
            )
        )
        out = []
        for r in rows:
            names = [
                Name(n, k, lang)
                for n, k, lang in self.conn.execute(
                    "select name, kind, lang from names where version_id = ? and entity_id = ?",
                    [r[0], r[1]],
                )
            ]
            out.append(_row_entity(dict(zip(ENTITY_COLUMNS, r)), names))
        return out

    def require_lists(self) -> list[dict[str, Any]]:
        """The active versions; fail closed (exit 3) when there are none."""
        versions = self.active_versions()
        if not versions:
            raise ListsError(
                f"{self.path}: no lists loaded; run `screener lists update` or "
                "`screener lists import`"
            )
        return versions


BUSY_TIMEOUT = 30.0  # seconds a connection waits for another's write (an import, a migration)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection for one thread; ``check_same_thread`` is off only so that
    :meth:`Store.close` may close it from another thread once its own has ended."""
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT, check_same_thread=False)


def _wal(conn: sqlite3.Connection) -> None:
    """Put the store in WAL mode. Turning an old store's rollback journal into WAL
    needs the file to itself, and SQLite answers "database is locked" at once, without
    waiting, while another connection opening it at the same moment reads it: so wait
    here, as long as the busy timeout would."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _entity_rows(source_id: str, entities: list[Entity]) -> tuple[list[list[Any]], list[list[Any]]]:
    rows: list[list[Any]] = []
    name_rows: list[list[Any]] = []
    seen: dict[str, int] = {}
    for e in entities:
        eid = str(e.id)
        if eid in seen:  # a source that repeats an id: keep both, distinguishable
            seen[eid] += 1
            eid = f"{eid}#{seen[eid]}"
        else:
            seen[eid] = 1
        d = e.to_dict()
        d["id"], d["source_id"] = eid, source_id
        rows.append(
            [
                json.dumps(d[c], ensure_ascii=False) if c in JSON_COLUMNS else d.get(c)
                for c in ENTITY_COLUMNS[1:]
            ]
        )
        for n in e.all_names():
            name_rows.append([eid, n.name, n.kind, n.lang])
    return rows, name_rows


def _row_entity(row: dict[str, Any], names: list[Name]) -> Entity:
    for c in JSON_COLUMNS:
        v = row[c]
        # most entries have no addresses, identifiers, extra...: no decoder call for those
        if v == "[]":
            row[c] = []
        elif v == "{}":
            row[c] = {}
        else:
            row[c] = json.loads(v) if v else ([] if c != "extra" else {})
    row["listings"] = [Listing(**x) for x in row["listings"]]
    version_id = row.pop("version_id")
    source_id = row.pop("source_id")
    e = Entity(**row)
    e.names = [n for n in names if n.kind != "primary"]
    e.extra = {**e.extra, "source_id": source_id, "version_id": version_id}
    return e


def _open_problem(path: Path, e: BaseException) -> str:
    """Why the store at ``path`` cannot be opened, in words a user can act on.

    SQLite says "unable to open database file" both for a missing folder and for
    one it may not write to; in WAL mode it must also create ``<db>-wal`` and
    ``<db>-shm`` beside the store, so a read-only folder fails even when the
    store file itself is writable.
    """
    folder = path.parent
    code = getattr(e, "sqlite_errorname", "")
    hint = "; make it writable, or choose another store with --db or $SCREENER_DB"
    if isinstance(e, OSError):  # making the folder failed
        if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = "read-only file system" if e.errno == errno.EROFS else "permission denied"
            return f"cannot create the folder {e.filename or folder}: {reason}{hint}"
        return f"cannot create the folder {e.filename or folder}: {e.strerror or e}"
    if path.is_dir():
        return "is a folder, not a list store file; give a file name with --db"
    if code == "SQLITE_READONLY_DIRECTORY" or (
        code in ("SQLITE_CANTOPEN", "SQLITE_READONLY") and not _can_create_in(folder)
    ):
        what = "cannot create the list store" if not path.exists() else "cannot use the list store"
        return (
            f"{what}: the folder {folder} is not writable (SQLite keeps "
            f"{path.name}-wal and {path.name}-shm beside the store){hint}"
        )
    if code.startswith("SQLITE_READONLY"):
        return f"the list store file is read-only{hint}"
    return f"cannot open the list store: {e}"


def _can_create_in(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False
