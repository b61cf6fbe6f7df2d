"""Work the matcher does a cheaper way gives what the plain way gives, on real names.

The names are the bundled list's own, in the spellings users write them and with the
variants of :func:`benchmarks.names.query_names` (typos, dropped words, legal forms,
parts in brackets), and ordinary names the lists do not hold.
"""

from __future__ import annotations

import re

import pytest

from benchmarks.names import query_names
from screener.matching import names as names_module
from screener.matching.index import zh_base_of
from screener.matching.matcher import Matcher, _words_held
from screener.matching.normalize import Norm, normalize

SPELLINGS = [
    "Hangzhou Hikvision Digital Technology Co., Ltd.",
    "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO LTD",
    "Zhejiang Dahua Tech Grp",
    "Hikvision Research Institute",
    "School of Computer Science, Harbin Institute of Technology",
    "Huawei Technologies Co., Ltd. (Huawei)",
    "SenseTime Group Limited",
    "Iflytek Co Ltd",
    "BGI Genomics",
    "海康威视研究院",
    "杭州海康威视数字技术股份有限公司",
    "McDonaldTrading2 Corp",
    "Team7 Systems",
]


@pytest.fixture(scope="module")
def queries(matcher: Matcher) -> list[str]:
    listed = [r.text for r in matcher.index.names[::5]]
    spelt = [s for n in listed[:300] for s in (n.upper(), n.replace(",", "").replace(".", ""))]
    return SPELLINGS + spelt + list(query_names(1_500, listed, variant_share=0.6, seed=11))


def _contained_plain(m: Matcher, q: Norm, have: set[str]) -> list[int]:
    """Matcher._contained_candidates as first written: every query word and typo variant
    looked up as a brand key, each name of a key checked on its own."""
    idx = m.index
    out = [
        ni
        for v in sorted(have)
        for ni in idx.brand_keys.get(v, ())
        if have.issuperset(idx.brand[ni])
    ]
    if q.cjk:
        for base in dict.fromkeys((zh_base_of(q.cjk), zh_base_of(q.cjk, units=True))):
            if base:
                out.extend(idx.zh_base.get(base, ()))
    return out


def test_brand_keys_found_by_intersection_are_those_looked_up_one_by_one(
    matcher: Matcher, queries: list[str]
) -> None:
    m = Matcher(matcher.index)
    found = 0
    for name in queries:
        q = normalize(name)
        have = _words_held({t: m._token(t) for t in dict.fromkeys(q.tokens)})
        got = m._contained_candidates(q, have)
        assert got == _contained_plain(m, q, have), name
        found += bool(got)
    assert found > len(queries) // 4  # names held whole were looked for and found


def test_the_split_test_reads_camel_case_and_footnotes_as_before(queries: list[str]) -> None:
    """query_parts' first test tries "[a-z]" once for its two branches that begin so."""
    two = re.compile(r"[,;|+/()\[\]\n\r]|[a-z][A-Z]|[a-z]\d{1,2}\b")
    words = [w for q in queries for w in (q, q.replace(" ", ""), q.title().replace(" ", "7 "))]
    assert any(two.search(w) and not re.search(r"[,;|+/()\[\]]", w) for w in words)
    for w in words:
        if w.isascii():
            assert bool(names_module._MAY_SPLIT_ASCII.search(w)) == bool(two.search(w)), w
