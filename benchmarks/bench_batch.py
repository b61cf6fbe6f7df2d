"""End-to-end batch benchmark: a 1,000,000-row CSV against the benchmark universe.

    python benchmarks/bench_batch.py [--rows 1000000] [--unique 300000] [--keep DIR]
                                     [--formats csv,jsonl,xlsx]

Builds a store holding the bundled list plus the real lists in shared/data (the
universe of bench_quality.py), writes a CSV of realistic customer rows (ids,
names with repeats, countries; ~10% of the unique names are variants of listed
names), then times ``Screener.batch`` end to end: read, screen on both
cores, write the output, once per format in ``--formats`` (default CSV). Prints wall time,
rows/s, hits and peak memory (max RSS of the main process and of the largest worker;
the peaks are over the whole run). Targets: CSV <= 25 s, JSONL <= 30 s,
XLSX <= 60 s, <= 1 GB in the main process. ``bench_writers.py`` times the writers alone.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.names import query_names
from benchmarks.universe import build_store
from screener.screening.index_cache import load_index
from screener.screening.service import Screener

COUNTRIES = ["cn", "us", "de", "gb", "jp", "in", "fr", "", "", ""]


HEADER = ["customer_id", "name", "country", "segment"]


def customer_rows(rows: int, unique: int, listed: list[str]) -> Iterator[list[str]]:
    """The benchmark's customer rows (seeded): ids, names with repeats, countries."""
    names = list(dict.fromkeys(query_names(unique, listed, seed=99)))
    rng = random.Random(5)
    for i in range(rows):
        # a long tail: some names recur often, most a few times
        name = (
            names[min(int(rng.paretovariate(1.2)) - 1, len(names) - 1)]
            if i % 3 == 0
            else rng.choice(names)
        )
        yield [f"C{i:07d}", name, rng.choice(COUNTRIES), rng.choice("ABCD")]


def write_input(path: Path, rows: int, unique: int, listed: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(customer_rows(rows, unique, listed))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--unique", type=int, default=300_000)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    ap.add_argument("--formats", default="csv", help="output formats, e.g. csv,jsonl,xlsx")
    a = ap.parse_args()
    work = a.keep or Path(tempfile.mkdtemp(prefix="screener-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    store = build_store(work / "bench.db")
    print(
        f"store: {sum(v['entities'] for v in store.active_versions())} entities "
        f"in {time.perf_counter() - t:.1f} s"
    )
    listed = [e.name for e in store.entities() if e.schema == "organization"]
    inp = work / "customers.csv"
    t = time.perf_counter()
    write_input(inp, a.rows, a.unique, listed)
    print(
        f"input: {a.rows:,} rows, {inp.stat().st_size / 1e6:.0f} MB, "
        f"written in {time.perf_counter() - t:.1f} s"
    )
    load_index(store)  # build the index cache, as a first `screener` run does
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory before the batch runs (store, input, index cache): {before:.0f} MB")
    for fmt in a.formats.split(","):
        out = work / f"customers.screened.{fmt}"
        t = time.perf_counter()
        s = Screener(store).batch(inp, out, column="name", country_column="country")
        dt = time.perf_counter() - t
        print(
            f"batch to {fmt}: {s.rows:,} rows ({s.unique_names:,} distinct names) in "
            f"{dt:.1f} s = {s.rows / dt:,.0f} rows/s; {s.hit_rows:,} rows with hits, "
            f"{s.skipped} skipped; output {out.stat().st_size / 1e6:.0f} MB",
            flush=True,
        )
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (max RSS): main {main_rss:.0f} MB, largest worker {child_rss:.0f} MB")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
