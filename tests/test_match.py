"""screener.matching.matcher against the bundled curated list: the hard cases, the look-alikes,
the evidence a hit carries, country evidence, and every listed name finding itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.matching.hit import Hit
from screener.matching.matcher import Matcher, screen
from screener.matching.names import query_parts
from screener.matching.rules import COUNTRY_BONUS, COUNTRY_PENALTY, DEFAULT_THRESHOLD
from screener.model import Entity, Name
from screener.screening.results import ScreenHit

CURATED = Path(__file__).parent.parent / "lists" / "surveillance.yaml"
NAME_FIELDS = ("aliases", "chinese", "former", "abbreviations")


def curated_names() -> list[tuple[str, str]]:
    """(entity id, name) for the primary name and every alias of the curated list."""
    doc = yaml.safe_load(CURATED.read_text("utf-8"))
    out = []
    for e in doc["entities"]:
        for name in [e["name"], *(x for f in NAME_FIELDS for x in e.get(f) or [])]:
            out.append((e["id"], str(name)))
    return out


def ids(hits: list[Hit]) -> list[str]:
    return [h.entity.id for h in hits]


# --- the hard cases: each finds its entity at the default threshold ---------------------------

POSITIVES = [
    ("Hikvision", "hikvision"),
    ("SenseTime", "sensetime"),
    ("Zhejiang Dahua Technology Co., Ltd.", "dahua"),
    ("ZHEJIANG DAHUA TECH CO LTD", "dahua"),
    ("Hik-Vision", "hikvision"),
    ("Sense Time", "sensetime"),
    ("Technology Dahua Zhejiang", "dahua"),
    ("Hikvison Digital Technology", "hikvision"),
    ("Hikvision Digital Tech Co", "hikvision"),
    ("Dahua Tech Grp", "dahua"),
    ("CETC", "cetc"),
    ("CETC 14th Research Institute", "cetc-14"),
    ("the 14th Research Institute of China Electronics Technology Group Corporation", "cetc-14"),
    ("CETC No. 14", "cetc-14"),
    ("CETC 14", "cetc-14"),
    ("第十四研究所", "cetc-14"),
    ("杭州海康威视数字技术股份有限公司", "hikvision"),
    ("海康威视", "hikvision"),
    ("杭州海康威視數字技術股份有限公司", "hikvision"),
    ("CHEN, Quanguo", "chen-quanguo"),
    ("Chen Quanguo", "chen-quanguo"),
    ("陈全国", "chen-quanguo"),
    ("Ｈｉｋｖｉｓｉｏｎ", "hikvision"),
    ("IS'Vision Technologies", "isvision"),
    ("CETC 28", "cetc-28"),
    ("CETC 38th Research Institute", "cetc-38"),
]


@pytest.mark.parametrize(("query", "entity_id"), POSITIVES, ids=[q for q, _ in POSITIVES])
def test_hard_case_finds_entity(matcher: Matcher, query: str, entity_id: str) -> None:
    hits = screen(matcher, query)
    assert entity_id in ids(hits), [(h.entity.id, h.score) for h in hits]
    hit = next(h for h in hits if h.entity.id == entity_id)
    assert DEFAULT_THRESHOLD <= hit.score <= 1.0


@pytest.mark.parametrize(
    ("query", "entity_id"),
    [
        ("Hikvision", "hikvision"),
        ("CETC 14", "cetc-14"),
        ("海康威视", "hikvision"),
        ("Chen Quanguo", "chen-quanguo"),
        ("Technology Dahua Zhejiang", "dahua"),
    ],
)
def test_exact_and_reordered_names_are_top_hit_at_one(
    matcher: Matcher, query: str, entity_id: str
) -> None:
    top = screen(matcher, query)[0]
    assert (top.entity.id, top.score) == (entity_id, 1.0)


def test_typo_scores_below_exact(matcher: Matcher) -> None:
    typo = screen(matcher, "Hikvison Digital Technology")[0]
    exact = screen(matcher, "Hikvision Digital Technology")[0]
    assert typo.entity.id == exact.entity.id == "hikvision"
    assert typo.score < exact.score == 1.0
    assert ("hikvison", "hikvision") in [(q, n) for q, n, _, _ in typo.detail.matched]


# --- negatives: no hit, or not the given entity -----------------------------------------------

NOT_ENTITY = [
    ("Hangzhou Digital Technology Co., Ltd.", "hikvision"),
    ("The 14th Street Research Institute", "cetc-14"),
    ("CETC 28", "cetc-38"),
    ("CETC 38", "cetc-28"),
    ("CETC 28th Research Institute", "cetc-38"),
    ("CETC 38th Research Institute", "cetc-28"),
    ("第二十八研究所", "cetc-38"),
    ("CETC 14", "cetc-13"),
    ("China Technology Group Corporation", "cetc"),
    ("CETC", "cetc-14"),
    ("Hikvision", "cetc"),
]


@pytest.mark.parametrize(
    ("query", "entity_id"), NOT_ENTITY, ids=lambda v: v if isinstance(v, str) and " " in v else None
)
def test_look_alike_does_not_hit_entity(matcher: Matcher, query: str, entity_id: str) -> None:
    hits = screen(matcher, query)
    assert entity_id not in ids(hits), [(h.entity.id, h.score, h.explanation) for h in hits]


@pytest.mark.parametrize(
    "query",
    [
        "Stanford University",
        "University of Melbourne",
        "Dahlia Technologies LLC",
        "Pico Technology Ltd",
        "Hangzhou Digital Technology Co., Ltd.",
        "The 14th Street Research Institute",
        "Société Générale",
        "Global Vision Systems GmbH",
    ],
)
def test_unrelated_name_is_clear(matcher: Matcher, query: str) -> None:
    assert screen(matcher, query) == []


@pytest.mark.parametrize(
    ("query", "not_entity"),
    [("北京大学", "scu"), ("浙江大学", "tju"), ("北京工业大学", "hit")],
)
def test_chinese_names_differing_in_place_are_different(
    matcher: Matcher, query: str, not_entity: str
) -> None:
    assert not_entity not in ids(screen(matcher, query))


def test_numbered_institutes_are_different_entities(matcher: Matcher) -> None:
    d = matcher.compare("CETC 28", "CETC 38")
    assert d.score <= 0.5
    assert "numbers differ: 28 / 38" in d.notes


def test_empty_and_punctuation_only_queries(matcher: Matcher) -> None:
    assert screen(matcher, "") == []
    assert screen(matcher, "  -- ,. ") == []


# --- explanations and provenance --------------------------------------------------------------


def test_hit_as_dict_carries_evidence_and_provenance(matcher: Matcher) -> None:
    hit = screen(matcher, "Hangzhou Hikvision Digital Tech Co Ltd")[0]
    d = ScreenHit.from_match(hit).to_dict()
    assert d["entity_id"] == "hikvision"
    assert d["name"] == "Hangzhou Hikvision Digital Technology Co., Ltd."
    assert d["matched_name"] == hit.matched_name
    assert 0.0 <= d["score"] <= 1.0
    assert d["source_id"] == "screener-surveillance"
    assert d["source_name"] == "Screener curated surveillance-technology list"
    assert d["citation"] == "84 FR 54002"
    assert d["listed_on"] == "2019-10-09"
    assert d["list"] == "Entity List"
    assert d["source_url"].startswith("https://www.federalregister.gov/")
    assert d["countries"] == ["cn"]
    entity_list = [x for x in d["listings"] if x["list"] == "Entity List"]
    assert entity_list and entity_list[0]["citation"] == "84 FR 54002"
    ev = d["evidence"]
    assert ev["query_normalized"] == "hangzhou hikvision digital technology"
    assert ev["listed_normalized"] == " ".join(hit.listed_norm.tokens)
    assert {"query": "hikvision", "listed": "hikvision", "similarity": 1.0} in [
        {k: m[k] for k in ("query", "listed", "similarity")} for m in ev["matched_tokens"]
    ]
    assert d["explanation"] == hit.explanation
    assert isinstance(d["explanation"], str) and d["explanation"]


def test_explanation_names_the_tokens_that_agreed(matcher: Matcher) -> None:
    hit = screen(matcher, "Hikvison Digital Technology")[0]
    assert "hikvison~hikvision" in hit.explanation
    assert hit.explanation.startswith(f"tokens {hit.score:.2f}")


def test_chinese_hit_provenance(matcher: Matcher) -> None:
    d = ScreenHit.from_match(screen(matcher, "海康威视")[0]).to_dict()
    assert (d["entity_id"], d["matched_name"], d["citation"]) == (
        "hikvision",
        "海康威视",
        "84 FR 54002",
    )


def test_numbered_institute_provenance(matcher: Matcher) -> None:
    d = ScreenHit.from_match(screen(matcher, "CETC 14th Research Institute")[0]).to_dict()
    assert d["entity_id"] == "cetc-14"
    assert d["citation"] == "83 FR 37422"
    assert d["listed_on"] == "2018-08-01"
    assert d["parent"] == "China Electronics Technology Group Corporation"


# --- country evidence -------------------------------------------------------------------------


def top(matcher: Matcher, query: str, country: str | None = None) -> Hit:
    return screen(matcher, query, country=country, threshold=0.5)[0]


def test_right_country_never_lowers_a_score(matcher: Matcher) -> None:
    assert top(matcher, "Hikvision", "cn").score >= top(matcher, "Hikvision").score == 1.0


def test_right_country_raises_a_fuzzy_score(matcher: Matcher) -> None:
    plain = top(matcher, "Hikvison Digital Technology")
    with_cn = top(matcher, "Hikvison Digital Technology", "CN")
    assert with_cn.entity.id == plain.entity.id == "hikvision"
    assert with_cn.score == pytest.approx(plain.score + COUNTRY_BONUS)
    assert "country CN agrees" in with_cn.explanation


def test_wrong_country_lowers_a_fuzzy_score(matcher: Matcher) -> None:
    plain = top(matcher, "Hikvison Digital Technology")
    with_us = top(matcher, "Hikvison Digital Technology", "us")
    assert with_us.entity.id == "hikvision"
    assert with_us.score == pytest.approx(plain.score - COUNTRY_PENALTY)
    assert "country US not among CN" in with_us.explanation


def test_wrong_country_can_drop_a_borderline_hit(matcher: Matcher) -> None:
    # a misspelt name scoring under 0.88: evidence that it is elsewhere outweighs it
    assert "dahua" in ids(screen(matcher, "Zhejiang Dahau Tech"))
    assert "dahua" not in ids(screen(matcher, "Zhejiang Dahau Tech", country="us"))


# --- threshold --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Dahua Tech Grp", "Hikvison Digital Technology", "第十四研究所"])
def test_threshold_above_score_filters(matcher: Matcher, query: str) -> None:
    score = screen(matcher, query)[0].score
    assert score < 1.0
    assert screen(matcher, query, threshold=min(1.0, score + 0.001)) == []


def test_hit_is_found_at_its_own_reported_score(matcher: Matcher) -> None:
    missing = []
    for query in ("Dahua Tech Grp", "Hikvison Digital Technology", "第十四研究所"):
        hit = screen(matcher, query)[0]
        again = screen(matcher, query, threshold=hit.score)
        if hit.entity.id not in ids(again):
            missing.append((query, hit.score))
    assert missing == []


# --- property: every listed name finds its own entity at 1.0 ----------------------------------


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(curated_names()))
def test_listed_name_finds_itself(matcher: Matcher, listed: tuple[str, str]) -> None:
    entity_id, name = listed
    hits = screen(matcher, name)
    own = [h for h in hits if h.entity.id == entity_id]
    assert own, (name, [(h.entity.id, h.score) for h in hits])
    assert own[0].score == 1.0


# --- subsidiaries' country suffixes, bracketed parts, common words, short typos ------------


@pytest.mark.parametrize(
    ("query", "entity_id"),
    [
        ("Hikvision USA Inc", "hikvision"),  # a country only the query has, a coined name agrees
        ("Megvii (Face++)", "megvii"),  # brand and its alias in brackets
        ("HIT (Harbin Institute of Technology)", "hit"),
        ("XUAR PSB", "xuar-psb"),
    ],
)
def test_more_spellings_users_meet(matcher: Matcher, query: str, entity_id: str) -> None:
    assert entity_id in ids(screen(matcher, query))


def test_a_place_counts_in_full_when_only_a_common_word_agrees(matcher: Matcher) -> None:
    # "vision" is a common English word: "Beijing Vision" is not the entity "VISION"
    assert matcher.compare("Beijing Vision Co", "VISION").score < 0.8
    # "SenseNets" is coined: the city only one name has counts for little
    assert matcher.compare("Shenzhen SenseNets Technology", "SenseNets Technology").score >= 0.8


def test_short_typos_keep_the_first_letter(matcher: Matcher) -> None:
    d = matcher.compare("Dahan Technology", "Jahan Tech")
    assert ("dahan", "jahan") not in [(q, n) for q, n, *_ in d.matched]
    d = matcher.compare("Exxor Mobil Corporation", "Exxon Mobil Corporation")
    assert ("exxor", "exxon") in [(q, n) for q, n, *_ in d.matched] and d.score >= 0.8


@pytest.mark.parametrize(
    ("name", "variants"),
    [
        ("Megvii (Face++)", ["Megvii (Face++)", "Megvii", "Face++"]),
        ("Bank of China (Hong Kong) Limited", ["Bank of China (Hong Kong) Limited"]),
        ("Al-Qa'ida/Islamic Army", ["Al-Qa'ida/Islamic Army", "Al-Qa'ida", "Islamic Army"]),
        ("Mendez Denmark A/S", ["Mendez Denmark A/S"]),
        ("TCP/IP Ltd", ["TCP/IP Ltd"]),
    ],
)
def test_names_made_of_parts(name: str, variants: list[str]) -> None:
    assert [p.text for p in query_parts(name)] == variants


def test_a_slash_joined_listed_name_is_found_by_each_part() -> None:
    m = Matcher.from_entities(
        [
            Entity(id="aq", name="Al-Qa'ida/Islamic Army", schema="organization"),
            Entity(id="boc-hk", name="Bank of China (Hong Kong) Limited", countries=["hk"]),
        ]
    )
    assert ids(screen(m, "Islamic Army")) == ["aq"]
    assert ids(screen(m, "Al Qaida")) == ["aq"]
    # a bracketed place qualifies the query: Bank of China itself is not BOC Hong Kong
    assert "boc-hk" not in ids(screen(m, "Bank of China (Singapore) Limited"))


def test_a_word_the_lists_hold_is_taken_as_written() -> None:
    m = Matcher.from_entities(
        [
            Entity(id="neu", name="Northeastern University"),
            Entity(id="nwpu", name="Northwestern Polytechnical University"),
        ]
    )
    assert "neu" not in ids(screen(m, "Northwestern University"))  # two edits, a known word
    assert "neu" in ids(screen(m, "Northeastren University"))  # a typo: unknown word


def test_a_brand_with_other_words_needs_the_listed_name_whole() -> None:
    m = Matcher.from_entities(
        [
            Entity(id="megatech", name="Megatech Engineering & Services Pvt. Ltd."),
            Entity(
                id="hik",
                name="Hangzhou Hikvision Digital Technology Co., Ltd.",
                names=[Name("Hikvision", "alias")],
            ),
        ]
    )
    # the brand alone with other descriptors: another company as often as not
    assert "megatech" not in ids(screen(m, "Megatech Industries"))
    assert "megatech" in ids(screen(m, "Megatech Engineering & Services Bangalore"))
    # a listed name held whole ("Hikvision", an alias) with descriptors: a brand company
    h = screen(m, "Hikvision International Co. Limited")[0]
    assert h.entity.id == "hik" and h.detail.relation == "unit" and h.score >= 0.8


def test_large_pools_get_the_same_candidates_in_numpy(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound step of a large candidate pool (Matcher._array_bounds) keeps the names
    the plain loop keeps, in the same order: here every pool takes it."""
    from benchmarks.names import query_names
    from screener.matching import matcher as matcher_module
    from screener.matching.normalize import normalize

    entities = matcher.index.entities
    orgs = [e.name for e in entities if e.schema == "organization"]
    queries = [n for e in entities for n in e.all_names()][:400]
    queries = [n.name for n in queries] + list(query_names(600, orgs, variant_share=0.6, seed=7))
    infos = [(q, normalize(q)) for q in queries]
    plain = [matcher.candidates(n, 0.7) for _, n in infos]
    monkeypatch.setattr(matcher_module, "ARRAY_POOL", 1)
    assert [matcher.candidates(n, 0.7) for _, n in infos] == plain
    assert sum(len(c) > 1 for c in plain) > 100  # pools that had an order to keep
    found = matcher.screen_name("Hikvision Digital Technology", 0.7)
    assert found[0].entity.name == "Hangzhou Hikvision Digital Technology Co., Ltd."


