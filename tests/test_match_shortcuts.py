"""Work the matcher skips or shares between names never changes a hit.

Names alike after normalization ("Dahua Technology Co., Ltd." / "DAHUA TECHNOLOGY CO
LTD") are screened once per matcher (:meth:`~screener.matching.matcher.Matcher._screen_one`
keeps their hits): these tests screen real names, the bundled list's own in the spellings
users write them, with and without that memory, and compare every hit in full.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.names import query_names
from screener.matching import matcher as matcher_module
from screener.matching.matcher import Matcher
from screener.matching.normalize import normalize

SPELLINGS = [
    "Hangzhou Hikvision Digital Technology Co., Ltd.",
    "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO LTD",
    "Hangzhou Hikvision Digital Technology Co Ltd",
    "Zhejiang Dahua Technology Co., Ltd.",
    "ZHEJIANG DAHUA TECHNOLOGY CO., LTD",
    "Harbin Institute of Technology",
    "HARBIN INSTITUTE OF TECHNOLOGY",
    "School of Computer Science, Harbin Institute of Technology",
    "SCHOOL OF COMPUTER SCIENCE, HARBIN INSTITUTE OF TECHNOLOGY",
    "Huawei Technologies Co., Ltd. (Huawei)",
    "HUAWEI TECHNOLOGIES CO LTD (HUAWEI)",
    "PLA",
    "P.L.A.",
    "BGI Genomics",
    "BGI GENOMICS",
    "海康威视",
    "杭州海康威视数字技术股份有限公司",
]


def _full(hits: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            h.entity.id,
            h.score,
            h.matched_name,
            h.name_id,
            h.query_tokens,
            h.detail.method,
            h.detail.relation,
            h.detail.part,
            h.detail.arm,
            h.detail.matched,
            h.detail.query_only,
            h.detail.listed_only,
            h.detail.notes,
        )
        for h in hits
    ]


@pytest.fixture(scope="module")
def queries(matcher: Matcher) -> list[str]:
    listed = [r.text for r in matcher.index.names[::7]]
    # the listed names as users write them: upper-cased, without punctuation, twice over
    spelt = [s for n in listed[:400] for s in (n.upper(), n.replace(",", "").replace(".", ""))]
    return SPELLINGS + spelt + list(query_names(800, listed, variant_share=0.6, seed=11))


def test_names_alike_are_screened_once_with_the_same_hits(
    matcher: Matcher, queries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = Matcher(matcher.index)
    screened = 0
    one = kept._screen_one

    def counted(name: str, floor: float) -> list[Any]:
        nonlocal screened
        screened += 1
        return one(name, floor)

    monkeypatch.setattr(kept, "_screen_one", counted)
    with_memo = [_full(kept.screen_name(q, f)) for q in queries for f in (0.8, 0.7)]
    monkeypatch.setattr(matcher_module, "MEMO_QUERIES", 0)
    fresh = Matcher(matcher.index)
    without = [_full(fresh.screen_name(q, f)) for q in queries for f in (0.8, 0.7)]
    assert not fresh._screened
    assert with_memo == without
    # the memory was used: names alike were screened once
    assert len({normalize(q) for q in queries}) < len(queries) * 2 // 3
    assert len(kept._screened) < screened * 3 // 4
    assert sum(1 for hits in with_memo if hits) > len(queries) // 2


def test_a_hit_amended_by_its_caller_leaves_the_next_alike_name_alone(matcher: Matcher) -> None:
    m = Matcher(matcher.index)
    first = m.screen_name("Hangzhou Hikvision Digital Technology Co., Ltd.", 0.8)
    expected = _full(
        Matcher(matcher.index).screen_name("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO LTD", 0.8)
    )
    assert first and first[0].score == 1.0
    for h in first:  # what the country evidence and the stages do to a hit
        h.score = 0.1
        h.detail.score = 0.1
        h.detail.relation = "unit"
        h.detail.part = "Hikvision"
        h.detail.notes.append("amended")
        h.detail.matched.clear()
    again = m.screen_name("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO LTD", 0.8)
    assert _full(again) == expected
    assert all(a is not b and a.detail is not b.detail for a, b in zip(again, first))
