"""The Dask engine against the local engine on a large Parquet file, on this machine.

    python benchmarks/bench_dask.py [--rows 10000000] [--sizes 200000,1000000]
        [--unique 300000] [--keep DIR] [--runs dask-1,dask-2,local]

Builds the store of ``bench_batch.py`` (the bundled list plus the real lists in
shared/data), writes a Parquet file of customer rows with the same generator
(``bench_batch.customer_rows``), then screens it Parquet to Parquet:

* the local engine (forked workers on every core),
* ``--engine dask`` on a LocalCluster of 1 worker, then of 2 workers,

at each of ``--sizes`` and then at ``--rows``, ``--pairs`` times in alternated order.
For each run it prints the wall time, rows/s, rows/s per core (per worker for Dask;
the local engine uses every core), the CPU time of the process tree, the load average
and peak memory (VmHWM) of this process and of each Dask worker; then the ratio of
the Dask engine's rows/s with 2 workers to the local engine's, and their median.
Target (issue 23): at least 0.85 on 1,000,000 rows. It takes minutes; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from benchmarks.bench_batch import HEADER, build_store, customer_rows
from screener.screening import dask_engine
from screener.screening.index_cache import load_index
from screener.screening.service import Screener

BATCH_ROWS = 500_000  # rows per row group of the generated file
WORKER_RSS: list[dict[str, float]] = []  # peak RSS (MB) of each Dask worker, per run


def write_parquet(path: Path, rows: int, unique: int, listed: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.string()) for c in HEADER])
    with pq.ParquetWriter(path, schema) as w:
        batch: list[list[str]] = []
        for row in customer_rows(rows, unique, listed):
            batch.append(row)
            if len(batch) == BATCH_ROWS:
                w.write_table(pa.Table.from_pylist([dict(zip(HEADER, r)) for r in batch], schema))
                batch = []
        if batch:
            w.write_table(pa.Table.from_pylist([dict(zip(HEADER, r)) for r in batch], schema))


def _max_rss_mb() -> float:
    """Peak resident memory of this process's own address space (VmHWM: not the parent's
    peak that ru_maxrss carries over a fork and an exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def record_worker_memory() -> None:
    """Before the engine closes its cluster, note each worker's peak RSS."""
    real = dask_engine.DaskRows._close

    def close(self: Any) -> None:
        if self.client is not None:
            try:
                WORKER_RSS.append(self.client.run(_max_rss_mb))
            except Exception:
                WORKER_RSS.append({})
        real(self)

    dask_engine.DaskRows._close = close  # type: ignore[method-assign]


def run(store: Any, inp: Path, out: Path, engine: str, workers: int) -> dict[str, Any]:
    """One run, as the CLI makes it: a new service (the local engine loads the index into
    this process, the Dask workers into theirs), timed end to end."""
    WORKER_RSS.clear()
    with harness.Meter() as meter:
        s = Screener(store)
        summary = s.batch(
            inp, out, column="name", country_column="country", engine=engine, workers=workers
        )
    dt = meter.wall
    rate = summary.rows / dt
    if engine == "dask":
        rss = sorted((WORKER_RSS or [{}])[0].values())
        memory = "workers " + ", ".join(f"{m:.0f}" for m in rss) + " MB" if rss else "?"
    else:
        memory = "forked workers share this process's index (copy-on-write)"
    label = f"{engine} ({workers} worker{'s' if workers > 1 else ''})"
    print(
        f"  {label:<18} {summary.rows:>11,} rows in {dt:8.1f} s = {rate:>9,.0f} rows/s, "
        f"{rate / workers:>8,.0f} rows/s per core; {summary.unique_names:,} distinct names, "
        f"{summary.hit_rows:,} rows with hits; CPU {meter.cpu:.1f} s (process tree), load "
        f"{meter.load_start:.1f}-{meter.load_end:.1f}; peak RSS: this process "
        f"{_max_rss_mb():.0f} MB, {memory}",
        flush=True,
    )
    return {"engine": engine, "workers": workers, "seconds": dt, "rate": rate}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--sizes", default="200000,1000000", help="smaller sizes first (or '')")
    ap.add_argument("--unique", type=int, default=300_000)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    ap.add_argument(
        "--runs",
        default="dask-1,dask-2,local",
        help="which runs, in order: dask-N (N workers) and local",
    )
    ap.add_argument("--pairs", type=int, default=1, help="repeat the runs, order alternated")
    a = ap.parse_args()
    harness.header()
    work = a.keep or Path(tempfile.mkdtemp(prefix="screener-bench-dask-"))
    work.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    t = time.perf_counter()
    store = build_store(work / "bench.db")
    load_index(store)  # build the index cache, as a first `screener` run does
    print(
        f"store and index: {sum(v['entities'] for v in store.active_versions())} entities in "
        f"{time.perf_counter() - t:.1f} s; {cores} cores"
    )
    listed = [e.name for e in store.entities() if e.schema == "organization"]
    record_worker_memory()
    sizes = [int(x) for x in a.sizes.split(",") if x] + [a.rows]
    for rows in sizes:
        inp = work / f"customers-{rows}.parquet"
        if not inp.exists():
            t = time.perf_counter()
            write_parquet(inp, rows, min(a.unique, rows), listed)
            print(
                f"input: {rows:,} rows, {inp.stat().st_size / 1e6:.0f} MB Parquet, written in "
                f"{time.perf_counter() - t:.1f} s",
                flush=True,
            )
        names = a.runs.split(",")
        ratios: list[float] = []
        for i in range(a.pairs):
            results = []  # Dask first (the default): this process's peak then shows the client
            for name in names if i % 2 == 0 else names[::-1]:  # alternated, pair by pair
                if name == "local":
                    results.append(run(store, inp, work / "local.parquet", "local", cores))
                else:
                    n = int(name.removeprefix("dask-"))
                    results.append(run(store, inp, work / f"dask-{n}.parquet", "dask", n))
            by = {(r["engine"], r["workers"]): r for r in results}
            one, two = by.get(("dask", 1)), by.get(("dask", 2))
            line = ""
            if one and two:
                line = f"  scaling 1 -> 2 workers: {two['rate'] / one['rate']:.2f}x"
            if ("local", cores) in by and two:
                ratio = two["rate"] / by[("local", cores)]["rate"]
                ratios.append(ratio)
                line += f"  dask (2 workers) rows/s / local rows/s = {ratio:.2f}"
            if line:
                print(line, flush=True)
        if len(ratios) > 1:
            print(
                f"  {rows:,} rows: median dask (2 workers) / local = "
                f"{statistics.median(ratios):.2f} over {len(ratios)} alternated pairs "
                f"({', '.join(f'{r:.2f}' for r in ratios)}); target (issue 23) >= 0.85",
                flush=True,
            )
        for f in work.glob("*.parquet*"):
            if f.name.startswith(("local", "dask")):
                f.unlink()
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":  # the Dask workers are spawned: they import this file
    main()
