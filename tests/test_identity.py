"""Issue 18: the right party, every time. Each string the issue quotes, screened through the
service as users screen it (the bundled list and ownership graph, the listed groups of
``lists/groups.yaml``, and for the bracket and city cases a few official names of
``fixtures/lists/bracketed_names.yaml``), with the answer it should give; then the
property that no ordinary words or invisible characters around a listed name clear it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import run_main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_server import LiveServer

from screener.api.match import merged
from screener.files.reports.severity import order_hits, top_hit
from screener.lists.bundled import open_store
from screener.lists.parsers import curated
from screener.matching.index import text_key
from screener.matching.matcher import Matcher, screen
from screener.matching.rules import MAX_TEXT_CHARS
from screener.model import Entity, Listing, Name
from screener.screening.results import ScreenHit
from screener.screening.service import Screener

ROOT = Path(__file__).resolve().parents[1]
BRACKETED = ROOT / "fixtures" / "lists" / "bracketed_names.yaml"
SOURCE = {"id": "bracketed", "name": "Bracketed listed names (test fixture)", "kind": "sanctions"}
CETC = "cetc"
CETC_UNITS = {"cetc-10", "cetc-13", "cetc-14", "cetc-15", "cetc-20", "cetc-28", "cetc-32"}


@pytest.fixture(scope="module")
def service(master_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Screener]:
    """The service over the bundled list plus the fixture's bracketed official names."""
    folder = tmp_path_factory.mktemp("identity")
    db = folder / "s.db"
    shutil.copyfile(master_db, db)
    store = open_store(db)
    store.import_parsed(SOURCE, curated.parse(BRACKETED), sha256="bracketed", origin="test")
    s = Screener(store)
    yield s
    store.close()


def hits(s: Screener, name: str, country: str | None = None) -> list[ScreenHit]:
    return s.check(name, country=country).hits


def top(s: Screener, name: str, country: str | None = None) -> ScreenHit:
    found = hits(s, name, country)
    assert found, f"{name!r} is cleared"
    return found[0]


# -- the CETC strings headline the CETC group -------------------------------------------------


@pytest.mark.parametrize(
    "name", ["China Electronics Technology Group Corp (CETC)", "CETC", "中国电子科技集团公司"]
)
def test_the_groups_own_name_headlines_the_group_not_a_unit(service: Screener, name: str) -> None:
    found = hits(service, name)
    assert (found[0].entity_id, found[0].relation, found[0].score) == (CETC, "same", 1.0)
    # its institutes are not the party, whatever the "(CETC)" of their listed names says
    assert not {h.entity_id for h in found if h.relation == "same"} & CETC_UNITS
    assert all(h.relation != "same" or h.entity_id == CETC for h in found)


@pytest.mark.parametrize(
    "name",
    [
        "CETC 36",
        "the 41st Research Institute of China Electronics Technology Group Corporation, Qingdao",
        "中国电子科技集团公司第二十二研究所",
        "中电科36所",
        "the 36th Research Institute of CETC",
    ],
)
def test_a_numbered_institute_not_listed_is_a_unit_of_cetc(service: Screener, name: str) -> None:
    h = top(service, name)
    assert (h.entity_id, h.relation) == (CETC, "unit")
    assert "numbered" in h.evidence["method"] and "lists/groups.yaml" in h.explanation


@pytest.mark.parametrize(
    "name", ["CETC Key Laboratory of Aerospace Information Applications", "中国电科网络通信研究院"]
)
def test_a_unit_named_with_a_cetc_prefix_is_a_unit_of_cetc(service: Screener, name: str) -> None:
    h = top(service, name)
    assert (h.entity_id, h.relation) == (CETC, "unit")
    assert "unit" in h.evidence["method"]


def test_a_listed_unit_is_itself_and_a_unit_of_its_group(service: Screener) -> None:
    found = hits(service, "中国电科电子科学研究院")
    assert [(h.entity_id, h.relation) for h in found[:2]] == [("caeit", "same"), (CETC, "unit")]
    found = hits(service, "CETC 14")
    assert [(h.entity_id, h.relation) for h in found] == [("cetc-14", "same"), (CETC, "unit")]


