"""Big lists: the index of a store with 200,000 more entities, and screening on it.

    python benchmarks/bench_big.py [--entities 200000] [--names 20000] [--pairs 3] [--keep DIR]

Two stores: the benchmark universe (the bundled list plus the reference lists of
../shared/data, :func:`benchmarks.universe.build_store`) and the same plus a generated
list of ``--entities`` companies with two names each (:func:`benchmarks.bench_start.generated`,
the size of a large commercial list). For each, in processes of their own:

* **index build**: the index file built from the store, as the first run after a list
  import builds it (``load_index``): wall time, CPU time and peak memory of the process;
* **screening**: the names of ``--queries`` (default ../shared/bench/variant_queries_20k.csv,
  40% of them variants of listed names; at most ``--names``) screened one by one at the
  threshold, the index read whole and ``--warm`` names screened first (not counted: the
  pinyin table loaded, the collector's first full pass over the new index): names per
  CPU-second of the rest. The two
  stores are screened alternately (``--pairs`` times) and the median of the ratios is
  printed. (The generated list is made by the generator of ``benchmarks.names``, so
  that generator's names would be near-copies of its entries: not a customer file.)

Targets (issue 23): the build for +200,000 entities under 40 CPU-s and 1.5 GB, and
screening on that store at least 0.7 of the names per CPU-second of the universe store.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from benchmarks.bench_start import generated
from benchmarks.bench_variants import QUERIES
from benchmarks.universe import build_store

# Started from a small process of its own: a child's ru_maxrss counts the memory of the
# process that forked it, and this one holds whole lists after an import.
_LAUNCH = """
import json, os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:])
_, status, ru = os.wait4(p.pid, 0)
print(json.dumps([time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024,
                  os.waitstatus_to_exitcode(status)]))
"""

_BUILD = """
import sys
sys.path.insert(0, sys.argv[1])
from screener.lists.bundled import open_store
from screener.screening.index_cache import load_index
load_index(open_store(sys.argv[2]))
"""

_SCREEN = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from screener.lists.bundled import open_store
from screener.screening.service import Screener
with open(sys.argv[3], encoding="utf-8") as f:
    names = json.load(f)
t = time.process_time()
m = Screener(open_store(sys.argv[2])).full_matcher()
warm = int(sys.argv[4])
for n in names[:warm]:  # first-use costs: the pinyin table, a first full collector pass
    m.screen_name(n, m.threshold)
load = time.process_time() - t
names = names[warm:]
t = time.process_time()
hits = sum(bool(m.screen_name(n, m.threshold)) for n in names)
print(json.dumps({"cpu": time.process_time() - t, "load": load, "hits": hits,
                  "names": len(names), "index_names": len(m.index.names)}))
"""


def build(db: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of building the index file of ``db`` from scratch."""
    db.with_name(db.name + ".index").unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCH, sys.executable, "-c", _BUILD, str(harness.REPO), str(db)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall, cpu, rss, code = json.loads(out.strip().splitlines()[-1])
    if code != 0:
        raise SystemExit(f"the index build of {db} failed (exit {code})")
    return wall, cpu, rss


def screen(db: Path, names: Path, warm: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _SCREEN, str(harness.REPO), str(db), str(names), str(warm)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entities", type=int, default=200_000)
    ap.add_argument("--names", type=int, default=20_000)
    ap.add_argument("--queries", type=Path, default=QUERIES, help="a CSV with a 'query' column")
    ap.add_argument("--pairs", type=int, default=3, help="alternated screening runs")
    ap.add_argument(
        "--warm", type=int, default=1000, help="names screened first, not counted (first-use costs)"
    )
    ap.add_argument("--keep", type=Path, help="keep the stores in this folder")
    a = ap.parse_args()
    harness.header()
    work = a.keep or Path(tempfile.mkdtemp(prefix="screener-bench-big-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["SCREENER_CONFIG"] = str(work / "none.toml")  # no user settings
    try:
        universe, big = work / "universe.db", work / f"big-{a.entities}.db"
        build_store(universe).close()
        if not big.exists():
            shutil.copy(universe, big)
            from screener.lists.bundled import open_store

            s = open_store(big)
            t = time.perf_counter()
            s.import_parsed(
                {"id": "generated", "name": "generated", "kind": "reference"},
                generated(a.entities),
                sha256="bench-generated",
                origin="benchmarks/bench_big.py",
            )
            s.close()
            print(
                f"generated list of {a.entities:,} entities imported in {time.perf_counter() - t:.1f} s"
            )
        with open(a.queries, encoding="utf-8", newline="") as f:
            queries = [r["query"] for r in csv.DictReader(f)][: a.names]
        names = work / "names.json"
        names.write_text(json.dumps(queries), encoding="utf-8")
        for label, db in (("universe", universe), (f"+{a.entities:,}", big)):
            load = harness.load()
            wall, cpu, rss = build(db)
            print(
                f"index build, {label}: {wall:.1f} s wall, CPU {cpu:.1f} s, peak RSS {rss:.0f} MB "
                f"(load {load:.1f}-{harness.load():.1f})",
                flush=True,
            )
        rates: dict[str, list[float]] = {"universe": [], "big": []}
        for i in range(a.pairs):
            order = [("universe", universe), ("big", big)]
            if i % 2:
                order.reverse()
            for label, db in order:
                load = harness.load()
                got = screen(db, names, a.warm)
                rate = got["names"] / got["cpu"]
                rates[label].append(rate)
                print(
                    f"screening, {label} ({got['index_names']:,} listed names): "
                    f"{got['names']:,} names in CPU {got['cpu']:.2f} s = {rate:,.0f} names/CPU-s, "
                    f"{got['hits']:,} with hits; index read whole and {a.warm} names screened "
                    f"first in {got['load']:.1f} CPU-s "
                    f"(load {load:.1f}-{harness.load():.1f})",
                    flush=True,
                )
        ratios = [b / u for u, b in zip(rates["universe"], rates["big"])]
        print(
            f"screening on +{a.entities:,} / universe: median ratio "
            f"{statistics.median(ratios):.2f} (pairs: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
