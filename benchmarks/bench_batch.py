"""End-to-end batch benchmark: a 1,000,000-row CSV against the benchmark universe.

    python benchmarks/bench_batch.py [--rows 1000000] [--unique 300000] [--keep DIR]
                                     [--formats csv,jsonl,xlsx]

Builds a store holding the bundled list plus the real lists in shared/data (the
universe of bench_quality.py), writes a CSV of realistic customer rows (ids,
names with repeats, countries; ~10% of the unique names are variants of listed
names), then times ``Screener.batch`` end to end: read, screen on both
cores, write the output, once per format in ``--formats`` (default CSV). Prints wall time,
rows/s, hits and peak memory (max RSS of the main process and of the largest worker;
the peaks are over the whole run), with the CPU time of the process tree (and of the
main process alone) and the load average (:mod:`benchmarks.harness`).
``--against REV`` runs REV's own bench_batch alternately with this one (at least three
pairs) and prints the ratios: the targets (issue 23) are CSV and JSON Lines at most 0.6
of the time of the previous release (7bb0b32) in the same window, XLSX at most 1.6 times
this release's CSV, and at most 1 GB in the main process. ``bench_writers.py`` times the
writers alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from benchmarks.names import query_names
from benchmarks.universe import build_store
from screener.screening.index_cache import load_index

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


# One batch as a user runs it: `screener batch` (its entry point, in a process of its
# own, which opens the store, loads the index and screens the file); the process reports
# its CPU time and peak memory (VmHWM: a process forked from this one would count this
# one's memory in its ru_maxrss) and the run's summary from the output's sidecar.
_BATCH = """
import json, os, resource, sys
sys.path.insert(0, sys.argv[1])
from benchmarks.harness import peak_rss_mb
from screener.cli import main
db, inp, out, workers = sys.argv[2:6]
sys.argv = ["screener", "--db", db, "batch", inp, "-o", out, "--column", "name",
            "--country-column", "country"] + (["--workers", workers] if workers != "0" else [])
try:
    main()
except SystemExit as e:
    if e.code not in (0, 1):  # 1: rows with hits
        raise
t = os.times()
with open(out + ".meta.json", encoding="utf-8") as f:
    summary = json.load(f)["summary"]
summary.update(main_cpu=t.user + t.system, peak_mb=peak_rss_mb(),
               workers_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
print(json.dumps(summary))
"""


def batch_process(db: Path, inp: Path, out: Path, workers: int | None) -> dict[str, Any]:
    """The summary, CPU time and peak memory of one batch in a process of its own."""
    env = {**os.environ, "SCREENER_CONFIG": str(db.with_name("none.toml"))}
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            _BATCH,
            str(harness.REPO),
            str(db),
            str(inp),
            str(out),
            str(workers or 0),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if res.returncode != 0:
        raise SystemExit(f"the batch failed (exit {res.returncode}): {res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# the figure lines of this script and of older releases' ("batch: 1,000,000 rows ... in 41.5 s")
FIGURES = harness.Figures(
    r"^batch(?: to (?P<label>\w+))?: [\d,]+ rows .* in (?P<seconds>[\d.]+) s",
    default="csv",
    fallback={"jsonl": "csv", "xlsx": "csv"},
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--unique", type=int, default=300_000)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    ap.add_argument("--formats", default="csv", help="output formats, e.g. csv,jsonl,xlsx")
    ap.add_argument("--workers", type=int, help="worker processes (default: every core)")
    harness.add_options(ap)
    a = ap.parse_args()
    if a.against:
        return harness.against(__file__, a, FIGURES)
    harness.header()
    work = a.keep or Path(tempfile.mkdtemp(prefix="screener-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    store = build_store(work / "bench.db")
    print(
        f"store: {sum(v['entities'] for v in store.active_versions())} entities "
        f"in {time.perf_counter() - t:.1f} s"
    )
    inp = work / f"customers-{a.rows}-{a.unique}.csv"
    t = time.perf_counter()
    if not inp.exists():
        listed = [e.name for e in store.entities() if e.schema == "organization"]
        write_input(inp, a.rows, a.unique, listed)
        del listed
    print(
        f"input: {a.rows:,} rows, {inp.stat().st_size / 1e6:.0f} MB, "
        f"written in {time.perf_counter() - t:.1f} s"
    )
    load_index(store)  # build the index cache, as a first `screener` run does
    print(
        f"peak memory before the batch runs (store, input, index cache): "
        f"{harness.peak_rss_mb():.0f} MB",
        flush=True,
    )
    times: dict[str, float] = {}
    worker_peak = main_peak = 0.0
    for fmt in a.formats.split(","):
        out = work / f"customers.screened.{fmt}"
        with harness.Meter() as m:
            got = batch_process(work / "bench.db", inp, out, a.workers)
        times[fmt] = m.wall
        main_peak, worker_peak = max(main_peak, got["peak_mb"]), max(worker_peak, got["workers_mb"])
        print(
            f"batch to {fmt}: {got['rows']:,} rows ({got['unique_names']:,} distinct names) in "
            f"{m.wall:.1f} s = {got['rows'] / m.wall:,.0f} rows/s; {got['hit_rows']:,} rows with "
            f"hits, {got['skipped']} skipped; output {out.stat().st_size / 1e6:.0f} MB; CPU "
            f"{m.cpu:.1f} s (main process {got['main_cpu']:.1f} s), load "
            f"{m.load_start:.1f}-{m.load_end:.1f}; peak memory: main {got['peak_mb']:.0f} MB, "
            f"largest worker {got['workers_mb']:.0f} MB",
            flush=True,
        )
        out.unlink()
        out.with_name(out.name + ".meta.json").unlink()
    if "csv" in times:
        for fmt, secs in times.items():
            if fmt != "csv":
                print(f"{fmt} / csv: {secs / times['csv']:.2f}")
    print(f"peak memory (max RSS): main {main_peak:.0f} MB, largest worker {worker_peak:.0f} MB")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
