"""Output writers alone: the time to write 1,000,000 screened rows as CSV, JSONL and XLSX.

    python benchmarks/bench_writers.py [--rows 1000000] [--runs 3] [--formats csv,jsonl,xlsx]

The rows look like ``bench_batch.py``'s input (customer_id, name, country,
segment), arrive in the chunks of 50,000 rows the batch uses, and carry results
shaped as the batch builds them: about 2% of rows have hits, and those hits are
real hit dicts, made by screening listed names with the bundled list (one list
object per name and country, shared by every row with that name, as the batch
shares them). About 0.1% of rows are skipped (empty name).

Each format is written ``--runs`` times; the median, fastest and slowest wall
times are printed, from ``open_writer`` to ``close`` (sidecar checksum and
fsync included), and the median CPU time of this process (steadier than wall
time on a busy machine). Target: XLSX at most 60 s for 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from benchmarks import harness
from screener.files.reports import open_writer
from screener.heap import collect_young, frozen_heap
from screener.lists.bundled import open_store
from screener.screening.service import Screener

CHUNK = 50_000
COLUMNS = ["customer_id", "name", "country", "segment"]
COUNTRIES = ["cn", "us", "de", "gb", "jp", "in", "fr", "", "", ""]
HIT_SHARE = 0.02
SKIP_SHARE = 0.001
WORDS = [
    "Northwind",
    "Harbor",
    "Summit",
    "Maple",
    "Cedar",
    "Atlas",
    "Vertex",
    "Lumen",
    "Orbit",
    "Pioneer",
    "Granite",
    "Silver",
    "Falcon",
    "Bright",
    "River",
    "Golden",
    "Delta",
    "Nova",
    "Prime",
    "Crest",
    "Alpine",
    "Coastal",
]
FORMS = ["Ltd", "LLC", "GmbH", "Inc.", "Co., Ltd.", "S.A.", "plc", "AG", "Pty Ltd"]


def real_hits(work: Path, wanted: int = 300) -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, hit dicts) for listed names screened with the bundled list."""
    store = open_store(work / "bench.db")
    try:
        m = Screener(store).full_matcher()
        names = [e.name for e in store.entities()][:wanted]
    finally:
        store.close()
    out = []
    for name in names:
        hits = [h.as_dict() for h in m.screen(name, None, m.threshold)]
        if hits:
            out.append((name, hits))
    return out


def make_rows(
    rows: int, pool: list[tuple[str, list[dict[str, Any]]]]
) -> list[tuple[pd.DataFrame, list[dict[str, Any]]]]:
    """The chunks and their results, as the batch hands them to a writer."""
    rng = random.Random(7)
    shared: dict[tuple[str, str], list[dict[str, Any]]] = {}  # one hit list per name+country
    chunks = []
    for start in range(0, rows, CHUNK):
        cells, results = [], []
        for i in range(start, min(rows, start + CHUNK)):
            country = rng.choice(COUNTRIES)
            roll = rng.random()
            if roll < SKIP_SHARE:
                name, status, hits = "", "skipped", []
            elif roll < SKIP_SHARE + HIT_SHARE:
                # a long tail: a few listed names recur often
                name, found = pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)]
                key = (name, country)
                hits = shared.get(key) or shared.setdefault(key, [dict(h) for h in found])
                status = "hit"
            else:
                name = (
                    f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.randrange(10_000)} "
                    f"{rng.choice(FORMS)}"
                )
                status, hits = "clear", []
            cells.append([f"C{i:07d}", name, country, rng.choice("ABCD")])
            result = {
                "row": i,
                "query": name,
                "country": country or None,
                "status": status,
                "hits": hits,
            }
            if status == "skipped":
                result["reason"] = "empty name"
            results.append(result)
        df = pd.DataFrame(cells, columns=COLUMNS, dtype=str)
        df.index = pd.RangeIndex(start, start + len(cells))
        chunks.append((df, results))
    return chunks


def write_once(
    path: Path, chunks: list[tuple[pd.DataFrame, list[dict[str, Any]]]], rows: int
) -> tuple[float, float]:
    """(wall, CPU) seconds to write every chunk to ``path``."""
    meta = {
        "run_id": "bench",
        "tool_version": "bench",
        "created_at": "",
        "threshold": 0.85,
        "input": {"path": "customers.csv", "sha256": "", "rows": rows},
        "lists": [],
    }
    t, cpu = time.perf_counter(), time.process_time()
    # as the batch writes: the collector kept off the data alive, young cycles collected
    # between chunks (screener.heap)
    with frozen_heap(), open_writer(path, COLUMNS, meta) as writer:
        for df, results in chunks:
            writer.write(df, results)
            collect_young()
        writer.close(writer.counts())
    return time.perf_counter() - t, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="csv,jsonl,xlsx")
    a = ap.parse_args()
    harness.header()
    work = Path(tempfile.mkdtemp(prefix="screener-bench-writers-"))
    try:
        pool = real_hits(work)
        t = time.perf_counter()
        chunks = make_rows(a.rows, pool)
        hit_rows = sum(1 for _, rs in chunks for r in rs if r["hits"])
        hits = sum(len(r["hits"]) for _, rs in chunks for r in rs)
        print(
            f"rows: {a.rows:,} ({hit_rows:,} with hits, {hits:,} hits; "
            f"{len(pool)} listed names screened), built in {time.perf_counter() - t:.1f} s"
        )
        for fmt in a.formats.split(","):
            out = work / f"customers.screened.{fmt}"
            runs = [write_once(out, chunks, a.rows) for _ in range(a.runs)]
            times = [wall for wall, _ in runs]
            cpu = statistics.median(c for _, c in runs)
            size = out.stat().st_size / 1e6
            print(
                f"{fmt:>5}: median {statistics.median(times):5.1f} s "
                f"(min {min(times):.1f}, max {max(times):.1f}; {a.runs} runs; CPU {cpu:.1f} s) "
                f"= {a.rows / statistics.median(times):,.0f} rows/s, {size:.0f} MB; load "
                f"{harness.load():.1f}",
                flush=True,
            )
            out.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