@pytest.mark.parametrize("after", ["", " supply"])
def test_a_parents_acronym_in_a_query_names_the_parent(service: Screener, after: str) -> None:
    # found by the property test below: the bracket is CETC's, the party its 54th institute
    name = "China Electronics Technology Group Corp. (CETC) 54th Research Institute" + after
    found = hits(service, name)
    assert [(h.entity_id, h.relation) for h in found[:2]] == [("cetc-54", "same"), (CETC, "unit")]
    assert not {h.entity_id for h in found} - {"cetc-54", CETC}


# -- names inside text, and invisible characters ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Hikvision foo bar baz", "hikvision"),
        ("Purchase of Hikvision DS-2CD2143 cameras", "hikvision"),
        ("Hikvision CCTV camera supply contract", "hikvision"),
        ("Supply of Dahua cameras to the Urumqi police", "dahua"),
        ("Huawei word word word", "huawei"),
        ("Hikvision word", "hikvision"),
    ],
)
def test_a_listed_name_inside_free_text_is_a_hit(service: Screener, text: str, entity: str) -> None:
    found = hits(service, text)
    assert entity in {h.entity_id for h in found}, text
    assert all(h.score >= 0.8 for h in found)


def test_a_long_text_is_searched_in_full_up_to_its_bound(service: Screener) -> None:
    text = "Hikvision " + "lorem ipsum dolor sit amet " * 4000  # about 100 KB
    result = service.check(text)
    assert "hikvision" in {h.entity_id for h in result.hits}
    assert any("characters" in w for w in result.warnings)
    late = "lorem ipsum dolor sit amet " * 2000 + "supplied by Dahua Technology"
    assert len(late) < MAX_TEXT_CHARS
    assert "dahua" in {h.entity_id for h in hits(service, late)}


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("Hik\u200bvi\u200bsion", "hikvision"),
        ("Sen\u00adse\u00adTime", "sensetime"),
        ("Zhe\u200bjiang Da\u200bhua Tech\u200bnology Co Ltd", "dahua"),
    ],
)
def test_invisible_characters_do_not_clear_a_name(
    service: Screener, name: str, entity: str
) -> None:
    h = top(service, name)
    assert (h.entity_id, h.relation, h.score) == (entity, "same", 1.0)


@pytest.mark.parametrize(
    "name",
    [
        "Hik\u200bvi\u200bsion",
        "Sen\u00adse\u00adTime",
        "Zhe\u200bjiang Da\u200bhua Tech\u200bnology Co Ltd",
    ],
)
def test_invisible_characters_hit_in_the_cli_too(
    service: Screener,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = str(service.store.path)
    code, out, _ = run_main(monkeypatch, capsys, "--db", db, "check", name, "--format", "json")
    assert code == 1 and json.loads(out)["hits"], name


def test_invisible_characters_hit_through_match_too(live: LiveServer) -> None:
    names = ["Hik\u200bvi\u200bsion", "Sen\u00adse\u00adTime", "Zhe\u200bjiang Da\u200bhua Co Ltd"]
    body = {"queries": {str(i): {"properties": {"name": [n]}} for i, n in enumerate(names)}}
    with live.client() as c:
        out = c.post("/match/default", json=body).json()["responses"]
    tops = [out[str(i)]["results"][0]["screener"]["entity_id"] for i in range(3)]
    assert tops == ["hikvision", "sensetime", "dahua"]


def test_a_listed_unit_that_carries_its_group_s_acronym_is_not_the_group() -> None:
    # Japan's METI End User List gives its entry for the 10th Research Institute of CETC the
    # alias "CETC" (with SWIET and its other names). That alias names the parent: "CETC",
    # CETC's full name and its Chinese name must headline CETC, and the institute stays a
    # unit that its own names find.
    from screener.lists.parsers import groups as group_data
    from screener.lists.registry import bundled_dir

    meti_10th = Entity(
        "jp-eul-475",
        "10th Research Institute of China Electronic Technology Group Corporation",
        names=[
            Name("CETC", "abbreviation"),
            Name("CETC 10th Research Institute", "alias"),
            Name("Southwest Institute of Electronic Technology", "alias"),
            Name("SWIET", "abbreviation"),
        ],
        countries=["cn"],
    )
    bundled = curated.parse(bundled_dir() / "surveillance.yaml").entities
    m = Matcher.from_entities([meti_10th, *bundled], groups=group_data.parse())
    for name in ("CETC", "China Electronics Technology Group Corp (CETC)", "中国电子科技集团公司"):
        found = screen(m, name)
        assert found and found[0].entity.id == CETC, name
        assert "jp-eul-475" not in [h.entity.id for h in found], name
    assert screen(m, "SWIET")[0].entity.id == "jp-eul-475"
    unit = [h for h in screen(m, "CETC 36") if h.detail.relation == "unit"]
    assert [h.entity.id for h in unit] == [CETC]


# -- brackets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Pacific Star Logistics (HK) Limited",
        "Ace Components (S) Pte Ltd",
        "Ace Components (BVI) Ltd",
        "Ace Components (Group) Ltd",
        "Ace Components (H.K.) Ltd",
        "Ace Components (Shenzhen) Co., Ltd.",
    ],
)
def test_a_bracketed_place_or_form_is_never_a_hit_alone(service: Screener, name: str) -> None:
    assert hits(service, name) == []


