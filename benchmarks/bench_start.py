"""Cold start: one `screener check NAME` as a new process, on three stores.

    .venv/bin/python benchmarks/bench_start.py [--runs 7] [--entities 200000]

The stores:

* **bundled**: the curated list and the ownership graph only (what a fresh install has);
* **shared data**: plus the reference lists of ../shared/data (~17,800 entities;
  skipped when absent);
* **generated**: plus a generated list of ``--entities`` companies with two names
  each, the size of a large commercial list.

For each, a first check builds the index file beside the store (its time is printed
as "build"); then ``--runs`` checks, each a new process as a user's shell starts it,
give the median and worst wall time, CPU time (user + system, a figure that other
load on the machine changes little) and peak memory of the process; the first
check's (the index build's) are printed too, with the load average. The targets
(issue 9): a cold check well under a second of CPU on the shared-data store, and a
200,000-entity list that no longer costs each check its whole index.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from benchmarks.names import ordinary
from benchmarks.universe import DEFAULT_DATA_DIRS, build_store
from screener.lists.bundled import open_store
from screener.model import Entity, Name, ParsedList

SCREENER = Path(sys.executable).with_name("screener")
QUERY = "Hangzhou Hikvision Digital Technology Co., Ltd."


def generated(n: int) -> ParsedList:
    """``n`` companies, each with a primary name and an alias (seeded)."""
    rng = random.Random(7)
    out = []
    for i in range(n):
        e = Entity(id=f"gen:{i}", name=ordinary(rng))
        e.names.append(Name(e.name, "primary"))
        e.names.append(Name(ordinary(rng), "alias"))
        out.append(e)
    return ParsedList(out)


# Started from a small process of its own: Linux counts in a child's peak RSS the
# memory of the process that spawned it (the address space it had before exec), and
# this one holds whole lists after an import.
_LAUNCH = """
import json, os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
print(json.dumps([time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss // 1024,
                  os.waitstatus_to_exitcode(status)]))
"""


def cold_check(db: Path, name: str) -> tuple[float, float, int, int]:
    """(wall s, CPU s, peak RSS MB, exit code) of one `screener check` process."""
    env = {**os.environ, "SCREENER_CONFIG": str(db.with_suffix(".toml"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user runs it: bytecode cached
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCH, str(SCREENER), "--db", str(db), "check", name],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall, cpu, rss, code = json.loads(out)
    return wall, cpu, rss, code


def measure(label: str, db: Path, runs: int) -> None:
    load = harness.load()
    build = cold_check(db, QUERY)  # builds and saves the index file
    got = [cold_check(db, QUERY) for _ in range(runs)]
    codes = {g[3] for g in got} | {build[3]}
    walls, cpus, rss = [g[0] for g in got], [g[1] for g in got], [g[2] for g in got]
    print(
        f"{label:<28} build {build[0]:6.1f} s, CPU {build[1]:.1f} s, peak RSS {build[2]} MB "
        f"| cold check: wall median {statistics.median(walls):.2f} s (max {max(walls):.2f}), "
        f"CPU median {statistics.median(cpus):.2f} s (max {max(cpus):.2f}), peak RSS "
        f"{max(rss)} MB, exit {sorted(codes)}; load {load:.1f}-{harness.load():.1f}",
        flush=True,
    )


def cold_starts(runs: int, entities: int, keep: Path | None = None) -> None:
    """Build the three stores and print each one's cold checks (see the docstring)."""
    work = keep or Path(tempfile.mkdtemp(prefix="screener-start-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        db = work / "bundled.db"
        open_store(db).close()
        measure("bundled", db, runs)
        db = work / "shared.db"
        if any(d.is_dir() for d in DEFAULT_DATA_DIRS):
            build_store(db).close()
            measure("shared data (~17,800)", db, runs)
            shutil.copy(db, work / "generated.db")
        else:
            print("shared data: ../shared/data not found, skipped")
            open_store(work / "generated.db").close()
        db = work / "generated.db"
        store = open_store(db)
        t = time.perf_counter()
        store.import_parsed(
            {"id": "generated", "name": "generated", "kind": "reference"},
            generated(entities),
            sha256="bench-generated",
            origin="benchmarks/bench_start.py",
        )
        store.close()
        print(
            f"(generated list of {entities:,} entities imported in {time.perf_counter() - t:.1f} s)"
        )
        measure(f"+ generated ({entities:,})", db, runs)
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--entities", type=int, default=200_000)
    ap.add_argument("--keep", type=Path, help="keep the stores in this folder")
    a = ap.parse_args()
    harness.header()
    cold_starts(a.runs, a.entities, a.keep)


if __name__ == "__main__":
    main()
