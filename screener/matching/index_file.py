"""The index on disk: an SQLite file of plain data, read lazily or all at once.

Nothing in the file is ever executed (an index cache written with pickle could run
code planted in it): it holds strings, numbers and packed integer arrays, one table
per part of :class:`~screener.matching.index.Index`:

    meta      key -> value (JSON): the cache key, weights, list versions, the listed
              groups compiled with their members
    words     (set, word): the word sets (distinctive, common English, brand words...)
    blobs     name -> JSON: the deletion variants, normalized names and entities again,
              each as one document, for reading the whole index quickly
    tokens    token -> weight, postings (the ids of the names holding it)
    deletes   deletion variant -> vocabulary tokens
    names     id -> entity, text, kind, normalized form (JSON), least weight, brand core
    entities  entity number -> the entity with its provenance (JSON)
    maps      (map, key) -> name ids, for compact, pinyin, cjk, zh_base, brand_keys,
              acronyms, text_keys
    prefixes  clean listed name -> name id, for names cut at a form's width

:func:`open_index` with ``lazy=True`` (a single check) reads a row only when screening
asks for it, so a check costs the same whether the lists hold 100 or 200,000
entities; with ``lazy=False`` (a batch) it reads everything into memory first, before
workers are forked to share it. A file that is missing, unreadable, of another
format, or built for other lists or another matching code (its key differs) gives
``None``, and the caller builds the index again.

**An index that cannot lie.** A damaged file must never make a listed name read clear
(a few flipped bytes in the token table once made ``KIM SE GON`` "No hit"), so:

* the whole file has a CRC-32, written last into the SQLite header's user version
  (computed with those four bytes zeroed; the application id marks the format):
  ``lazy=False`` checks it before reading anything, and a file that fails it gives
  ``None`` (built again, never used);
* every row read lazily carries a CRC-32 of its key and values, checked when it is
  read; a name or entity row that postings point to must exist; and ``lazy=True``
  runs SQLite's page-level ``quick_check`` on the small keyed tables (tokens, maps,
  words, prefixes: a few milliseconds), so a damaged key cannot hide a token;
* any damage found while screening (a CRC that differs, SQLite's "malformed", text
  that does not decode) raises :class:`IndexDamaged`; the service then builds the
  index again from the store and screens once more (:mod:`screener.screening.service`).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import tempfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from screener.errors import ListsError
from screener.heap import paused_collector
from screener.matching.groups import GroupRules
from screener.matching.index import Index, NameRec
from screener.matching.normalize import Norm
from screener.model import Entity, Listing, Name

# 6: "corps" is not cut to "corp"; 5: a listed unit of a group no longer bears the group's own names
FORMAT = 6
MAPS = ("compact", "pinyin", "cjk", "zh_base", "brand_keys", "acronyms", "text_keys")
SETS = ("distinctive", "cities", "towns", "common", "brand_words", "coined", "syllables")
_SEP = "\x1f"
APPLICATION_ID = 0x53435249  # "SCRI", in the SQLite header: a screener index
_CRC_AT = 60  # the header's user version: the file's CRC-32
_CHECKED_TABLES = ("tokens", "maps", "words", "prefixes")  # quick_check on a lazy open


class IndexDamaged(ListsError):
    """The index file beside the store is damaged (found while screening)."""


def _crc(*fields: Any) -> int:
    """CRC-32 of a row's fields (text, numbers, blobs, None), each field delimited: of
    their bytes (text in UTF-8, a number or None as its repr) each followed by 0x1e,
    computed over the row's bytes joined, in one call."""
    if not fields:
        return 0
    return zlib.crc32(
        b"\x1e".join(
            [
                f
                if f.__class__ is bytes
                else (f if f.__class__ is str else repr(f)).encode("utf-8", "surrogatepass")
                for f in fields
            ]
        )
        + b"\x1e"
    )


def _crc_text(*fields: str) -> int:
    """:func:`_crc` of a row of text fields only, for the big tables."""
    return zlib.crc32(("\x1e".join(fields) + "\x1e").encode("utf-8", "surrogatepass"))


def file_crc(path: Path) -> tuple[int, int]:
    """(CRC-32 of the file with the header's user version zeroed, the one stored there)."""
    c, stored = 0, -1
    with open(path, "rb") as f:
        head = bytearray(f.read(100))
        if len(head) == 100:
            stored = int.from_bytes(head[_CRC_AT : _CRC_AT + 4], "big")
            head[_CRC_AT : _CRC_AT + 4] = bytes(4)
        c = zlib.crc32(head)
        while block := f.read(1 << 20):
            c = zlib.crc32(block, c)
    return c, stored


