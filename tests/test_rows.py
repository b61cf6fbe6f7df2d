"""A batch's rows: the stages after matching run per distinct name, and give every row
what screening that row alone gives (issue 23)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from screener.db.store import Store
from screener.matching.country import apply_country, floor
from screener.matching.normalize import name_key
from screener.screening import decisions
from screener.screening.executors import ForkPool, expand, screen_chunk
from screener.screening.results import ScreenHit
from screener.screening.rows import RowScreener
from screener.screening.service import Screener
from screener.screening.stages import Query, finish
from screener.shapes import RowResult

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


def test_a_hits_entity_key_is_its_listed_name_normalized_whichever_name_matched(
    store: Store,
) -> None:
    """``ScreenHit.name_key`` is taken from the index's normalized form when the listed
    name itself matched, and normalized afresh when an alias did: the same key either way;
    a copy is equal and its ``extra`` its own."""
    m = Screener(store).full_matcher()
    for query in (HIK, "Hikvision", "SenseTime", "Megvii"):
        for h in m.screen_name(query, 0.8):
            hit = ScreenHit.from_match(h)
            assert hit.name_key == name_key(h.entity.name)
            copy = hit.copy()
            copy.extra["x"] = 1
            assert "x" not in hit.extra and copy.to_dict() == {**hit.to_dict(), "x": 1}
    [h] = [x for x in m.screen_name(HIK, 0.8) if x.entity.id == "hikvision"]
    assert h.matched_name == h.entity.name  # the index's form served


def batch_rows(
    s: Screener, thr: float, names: list[str], countries: list[str | None]
) -> tuple[RowScreener, list[RowResult]]:
    """The rows a batch makes: the names screened once down to the batch's floor by an
    executor, learnt by the service, the rows made from the service's results."""
    snap = s.snapshot(lazy=False)
    fl = floor(thr, "any")
    rs = RowScreener(s, snap, thr, fl)
    todo = [n for n in dict.fromkeys(names) if n]
    rs.learn(todo, screen_chunk(snap.matcher, todo, fl))
    return rs, rs.rows(0, names, countries)


def test_rows_are_what_each_row_screened_alone_gives(store: Store) -> None:
    s = Screener(store)
    thr = 0.85
    rows = [(n, c) for n in NAMES for c in COUNTRIES] * 2
    names = [n for n, _ in rows]
    rs, got = batch_rows(s, thr, names, [c for _, c in rows])
    m = rs.m
    for (name, country), result in zip(rows, got):
        if not name:
            assert result["status"] == "skipped"
            continue
        [matches] = screen_chunk(m, [name], floor(thr, "any"))
        alone = finish(expand(m, matches), Query(name, country, thr), s.stages)
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


def test_a_batch_and_a_check_share_the_service_cache(store: Store) -> None:
    """One cache: the names a batch's executor screened are the service's, and a row's
    finished hits are the service's own list, typed once for the name."""
    s = Screener(store)
    thr = 0.85
    rs, got = batch_rows(s, thr, [HIK, HIK, "Acme Bakery"], ["cn", "us", None])
    snap = rs.snap
    assert {HIK, "Acme Bakery"} <= set(snap.memo[rs.floor])
    assert snap.memo[rs.floor]["Acme Bakery"] == []
    assert (HIK, rs.floor) in snap.named  # expanded and typed once, for both countries
    finished = s.rows_hits(snap, rs.floor, thr, False, [(HIK, "cn", None)])[0]
    assert s.rows_hits(snap, rs.floor, thr, False, [(HIK, "cn", None)])[0] is finished
    assert got[0]["hits"] == [h.to_dict() for h in finished]
    # a check asks the same service: its answer is a copy, equal to the row's
    [check] = s.screen([s.query(HIK, "cn", thr)], snapshot=snap)
    assert [h.entity_id for h in check] == [h["entity_id"] for h in got[0]["hits"]]
    assert all(a is not b for a, b in zip(check, finished))


def test_a_name_the_service_let_go_is_screened_again_not_cleared(store: Store) -> None:
    """A batch with more distinct names than the service remembers: a name whose matches
    were let go after its executor screened it is screened again, never a clear row."""
    s = Screener(store)
    thr = 0.85
    rs, _ = batch_rows(s, thr, [HIK], [None])
    rs.snap.memo[rs.floor].clear()
    [row] = rs.rows(0, [HIK], ["cn"])
    assert row["status"] == "hit" and row["hits"][0]["name"].startswith("Hangzhou Hikvision")


def test_forked_workers_finish_rows_as_this_process_does(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a pool, the stages of a chunk's new (name, country) pairs run in the workers
    (each with its own connection to the store): a decision recorded before the batch,
    an ownership node's hit made a hit on its owner and a country that moves a score
    come out of two workers as they come out of this process, byte for byte."""
    snap = decisions.snapshot(store, "screener-surveillance", "dahua")
    assert snap is not None
    decisions.record(
        store,
        "Dahua Electronics Corporation",
        "screener-surveillance",
        "dahua",
        "false-positive",
        "a New York distributor on the BIS Denied Persons List, not Zhejiang Dahua",
        "R. Officer",
        snap,
    )
    names = [*NAMES, "Dahua Electronics Corporation"]
    rows = [[f"Vendor {i} Trading Ltd", ""] for i in range(1_200)]  # enough for the pool
    rows += [[n, c or ""] for _ in range(3) for n in names for c in COUNTRIES]
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["name", "country"], *rows])
    finished: list[int] = []
    real = ForkPool.finish

    def counted(pool: ForkPool, items: list[object]) -> list[int]:
        finished.append(len(items))
        return real(pool, items)

    monkeypatch.setattr(ForkPool, "finish", counted)
    one = Screener(store).batch(src, tmp_path / "one.jsonl", workers=1, country_column="country")
    assert not finished  # one worker: the rows are finished here
    two = Screener(store).batch(src, tmp_path / "two.jsonl", workers=2, country_column="country")
    assert sum(finished) >= len(names) - 2  # each new pair with matches, in the workers
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert (one.hit_rows, one.suppressed_hits) == (two.hit_rows, two.suppressed_hits)
    got = [json.loads(line) for line in (tmp_path / "two.jsonl").read_text("utf-8").splitlines()]
    dahua_ny = [r for r in got if r["query"] == "Dahua Electronics Corporation"]
    assert dahua_ny and all(r["status"] == "suppressed" for r in dahua_ny)
    owned = [r for r in got if r["query"] == "Hikrobot" and r["hits"]]
    assert owned and owned[0]["hits"][0]["relation"] == "owned-by"