def test_typo_variants_are_the_same_in_memory_and_from_the_index_file(tmp_path: Path) -> None:
    """A query word's typo variants (``Index.fuzzy``), one and two edits away: a whole
    index in memory (its deletion keys intersected with the word's at once) finds those
    the index file read row by row finds, one key at a time."""
    from screener.matching.index import Index
    from screener.matching.index_file import open_index, save_index

    idx = Index.build(
        [
            Entity(id="nwpu", name="Northwestern Polytechnical University"),
            Entity(id="buaa", name="Beijing University of Aeronautics and Astronautics"),
            Entity(id="hik", name="Hangzhou Hikvision Digital Technology Co., Ltd."),
        ]
    )
    path = tmp_path / "lists.index"
    save_index(idx, path, "k1")
    lazy = open_index(path, "k1", lazy=True)
    assert lazy is not None
    words = [
        "Polytechnical",
        "Polytecnhical",  # one edit
        "Polytechncial",
        "Poyltecnhical",  # two edits
        "Uinveristy",
        "Aeronuatics",
        "Hikvison",
        "Technologies",
        "Northwestren",
    ]
    found = {}
    for w in (w.lower() for w in words):
        found[w] = dict(idx.fuzzy(w))
        assert found[w] == dict(lazy.fuzzy(w)), w
    assert "polytechnical" in found["poyltecnhical"]  # two edits away
    assert "aeronautic" in found["aeronuatics"] and "university" in found["uinveristy"]
    assert found["polytechnical"] == {}  # a listed word is not its own typo


