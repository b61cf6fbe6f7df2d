"""`screener decisions import` of a large reviewed file: time and peak memory.

    python benchmarks/bench_decisions.py [--rows 100000] [--runs 3]

A reviewed batch output of ``--rows`` rows (the CSV columns `decisions import` reads:
screen_query, screen_hit_ids, decision, decision_reason, decision_by), every row decided
(false-positive or confirmed) on one or two hits of the bundled list, each party a
different name. Two files are imported, each ``--runs`` times as a new process on a
fresh copy of the store:

* **bad last row**: the last row's decision is "maybe": the whole file is checked and
  refused, nothing recorded (the case that took 185 s and 2.5 GB);
* **all good**: every decision is recorded, in one transaction.

Printed per case: median and worst wall time, median CPU time (user + system) and the
peak RSS of the process. Targets (issue 24): the bad file refused within 20 s and
300 MB for 100,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from screener.lists.bundled import open_store

SCREENER = Path(sys.executable).with_name("screener")
HITS = ["hikvision", "dahua", "sensetime", "megvii", "iflytek", "huawei", "zte"]


def reviewed_file(path: Path, rows: int, version: int, bad_last: bool) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["name", "screen_query", "screen_hit_ids", "decision", "decision_reason", "decision_by"]
        )
        for i in range(rows):
            a, b = HITS[i % len(HITS)], HITS[(i * 3 + 1) % len(HITS)]
            ids = f"screener-surveillance:{a}@{version}"
            if i % 4 == 0:
                ids += f"; screener-surveillance:{b}@{version}"
            kind = "false-positive" if i % 3 else "confirmed"
            if bad_last and i == rows - 1:
                kind = "maybe"
            party = f"Northwind Trading {i} Co., Ltd."
            w.writerow(
                [party, party, ids, kind, f"checked the registry entry {i % 50}", "A. Reviewer"]
            )


# Started from a small process of its own: Linux counts in a child's peak RSS the memory
# of the process that spawned it (the address space it had before exec).
_MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, u.ru_utime + u.ru_stime, u.ru_maxrss // 1024, p.returncode)
sys.stderr.write(p.stderr)
"""


def run(db: Path, src: Path) -> tuple[float, float, int, int]:
    """(wall s, CPU s, peak RSS MB, exit code) of one import as a new process."""
    cmd = [str(SCREENER), "--db", str(db), "decisions", "import", str(src), "--by", "A. Reviewer"]
    p = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    wall, cpu, rss, code = p.stdout.split()
    if int(code) not in (0, 2):
        sys.exit(f"import failed: {p.stderr}")
    return float(wall), float(cpu), int(rss), int(code)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    harness.header()
    with tempfile.TemporaryDirectory() as tmp:
        master = Path(tmp) / "master.db"
        store = open_store(master)
        (version,) = [
            v["id"] for v in store.require_lists() if v["source_id"] == "screener-surveillance"
        ]
        store.close()
        print(f"{args.rows:,} rows")
        for label, bad in (("bad last row", True), ("all good", False)):
            src = Path(tmp) / f"reviewed-{int(bad)}.csv"
            reviewed_file(src, args.rows, version, bad)
            walls, cpus, peak, code = [], [], 0, 0
            load_start = harness.load()
            for _ in range(args.runs):
                db = Path(tmp) / "s.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(str(db) + suffix).unlink(missing_ok=True)
                shutil.copyfile(master, db)
                wall, cpu, rss, code = run(db, src)
                walls.append(wall)
                cpus.append(cpu)
                peak = max(peak, rss)
            print(
                f"{label:>13}: exit {code}; wall median {statistics.median(walls):.1f} s "
                f"(worst {max(walls):.1f}), CPU median {statistics.median(cpus):.1f} s, "
                f"peak RSS {peak} MB; load {load_start:.1f}-{harness.load():.1f}"
            )


if __name__ == "__main__":
    main()