def _seal(path: Path) -> None:
    """Write the file's CRC-32 and the application id into its header (last)."""
    with open(path, "r+b") as f:
        f.seek(68)
        f.write(APPLICATION_ID.to_bytes(4, "big"))
    crc, _ = file_crc(path)
    with open(path, "r+b") as f:
        f.seek(_CRC_AT)
        f.write(crc.to_bytes(4, "big"))
        f.flush()
        os.fsync(f.fileno())


def _ids(values: Any) -> bytes:
    return array("i", values).tobytes()


def _unids(blob: bytes) -> array[int]:
    a = array("i")
    a.frombytes(blob)
    return a


# one encoder for every document written (json.dumps with options makes one per call)
# (no check for circular references: the index holds plain data, built here)
_encode = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False).encode


def _encode_text(value: Any) -> str:
    """A document of text only (strings, lists and objects of them) as JSON, by orjson: in
    a sixth of the json module's time (the norms of a big list's 450,000 names). It reads
    back as the json module's would; orjson writes no spaces between items."""
    return orjson.dumps(value).decode()


def _norm_json(n: Norm) -> str:
    return _encode_text(
        [
            n.text,
            n.tokens,
            sorted(n.places),
            sorted(n.numbers),
            n.legal,
            n.compact,
            n.joined,
            n.cjk,
            n.pinyin,
        ]
    )


def _loads(data: str | bytes) -> Any:
    """A document of the index file: read by orjson (the blobs of a whole index in 0.5 of
    the json module's time), or by the json module when orjson refuses it (NaN or
    Infinity, which the json module writes for a float of a list's extra columns)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _norm(s: str) -> Norm:
    t, toks, places, numbers, legal, compact, joined, cjk, pinyin = _loads(s)
    return Norm(
        t,
        tuple(toks),
        frozenset(places),
        frozenset(numbers),
        tuple(legal),
        compact,
        joined,
        cjk,
        pinyin,
    )


# orjson as the json module writes an entity: datetimes through ``default=str``, keys that
# are not text as text
_ENTITY_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _entity_json(e: Entity) -> str:
    """An entity as JSON: by orjson (half the json module's time over a big list's
    200,000 entities), or by the json module when its extra columns hold NaN or an
    infinity, which orjson would write as null (a list read through pandas)."""
    d = dict(vars(e))
    d["names"] = [vars(n) for n in e.names]
    d["listings"] = [vars(x) for x in e.listings]
    if _finite(e.extra):
        return orjson.dumps(d, default=str, option=_ENTITY_OPTIONS).decode()
    return _encode(d)


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in ``value`` (the only field of an entity that is not
    text: its extra columns)."""
    if value.__class__ is float:
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return True


def entity_from_dict(d: dict[str, Any]) -> Entity:
    d = dict(d)
    d["names"] = [Name(**n) for n in d.get("names") or []]
    d["listings"] = [Listing(**x) for x in d.get("listings") or []]
    return Entity(**d)