class _Everything:
    """A set of words that holds every brand core (the containment pre-check let through)."""

    def issuperset(self, _: object) -> bool:
        return True


CONTAINED_TYPOS = [
    "Hikvison USA Inc",  # a typo of the brand with a place after it
    "Hikvsion Research Institute",
    "Hikvision Reserach Institute",
    "Zhejiang Dahau Technology Group",
    "Dahau Vision Europe GmbH",
    "Megvii Tecnology Beijing Branch",
    "Sensetime Grup Hong Kong",
    "iFlytek Speech Lab",
    "Hangzhou Hikvison System Technology",
    "Cloudwalk Technolgy Shanghai",
]


@pytest.mark.parametrize("query", CONTAINED_TYPOS)
def test_the_containment_pre_check_drops_no_hit(
    matcher: Matcher, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the matcher scores containment only for names whose brand core the query can hold
    # (score.contained_words); with every name let through, the hits are the same
    def kept(hits: list[Hit]) -> list[tuple[str, float, str, str]]:
        return [(h.entity.id, h.score, h.detail.relation, h.matched_name) for h in hits]

    checked = kept(matcher.screen_name(query, 0.5))
    monkeypatch.setattr("screener.matching.matcher.contained_words", lambda *a: _Everything())
    assert checked == kept(matcher.screen_name(query, 0.5))
    if query.startswith("Hikvison USA"):
        assert ("hikvision", "unit") in [(e, r) for e, _, r, _ in checked]
