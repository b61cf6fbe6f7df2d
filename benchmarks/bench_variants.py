"""Per-name speed on a watch-list-like file: ../shared/bench/variant_queries_20k.csv.

    python benchmarks/bench_variants.py [--queries FILE] [--keep DIR] [--against REV]

The file holds 20,000 names, 40% of them variants of listed names (see its README):
the names that take the matcher's slower paths. On the benchmark store (the bundled
list plus the reference lists of ../shared/data, :func:`benchmarks.universe.build_store`),
with its index file built beforehand, it measures, each in a new process:

* **cli**: ``screener batch FILE --column query --workers 1``, the whole run (start,
  index load, screening, stages, the CSV written): wall time and the CPU time of the
  process;
* **matcher**: the matcher alone in process, the index loaded whole first (not
  counted): ``Matcher.screen_name`` of every name at the threshold;
* **api**: ``Screener.screen`` of every name through the Python API in one call, on
  a new service (its index load counted, as the CLI's is);
* **api one by one**: the same names, one ``Screener.screen`` call each (a loop of
  checks in a user's script).

Each prints names per CPU-second. ``--against REV`` builds REV (:mod:`benchmarks.harness`)
and its own store, then measures both alternately (``--pairs``, at least 3) and prints
the ratios; for a release older than the service (7bb0b32), **cli** runs its
``screener batch`` and **matcher** its ``screener.match.Matcher`` (the API figures are
this release's only). Targets (issue 23): cli CPU at most 0.8 of 7bb0b32's, matcher at
least as many names per CPU-second as 7bb0b32's, and api within 10% of cli per name.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness

QUERIES = harness.REPO.parent / "shared" / "bench" / "variant_queries_20k.csv"
FIGURES = harness.Figures(r"^(?P<label>[\w ,]+): [\d,]+ names .* CPU (?P<seconds>[\d.]+) s")

# Run by the revision's own Python, with its tree first on the path: builds its store
# and index (the index cache of the release: a file beside the store).
_SETUP = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from benchmarks.bench_batch import build_store
store = build_store(Path(sys.argv[2]))
try:
    from screener.screening.index_cache import load_index
    load_index(store)
except ImportError:  # before the service (7bb0b32)
    from screener import screen
    screen.load_matcher(store)
"""

# One in-process measure, printed as JSON: {"names", "cpu", "load_cpu", "hits"}.
_MEASURE = """
import csv, json, sys, time
sys.path.insert(0, sys.argv[1])
db, path, what = sys.argv[2:5]
with open(path, encoding="utf-8", newline="") as f:
    names = [r["query"] for r in csv.DictReader(f)]
try:
    from screener.lists.bundled import open_store
    from screener.screening.service import Screener
    store = open_store(db)
    new = True
except ImportError:  # before the service (7bb0b32)
    from screener import screen
    from screener.store import Store
    store = Store.open(db)
    new = False
if what.startswith("api") and not new:
    print(json.dumps({"skip": True}))
    sys.exit()
t = time.process_time()
if what == "matcher":
    m = Screener(store).full_matcher() if new else screen.load_matcher(store)
    load = time.process_time() - t
    t = time.process_time()
    hits = sum(bool(m.screen_name(n, m.threshold)) for n in names)
elif what == "api":
    s = Screener(store)
    load = 0.0
    hits = sum(bool(h) for h in s.screen([s.query(n) for n in names]))
else:  # api one by one
    s = Screener(store)
    load = 0.0
    hits = sum(bool(s.screen([s.query(n)])[0]) for n in names)
print(json.dumps({"names": len(names), "cpu": time.process_time() - t, "load_cpu": load,
                  "hits": hits}))
"""


def setup(python: Path, root: Path, work: Path) -> Path:
    """The revision's benchmark store with its index built (kept in ``work``)."""
    db = work / "bench.db"
    if not (work / "ready").exists():
        subprocess.run([str(python), "-c", _SETUP, str(root), str(db)], cwd=root, check=True)
        (work / "ready").write_text("")
    return db


