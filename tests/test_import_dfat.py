"""`dfat`: Australia's Consolidated List, the real 2024 XLSX (64 of its listings:
fixtures/excerpts), and made-up files in the 2024 (XLSX) and 2026 (CSV, with Alias
Strength and IMO Number) layouts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from official_lists import FIXTURES, by_id, import_then_check, name_count, names, real

from screener.lists.parsers import dfat
from screener.model import ParsedList

XLSX_2024 = "stanux-dfat-consolidated/regulation8_consolidated.xlsx"


@pytest.fixture(scope="module")
def consolidated() -> ParsedList:
    return dfat.parse(real(XLSX_2024))


def test_one_entity_per_reference_number(consolidated: ParsedList) -> None:
    assert len(consolidated.entities) == 64  # "2", "2a", "2b", "34c1" ... are listing 2, 34
    assert Counter(e.schema for e in consolidated.entities) == {"person": 62, "organization": 2}
    assert name_count(consolidated) == 255
    assert consolidated.published == "2024-11-11"  # the workbook's own modified date
    kinds = Counter(n.kind for e in consolidated.entities for n in e.all_names())
    assert kinds["primary"] == 64 and kinds["former"] == 4


def test_person_with_date_of_birth_chinese_name_and_listing_date(consolidated: ParsedList) -> None:
    haq = by_id(consolidated, "1112")
    assert (haq.name, haq.schema) == ("ABDUL HAQ", "person")
    assert haq.extra["birth_dates"] == ["1971-10-10"]  # "10 Oct. 1971"
    assert ("阿不都·哈克", "zh") in [(n.name, n.lang) for n in haq.names]
    assert {"Maimaitiming Maimaiti", "Abdul Heq"} <= set(names(haq, "alias"))
    assert haq.extra["nationalities"] == ["cn"]
    assert haq.addresses == [
        "Afghanistan (current location as at Jul. 2016)",
        "Pakistan (previous location as at Apr. 2009)",
    ]
    [listing] = haq.listings
    assert listing.listed_on == "2009-04-15"  # from "Listed on: 15 April 2009 (amended ...)"
    assert listing.program == "1267/1989/2253 (ISIL (Da'esh) and Al-Qaida)"
    assert haq.extra["control_date"] == "2021-02-26"  # last edited: not the listing date


def test_free_text_dates_of_birth(consolidated: ParsedList) -> None:
    akhund = by_id(consolidated, "2")  # "a) Approximately 1955- 1958 b) Approximately 1945-1950"
    assert akhund.extra["birth_date_ranges"] == [["1955", "1958"], ["1945", "1950"]]
    omar = by_id(consolidated, "4")  # "a) Approximately 1966 b) 1960 c) 1953"
    assert omar.extra["birth_dates"] == ["1966", "1960", "1953"]
    assert omar.extra["birth_dates_circa"] == ["1966"]
    persons = [e for e in consolidated.entities if e.schema == "person"]
    dated = [e for e in persons if e.extra.get("birth_dates") or e.extra.get("birth_date_ranges")]
    assert len(dated) / len(persons) > 0.95


def test_made_up_2024_xlsx_dates_as_excel_dates_and_numbers() -> None:
    parsed = dfat.parse(FIXTURES / "dfat_mini.xlsx")
    person, company, two, three = parsed.entities
    assert [(n.name, n.kind, n.lang) for n in person.names] == [
        ("EXAMPLE PERSON", "primary", None),
        ("예시 사람", "alias", "ko"),
        ("E. Person", "alias", None),
    ]
    assert person.extra["birth_dates"] == ["1970-05-01", "1971"]
    assert person.countries == ["kp", "cn"] and person.listed_on == "2016-06-02"
    assert company.schema == "organization" and company.listed_on is None
    assert two.extra["birth_dates"] == ["1965-03-04"] and two.listed_on == "2006-12-23"
    assert two.addresses == []  # "NA"
    assert three.extra["birth_dates"] == ["1969"]


def test_made_up_2026_csv_layout_weak_alias_imo_and_measures() -> None:
    [tanker] = dfat.parse(FIXTURES / "dfat_mini.csv").entities
    assert tanker.schema == "vessel"
    assert names(tanker, "weak") == ["EX TANKER"]
    assert tanker.identifiers == ["DFAT reference 9101", "IMO 9000002"]
    assert tanker.extra["measures"] == ["targeted financial sanction", "maritime restriction"]
    assert tanker.listed_on == "2025-05-20"


def test_cli_import_then_check_finds_a_dfat_listed_person(db_path: Path) -> None:
    output, hits = import_then_check(db_path, real(XLSX_2024), "dfat", "dfat", "阿不都·哈克")
    assert "dfat: loaded version 3 with 64 entities and 255 names" in output
    assert hits[0]["entity_id"] == "1112" and hits[0]["name"] == "ABDUL HAQ"
