"""Which index a Screener screens with: a single check reads the index file row by row,
anything that screens many names reads it whole once (issue 23)."""

from __future__ import annotations

import gc

from screener.db.store import Store
from screener.screening import service
from screener.screening.service import Screener

HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."
NAMES = [
    HIK,
    "Huawei Technologies Co., Ltd.",
    "Siemens AG",
    "Zhejiang Dahua Technology Co., Ltd.",
    "Harlow & Birch Logistics GmbH",
    "Megvii Technology Limited",
    "SZ DJI Technology Co., Ltd.",
    "Northwind Traders Ltd",
    "iFlytek Co., Ltd.",
    "Sense Time Group Limited",
    "Ningbo Qiantai Precision Machinery Co., Ltd.",
    "Beijing Sensetime Technology Development Co., Ltd.",
]


def _hits(result: list[list[object]]) -> list[list[tuple[str, float]]]:
    return [[(h.entity_id, h.score) for h in hits] for hits in result]  # type: ignore[attr-defined]


def test_a_single_check_reads_the_index_lazily(store: Store) -> None:
    s = Screener(store)
    result = s.check(HIK)
    assert result.status == "hit"
    assert s.loaded is not None and s.loaded.lazy


def test_many_names_in_one_call_load_the_whole_index_and_find_the_same_hits(
    store: Store,
) -> None:
    assert len(NAMES) > service.FEW_NAMES
    lazy = Screener(store)
    one_by_one = [lazy.screen([lazy.query(n)])[0] for n in NAMES]
    assert lazy.loaded is not None and lazy.loaded.lazy  # fewer than LAZY_NAMES names
    whole = Screener(store)
    together = whole.screen([whole.query(n) for n in NAMES])
    assert whole.loaded is not None and not whole.loaded.lazy
    assert _hits(together) == _hits(one_by_one)
    assert together[0] and together[0][0].name.startswith("Hangzhou Hikvision")


def test_a_loop_of_checks_loads_the_whole_index_after_lazy_names(store: Store) -> None:
    s = Screener(store)
    first = s.check(HIK)
    names = [f"Harlow Birch Logistics {i} GmbH" for i in range(service.LAZY_NAMES)]
    for n in names[:-2]:
        s.screen([s.query(n)])
    assert s.loaded is not None and s.loaded.lazy
    for n in names[-2:]:
        s.screen([s.query(n)])
    assert s.loaded is not None and not s.loaded.lazy
    again = s.check(HIK)
    assert [(h.entity_id, h.score) for h in again.hits] == [
        (h.entity_id, h.score) for h in first.hits
    ]
    assert again.lists == first.lists


def test_a_service_that_does_not_reload_by_itself_also_loads_whole(store: Store) -> None:
    s = Screener(store, auto_reload=False)
    s.check(HIK)
    lazy = s.loaded
    assert lazy is not None and lazy.lazy
    s.screen([s.query(n) for n in NAMES])
    assert s.loaded is not None and not s.loaded.lazy
    assert s.loaded.versions == lazy.versions


def test_an_index_read_whole_is_kept_out_of_the_collectors_passes(store: Store) -> None:
    # its millions of objects have no cycles; a full pass over them cost 0.6 CPU-s of the
    # first 20,000 names screened after the load
    gc.unfreeze()
    try:
        lazy = Screener(store)
        lazy.check(HIK)
        assert gc.get_freeze_count() == 0  # a single check freezes nothing
        whole = Screener(store)
        whole.screen([whole.query(n) for n in NAMES])
        assert whole.loaded is not None and not whole.loaded.lazy
        assert gc.get_freeze_count() > len(whole.loaded.matcher.index.names)
    finally:
        gc.unfreeze()