def env(db: Path) -> dict[str, str]:
    e = {**os.environ, "SCREENER_CONFIG": str(db.with_name("none.toml"))}
    e.pop("SCREENER_DB", None)
    return e


def measure(python: Path, root: Path, db: Path, queries: Path, what: str) -> None:
    """Print one figure line (what it is, names, wall, CPU, names per CPU-second)."""
    if what == "cli":
        screener = python.with_name("screener")
        out = db.with_name("variants.screened.csv")
        cmd = [str(screener), "--db", str(db), "batch", str(queries), "-o", str(out)]
        cmd += ["--column", "query", "--workers", "1"]
        load0 = harness.load()
        with harness.Meter() as m:
            p = subprocess.Popen(
                cmd, cwd=root, env=env(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, status, ru = os.wait4(p.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # 1: rows with hits
            raise SystemExit(f"{' '.join(cmd)}: exit {code}")
        with open(queries, encoding="utf-8", newline="") as f:
            rows = sum(1 for _ in csv.DictReader(f))
        cpu = ru.ru_utime + ru.ru_stime
        print(
            f"cli batch: {rows:,} names in {m.wall:.1f} s wall, CPU {cpu:.2f} s = "
            f"{rows / cpu:,.0f} names/CPU-s (load {load0:.1f}-{harness.load():.1f})",
            flush=True,
        )
        return
    with harness.Meter() as m:
        res = subprocess.run(
            [str(python), "-c", _MEASURE, str(root), str(db), str(queries), what],
            cwd=root,
            env=env(db),
            capture_output=True,
            text=True,
        )
    if res.returncode != 0:
        raise SystemExit(f"{what}: {res.stderr[-2000:]}")
    got = json.loads(res.stdout.strip().splitlines()[-1])
    if got.get("skip"):
        return  # a release without the service API
    load = f", index load {got['load_cpu']:.2f} CPU-s not counted" if got["load_cpu"] else ""
    print(
        f"{what}: {got['names']:,} names ({got['hits']:,} with hits) in CPU {got['cpu']:.2f} s = "
        f"{got['names'] / got['cpu']:,.0f} names/CPU-s{load} (load "
        f"{m.load_start:.1f}-{m.load_end:.1f})",
        flush=True,
    )


WHAT = ("cli", "matcher", "api", "api one by one")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--keep", type=Path, help="keep the stores in this folder")
    ap.add_argument("--what", default=",".join(WHAT), help=f"which measures ({', '.join(WHAT)})")
    harness.add_options(ap)
    # one side's measures (what --against alternates): the revision's Python and tree
    ap.add_argument("--python", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    whats = [w.strip() for w in a.what.split(",") if w.strip()]
    if a.db:  # one side, from alternate()
        for what in whats:
            measure(a.python, a.root, a.db, a.queries, what)
        return
    if not a.queries.exists():
        raise SystemExit(f"{a.queries}: not found")
    harness.header()
    work = a.keep or Path(tempfile.mkdtemp(prefix="screener-bench-variants-"))
    try:
        here = Path(sys.executable)
        head_work = work / "head"
        head_work.mkdir(parents=True, exist_ok=True)
        head_db = setup(here, harness.REPO, head_work)
        if not a.against:
            for what in whats:
                measure(here, harness.REPO, head_db, a.queries, what)
            return
        rev = harness.resolve(a.against)
        tree, python = harness.build_revision(rev)
        rev_work = work / rev[:12]
        rev_work.mkdir(parents=True, exist_ok=True)
        rev_db = setup(python, tree, rev_work)
        me = [sys.executable, str(Path(__file__).resolve()), "--queries", str(a.queries)]
        me += ["--what", a.what]
        head_label, rev_label = harness.head_label(), rev[:7]
        harness.alternate(
            (
                head_label,
                [*me, "--python", str(here), "--root", str(harness.REPO), "--db", str(head_db)],
                harness.REPO,
            ),
            (
                rev_label,
                [*me, "--python", str(python), "--root", str(tree), "--db", str(rev_db)],
                tree,
            ),
            a.pairs,
            FIGURES,
        )
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
