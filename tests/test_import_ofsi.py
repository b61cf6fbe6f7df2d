"""`ofsi`: the UK OFSI Consolidated List, 2022 layout (XLSX, 2025) and legacy HM Treasury
CSV (Windows-1252, 2018), told apart by content (the real files cut to some of their
Group IDs: fixtures/excerpts); and made-up files of both layouts."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from official_lists import FIXTURES, by_id, import_then_check, name_count, names, real

from screener.lists.parsers import ofsi
from screener.model import ParsedList

XLSX_2025 = "mmahmed107-ofsi-conlist/ConList.xlsx"
CSV_2018 = "photoangell-hmt-conlist-2018/sanctionsconlist.csv"


@pytest.fixture(scope="module")
def conlist() -> ParsedList:
    return ofsi.parse(real(XLSX_2025))


@pytest.fixture(scope="module")
def legacy() -> ParsedList:
    return ofsi.parse(real(CSV_2018))


def test_2025_xlsx_one_entity_per_group_id(conlist: ParsedList) -> None:
    assert len(conlist.entities) == 75
    assert Counter(e.schema for e in conlist.entities) == {
        "person": 23,
        "organization": 51,
        "vessel": 1,
    }
    assert name_count(conlist) == 413
    assert conlist.published == "2025-04-14"
    assert conlist.meta["format"] == "ofsi-2022-xlsx"
    assert len(Counter(p for e in conlist.entities for p in e.programs)) == 15


def test_xpcc_psb_by_group_id_with_regime_and_uk_reference(conlist: ParsedList) -> None:
    xpcc = by_id(conlist, "14079")
    assert xpcc.name == "XINJIANG PRODUCTION AND CONSTRUCTION CORPS PUBLIC SECURITY BUREAU"
    assert names(xpcc, "alias") == ["XINJIANG SHENGCHAN JIANSHE BINGTUAN GONG'AN JU", "XPCC PSB"]
    [listing] = xpcc.listings
    assert (listing.list, listing.authority, listing.program, listing.listed_on) == (
        "OFSI Consolidated List",
        "HM Treasury (OFSI)",
        "Global Human Rights",
        "2021-03-22",
    )
    assert listing.source_url.startswith("https://www.gov.uk/")
    assert xpcc.identifiers == ["OFSI Group ID 14079", "UK Sanctions List GHR0079"]
    assert xpcc.remarks.startswith("(UK Sanctions List Ref):GHR0079.")


def test_chinese_name_of_a_russia_regime_entity(conlist: ParsedList) -> None:
    autel = by_id(conlist, "16643")
    assert autel.name == "AUTEL ROBOTICS CO., LTD."
    assert [(n.name, n.lang) for n in autel.names if n.lang] == [("道通机器人有限公司", "zh")]
    assert autel.programs == ["Russia"] and autel.listed_on == "2024-11-07"
    langs = Counter(n.lang for e in conlist.entities for n in e.all_names() if n.lang)
    assert (langs["zh"], langs["ru"], langs["ar"]) == (29, 7, 6)


def test_low_quality_aka_is_weak_and_several_regimes_are_several_listings(
    conlist: ParsedList,
) -> None:
    kony = by_id(conlist, "13378")
    assert {"CAESAR", "Otim KAPERE"} <= set(names(kony, "weak"))
    irgc_qf = by_id(conlist, "11241")
    assert [ls.program for ls in irgc_qf.listings] == ["Iran (Nuclear)", "Syria"]
    haq = by_id(conlist, "15672")
    assert haq.name == "Mian Abdul HAQ" and "Mian MITHOO" in names(haq, "alias")
    assert haq.extra["nationalities"] == ["pk"] and haq.extra["titles"] == ["Mr"]


def test_2018_legacy_csv_in_windows_1252(legacy: ParsedList) -> None:
    assert len(legacy.entities) == 19
    assert Counter(e.schema for e in legacy.entities) == {"person": 8, "organization": 11}
    assert name_count(legacy) == 103
    assert (legacy.published, legacy.meta["format"]) == ("2018-04-13", "ofsi-legacy-csv")
    hababi = by_id(legacy, "13349")
    assert hababi.name == "Nayef Salam Muhammad Ujaym AL-HABABI"  # " AL-HABABI" in the file
    assert "Sheikh Farooq AL-QAHTANI" in names(hababi, "alias")
    assert hababi.extra["birth_dates"] == ["1980", "1981"]  # "00/00/1980", "00/00/1981"
    assert hababi.extra["nationalities"] == ["sa", "qa"]  # "1) Saudi Arabia 2) Qatar"
    assert hababi.extra["un_references"] == ["QDe.004"]
    assert any("’" in e.name for e in legacy.entities)  # 0x92 read as a curly apostrophe


@pytest.mark.parametrize("name", ["ofsi_2022_mini.csv", "ofsi_2022_mini.xlsx"])
def test_made_up_2022_layout_as_csv_or_xlsx(name: str) -> None:
    parsed = ofsi.parse(FIXTURES / name)
    company, person = parsed.entities
    assert parsed.published == "2024-12-18"
    assert [(n.name, n.kind, n.lang) for n in company.names] == [
        ("EXAMPLE TRADING LLC", "primary", None),
        ("示例贸易有限公司", "alias", "zh"),
        ("EXAMPLE TRADING", "alias", None),
    ]
    assert company.addresses == ["1 Example Road, Shenzhen, China"] and company.countries == ["cn"]
    assert person.name == "Example Examplevich PERSONOV"
    assert ("Пример Примерович ПЕРСОНОВ", "ru") in [(n.name, n.lang) for n in person.names]
    assert names(person, "weak") == ["Example PERSONOFF"]
    assert person.extra["birth_dates"] == ["1970-05-01", "1971"]
    assert person.extra["nationalities"] == ["ru", "by"]
    assert person.extra["uk_sanctions_list_refs"] == ["RUS9002"]


def test_content_not_file_name_picks_the_reader(tmp_path: Path) -> None:
    disguised = tmp_path / "ConList.csv"  # an XLSX served under a .csv name
    shutil.copyfile(FIXTURES / "ofsi_2022_mini.xlsx", disguised)
    assert ofsi.parse(disguised).meta["format"] == "ofsi-2022-xlsx"
    legacy_file = ofsi.parse(FIXTURES / "ofsi_legacy_mini.csv")
    assert legacy_file.entities[0].name == "Sean O’EXAMPLE"


@pytest.mark.parametrize(
    "rel, source, query, entity_id, counts",
    [
        pytest.param(
            XLSX_2025,
            "ofsi",
            "道通机器人有限公司",
            "16643",
            "75 entities and 413 names",
            id="xlsx-2025",
        ),
        pytest.param(
            CSV_2018,
            "hmt-2018",
            "AL-HABABI Nayef Salam Muhammad Ujaym",
            "13349",
            "19 entities and 103 names",
            id="csv-2018",
        ),
    ],
)
def test_cli_import_then_check(
    db_path: Path, rel: str, source: str, query: str, entity_id: str, counts: str
) -> None:
    output, hits = import_then_check(db_path, real(rel), "ofsi", source, query)
    assert f"loaded version 3 with {counts}" in output
    assert hits[0]["entity_id"] == entity_id
