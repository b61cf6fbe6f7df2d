"""A batch's rows: the stages after matching run per distinct name, and give every row
what screening that row alone gives (issue 23)."""

from __future__ import annotations

from screener.db.store import Store
from screener.matching.country import apply_country, floor
from screener.screening.executors import expand, screen_chunk
from screener.screening.results import ScreenHit
from screener.screening.rows import RowScreener
from screener.screening.service import Screener
from screener.screening.stages import Query, finish

HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."
NAMES = [
    HIK,
    "Zhejiang Dahua Technology",
    "SenseTime",
    "Megvii (Face++)",
    "iFLYTEK Co., Ltd., Hefei, China",
    "Hikrobot",  # an ownership node: its hits become hits on its listed owner
    "Acme Bakery",
    "",
]
COUNTRIES = ["cn", "us", None, "hk", "de"]


def test_a_hit_moved_by_the_country_is_the_same_as_one_made_from_the_match(
    store: Store,
) -> None:
    m = Screener(store).full_matcher()
    hits = m.screen_name(HIK, floor(0.85, "us"))
    assert hits
    for country in ("us", "cn"):
        moved = apply_country(hits, country, 0.8)
        assert moved and all(a is not b for a, b in zip(moved, hits))
        for h in moved:
            base = ScreenHit.from_match(next(x for x in hits if x.name_id == h.name_id))
            assert base.rescored(h) == ScreenHit.from_match(h)
            assert base.rescored(h).explanation != base.explanation  # "country US not among CN"


def test_rows_are_what_each_row_screened_alone_gives(store: Store) -> None:
    s = Screener(store)
    m, thr = s.full_matcher(), 0.85
    rs = RowScreener(m, thr, s.stages)
    rows = [(n, c) for n in NAMES for c in COUNTRIES] * 2
    names = [n for n, _ in rows]
    todo = rs.unknown(names)
    rs.learn(todo, screen_chunk(m, todo, floor(thr, "any")))
    got = rs.rows(0, names, [c for _, c in rows])
    for (name, country), result in zip(rows, got):
        if not name:
            assert result["status"] == "skipped"
            continue
        alone = finish(expand(m, rs.matches[name]), Query(name, country, thr), s.stages)
        assert result["hits"] == [h.to_dict() for h in alone], (name, country)
    hik = [r for r in got if r["query"] == HIK]
    assert hik[0]["status"] == "hit" and hik[0]["hits"][0]["score"] > hik[1]["hits"][0]["score"]
    owned = [r for r in got if r["query"] == "Hikrobot" and r["hits"]]
    assert owned and owned[0]["hits"][0]["relation"] == "owned-by"
    by_key = {(r["query"], r["country"]): r["hits"] for r in got}
    assert by_key[(HIK, "de")] is not by_key[(HIK, None)]  # "country DE not among CN"
    # evidence that moves none of a name's hits (a date of birth given for a company)
    # leaves the name's own hit list, shared
    dated = rs.rows(0, [HIK, HIK], [None, None], ["1970", "1985-02"])
    assert dated[0]["hits"] is dated[1]["hits"] is by_key[(HIK, None)]