def test_the_bracketed_names_still_hit_themselves(service: Screener) -> None:
    assert top(service, "Tet Kham (S) Pte Ltd").entity_id == "tet-kham"
    assert top(service, "CSSC Offshore & Marine Engineering (Group) Co Ltd").entity_id == (
        "cssc-offshore"
    )


# -- brands and subsidiaries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "owner", "relations"),
    [
        ("HIKMICRO Sensing Technology", "hikvision", {"related"}),
        ("Hangzhou Hikmicro Sensing Technology Co., Ltd.", "hikvision", {"related"}),
        ("HiLook", "hikvision", {"brand"}),
        ("Hik-Connect", "hikvision", {"brand"}),
        ("Imou", "dahua", {"related"}),
        ("Dahua Imou", "dahua", {"unit", "related"}),
        ("China Mobile International (Australia) Pty Ltd", "china-mobile-group", {"unit"}),
    ],
)
def test_brands_and_subsidiaries_hit_their_listed_owner(
    service: Screener, name: str, owner: str, relations: set[str]
) -> None:
    h = top(service, name)
    assert h.entity_id == owner and h.relation in relations, (h.entity_id, h.relation)
    if h.relation in ("brand", "related", "owned-by"):
        assert h.extra["ownership"]["chains"][0]["steps"][0]["source"].startswith("http")


def test_a_foreign_arm_keeps_its_score_with_its_country(service: Screener) -> None:
    h = top(service, "Huawei Technologies Australia Pty Ltd", country="Australia")
    assert (h.entity_id, h.relation) == ("huawei", "unit") and h.score >= 0.85
    assert "foreign arm" in h.explanation


# -- police bureaus -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "entity", "relation"),
    [
        ("Public Security Bureau of Kashgar", "kashgar-psb", "same"),
        ("Karamay police bureau", "karamay-psb", "same"),
        ("Kashgar PSB", "kashgar-psb", "same"),
        ("Shache County Public Security Bureau", "kashgar-psb", "unit"),
        ("乌鲁木齐市公安局天山区分局", "urumqi-psb", "unit"),
    ],
)
def test_police_bureaus_in_the_forms_documents_use(
    service: Screener, name: str, entity: str, relation: str
) -> None:
    h = top(service, name)
    assert (h.entity_id, h.relation) == (entity, relation)


def test_a_bureau_of_another_province_is_no_hit(service: Screener) -> None:
    assert hits(service, "大庆市公安局") == []


