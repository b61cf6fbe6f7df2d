"""The index of a store's active lists, kept beside the store and built again only when
the lists, the matching code or its vocabulary change.

The file is ``<db>.index`` (:mod:`screener.matching.index_file`: plain data in SQLite,
never executed). Its key is the tool version, the size and modification time of each
file of the matching code and vocabulary, and the id and sha256 of every active list
version. An older ``<db>.index.pickle`` cache is deleted, never read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from screener import __version__
from screener.db.store import Store
from screener.heap import paused_collector
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
    names = {v["source_id"]: v["source_name"] for v in versions}
    with paused_collector():  # millions of objects, no cycles among them (see Index.build)
        ents = []
        for e in store.entities():
            e.extra["source_name"] = names.get(e.extra.get("source_id"))
            ents.append(e)
        idx = Index.build(ents, versions)
        try:
            index_file.save_index(idx, path, key)
        except OSError:
            pass  # a read-only folder: screen with the index built now, build again next time
    return idx
