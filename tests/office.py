"""A research office's store: the bundled list plus excerpts of three official lists whose
files state no date of their own (OFAC's consolidated non-SDN list, with Bank of Kunlun on
the CAPTA List; BIS's Denied Persons List; the Consolidated Screening List), as the
62-funder story and the pages' tests need it."""

from __future__ import annotations

import shutil
from pathlib import Path

from excerpts import excerpt

from screener.lists import catalog
from screener.lists.bundled import open_store
from screener.screening.index_cache import load_index

LISTS = (
    ("moov-watchman/ofac_non_sdn", "ofac", "ofac-cons"),
    ("moov-watchman/bis_dpl_2022/dpl.txt", "bis-dpl", "bis-dpl"),
    ("moov-watchman/csl_samples/consolidated_sample_2025.csv", "csl", "csl"),
)
KUNLUN = "ofac-cons:15268"  # BANK OF KUNLUN CO LTD, OFAC's one CAPTA List entry


def office_store(master_db: Path, folder: Path) -> Path:
    """A copy of ``master_db`` (the bundled list) with :data:`LISTS` imported and the
    index written; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "office.db"
    shutil.copyfile(master_db, db)
    store = open_store(db)
    try:
        for rel, fmt, source in LISTS:
            catalog.import_file(store, excerpt(rel), fmt, source)
        load_index(store)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return db
