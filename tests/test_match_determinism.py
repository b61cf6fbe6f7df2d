"""A name gets the same hits in every process: the matcher's result never depends on the
order Python iterates a set of strings, which differs from process to process (string
hashes are salted per process). Batch workers of the local and Dask engines are other
processes than the one that made the index, so this is what makes their answers equal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.names import query_names
from screener.lists.bundled import open_store

SCRIPT = """
import json, sys
from screener.db.store import Store
from screener.matching.matcher import Matcher
from screener.screening.index_cache import load_index
m = Matcher(load_index(Store(sys.argv[1]), lazy=False))
names = json.loads(open(sys.argv[2], encoding="utf-8").read())
out = [[(h.entity.id, h.matched_name, h.score, h.explanation) for h in m.screen_name(n, 0.7)]
       for n in names]
print(json.dumps(out, ensure_ascii=False))
"""


def test_hits_are_the_same_whatever_the_hash_seed(db_path: Path, tmp_path: Path) -> None:
    store = open_store(db_path)
    ents = list(store.entities())
    store.close()
    listed = [n.name for e in ents for n in e.all_names()]
    orgs = [e.name for e in ents if e.schema == "organization"]
    # listed names (CETC 14 has "14th Research Institute of CETC" and "CETC Research
    # Institute 14": both score 1.00 for either), their variants, and ordinary names
    names = [*listed, *query_names(1_500, orgs, variant_share=0.5, seed=4)]
    src = tmp_path / "names.json"
    src.write_text(json.dumps(names, ensure_ascii=False), "utf-8")
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(db_path), str(src)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
    cetc = outputs[0][names.index("CETC Research Institute 14")]
    assert cetc[0][:3] == ["cetc-14", "CETC Research Institute 14", 1.0]  # the same name wins
    assert sum(1 for hits in outputs[0] if hits) > len(listed) // 2
