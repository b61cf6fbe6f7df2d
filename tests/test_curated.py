"""The bundled curated list and the vocabularies: well-formed, sourced, never invented."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from excerpts import excerpt, shared

from screener.lists.bundled import open_store
from screener.lists.parsers import curated
from screener.lists.registry import FORMATS, bundled_dir, registry
from screener.matching import normalize
from screener.matching.normalize import vocabulary

LIST = bundled_dir() / "surveillance.yaml"
CITATION = re.compile(r"^\d{1,3} FR \d{1,6}( \(\w[^)]*\))?(; \d{1,3} FR \d{1,6})*$")
OFFICIAL_HOSTS = (
    "federalregister.gov",
    "ecfr.gov",
    "treasury.gov",
    "ofac.treas.gov",
    "defense.gov",
    "fcc.gov",
    "congress.gov",
    "europa.eu",
    "gov.uk",
    "meti.go.jp",
    "aspi.org.au",
    "bis.gov",
    "commerce.gov",
    "state.gov",
    "trade.gov",
    "govinfo.gov",
)


@pytest.fixture(scope="module")
def parsed():
    return curated.parse(LIST)


def test_every_listing_has_an_official_url_and_a_wellformed_citation(parsed):
    assert len(parsed.entities) >= 100
    for e in parsed.entities:
        assert e.listings, f"{e.id} has no listing"
        for ls in e.listings:
            assert ls.source_url and ls.source_url.startswith("https://"), (e.id, ls.list)
            host = re.sub(r"^https://([^/]+)/.*$", r"\1", ls.source_url)
            assert host.endswith(OFFICIAL_HOSTS), f"{e.id}: {ls.source_url} is not an official site"
            assert ls.citation is None or CITATION.match(ls.citation), (e.id, ls.citation)
            for d in (ls.listed_on, ls.end_date):
                assert d is None or re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", d), (e.id, d)


def test_ids_are_unique_and_parents_resolve(parsed):
    ids = Counter(e.id for e in parsed.entities)
    assert [i for i, n in ids.items() if n > 1] == []
    by_id = {e.id: e for e in parsed.entities}
    assert by_id["hikvision"].parent_name == by_id["cetc"].name
    assert by_id["sensenets"].parent_id == "netposa"


@pytest.mark.parametrize(
    ("entity_id", "citation", "listed_on"),
    [
        ("hikvision", "84 FR 54002", "2019-10-09"),
        ("dahua", "84 FR 54002", "2019-10-09"),
        ("sensenets", "85 FR 34495", "2020-06-05"),
        ("cloudwalk", "85 FR 34495", "2020-06-05"),
    ],
)
def test_entity_list_rules_of_2019_and_2020(parsed, entity_id, citation, listed_on):
    e = {x.id: x for x in parsed.entities}[entity_id]
    el = [ls for ls in e.listings if ls.list == "Entity List"]
    assert el and el[0].citation == citation and el[0].listed_on == listed_on
    assert el[0].license_requirement == "For all items subject to the EAR."


def test_the_2019_rule_lists_28_entities(parsed):
    in_rule = [e for e in parsed.entities if any(ls.citation == "84 FR 54002" for ls in e.listings)]
    assert len(in_rule) == 28


def test_chinese_names_are_simplified_and_present_for_the_vendors(parsed):
    by_id = {e.id: e for e in parsed.entities}
    for eid, zh in [
        ("hikvision", "海康威视"),
        ("megvii", "旷视"),
        ("sensetime", "商汤"),
        ("iflytek", "科大讯飞"),
        ("cetc", "中国电子科技集团"),
    ]:
        names = [n.name for n in by_id[eid].names]
        assert any(zh in n for n in names), (eid, names)


def test_loaded_on_first_use_with_provenance(tmp_path: Path):
    store = open_store(tmp_path / "s.db")
    [src] = [s for s in store.sources() if s["id"] == "screener-surveillance"]
    assert src["entities"] >= 100 and src["sha256"] and src["licence"]
    again = open_store(tmp_path / "s.db")  # identical bytes: no new version
    assert len(again.versions("screener-surveillance")) == 1


def test_registry_sources_name_format_licence_and_limits():
    for sid, entry in registry().items():
        assert entry["format"] in FORMATS, sid
        assert entry.get("licence") and entry.get("max_age_days"), sid


def test_vocabulary_puts_each_legal_form_in_one_class():
    raw = yaml.safe_load(
        (Path(normalize.__file__).parent / "data" / "vocabulary.yaml").read_text(encoding="utf-8")
    )
    seen = Counter(str(f) for forms in raw["legal_forms"].values() for f in forms)
    assert [f for f, n in seen.items() if n > 1] == []
    assert vocabulary()["legal"][("co", "ltd")] == "limited"


# --- additions and corrections (issue: coverage gaps) ----------------------------------

P1260_2025 = "https://media.defense.gov/2025/Jan/07/2003625471/"


def by_id(parsed) -> dict:
    return {e.id: e for e in parsed.entities}


def listing(entity, list_name: str):
    return next(ls for ls in entity.listings if ls.list == list_name)


@pytest.mark.parametrize(
    ("entity_id", "name", "list_name", "citation", "listed_on"),
    [
        ("tiandy", "Tiandy Technologies Co., Ltd.", "Entity List", "87 FR 77505", "2022-12-19"),
        (
            "suzhou-keda",
            "Suzhou Keda Technology Co., Ltd.",
            "Entity List",
            "86 FR 36496",
            "2021-07-12",
        ),
        (
            "xinjiang-beidou-tongchuang",
            "Xinjiang Beidou Tongchuang Information Technology Co., Ltd.",
            "Entity List",
            "86 FR 36496",
            "2021-07-12",
        ),
        ("gao-qi", "GAO, Qi", "SDN List", None, "2023-12-08"),
        ("hu-lianhe", "HU, Lianhe", "SDN List", None, "2023-12-08"),
        ("autel-robotics", "Autel Robotics Co., Ltd.", "DoD 1260H List", None, "2025-01-07"),
        ("jouav", "Chengdu JOUAV Automation Tech Co., Ltd.", "DoD 1260H List", None, "2024-01-31"),
        (
            "gtcom",
            "Global Tone Communication Technology Co., Ltd.",
            "DoD 1260H List",
            None,
            "2022-10-05",
        ),
        (
            "knownsec",
            "Beijing Zhidao Chuangyu Information Technology Co., Ltd.",
            "DoD 1260H List",
            None,
            "2022-10-05",
        ),
        (
            "forensic-genomics",
            "Forensic Genomics International",
            "DoD 1260H List",
            None,
            "2025-01-07",
        ),
        (
            "ppsuc",
            "People's Public Security University of China",
            "ASPI China Defence Universities Tracker",
            None,
            None,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_added_entries(parsed, entity_id, name, list_name, citation, listed_on) -> None:
    e = by_id(parsed)[entity_id]
    ls = listing(e, list_name)
    assert (e.name, ls.citation, ls.listed_on, ls.in_force) == (name, citation, listed_on, True)


def test_added_people_and_1260h_details(parsed) -> None:
    e = by_id(parsed)
    for pid in ("gao-qi", "hu-lianhe"):
        ls = listing(e[pid], "SDN List")
        assert e[pid].schema == "person" and ls.program == "GLOMAG"
        assert ls.source_url == "https://home.treasury.gov/news/press-releases/jy1972"
    assert e["gtcom-us"].parent_id == "gtcom"
    assert "GTCOM-US" in [n.name for n in e["gtcom-us"].names]
    assert {"知道创宇", "Knownsec"} <= {n.name for n in e["knownsec"].names}
    assert "FGI" in {n.name for n in e["forensic-genomics"].names}


def test_aspi_police_universities(parsed) -> None:
    e = by_id(parsed)
    for pid, zh in [
        ("cppu", "中国人民警察大学"),
        ("cipuc", "中国刑事警察学院"),
        ("ppsuc", "中国人民公安大学"),
        ("railway-police-college", "铁道警察学院"),
    ]:
        ls = listing(e[pid], "ASPI China Defence Universities Tracker")
        assert ls.program == "risk category: Security" and "not a legal restriction" in ls.effect
        assert zh in {n.name for n in e[pid].names}
    assert "警察大学" not in {n.name for n in e["cppu"].names}  # a purely generic word


@pytest.mark.shared_data  # the 1260H editions are read from OpenSanctions' transcription
def test_1260h_additions_match_the_1260h_editions(parsed) -> None:
    path = shared("opensanctions/us/dod_chinese_milcorps/sanctions.csv")
    import csv

    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    e = by_id(parsed)
    for eid in ("autel-robotics", "jouav", "gtcom", "knownsec", "forensic-genomics", "gtcom-us"):
        names = {n.name for n in e[eid].all_names()}
        first = min(r["Start date"] for r in rows if r["Clean Name"] in names)
        assert listing(e[eid], "DoD 1260H List").listed_on == first, eid
        assert any(r["Clean Name"] in names and r["Start date"] == "2026-06-08" for r in rows), eid


def test_the_july_2021_rule_is_cited_on_all_its_entries(parsed) -> None:
    july = [
        (e.id, ls)
        for e in parsed.entities
        for ls in e.listings
        if ls.list == "Entity List" and ls.listed_on == "2021-07-12"
    ]
    assert len(july) == 13
    assert {ls.citation for _, ls in july} == {"86 FR 36496"}
    assert {"xinjiang-lianhai-chuangzhi", "caeit", "leon-technology", "suzhou-keda"} <= {
        i for i, _ in july
    }


def test_1260h_removals_use_the_first_edition_without_them(parsed) -> None:
    e = by_id(parsed)
    for eid in ("sun-create", "glarun", "taiji-computer"):
        ls = listing(e[eid], "DoD 1260H List")
        assert (ls.end_date, ls.in_force) == ("2026-06-08", False)
    assert not [x.id for x in parsed.entities for ls in x.listings if ls.end_date == "2026-02-17"]
    megvii = listing(e["megvii"], "DoD 1260H List")
    assert (megvii.listed_on, megvii.end_date) == ("2024-01-31", "2025-01-07")
    assert not megvii.source_url.startswith(P1260_2025)


def test_former_names_never_repeat_the_primary_name(parsed) -> None:
    for e in parsed.entities:
        assert e.name not in {n.name for n in e.names if n.kind == "former"}, e.id
    meiya = by_id(parsed)["meiya-pico"]
    assert "SDIC Intelligence (Xiamen) Information Co., Ltd." in {n.name for n in meiya.names}
    cloudwalk = by_id(parsed)["cloudwalk"]
    assert [n.name for n in cloudwalk.names if n.kind == "former"] == [
        "Guangzhou CloudWalk Information Technology Co., Ltd."
    ]


SCOPE = (
    "to the extent it is used for the purpose of public safety, security of government "
    "facilities, physical security surveillance of critical infrastructure, and other "
    "national security purposes"
)


@pytest.mark.parametrize(
    ("entity_id", "scoped"),
    [("hikvision", True), ("dahua", True), ("hytera", True), ("huawei", False), ("zte", False)],
)
def test_fcc_covered_list_effect_states_its_scope(parsed, entity_id, scoped) -> None:
    effect = listing(by_id(parsed)[entity_id], "FCC Covered List").effect
    assert (SCOPE in effect) is scoped
    assert "including telecommunications or video surveillance services" in effect


def test_hong_kong_and_cayman_entities_carry_both_places(parsed) -> None:
    e = by_id(parsed)
    assert e["sensetime"].countries == ["hk", "cn"] and e["yitu"].countries == ["ky", "cn"]
    assert e["china-mobile-ltd"].countries == ["hk", "cn"] == e["china-unicom-hk"].countries
    for x in parsed.entities:
        places = {
            ("hk" if "Hong Kong" in a else "ky" if "Cayman" in a else "other") for a in x.addresses
        }
        if places and places <= {"hk", "ky"}:
            assert places <= set(x.countries) and "cn" in x.countries, x.id


def test_lianhai_chuangzhi_has_its_cetc_parent(parsed) -> None:
    assert by_id(parsed)["xinjiang-lianhai-chuangzhi"].parent_id == "cetc"


def test_meti_entries_are_spelt_as_meti_spells_them(parsed) -> None:
    e = by_id(parsed)
    assert e["cetc-10"].name == (
        "10th Research Institute of China Electronic Technology Group Corporation"
    )
    assert "中国電子科技集団公司第十研究所" in {n.name for n in e["cetc-10"].names}
    assert "China Electronics Technology Group Corporation (CETC) 54th Research Institute" in {
        n.name for n in e["cetc-54"].names
    }
    path = excerpt("xyna-export-control-registry/data/entities/jp.json")  # the records cited
    import json

    meti = {r["id"]: r for r in json.loads(path.read_text(encoding="utf-8"))}
    checked = 0
    for x in parsed.entities:
        for ref in re.findall(r"jp-eul-\d+", " ".join(map(str, x.extra.get("sources", [])))):
            name = meti[ref]["entity_name"].replace("（", " (").replace("）", ")")
            english = " ".join(re.sub(r"\s*\([^)]*[\u3400-\u9fff][^)]*\)\s*$", "", name).split())
            listed = {" ".join(n.name.split()) for n in x.all_names()}
            assert english in listed, (x.id, english)
            checked += 1
    assert checked >= 14


@pytest.mark.parametrize(
    ("entity_id", "short"),
    [
        ("dahua", "大华"),
        ("dahua", "大华股份"),
        ("hikvision", "海康"),
        ("hikvision", "海康威视"),
        ("meiya-pico", "美亚柏科"),
        ("sensetime", "商汤"),
        ("megvii", "旷视"),
        ("iflytek", "科大讯飞"),
        ("iflytek", "讯飞"),
        ("yitu", "依图"),
        ("cloudwalk", "云从"),
        ("netposa", "东方网力"),
        ("cetc-14", "中电科十四所"),
        ("cetc-14", "电科14所"),
        ("cetc-28", "中电科28所"),
        ("tiandy", "天地伟业"),
    ],
)
def test_short_and_brand_names_users_meet(parsed, entity_id, short) -> None:
    assert short in {n.name for n in by_id(parsed)[entity_id].names}
