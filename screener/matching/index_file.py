"""The index on disk: an SQLite file of plain data, read lazily or all at once.

Nothing in the file is ever executed (an index cache written with pickle could run
code planted in it): it holds strings, numbers and packed integer arrays, one table
per part of :class:`~screener.matching.index.Index`:

    meta      key -> value (JSON): the cache key, weights, list versions, the listed
              groups compiled with their members, the sizes of the pages below
    words     (set, word): the word sets (distinctive, common English, brand words...)
    tokens    token -> weight, postings (the ids of the names holding it)
    deletes   bucket -> a JSON object of deletion variants -> vocabulary tokens (a
              variant's bucket: the CRC-32 of its UTF-8 modulo the number of buckets)
    names     page -> a JSON array of ``NAMES_PAGE`` names: entity, text, kind, least
              weight, brand core, normalized form
    entities  page -> a JSON array of ``ENTITIES_PAGE`` entities with their provenance
              (each without the fields that hold their default value)
    maps      (map, key) -> name ids, for compact, pinyin, cjk, zh_base, brand_keys,
              acronyms, text_keys
    prefixes  clean listed name -> name id, for names cut at a form's width

:func:`open_index` with ``lazy=True`` (a single check) reads a row only when screening
asks for it (a page of names or entities, a bucket of deletion variants), so a check
costs the same whether the lists hold 100 or 200,000 entities; with ``lazy=False`` (a
batch) it reads everything into memory first, before workers are forked to share it.
Each document is written once: the pages serve both readings. A file that is missing, unreadable, of another
format, or built for other lists or another matching code (its key differs) gives
``None``, and the caller builds the index again.

**An index that cannot lie.** A damaged file must never make a listed name read clear
(a few flipped bytes in the token table once made ``KIM SE GON`` "No hit"), so:

* the whole file has a CRC-32, written last into the SQLite header's user version
  (computed with those four bytes zeroed; the application id marks the format):
  ``lazy=False`` checks it before reading anything, and a file that fails it gives
  ``None`` (built again, never used);
* every row read lazily carries a CRC-32 of its key and values (of its JSON, for a
  page or a bucket), checked when it is read; a name or entity that postings point to
  must exist; and ``lazy=True``
  runs SQLite's page-level ``quick_check`` on the small keyed tables (tokens, maps,
  words, prefixes: a few milliseconds), so a damaged key cannot hide a token;
* any damage found while screening (a CRC that differs, SQLite's "malformed", text
  that does not decode) raises :class:`IndexDamaged`; the service then builds the
  index again from the store and screens once more (:mod:`screener.screening.service`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sqlite3
import zlib
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from screener.errors import ListsError
from screener.heap import paused_collector
from screener.matching.groups import GroupRules
from screener.matching.index import Index, NameRec
from screener.matching.normalize import Norm
from screener.model import Entity, Listing, Name

# 7: names, entities and deletion variants written once, in pages (entities without their
# default-valued fields); 6: "corps" is not cut to "corp"; 5: a listed unit of a group no
# longer bears the group's own names
FORMAT = 7
NAMES_PAGE = 32  # names a row of the names table holds
ENTITIES_PAGE = 16  # entities a row of the entities table holds
BUCKET = 32  # deletion variants a row of the deletes table holds, about
MAPS = ("compact", "pinyin", "cjk", "zh_base", "brand_keys", "acronyms", "text_keys")
SETS = ("distinctive", "cities", "towns", "common", "brand_words", "coined", "syllables")
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


def _name_item(r: NameRec, wmin: float, brand: tuple[str, ...] | None) -> list[Any]:
    """A name as an element of its page: entity, text, kind, least weight, brand core
    (or None), then the fields of its normalized form (sets as sorted lists)."""
    n = r.norm
    return [
        r.entity,
        r.text,
        r.kind,
        wmin,
        brand,
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


# one empty set for the places and numbers of every name without (most of them: 54,000
# of the 56,000 names of the benchmark store, 24 MB as a set each)
_NO_WORDS: frozenset[str] = frozenset()


def _name_of(item: list[Any]) -> tuple[NameRec, frozenset[str], float, tuple[str, ...]]:
    """(the name, its tokens, its least weight, its brand core) from its page's element."""
    ent, text, kind, wmin, brand, t, toks, places, numbers, legal, compact, joined, cjk, pin = item
    tokens = tuple(toks)
    n = Norm(
        t,
        tokens,
        frozenset(places) if places else _NO_WORDS,
        frozenset(numbers) if numbers else _NO_WORDS,
        tuple(legal),
        compact,
        joined,
        cjk,
        pin,
    )
    return NameRec(ent, text, kind, n), frozenset(tokens), wmin, tuple(brand) if brand else ()


