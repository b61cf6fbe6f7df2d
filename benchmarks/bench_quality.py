"""Matching quality on the benchmark universe (bundled lists + the real lists in shared/data).

    python benchmarks/bench_quality.py [--threshold T] [--verbose]

Prints, for each query set of shared/dev-eval (curated variants
``surveillance_queries.csv``, strings copied from public documents
``realworld_queries.csv``, subsidiaries and units ``subsidiary_queries.csv``): recall and
false positives at the threshold, scored with the rules of shared/dev-eval/README.md
(a positive is found when a hit's listed name or matched name matches ``expect``);
- nomenklatura name_bench organisation rows (Company/Organization/LegalEntity):
  precision, recall and F1 of ``Matcher.compare(name1, name2) >= threshold``, with
  the token weights of the universe;
- index build time and universe size.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from benchmarks.universe import DEFAULT_DATA_DIRS, build_store, shared_lists
from screener.lists.parsers import curated
from screener.lists.registry import bundled_dir
from screener.matching.matcher import DEFAULT_THRESHOLD, Matcher
from screener.model import Entity
from screener.screening.service import Screener

SHARED = next((d.parent for d in DEFAULT_DATA_DIRS if d.is_dir()), DEFAULT_DATA_DIRS[0].parent)
ORG_SCHEMAS = {"Company", "Organization", "LegalEntity"}


def universe_entities(data_dir: Path | None = None) -> list[Entity]:
    """The bundled list plus every benchmark source found in ``data_dir`` (../shared/data)."""
    ents: list[Entity] = []
    lists = {"screener-surveillance": curated.parse(bundled_dir() / "surveillance.yaml")}
    lists.update(shared_lists(data_dir))
    for sid, parsed in lists.items():
        for e in parsed.entities:
            e.extra["source_id"] = sid
            e.extra["source_name"] = sid
            ents.append(e)
    return ents


DEV_SETS = (
    "surveillance_queries.csv",
    "realworld_queries.csv",
    "subsidiary_queries.csv",
    "documents_units_queries.csv",
)


def dev_eval(
    s: Screener, thr: float, verbose: bool, name: str = "surveillance_queries.csv"
) -> tuple[float, int, int, int]:
    """Recall, false positives, negatives and positives of one dev set, screened through
    the service as users screen (matching, country evidence, ownership)."""
    path = SHARED / "dev-eval" / name
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    tp = fn = fp = 0
    negatives = 0
    for r in rows:
        hits = s.screen([s.query(r["query"], threshold=thr)])[0]
        exp = r["expect"].strip()
        if exp:
            rx = re.compile(exp, re.I)
            ok = any(rx.search(h.name) or rx.search(h.matched_name) for h in hits)
            tp += ok
            fn += not ok
            if not ok or verbose:
                near = s.screen([s.query(r["query"], threshold=0.3)])[0][:2]
                print(
                    f"  {'ok  ' if ok else 'MISS'} {r['query']!r} -> "
                    f"{[(h.name, h.matched_name, round(h.score, 3)) for h in near]}"
                )
        else:
            negatives += 1
            if hits:
                fp += 1
                print(
                    f"  FP   {r['query']!r} -> "
                    f"{[(h.name, h.matched_name, round(h.score, 3)) for h in hits[:2]]}"
                )
    return tp / max(1, tp + fn), fp, negatives, tp + fn


def name_bench(m: Matcher, thr: float, verbose: bool) -> dict[str, float]:
    path = SHARED / "data" / "eval-nomenklatura" / "name_bench_cases.csv"
    tp = fp = fn = tn = 0
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["schema"] not in ORG_SCHEMAS:
            continue
        d = m.compare(r["name1"], r["name2"])
        s = d.score
        truth = r["is_match"].strip().lower() == "true"
        pred = s >= thr and d.relation == "same"  # a unit or brand company is another entity
        tp += truth and pred
        fp += pred and not truth
        fn += truth and not pred
        tn += not truth and not pred
        if verbose and truth != pred:
            print(f"  {'FN' if truth else 'FP'} {s:.3f} {r['name1']!r} / {r['name2']!r}")
    p = tp / max(1, tp + fp)
    rc = tp / max(1, tp + fn)
    return {
        "precision": p,
        "recall": rc,
        "f1": 2 * p * rc / max(1e-9, p + rc),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--store", type=Path, help="keep the benchmark store here (reused next time)")
    a = ap.parse_args()
    harness.header(loop=False)
    work = None if a.store else Path(tempfile.mkdtemp(prefix="screener-quality-"))
    store = build_store(a.store or work / "quality.db")  # type: ignore[operator]
    s = Screener(store)
    t = time.perf_counter()
    m = s.full_matcher()
    build = time.perf_counter() - t
    n_ents = sum(v["entities"] for v in store.active_versions())
    print(
        f"universe: {n_ents} entities, {len(m.index.names)} distinct names; "
        f"index built or loaded in {build:.2f} s"
    )
    for name in DEV_SETS:
        if not (SHARED / "dev-eval" / name).exists():
            continue
        rec, fp, neg, pos = dev_eval(s, a.threshold, a.verbose, name)
        print(
            f"{name}: recall {rec:.3f} of {pos} positives, false positives {fp}/{neg} "
            f"at threshold {a.threshold}"
        )
    nb = name_bench(m, a.threshold, a.verbose)
    print(
        "name_bench org rows: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f} "
        "(tp {tp} fp {fp} fn {fn} tn {tn})".format(**nb)
    )
    store.close()
    if work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