# -- affiliations -------------------------------------------------------------------------------


def test_a_city_in_an_address_matches_no_listed_name(service: Screener) -> None:
    text = (
        "Aerospace & Acoustics Technologies Division, Georgia Tech Research Institute, Atlanta, GA"
    )
    assert hits(service, text) == []
    assert top(service, "Atalanta").entity_id == "atalanta"


def test_a_shared_generic_head_word_is_no_hit() -> None:
    # OFAC SDN: "PETROIRAN DEVELOPMENT COMPANY (PEDCO) LIMITED", a.k.a. "PETRO IRAN
    # DEVELOPMENT COMPANY"; PetroChina shares only "Petro" with it, and names another country
    pedco = Entity(
        "pedco",
        "PETROIRAN DEVELOPMENT COMPANY (PEDCO) LIMITED",
        names=[Name("PETRO IRAN DEVELOPMENT COMPANY", "alias")],
        listings=[Listing("SDN List")],
    )
    m = Matcher.from_entities([pedco, *curated.parse(BRACKETED).entities])
    assert screen(m, "PetroChina Engineering Co") == []
    assert screen(m, "Petro Iran Development Co")[0].entity.id == "pedco"


# -- the one order ------------------------------------------------------------------------------


def test_the_csv_row_the_report_and_match_share_one_order(service: Screener) -> None:
    found = hits(service, "CETC 14")
    dicts = [h.to_dict() for h in found]
    assert top_hit(dicts)["entity_id"] == "cetc-14"
    assert [h["entity_id"] for h in order_hits(list(reversed(dicts)))] == ["cetc-14", CETC]
    assert [h.entity_id for h in merged([list(reversed(found))])] == ["cetc-14", CETC]


# -- the property ---------------------------------------------------------------------------------

ORDINARY = [
    "the", "supply", "of", "contract", "purchase", "order", "for", "cameras", "invoice",
    "payment", "to", "from", "with", "meeting", "report", "delivery", "new", "year",
    "services", "agreement", "annual", "review", "local", "office",
]  # fmt: skip
FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u00ad", "\u200e", "\u200f", "\u2060", "\ufeff"]


@pytest.fixture(scope="module")
def listed_names(service: Screener) -> list[tuple[str, str]]:
    """(name, entity id) of the bundled list's organisations whose name hits alone at 1.00
    and is not made only of common words (the index's own judgement: a word it can find
    in text)."""
    idx = service.full_matcher().index
    out = []
    for rec in idx.names:
        e = idx.entities[rec.entity]
        if e.extra.get("source_id") != "screener-surveillance" or e.schema == "person":
            continue
        if rec.kind not in ("primary", "alias", "chinese"):
            continue
        if text_key(idx, rec, idx.postings) is None:
            continue
        found = service.screen([service.query(rec.text)])[0]
        if any(h.entity_id == e.id and h.score == 1.0 for h in found):
            out.append((rec.text, e.id))
    assert len(out) > 100
    return out


def _found(s: Screener, text: str, entity: str) -> bool:
    return any(h.entity_id == entity for h in s.screen([s.query(text)])[0])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_format_characters_anywhere_never_clear_a_listed_name(
    service: Screener, listed_names: list[tuple[str, str]], data: st.DataObject
) -> None:
    name, entity = data.draw(st.sampled_from(listed_names))
    chars = list(name)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(chars)))
        chars.insert(at, data.draw(st.sampled_from(FORMAT_CHARS)))
    assert _found(service, "".join(chars), entity), ("".join(chars), entity)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_ordinary_words_around_a_listed_name_never_clear_it(
    service: Screener, listed_names: list[tuple[str, str]], data: st.DataObject
) -> None:
    name, entity = data.draw(st.sampled_from(listed_names))
    before = data.draw(st.lists(st.sampled_from(ORDINARY), max_size=12))
    after = data.draw(st.lists(st.sampled_from(ORDINARY), max_size=12))
    text = " ".join([*before, name, *after])
    assert _found(service, text, entity), (text, entity)
