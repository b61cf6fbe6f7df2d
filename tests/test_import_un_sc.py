"""`un-sc`: the UN Security Council Consolidated List XML, real (2026-02-27; 53 of its
records: fixtures/excerpts) and made up."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from official_lists import FIXTURES, by_id, import_then_check, name_count, names, real

from screener.lists.parsers import un_sc
from screener.model import ParsedList

UN_XML = "moov-watchman/un_sc/UN_consolidated.xml"


@pytest.fixture(scope="module")
def un() -> ParsedList:
    return un_sc.parse(real(UN_XML))


def test_every_record_of_the_real_list(un: ParsedList) -> None:
    assert len(un.entities) == 53
    assert Counter(e.schema for e in un.entities) == {"person": 31, "organization": 22}
    assert name_count(un) == 192
    assert un.published == "2026-02-27"
    assert len({e.id for e in un.entities}) == 53  # REFERENCE_NUMBER is unique
    assert Counter(p for e in un.entities for p in e.programs)["Al-Qaida"] == 2


def test_al_qaida_with_its_aliases_script_and_listing(un: ParsedList) -> None:
    aq = by_id(un, "QDe.004")
    assert aq.name == "AL-QAIDA" and aq.schema == "organization"
    assert {"Al Qaeda", "Usama Bin Laden Network", "Islamic Salvation Foundation"} <= set(
        names(aq, "alias")
    )
    arabic = next(n for n in aq.names if n.name == "القاعدة")
    assert (arabic.kind, arabic.lang) == ("alias", "ar")
    [listing] = aq.listings
    assert (listing.list, listing.authority, listing.listed_on, listing.program) == (
        "UN Security Council Consolidated List",
        "UN Security Council",
        "2001-10-06",
        "Al-Qaida",
    )
    assert listing.in_force and listing.source_url.startswith("https://www.un.org/")
    assert aq.identifiers == ["UN reference QDe.004"]
    assert aq.extra["last_updated"] == ["2009-03-05", "2012-03-21", "2020-11-24"]


def test_alias_quality_low_is_weak_and_fka_is_former(un: ParsedList) -> None:
    assert "Rumuli" in names(by_id(un, "CDi.003"), "weak")
    adf = by_id(un, "CDe.001")
    assert names(adf, "alias") == ["Allied Democratic Forces"]
    assert {"ADF/NALU", "NALU"} <= set(names(adf, "former"))
    kinds = Counter(n.kind for e in un.entities for n in e.all_names())
    assert kinds["weak"] == 31 and kinds["former"] == 4  # 31 "Low", 4 "f.k.a." records


def test_person_birth_nationality_and_address(un: ParsedList) -> None:
    badege = by_id(un, "CDi.001")
    assert badege.name == "ERIC BADEGE" and badege.schema == "person"
    assert badege.extra["birth_dates"] == ["1971"]
    assert badege.extra["nationalities"] == ["cd"]
    assert badege.addresses == ["Rwanda (as of early 2016)"]
    assert by_id(un, "CDi.030").extra["birth_date_ranges"] == [["1973", "1974"]]


def test_chinese_script_name_of_a_dprk_listed_company(un: ParsedList) -> None:
    huaxin = by_id(un, "KPe.059")
    assert ("華信船務(香港)有限公司", "zh") in [(n.name, n.lang) for n in huaxin.names]
    assert huaxin.countries == ["cn"] and huaxin.programs == ["DPRK"]


def test_made_up_file_reads_every_field() -> None:
    parsed = un_sc.parse(FIXTURES / "un_mini.xml")
    person, company = parsed.entities
    assert (person.id, person.name) == ("XXi.001", "EXAMPLE PERSON ONE")
    assert [(n.name, n.kind, n.lang) for n in person.names] == [
        ("EXAMPLE PERSON ONE", "primary", None),
        ("예시 사람", "alias", "ko"),
        ("Example P. One", "alias", None),
        ("Exo", "weak", None),
    ]
    assert person.extra["birth_dates"] == ["1970-05-01", "1971"]
    assert person.extra["birth_dates_circa"] == ["1971"]
    assert person.extra["birth_date_ranges"] == [["1965", "1968"]]
    assert person.extra["birth_places"] == ["Nampo, Democratic People's Republic of Korea"]
    assert person.extra["nationalities"] == ["kp"] and person.countries == ["kp"]
    assert person.extra["titles"] == ["Dr."] and person.extra["positions"]
    assert "Passport 000000001" in person.identifiers
    assert names(company, "former") == ["Old Example Trading", "Older Example Trading"]
    assert company.addresses == ["1 Example Street, Dandong, China"]
    assert parsed.published == "2026-03-01"


def test_cli_import_then_check_finds_a_un_listed_entity(db_path: Path) -> None:
    output, hits = import_then_check(db_path, real(UN_XML), "un-sc", "un-sc", "القاعدة")
    assert "un-sc: loaded version 3 with 53 entities and 192 names" in output
    assert hits[0]["entity_id"] == "QDe.004" and hits[0]["name"] == "AL-QAIDA"
    assert hits[0]["listed_on"] == "2001-10-06"