def save_index(idx: Index, path: Path, key: str) -> None:
    """Write ``idx`` to ``path`` through a temporary file of this process, moved into
    place only when complete (concurrent writers each finish their own)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(tmp)
        with conn:
            _write(conn, idx, key)
        conn.close()
        _seal(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write(c: sqlite3.Connection, idx: Index, key: str) -> None:
    c.execute("pragma journal_mode=off")
    c.execute("pragma synchronous=off")
    c.execute("pragma cache_size=-64000")  # 64 MB: the build holds the index in memory already
    c.execute("create table meta (key text primary key, value text)")
    c.execute("create table tokens (token text, w real, postings blob, crc integer)")
    c.execute("create table deletes (key text, tokens text, crc integer)")
    c.execute(
        "create table names (id integer primary key, entity integer, text text, "
        "kind text, norm text, wmin real, brand text, crc integer)"
    )
    c.execute("create table entities (id integer primary key, data text, crc integer)")
    c.execute("create table maps (map text, key text, ids blob, crc integer)")
    c.execute("create table prefixes (text text, id integer, crc integer)")
    c.execute("create table words (kind text, word text)")
    c.execute("create table blobs (name text primary key, data text)")
    meta = {
        "format": FORMAT,
        "key": key,
        "max_idf": idx.max_idf,
        "max_w": idx.max_w,
        "versions": idx.versions,
        "names": len(idx.names),
        "entities": len(idx.entities),
        "groups": idx.groups.to_json() if idx.groups is not None else None,
    }
    for s in SETS:
        c.executemany("insert into words values (?, ?)", ((s, w) for w in getattr(idx, s)))
    c.executemany(
        "insert into meta values (?, ?)",
        ((k, json.dumps(v, ensure_ascii=False, default=str)) for k, v in meta.items()),
    )
    c.executemany(
        "insert into tokens values (?, ?, ?, ?)",
        (_with_crc(t, float(idx.w.get(t, idx.max_w)), _ids(p)) for t, p in idx.postings.items()),
    )
    # Each document is encoded once, for its row and for its blob; the blobs are written
    # through a scratch file, never held whole in memory (hundreds of MB for a big list).
    c.executemany(
        "insert into deletes values (?, ?, ?)",
        ((d, j, _crc_text(d, j)) for d, j in ((d, _SEP.join(ts)) for d, ts in idx.deletes.items())),
    )
    with _blob(c, "deletes", "{}") as add:
        items = iter(idx.deletes.items())
        while part := dict(islice(items, 100_000)):  # encoded a slice at a time
            add(_encode_text(part)[1:-1])
    with _blob(c, "norms", "[]") as add:
        c.executemany(
            "insert into names values (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _with_crc(
                    i,
                    r.entity,
                    r.text,
                    r.kind,
                    add(_norm_json(r.norm)),
                    float(idx.wmin[i]),
                    _SEP.join(idx.brand[i]) if i in idx.brand else None,
                )
                for i, r in enumerate(idx.names)
            ),
        )
    with _blob(c, "entities", "[]") as add:
        c.executemany(
            "insert into entities values (?, ?, ?)",
            (_with_crc(i, add(_entity_json(e))) for i, e in enumerate(idx.entities)),
        )
    for m in MAPS:
        c.executemany(
            "insert into maps values (?, ?, ?, ?)",
            (_with_crc(m, k, _ids(v)) for k, v in getattr(idx, m).items()),
        )
    c.executemany(
        "insert into prefixes values (?, ?, ?)",
        ((t, i, _crc_text(t, repr(i))) for t, i in idx.prefixes),
    )
    # the keys are indexed once the rows are in: faster than keeping them sorted row by row
    c.execute("create unique index tokens_key on tokens (token)")
    c.execute("create unique index deletes_key on deletes (key)")
    c.execute("create unique index maps_key on maps (map, key)")
    c.execute("create unique index words_key on words (kind, word)")
    c.execute("create index prefixes_text on prefixes (text)")


def _with_crc(*fields: Any) -> tuple[Any, ...]:
    return (*fields, _crc(*fields))


@contextmanager
def _blob(conn: sqlite3.Connection, name: str, brackets: str) -> Iterator[Callable[[str], str]]:
    """One JSON document of the ``blobs`` table (an array or an object), written as its
    parts come: the function given appends one part (an element, or ``"key": value``)
    to a scratch file and returns it; the end of the block copies the file into the
    table, a piece at a time."""
    with tempfile.TemporaryFile() as f:
        f.write(brackets[0].encode())
        count = [0]

        def add(part: str) -> str:
            if count[0]:
                f.write(b",")
            count[0] += 1
            f.write(part.encode())
            return part

        yield add
        f.write(brackets[1].encode())
        row = conn.execute("insert into blobs values (?, zeroblob(?))", (name, f.tell())).lastrowid
        assert row is not None
        f.seek(0)
        with conn.blobopen("blobs", "data", row) as out:
            while piece := f.read(1 << 20):
                out.write(piece)


def open_index(path: Path, key: str, *, lazy: bool = True) -> Index | None:
    """The index in ``path`` if it was written for ``key`` and is whole, else None (see
    the module docstring)."""
    conn = None
    try:
        if not lazy:
            crc, stored = file_crc(path)
            if crc != stored:
                return None
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        meta = {k: json.loads(v) for k, v in conn.execute("select key, value from meta")}
        if meta.get("format") != FORMAT or meta.get("key") != key:
            conn.close()
            return None
        if lazy:
            for table in _CHECKED_TABLES:
                if conn.execute(f"pragma quick_check({table})").fetchone() != ("ok",):
                    conn.close()
                    return None
            return _Lazy(path, conn, meta)
        with paused_collector():  # millions of objects, no cycles among them
            return _load_all(conn, meta)
    except (OSError, sqlite3.Error, ValueError, KeyError, TypeError, AttributeError):
        if conn is not None:
            conn.close()
        return None


def _with_meta(idx: Index, meta: dict[str, Any]) -> Index:
    idx.max_idf, idx.max_w, idx.versions = meta["max_idf"], meta["max_w"], meta["versions"]
    groups = meta.get("groups")
    idx.groups = GroupRules.from_json(groups) if groups else None
    return idx


def _load_all(conn: sqlite3.Connection, meta: dict[str, Any]) -> Index:
    idx = _with_meta(Index(), meta)
    sets: dict[str, set[str]] = {s: set() for s in SETS}
    for kind, word in conn.execute("select kind, word from words"):
        sets[kind].add(word)
    for s in SETS:
        setattr(idx, s, frozenset(sets[s]))
    for t, w, p in conn.execute("select token, w, postings from tokens"):
        idx.postings[t] = _unids(p).tolist()
        idx.w[t] = w
    blobs = dict(conn.execute("select name, data from blobs"))
    idx.deletes = _loads(blobs["deletes"])
    norms = _loads(blobs["norms"])
    for i, ent, text, kind, wmin, brand in conn.execute(
        "select id, entity, text, kind, wmin, brand from names order by id"
    ):
        t, toks, places, numbers, legal, compact, joined, cjk, pinyin = norms[i]
        n = Norm(
            t,
            tuple(toks),
            frozenset(places),
            frozenset(numbers),
            tuple(legal),
            compact,
            joined,
            cjk,
            pinyin,
        )
        idx.names.append(NameRec(ent, text, kind, n))
        idx.toksets.append(frozenset(n.tokens))
        idx.wmin.append(wmin)
        if brand:
            idx.brand[i] = tuple(brand.split(_SEP))
    idx.entities = [entity_from_dict(d) for d in _loads(blobs["entities"])]
    for m, k, ids in conn.execute("select map, key, ids from maps"):
        getattr(idx, m)[k] = _unids(ids).tolist()
    idx.prefixes = list(conn.execute("select text, id from prefixes order by text"))
    conn.close()
    return idx


class _Rows:
    """A read-only mapping over one query of the index file, remembered once read.

    The query's last column is the row's CRC, of ``tag`` (the fixed part of the key),
    the key and the other columns; a row that fails it, or does not decode, raises
    :class:`IndexDamaged`, as does a missing row when ``must_exist``."""

    def __init__(
        self,
        owner: _Lazy,
        sql: str,
        decode: Any,
        tag: tuple[Any, ...] = (),
        must_exist: bool = False,
    ):
        self.owner, self.sql, self.decode, self.tag = owner, sql, decode, tag
        self.must_exist = must_exist
        self.cache: dict[Any, Any] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __getitem__(self, key: Any) -> Any:
        try:
            return self.cache[key]
        except KeyError:
            pass
        try:
            row = self.owner.conn().execute(self.sql, (key,)).fetchone()
            if row is None:
                if self.must_exist:
                    raise IndexDamaged(f"{self.owner.path}: row {key!r} is missing")
                raise KeyError(key)
            if _crc(*self.tag, key, *row[:-1]) != row[-1]:
                raise IndexDamaged(f"{self.owner.path}: the row of {key!r} fails its CRC")
            value = self.cache[key] = self.decode(row[:-1])
        except sqlite3.DatabaseError as e:
            raise damaged(self.owner.path, e) from None
        except (ValueError, TypeError, IndexError, AttributeError) as e:
            raise damaged(self.owner.path, e) from None
        return value

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("a lazily read index is not iterated")


def damaged(path: Path, e: BaseException) -> IndexDamaged:
    """The error for damage found while reading ``path``."""
    return IndexDamaged(f"{path}: the index file is damaged ({' '.join(str(e).split())[:120]})")


class _Lazy(Index):
    """An :class:`Index` whose parts are read from the file as screening asks for them."""

    def __init__(self, path: Path, conn: sqlite3.Connection, meta: dict[str, Any]):
        super().__init__()
        _with_meta(self, meta)
        self._path, self._conn, self._pid = path, conn, os.getpid()
        self._n_names, self._n_entities = meta["names"], meta["entities"]
        token = _Rows(self, "select w, postings, crc from tokens where token = ?", tuple)
        self.postings = _Derived(token, lambda r: _unids(r[1]))  # type: ignore[assignment]
        self.w = _Derived(token, lambda r: r[0])  # type: ignore[assignment]
        self.deletes = _Rows(
            self,
            "select tokens, crc from deletes where key = ?",  # type: ignore[assignment]
            lambda r: r[0].split(_SEP),
        )
        for m in MAPS:
            setattr(
                self,
                m,
                _Rows(
                    self,
                    f"select ids, crc from maps where map = '{m}' and key = ?",
                    lambda r: _unids(r[0]),
                    tag=(m,),
                ),
            )
        rows = _Rows(
            self,
            "select entity, text, kind, norm, wmin, brand, crc from names where id = ?",
            _name_row,
            must_exist=True,
        )
        self.names = _Seq(rows, self._n_names, lambda r: r[0])  # type: ignore[assignment]
        self.toksets = _Seq(rows, self._n_names, lambda r: r[1])  # type: ignore[assignment]
        self.wmin = _Seq(rows, self._n_names, lambda r: r[2])  # type: ignore[assignment]
        self.brand = _Derived(rows, lambda r: r[3])  # type: ignore[assignment]
        self.entities = _Seq(
            _Rows(
                self,
                "select data, crc from entities where id = ?",  # type: ignore[assignment]
                lambda r: entity_from_dict(_loads(r[0])),
                must_exist=True,
            ),
            self._n_entities,
            lambda e: e,
        )
        for s in SETS:
            setattr(self, s, _Words(self, s))

    @property
    def path(self) -> Path:
        return self._path

    def conn(self) -> sqlite3.Connection:
        """This process's connection (a forked worker opens its own)."""
        if os.getpid() != self._pid:
            self._conn = sqlite3.connect(
                f"file:{self._path}?mode=ro", uri=True, check_same_thread=False
            )
            self._pid = os.getpid()
        return self._conn

    def prefixed(self, text: str, limit: int) -> list[tuple[str, int]]:
        end = text[:-1] + chr(ord(text[-1]) + 1) if text else "\U0010ffff"
        try:
            rows = self.conn().execute(
                "select text, id, crc from prefixes where text >= ? and text < ? "
                "order by text limit ?",
                (text, end, limit),
            )
            out = []
            for t, i, crc in rows:
                if _crc(t, i) != crc:
                    raise IndexDamaged(f"{self._path}: a prefix row fails its CRC")
                out.append((t, i))
        except sqlite3.DatabaseError as e:
            raise damaged(self._path, e) from None
        return out


