"""Matching speed on the benchmark universe (bundled lists + real lists in shared/data).

    python benchmarks/bench_speed.py [--names 30000]

Prints: index build time; single-name latency p50/p99 over realistic names
(screened one at a time, cold cache); batch throughput in unique names per second
with both cores (``screener.screening.executors.screen_unique``); peak memory (max RSS);
each with the CPU time of the process tree and the load average
(:mod:`benchmarks.harness`; ``--against REV`` runs REV's own bench_speed alternately).
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

from benchmarks import harness
from benchmarks.bench_quality import universe_entities
from benchmarks.names import query_names
from screener.lists.parsers import groups as group_data
from screener.matching.matcher import Matcher
from screener.matching.normalize import normalize
from screener.screening.executors import screen_unique

# this script's figure lines and those of older releases (index build: 4.10 s; batch: ...)
FIGURES = harness.Figures(
    (
        r"^(?P<label>index build): (?P<seconds>[\d.]+) s",
        r"^(?P<label>batch): \d+ unique names in .* = (?P<rate>[\d,]+) names/s",
    )
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=200_000, help="unique names for the batch run")
    ap.add_argument("--single", type=int, default=3_000, help="names for the latency run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-check runs")
    ap.add_argument("--runs", type=int, default=7, help="cold checks per store")
    harness.add_options(ap)
    a = ap.parse_args()
    if a.against:
        return harness.against(__file__, a, FIGURES)
    harness.header()
    ents = universe_entities()
    with harness.Meter() as build:
        m = Matcher.from_entities(ents, groups=group_data.parse())  # as the product builds it
    print(f"universe: {len(ents)} entities, {len(m.index.names)} distinct names")
    print(f"index build: {build.wall:.2f} s; {build}")
    listed = [e.name for e in ents if e.schema == "organization"]

    singles = list(dict.fromkeys(query_names(a.single, listed, seed=11)))
    lat = []
    hits = 0
    cpu = time.process_time()
    for q in singles:
        t = time.perf_counter()
        hits += bool(m.screen(q))
        lat.append((time.perf_counter() - t) * 1000)
    cpu = time.process_time() - cpu
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[int(len(lat) * 0.99) - 1]
    print(
        f"single name: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {lat[-1]:.1f} ms "
        f"({len(singles)} names, {hits} with hits; CPU {cpu * 1000 / len(singles):.3f} ms a "
        f"name, load {harness.load():.1f})"
    )

    normalize.cache_clear()
    batch = list(dict.fromkeys(query_names(a.names, listed, seed=23)))
    with harness.Meter() as run:
        results = screen_unique(m, batch, workers=a.workers)
    dt = run.wall
    n_hit = sum(1 for r in results if r)
    print(
        f"batch: {len(batch)} unique names in {dt:.2f} s = {len(batch) / dt:,.0f} names/s "
        f"with {a.workers} workers ({n_hit} with hits); {run}; "
        f"{len(batch) / run.cpu:,.0f} names/CPU-s"
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
