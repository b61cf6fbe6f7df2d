"""lists/ownership.yaml: sourced ownership edges and rules, and the parser's checks."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import yaml
from excerpts import excerpt, shared

from screener.errors import InputError
from screener.lists.parsers import curated, ownership
from screener.lists.registry import bundled_dir

CONS_PRIM = excerpt("moov-watchman/ofac_non_sdn/cons_prim.csv")  # every NS-CMIC entry
MILCORPS = "opensanctions/us/dod_chinese_milcorps/sanctions.csv"


@pytest.fixture(scope="module")
def edges() -> list[ownership.OwnershipEdge]:
    return ownership.parse()


@pytest.fixture(scope="module")
def entries() -> dict:
    return {e.id: e for e in curated.parse(bundled_dir() / "surveillance.yaml").entities}


def edge(edges: list[ownership.OwnershipEdge], child: str) -> ownership.OwnershipEdge:
    return next(e for e in edges if e.child.name == child)


def test_every_edge_is_sourced_typed_and_resolvable(edges, entries) -> None:
    assert len(edges) >= 100
    for e in edges:
        assert re.match(r"^https?://", e.source), e.child.name
        assert e.kind in ownership.KINDS
        assert e.share is None or 0 <= e.share <= 100
        if e.owner_id:
            assert e.owner_id in entries, e.owner
        else:  # a named owner says whose spelling it uses, or is another edge's child
            assert e.owner_list or any(x.child.name == e.owner for x in edges), e.owner


def test_no_edge_repeats_a_curated_parent_without_adding_to_it(edges, entries) -> None:
    for e in edges:
        same = [x for x in entries.values() if x.name == e.child.name and x.parent_id == e.owner_id]
        assert not same or e.share is not None or e.controlled, e.child.name


@pytest.mark.parametrize(
    ("child", "owner", "share", "kind"),
    [
        ("Hangzhou Hikrobot Co., Ltd.", "hikvision", 60.0, "subsidiary"),
        ("Hangzhou EZVIZ Network Co., Ltd.", "hikvision", None, "subsidiary"),
        ("Hikvision USA, Inc.", "hikvision", 100.0, "subsidiary"),
        ("Zhejiang Huaray Technology Co., Ltd.", "dahua", None, "subsidiary"),
        ("Nanjing LES Information Technology Co., Ltd.", "cetc-28", None, "subsidiary"),
        ("GLARUN Technology Co., Ltd.", "cetc-14", None, "subsidiary"),
        ("CETC Digital Technology Co., Ltd.", "cetc-32", None, "subsidiary"),
        ("Futurewei Technologies, Inc.", "huawei", None, "subsidiary"),
        ("Shenzhen SenseTime Technology Co., Ltd.", "sensetime", 100.0, "subsidiary"),
        ("China Mobile Group Tianjin Co., Ltd.", "china-mobile-ltd", 100.0, "subsidiary"),
        ("ZTE Kangxun Telecommunications Ltd.", "zte", None, "subsidiary"),
        ("China Mobile Research Institute", "china-mobile-group", None, "unit"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_known_edges(edges, child, owner, share, kind) -> None:
    e = edge(edges, child)
    assert (e.owner_id, e.share, e.kind) == (owner, share, kind)


def test_ezviz_carries_its_chinese_names_and_control(edges) -> None:
    e = edge(edges, "Hangzhou EZVIZ Network Co., Ltd.")
    assert {"EZVIZ", "萤石网络", "萤石"} <= set(e.child.names())
    assert e.controlled is True and e.child.country == "cn"


def test_an_ended_edge_is_current_only_before_its_end(edges) -> None:
    usa = edge(edges, "Dahua Technology USA Inc.")
    assert (usa.share, usa.end_date, usa.child.country) == (100.0, "2024-01", "us")
    assert usa.current("2023-12-31") and usa.current("2024-01-31")
    assert not usa.current("2024-02-01")
    assert edge(edges, "Hangzhou Hikrobot Co., Ltd.").current("2030-01-01")


def test_1260h_parents_use_the_listed_owner_spelling(edges) -> None:
    avic = edge(edges, "AVIC Chengdu Aircraft Co., Ltd.")
    assert (avic.owner, avic.owner_list) == (
        "AVIATION INDUSTRY CORPORATION OF CHINA, LTD.",
        "NS-CMIC List",
    )
    assert avic.source.startswith("https://media.defense.gov/2026/Jun/08/")
    zemic = edge(edges, "Zhonghang Electronic Measuring Instruments Company Limited")
    assert (zemic.kind, zemic.owner) == ("former-name", "AVIC Chengdu Aircraft Co., Ltd.")


def test_ns_cmic_owners_are_spelt_as_the_list_spells_them(edges) -> None:
    with CONS_PRIM.open(encoding="latin-1") as f:
        cmic = {r[1] for r in csv.reader(f) if len(r) > 3 and "CMIC" in r[3]}
    named = [e.owner for e in edges if e.owner_list == "NS-CMIC List"]
    assert named and set(named) <= cmic, set(named) - cmic


@pytest.mark.shared_data  # the 1260H editions are read from OpenSanctions' transcription
def test_1260h_owners_are_spelt_as_the_list_spells_them(edges) -> None:
    with shared(MILCORPS).open(encoding="utf-8") as f:
        milcorps = {r["Clean Name"] for r in csv.DictReader(f)}
    named = [e.owner for e in edges if e.owner_list == "DoD 1260H List"]
    assert named and set(named) <= milcorps, set(named) - milcorps


def test_affiliates_rule_status_is_data_with_sources() -> None:
    rules = {r.id: r for r in ownership.parse_rules()}
    aff = rules["bis-affiliates-rule"]
    assert (aff.citation, aff.threshold) == ("90 FR 47201", 50.0)
    on = {d: aff.status_on(d) for d in ("2025-10-01", "2026-01-01", "2026-11-09", "2026-11-10")}
    assert (on["2025-10-01"].status, on["2025-10-01"].citation) == ("in force", "90 FR 47201")
    assert (on["2026-01-01"].status, on["2026-01-01"].citation) == ("suspended", "90 FR 50857")
    assert on["2026-11-09"].status == "suspended"
    after = on["2026-11-10"]  # 90 FR 50857 restores it then "absent a future extension"
    assert (after.status, after.citation) == ("in force by default", "90 FR 50857")
    assert (
        after.checked_on == "2026-12-07"
        and after.source == "https://www.federalregister.gov/d/2025-19846"
    )
    assert "no extension found" in after.note and "Caveat:" in after.note
    assert aff.status_on("2025-09-01") is None  # before the rule
    assert rules["ofac-50-percent-rule"].status_on("2026-12-01").status == "in force"


EDGE = {
    "child": {"name": "Hangzhou Hikrobot Co., Ltd.", "country": "cn"},
    "owner": "hikvision",
    "share": 60,
    "kind": "subsidiary",
    "as_of": "2022-06-10",
    "source": "https://wallstreetcn.com/articles/3683951",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "affiliate"}, "unknown kind 'affiliate'"),
        ({"source": None}, "needs a source URL"),
        ({"source": "Securities Times"}, "needs a source URL"),
        ({"share": 150}, "not a percentage"),
        ({"share": "60%"}, "not a percentage"),
        ({"owner": "hikvison"}, "not an entry id"),
        ({"owner": None}, "needs an owner"),
        ({"as_of": "10 June 2022"}, "not a date"),
        ({"end_date": "2021"}, "before as_of"),
        ({"child": {"name": ""}}, "needs a child with a name"),
        ({"child": {"name": "Hikrobot", "country": "China"}}, "not an ISO alpha-2 code"),
        ({"controlled": "yes"}, "controlled must be"),
    ],
    ids=lambda v: None,
)
def test_bad_edges_raise_input_error(tmp_path: Path, change: dict, message: str) -> None:
    path = tmp_path / "ownership.yaml"
    path.write_text(yaml.safe_dump({"edges": [{**EDGE, **change}]}), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)):
        ownership.parse(path, entry_ids={"hikvision"})


def test_good_edge_and_file_level_errors(tmp_path: Path) -> None:
    path = tmp_path / "ownership.yaml"
    path.write_text(yaml.safe_dump({"edges": [EDGE]}), encoding="utf-8")
    [e] = ownership.parse(path, entry_ids={"hikvision"})
    assert (e.owner_id, e.share, e.owner_name) == ("hikvision", 60.0, None)
    # JSON is YAML without anchors: the loader refuses aliases, which safe_dump would write.
    path.write_text(json.dumps({"edges": [EDGE, EDGE]}), encoding="utf-8")
    with pytest.raises(InputError, match="repeats"):
        ownership.parse(path, entry_ids={"hikvision"})
    path.write_text("edges: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        ownership.parse(path, entry_ids={"hikvision"})
    with pytest.raises(InputError, match="no such file"):
        ownership.parse(tmp_path / "missing.yaml")


def test_overlapping_rule_status_is_refused(tmp_path: Path) -> None:
    rule = {
        "id": "r",
        "name": "R",
        "source": "https://example.gov/r",
        "threshold": 50,
        "status": [
            {
                "status": "in force",
                "from": "2025-09-29",
                "to": "2025-12-31",
                "source": "https://example.gov/a",
            },
            {
                "status": "suspended",
                "from": "2025-11-10",
                "to": None,
                "source": "https://example.gov/b",
            },
        ],
    }
    path = tmp_path / "ownership.yaml"
    path.write_text(yaml.safe_dump({"rules": [rule]}), encoding="utf-8")
    with pytest.raises(InputError, match="overlap"):
        ownership.parse_rules(path)
    rule["status"][1] = {"status": "suspended", "from": "2026-01-01", "to": None}
    path.write_text(yaml.safe_dump({"rules": [rule]}), encoding="utf-8")
    with pytest.raises(InputError, match="needs its source"):
        ownership.parse_rules(path)