def _name_row(r: tuple[Any, ...]) -> tuple[NameRec, frozenset[str], float, tuple[str, ...]]:
    ent, text, kind, norm, wmin, brand = r
    n = _norm(norm)
    return (
        NameRec(ent, text, kind, n),
        frozenset(n.tokens),
        wmin,
        tuple(brand.split(_SEP)) if brand else (),
    )


class _Words:
    """A word set of the index file, asked one word at a time."""

    def __init__(self, owner: _Lazy, kind: str):
        self.owner, self.kind = owner, kind
        self.cache: dict[str, bool] = {}

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        found = self.cache.get(word)
        if found is None:
            try:
                row = (
                    self.owner.conn()
                    .execute("select 1 from words where kind = ? and word = ?", (self.kind, word))
                    .fetchone()
                )
            except sqlite3.DatabaseError as e:
                raise damaged(self.owner.path, e) from None
            found = self.cache[word] = row is not None
        return found


class _Derived:
    """One field of the rows of a :class:`_Rows` (a missing key or an empty field is absent)."""

    def __init__(self, rows: _Rows, pick: Any):
        self.rows, self.pick = rows, pick

    def get(self, key: Any, default: Any = None) -> Any:
        row = self.rows.get(key)
        if row is None:
            return default
        value = self.pick(row)
        return default if value == () else value

    def __getitem__(self, key: Any) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None


class _Seq:
    """A read-only sequence of one field of a :class:`_Rows`, by row number."""

    def __init__(self, rows: _Rows, n: int, pick: Any):
        self.rows, self.n, self.pick = rows, n, pick

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < self.n:  # past the end is the end, not a row the file lost
            raise IndexError(i)
        return self.pick(self.rows[i])

    def __iter__(self) -> Iterator[Any]:
        return (self.pick(self.rows[i]) for i in range(self.n))