def _loads(data: str | bytes) -> Any:
    """A document of the index file: read by orjson (the blobs of a whole index in 0.5 of
    the json module's time), or by the json module when orjson refuses it (NaN or
    Infinity, which the json module writes for a float of a list's extra columns)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


# orjson as the json module writes an entity: datetimes through ``default=str``, keys that
# are not text as text
_ENTITY_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _defaults(cls: type) -> dict[str, Any]:
    """The default value of each field of a dataclass that has one."""
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


_ENTITY_DEFAULTS, _NAME_DEFAULTS, _LISTING_DEFAULTS = map(_defaults, (Entity, Name, Listing))


def _set_fields(obj: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``obj`` that do not hold their default value (of the same type:
    ``in_force=1`` is kept), which the dataclass gives back when it is read."""
    out = {}
    for k, v in vars(obj).items():
        d = defaults.get(k, dataclasses.MISSING)
        if d is dataclasses.MISSING or v.__class__ is not d.__class__ or v != d:
            out[k] = v
    return out


def _entity_json(e: Entity) -> str:
    """An entity as JSON, without the fields (its own, its names' and its listings') that
    hold their default value: a third of the size for a big list's companies. By orjson
    (half the json module's time over a big list's 200,000 entities), or by the json
    module when its extra columns hold NaN or an infinity, which orjson would write as
    null (a list read through pandas)."""
    d = _set_fields(e, _ENTITY_DEFAULTS)
    if e.names:
        d["names"] = [_set_fields(n, _NAME_DEFAULTS) for n in e.names]
    if e.listings:
        d["listings"] = [_set_fields(x, _LISTING_DEFAULTS) for x in e.listings]
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
    for table in ("deletes", "names", "entities"):
        c.execute(f"create table {table} (page integer primary key, data text, crc integer)")
    c.execute("create table maps (map text, key text, ids blob, crc integer)")
    c.execute("create table prefixes (text text, id integer, crc integer)")
    c.execute("create table words (kind text, word text)")
    buckets = _buckets(len(idx.deletes))
    meta = {
        "format": FORMAT,
        "key": key,
        "max_idf": idx.max_idf,
        "max_w": idx.max_w,
        "versions": idx.versions,
        "names": len(idx.names),
        "entities": len(idx.entities),
        "names_page": NAMES_PAGE,
        "entities_page": ENTITIES_PAGE,
        "buckets": buckets,
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
    deletes = idx.deletes
    parts: list[list[str]] = [[] for _ in range(buckets)]
    for d in deletes:
        parts[_bucket(d, buckets)].append(d)
    c.executemany(
        "insert into deletes values (?, ?, ?)",
        (_page(i, _encode_text({d: deletes[d] for d in part})) for i, part in enumerate(parts)),
    )
    del parts
    names, wmin, brand = idx.names, idx.wmin, idx.brand
    c.executemany(
        "insert into names values (?, ?, ?)",
        (
            _page(
                start // NAMES_PAGE,
                _encode_text(
                    [
                        _name_item(names[i], float(wmin[i]), brand.get(i))
                        for i in range(start, min(start + NAMES_PAGE, len(names)))
                    ]
                ),
            )
            for start in range(0, len(names), NAMES_PAGE)
        ),
    )
    ents = idx.entities
    c.executemany(
        "insert into entities values (?, ?, ?)",
        (
            _page(
                start // ENTITIES_PAGE,
                "[" + ",".join(map(_entity_json, ents[start : start + ENTITIES_PAGE])) + "]",
            )
            for start in range(0, len(ents), ENTITIES_PAGE)
        ),
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
    c.execute("create unique index maps_key on maps (map, key)")
    c.execute("create unique index words_key on words (kind, word)")
    c.execute("create index prefixes_text on prefixes (text)")


def _with_crc(*fields: Any) -> tuple[Any, ...]:
    return (*fields, _crc(*fields))


def _page(number: int, data: str) -> tuple[int, str, int]:
    """A row of a paged table: its number, its JSON and the CRC-32 of the JSON's UTF-8."""
    return number, data, zlib.crc32(data.encode("utf-8", "surrogatepass"))


def _buckets(variants: int) -> int:
    """How many buckets the deletion variants are written in: about ``BUCKET`` each."""
    return max(1, variants // BUCKET)


def _bucket(variant: str, buckets: int) -> int:
    return zlib.crc32(variant.encode("utf-8", "surrogatepass")) % buckets


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
    deletes: dict[str, Sequence[str]] = {}
    for (data,) in conn.execute("select data from deletes"):
        deletes.update(_loads(data))
    idx.deletes = deletes
    names, toksets, wmins, brands = idx.names, idx.toksets, idx.wmin, idx.brand
    for (data,) in conn.execute("select data from names order by page"):
        for item in _loads(data):
            rec, tokset, wmin, brand = _name_of(item)
            if brand:
                brands[len(names)] = brand
            names.append(rec)
            toksets.append(tokset)
            wmins.append(wmin)
    idx.entities = [
        entity_from_dict(d)
        for (data,) in conn.execute("select data from entities order by page")
        for d in _loads(data)
    ]
    if len(names) != meta["names"] or len(idx.entities) != meta["entities"]:
        raise ValueError("the index file lacks names or entities")
    for m, k, ids in conn.execute("select map, key, ids from maps"):
        getattr(idx, m)[k] = _unids(ids).tolist()
    idx.prefixes = list(conn.execute("select text, id from prefixes order by text"))
    conn.close()
    return idx


class _Rows:
    """A read-only mapping over one query of the index file, remembered once read.

    The query's last column is the row's CRC, of ``tag`` (the fixed part of the key),
    the key and the other columns; a row that fails it, or does not decode, raises
    :class:`IndexDamaged`."""

    def __init__(
        self,
        owner: _Lazy,
        sql: str,
        decode: Any,
        tag: tuple[Any, ...] = (),
    ):
        self.owner, self.sql, self.decode, self.tag = owner, sql, decode, tag
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
        self.deletes = _Buckets(  # type: ignore[assignment]
            _Pages(self, "deletes"), meta["buckets"]
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
        rows = _Paged(_Pages(self, "names"), meta["names_page"], self._n_names, _name_of)
        self.names = _Seq(rows, self._n_names, lambda r: r[0])  # type: ignore[assignment]
        self.toksets = _Seq(rows, self._n_names, lambda r: r[1])  # type: ignore[assignment]
        self.wmin = _Seq(rows, self._n_names, lambda r: r[2])  # type: ignore[assignment]
        self.brand = _Derived(rows, lambda r: r[3])  # type: ignore[assignment]
        self.entities = _Seq(  # type: ignore[assignment]
            _Paged(
                _Pages(self, "entities"), meta["entities_page"], self._n_entities, entity_from_dict
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


class _Pages:
    """The rows of a paged table (deletes, names, entities) by number, read as screening
    asks for them and remembered parsed; a row that is missing, fails its CRC or does
    not decode raises :class:`IndexDamaged`."""

    def __init__(self, owner: _Lazy, table: str):
        self.owner, self.table = owner, table
        self.sql = f"select data, crc from {table} where page = ?"
        self.cache: dict[int, Any] = {}

    def __getitem__(self, number: int) -> Any:
        try:
            return self.cache[number]
        except KeyError:
            pass
        path = self.owner.path
        try:
            row = self.owner.conn().execute(self.sql, (number,)).fetchone()
            if row is None:
                raise IndexDamaged(f"{path}: row {number} of {self.table} is missing")
            data, crc = row
            if zlib.crc32(data.encode("utf-8", "surrogatepass")) != crc:
                raise IndexDamaged(f"{path}: row {number} of {self.table} fails its CRC")
            value = self.cache[number] = _loads(data)
        except sqlite3.DatabaseError as e:
            raise damaged(path, e) from None
        except (ValueError, TypeError, AttributeError) as e:
            raise damaged(path, e) from None
        return value


class _Paged:
    """The items of a paged table by number (a name's or an entity's), each decoded when
    first asked for; one the file lacks raises :class:`IndexDamaged`."""

    def __init__(self, pages: _Pages, size: int, n: int, decode: Any):
        self.pages, self.size, self.n, self.decode = pages, size, n, decode
        self.cache: dict[int, Any] = {}

    def get(self, i: int, default: Any = None) -> Any:
        try:
            return self[i]
        except KeyError:
            return default

    def __getitem__(self, i: int) -> Any:
        try:
            return self.cache[i]
        except KeyError:
            pass
        if not 0 <= i < self.n:
            raise KeyError(i)
        page = self.pages[i // self.size]
        try:
            value = self.cache[i] = self.decode(page[i % self.size])
        except (LookupError, ValueError, TypeError, AttributeError) as e:
            raise damaged(self.pages.owner.path, e) from None
        return value


class _Buckets:
    """The deletion variants, read a bucket at a time (see :func:`_bucket`)."""

    def __init__(self, pages: _Pages, buckets: int):
        self.pages, self.buckets = pages, buckets

    def get(self, key: str, default: Any = None) -> Any:
        bucket = self.pages[_bucket(key, self.buckets)]
        try:
            return bucket.get(key, default)
        except AttributeError as e:
            raise damaged(self.pages.owner.path, e) from None

    def __getitem__(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("a lazily read index is not iterated")


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

    def __init__(self, rows: _Rows | _Paged, pick: Any):
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

    def __init__(self, rows: _Rows | _Paged, n: int, pick: Any):
        self.rows, self.n, self.pick = rows, n, pick

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < self.n:  # past the end is the end, not a row the file lost
            raise IndexError(i)
        return self.pick(self.rows[i])

    def __iter__(self) -> Iterator[Any]:
        return (self.pick(self.rows[i]) for i in range(self.n))
