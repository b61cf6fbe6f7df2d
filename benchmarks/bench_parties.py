"""Parties on the full reference store: how long they take to build, and what they hold.

    python benchmarks/bench_parties.py [--store PATH] [--sample 50] [--seed 19] [--runs 3]

Builds (once; kept with --store) a store of the bundled list plus every list under
shared/data: the benchmark universe (``universe.py``: OFAC SDN and consolidated, the CSL
samples, 1260H, FCC, section 889, EU GHR, UK, METI, ASPI, MISP, BIS universities) and
the lists a product importer reads whole (UN, BIS Denied Persons List, OFSI 2025 and
2018, DFAT, Canada, the EU FSF sample, the Federal Register rule, section 1286). Then:

1. times the resolution into parties (``screener.screening.parties.build``), ``--runs``
   times: median wall and CPU seconds (target: under 30 s);
2. prints the parties of CETC, Hikvision and CETC 13, each record with why it joined;
3. prints ``--sample`` random parties of several records, for a person to read and
   count wrong merges (the seed makes the sample the same run after run).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from benchmarks.universe import DEFAULT_DATA_DIRS, shared_lists
from screener.db import parties as party_db
from screener.db.store import Store
from screener.lists import catalog
from screener.lists.bundled import open_store
from screener.screening import parties, party_views

# universe source -> product format (so that the parties see what a real store says)
FORMATS = {
    "ofac-sdn": "ofac",
    "ofac-cons": "ofac",
    "csl-samples": "csl",
    "dod-1260h": "dod-1260h",
    "fcc-covered": "fcc-covered",
    "meti-eul": "meti-eul",
    "aspi-unitracker": "aspi-unitracker",
}
# lists the product's importers read whole: source id -> (path under shared/data, format)
PRODUCT = {
    "un-sc": ("moov-watchman/un_sc/UN_consolidated.xml", "un-sc"),
    "bis-dpl": ("moov-watchman/bis_dpl_2022/dpl.txt", "bis-dpl"),
    "ofsi": ("mmahmed107-ofsi-conlist/ConList.xlsx", "ofsi"),
    "ofsi-2018": ("photoangell-hmt-conlist-2018/sanctionsconlist.csv", "ofsi"),
    "dfat": ("stanux-dfat-consolidated/regulation8_consolidated.xlsx", "dfat"),
    "ca-sema": ("rulesengineaml-ca-sema/sema-lmes.xml", "ca-sema"),
    "eu-fsf-sample": ("deriv-eu-fsf-sample/sample_eu.xml", "eu-fsf"),
    "fr-rule-2023-03929": ("afk-bis-fr-rule/2023-03929.xml", "fr-rule"),
    "section-1286": ("opensanctions/us/special_leg/source_files/section_1286.csv", "section-1286"),
}


def full_store(path: Path) -> Store:
    """The bundled list plus every list of shared/data (imported once per store)."""
    store = open_store(path)
    data = next((d for d in DEFAULT_DATA_DIRS if d.is_dir()), DEFAULT_DATA_DIRS[0])
    for sid, parsed in shared_lists().items():
        store.import_parsed(
            {"id": sid, "name": sid, "kind": "reference", "format": FORMATS.get(sid)},
            parsed,
            sha256=f"bench-{sid}",
            origin=f"shared/data ({sid})",
        )
    for sid, (rel, fmt) in PRODUCT.items():
        if (data / rel).exists() and store.source(sid) is None:
            try:
                catalog.import_file(store, data / rel, fmt, sid)
            except Exception as e:  # a reference copy a product check refuses: say so
                print(f"skipped {sid}: {e}", file=sys.stderr)
    return store


def show(store: Store, pid: str) -> None:
    party = party_views.show(store, pid)
    print(f"party {party['id']}: {party['name']} ({len(party['records'])} records)")
    for r in party["records"]:
        lists = ", ".join(r["lists"]) or "-"
        where = ",".join(r["countries"]) or "-"
        print(f"  {r['source_id']}:{r['entity_id']}  {r['name']}  [{where}] [{lists}]")
        print(f"      {r['why']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, help="keep the store here (default: a temporary one)")
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    harness.header()
    tmp = None
    if args.store is None:
        tmp = tempfile.TemporaryDirectory()
        args.store = Path(tmp.name) / "parties.db"
    store = full_store(args.store)
    versions = [v for v in store.active_versions() if v["source_id"] != "screener-ownership"]
    print(f"store: {len(versions)} lists, {sum(v['entities'] for v in versions):,} records")
    walls, cpus = [], []
    result = None
    for _ in range(args.runs):
        w0, c0 = time.perf_counter(), time.process_time()
        result = parties.build(store)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    assert result is not None
    print(
        f"build: {result.records:,} records -> {result.parties:,} parties; {result.merged:,} "
        f"records in parties of several; median of {args.runs}: "
        f"{statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
        f"(target < 30 s); load average {os.getloadavg()[0]:.2f}"
    )
    several = [r[0] for r in store.conn.execute("select distinct party_id from party_records")]
    sizes = [len(party_db.members(store, p)) for p in several]
    print(
        f"parties of several: {len(several):,} (records per party: "
        + ", ".join(f"{n}: {sizes.count(n)}" for n in sorted(set(sizes)))
        + ")"
    )
    rules = dict(store.conn.execute("select rule, count(*) from party_records group by rule"))
    print("records joined by rule: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rules.items())))
    print()
    for pid in ("cetc", "hikvision", "cetc-13"):
        show(store, pid)
    print(f"\n{args.sample} random parties of several records (seed {args.seed}):\n")
    for i, pid in enumerate(
        sorted(random.Random(args.seed).sample(sorted(several), min(args.sample, len(several))))
    ):
        print(f"{i + 1}.", end=" ")
        show(store, pid)
    store.close()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
