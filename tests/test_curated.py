"""The bundled curated list and the vocabularies: well-formed, sourced, never invented."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from screener.lists.bundled import open_store
from screener.lists.parsers import curated
from screener.lists.registry import FORMATS, bundled_dir, registry
from screener.matching import normalize
from screener.matching.normalize import vocabulary

LIST = bundled_dir() / "surveillance.yaml"
CITATION = re.compile(r"^\d{1,3} FR \d{1,6}( \(\w[^)]*\))?(; \d{1,3} FR \d{1,6})*$")
OFFICIAL_HOSTS = (
    "federalregister.gov", "ecfr.gov", "treasury.gov", "ofac.treas.gov", "defense.gov",
    "fcc.gov", "congress.gov", "europa.eu", "gov.uk", "meti.go.jp", "aspi.org.au", "bis.gov",
    "commerce.gov", "state.gov", "trade.gov", "govinfo.gov",
)  # fmt: skip


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
    in_rule = [e for e in parsed.entities
               if any(ls.citation == "84 FR 54002" for ls in e.listings)]  # fmt: skip
    assert len(in_rule) == 28


def test_chinese_names_are_simplified_and_present_for_the_vendors(parsed):
    by_id = {e.id: e for e in parsed.entities}
    for eid, zh in [("hikvision", "海康威视"), ("megvii", "旷视"), ("sensetime", "商汤"),
                    ("iflytek", "科大讯飞"), ("cetc", "中国电子科技集团")]:  # fmt: skip
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
    raw = yaml.safe_load((Path(normalize.__file__).parent / "data" / "vocabulary.yaml")
                         .read_text(encoding="utf-8"))  # fmt: skip
    seen = Counter(str(f) for forms in raw["legal_forms"].values() for f in forms)
    assert [f for f, n in seen.items() if n > 1] == []
    assert vocabulary()["legal"][("co", "ltd")] == "limited"
