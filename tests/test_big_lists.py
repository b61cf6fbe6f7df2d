"""A big list screens as fast as its names allow, and exactly as a full walk would.

On a big list, a common word ("Trading", "Institute") or a typo of one ("Tading") brings
thousands of names into the candidate pool, and a brand key ("institute") is shared by
thousands of names with a few brand cores. The matcher reads such long postings lightest
names first and cuts them where no name can reach the threshold
(:meth:`~screener.matching.matcher.Matcher._viable`), and checks a brand core once for
all its names (:meth:`~screener.matching.matcher.Matcher._core_groups`). Neither may
change a hit: these tests screen the same names with the cuts and with every name
walked, on the bundled list plus a seeded list of companies and institutes that share
their common words (:func:`benchmarks.bench_start.generated`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_start import generated
from benchmarks.names import query_names
from screener.lists.bundled import open_store
from screener.matching import matcher as matcher_module
from screener.matching.matcher import Matcher
from screener.model import Entity


@pytest.fixture(scope="module")
def big(master_db: Path) -> tuple[list[Entity], list[str]]:
    store = open_store(master_db)
    try:
        listed = list(store.entities())
    finally:
        store.close()
    ents = listed + generated(3_000).entities
    orgs = [n.name for e in ents if e.schema == "organization" for n in e.all_names()]
    queries = [
        "Hamoon Tading Co",  # a typo of a common word, beside a rare one
        "Harbin Institute of Technology",
        "Leeds Institute of Technology",
        "University of Osaka",
        "Ningbo Trading Co., Ltd.",
        "Solag Energy Trading",
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "Institute",
        *query_names(1_500, orgs, variant_share=0.6, seed=5),
    ]
    return ents, queries


def _hits(m: Matcher, names: list[str]) -> list[list[tuple[str, float, str | None, str]]]:
    return [
        [(h.entity.id, h.score, h.detail.relation, h.matched_name) for h in m.screen_name(n, f)]
        for n in names
        for f in (0.8, 0.7)
    ]


def test_cut_postings_and_grouped_brand_keys_give_the_same_hits(
    big: tuple[list[Entity], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ents, queries = big
    cut = Matcher.from_entities(ents)
    with monkeypatch.context() as mp:  # lengths this small make every query take the cuts
        mp.setattr(matcher_module, "LONG_POSTINGS", 20)
        mp.setattr(matcher_module, "MANY_BRAND_NAMES", 2)
        with_cuts = _hits(cut, queries)
    assert cut._light and cut._cores  # the cuts were taken
    walked = Matcher.from_entities(ents)
    with monkeypatch.context() as mp:
        mp.setattr(matcher_module, "LONG_POSTINGS", 10**9)
        mp.setattr(matcher_module, "MANY_BRAND_NAMES", 10**9)
        every = _hits(walked, queries)
    assert not walked._light and not walked._cores
    assert with_cuts == every
    found = dict(zip(queries, with_cuts[::2], strict=True))
    assert found["Hangzhou Hikvision Digital Technology Co., Ltd."][0][1] == 1.0
    assert sum(1 for hits in with_cuts if hits) > len(queries) // 2


def test_a_lazily_read_index_is_walked_whole(master_db: Path) -> None:
    """A single check reads the index lazily: its weights are rows of the file, so the
    postings are never sorted by them (that would read every name of a common word)."""
    from screener.screening.index_cache import load_index

    store = open_store(master_db)
    try:
        m = Matcher(load_index(store, lazy=True))
    finally:
        store.close()
    assert m.screen_name("Hangzhou Hikvision Digital Technology Co., Ltd.", 0.8)
    pool = set(range(2_000))
    assert m._viable(pool, [], [], 0, 10.0, 0.8) is pool
    assert not m._light
