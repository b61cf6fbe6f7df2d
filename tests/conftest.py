"""Shared fixtures: a store holding the bundled list, a matcher over it, and a live
server over a copy of it.

Loading the bundled list and building the index take about a second each, so
both are done once per session; each test that needs a store gets its own copy
of the database file (and of the index cache beside it), so tests can record
runs or change the store without seeing one another.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from screener.db.store import Store
from screener.lists.bundled import open_store
from screener.matching.matcher import Matcher
from screener.screening.index_cache import load_index

if TYPE_CHECKING:
    from live_server import LiveServer

DB_NAME = "s.db"
CACHE_SUFFIX = ".index"


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the user's config file or default database."""
    home = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("SCREENER_CONFIG", str(home / "no-config.toml"))
    monkeypatch.setenv("SCREENER_DB", str(home / "default-unused.db"))


@pytest.fixture(scope="session")
def master_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the bundled list loaded and its index cache written."""
    path = tmp_path_factory.mktemp("master") / DB_NAME
    store = open_store(path)
    load_index(store)  # writes <db>.index, so copies load the index fast
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture(scope="session")
def matcher(master_db: Path) -> Matcher:
    """A matcher over the bundled list (read-only: do not change it in a test)."""
    store = open_store(master_db)
    try:
        return Matcher.from_store(store)
    finally:
        store.close()


@pytest.fixture
def db_path(master_db: Path, tmp_path: Path) -> Path:
    """A private copy of the master database (plus its index cache) in ``tmp_path``."""
    target = tmp_path / DB_NAME
    shutil.copyfile(master_db, target)
    cache = master_db.with_name(master_db.name + CACHE_SUFFIX)
    shutil.copyfile(cache, target.with_name(target.name + CACHE_SUFFIX))
    return target


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """``Store.open`` on a private copy of a database holding the bundled list."""
    s = open_store(db_path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def live(master_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real `screener serve` (tests/live_server.py) over a private copy of the master
    database, one per test module: its tests read and record runs, and share it."""
    from live_server import LiveServer

    target = tmp_path_factory.mktemp("live") / DB_NAME
    shutil.copyfile(master_db, target)
    cache = master_db.with_name(master_db.name + CACHE_SUFFIX)
    shutil.copyfile(cache, target.with_name(target.name + CACHE_SUFFIX))
    with LiveServer(target) as server:
        yield server


@pytest.fixture(scope="session")
def edition_2025(master_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled list plus the DoD 1260H list of 2025-01-07, indexed once (tests copy it)."""
    import milcorps
    from excerpts import shared

    shared(milcorps.MILCORPS)  # or a skip: the transcription is not committed
    return milcorps.store_with_edition(master_db, tmp_path_factory.mktemp("e2025"), "2025-01-07")
