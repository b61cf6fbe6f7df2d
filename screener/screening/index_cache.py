"""The index of a store's active lists, kept beside the store and built again only when
the lists, the matching code or its vocabulary change.

The file is ``<db>.index`` (:mod:`screener.matching.index_file`: plain data in SQLite,
never executed). Its key is the tool version, the size and modification time of each
file of the matching code and vocabulary, the sha256 of the bundled listed groups
(``lists/groups.yaml``, compiled into the index), and the id and sha256 of every
active list version. An older ``<db>.index.pickle`` cache is deleted, never read. A
file that fails its checks (:mod:`screener.matching.index_file`: a CRC over the whole
file, a CRC per row) is built again from the store, never used; :func:`rebuild_index`
builds it again when damage is found while screening.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from screener import __version__
from screener.db.store import Store, sha256_file
from screener.heap import paused_collector
from screener.lists.parsers import groups as group_data
from screener.matching import index_file
from screener.matching.index import Index

MATCHING = Path(__file__).resolve().parents[1] / "matching"


def index_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".index")


def cache_key(versions: list[dict[str, Any]]) -> str:
    h = hashlib.sha256(f"{__version__}\0{index_file.FORMAT}".encode())
    for f in sorted(
        [*MATCHING.glob("*.py"), *MATCHING.glob("data/*.yaml"), MATCHING.parent / "model.py"]
    ):
        st = f.stat()
        h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    groups = group_data.bundled_path()
    h.update((sha256_file(groups) if groups.exists() else "no groups").encode())
    h.update(json.dumps([(v["id"], v["sha256"]) for v in versions]).encode())
    return h.hexdigest()


def load_index(store: Store, *, lazy: bool = True) -> Index:
    """The index of the store's active lists (fail closed without lists): from the cache
    file when it is current (read lazily, or whole with ``lazy=False``), else built and
    saved for the next run."""
    versions = store.require_lists()
    key = cache_key(versions)
    path = index_path(store)
    store.path.with_name(store.path.name + ".index.pickle").unlink(missing_ok=True)
    idx = index_file.open_index(path, key, lazy=lazy)
    if idx is not None:
        return idx
    return _fresh(store, versions, key, path, lazy)


def rebuild_index(store: Store, *, lazy: bool = True) -> Index:
    """The index built again from the store (the file was found damaged while screening)."""
    versions = store.require_lists()
    path = index_path(store)
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
    return _fresh(store, versions, cache_key(versions), path, lazy)


def _fresh(store: Store, versions: list[dict[str, Any]], key: str, path: Path, lazy: bool) -> Index:
    """The index built from the store and saved; with ``lazy``, the saved file read
    lazily in its place. The built index is then freed: a check reads a few rows of it,
    and what runs next (the parties, built after an import) has the memory."""
    idx = _build(store, versions, key, path)
    if lazy:
        again = index_file.open_index(path, key, lazy=True)
        if again is not None:
            return again
    return idx


def _build(store: Store, versions: list[dict[str, Any]], key: str, path: Path) -> Index:
    names = {v["source_id"]: v["source_name"] for v in versions}
    with paused_collector():  # millions of objects, no cycles among them (see Index.build)
        ents = []
        for e in store.entities():
            e.extra["source_name"] = names.get(e.extra.get("source_id"))
            ents.append(e)
        path_groups = group_data.bundled_path()
        idx = Index.build(
            ents, versions, group_data.parse(path_groups) if path_groups.exists() else None
        )
        try:
            index_file.save_index(idx, path, key)
        except OSError:
            pass  # a read-only folder: screen with the index built now, build again next time
    return idx
