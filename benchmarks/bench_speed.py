"""Matching speed on the benchmark universe (bundled lists + real lists in shared/data).

    python benchmarks/bench_speed.py [--names 30000]

Prints: index build time; single-name latency p50/p99 over realistic names
(screened one at a time, cold cache); batch throughput in unique names per second
with both cores (``screener.screening.executors.screen_unique``); peak memory (max RSS).
Targets (issue 3): build <= 10 s, p50 <= 2 ms, p99 <= 20 ms, batch >= 15,000
names/s, peak memory <= 1.5 GB. Then (unless ``--no-cold``) the CPU time of a cold
``screener check`` on three stores: bundled only, ../shared/data, and a generated
200,000-entity list (:mod:`benchmarks.bench_start`; targets, issue 9: at most 0.5
CPU-s on ../shared/data and 1.5 CPU-s with the 200k list).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_quality import universe_entities
from benchmarks.names import query_names
from screener.lists.parsers import groups as group_data
from screener.matching.matcher import Matcher
from screener.matching.normalize import normalize
from screener.screening.executors import screen_unique


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=200_000, help="unique names for the batch run")
    ap.add_argument("--single", type=int, default=3_000, help="names for the latency run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-check runs")
    ap.add_argument("--runs", type=int, default=7, help="cold checks per store")
    a = ap.parse_args()
    ents = universe_entities()
    t = time.perf_counter()
    m = Matcher.from_entities(ents, groups=group_data.parse())  # as the product builds it
    build = time.perf_counter() - t
    print(f"universe: {len(ents)} entities, {len(m.index.names)} distinct names")
    print(f"index build: {build:.2f} s")
    listed = [e.name for e in ents if e.schema == "organization"]

    singles = list(dict.fromkeys(query_names(a.single, listed, seed=11)))
    lat = []
    hits = 0
    for q in singles:
        t = time.perf_counter()
        hits += bool(m.screen(q))
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[int(len(lat) * 0.99) - 1]
    print(
        f"single name: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {lat[-1]:.1f} ms "
        f"({len(singles)} names, {hits} with hits)"
    )

    normalize.cache_clear()
    batch = list(dict.fromkeys(query_names(a.names, listed, seed=23)))
    t = time.perf_counter()
    results = screen_unique(m, batch, workers=a.workers)
    dt = time.perf_counter() - t
    n_hit = sum(1 for r in results if r)
    print(
        f"batch: {len(batch)} unique names in {dt:.2f} s = {len(batch) / dt:,.0f} names/s "
        f"with {a.workers} workers ({n_hit} with hits)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (max RSS): main {peak:.0f} MB, largest worker {child:.0f} MB")
    if not a.no_cold:
        # in a process of its own: a child forked from this one (which holds a whole
        # index) would count this process's memory in its peak
        import subprocess

        print(f"cold `screener check` (a new process each, median of {a.runs}):", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("bench_start.py")),
                "--runs",
                str(a.runs),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
