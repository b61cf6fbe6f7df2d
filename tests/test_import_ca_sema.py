"""`ca-sema`: Canada's Consolidated Autonomous Sanctions List XML, real (Sept 2025) and a
made-up file mixing the old and the newer (bilingual) element names.

The real file is read from ../shared/data, not from an excerpt: its copy states no
licence and the Canadian government's terms for the file were not confirmed, so none of
it is committed (fixtures/README.md). Those tests are marked ``shared_data`` and skip
without it; the made-up file covers the same element forms on a fresh clone.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from excerpts import shared
from official_lists import FIXTURES, by_id, import_then_check, name_count, names

from screener.lists.parsers import ca_sema
from screener.model import ParsedList

SEMA = "rulesengineaml-ca-sema/sema-lmes.xml"


@pytest.fixture(scope="module")
def sema() -> ParsedList:
    return ca_sema.parse(shared(SEMA))


@pytest.mark.shared_data
def test_every_record_keyed_by_regime_schedule_and_item(sema: ParsedList) -> None:
    assert len(sema.entities) == 5090
    assert len({e.id for e in sema.entities}) == 5090
    assert Counter(e.schema for e in sema.entities) == {
        "person": 3424,
        "organization": 1356,
        "vessel": 310,
    }
    assert name_count(sema) == 8893
    regimes = Counter(p for e in sema.entities for p in e.programs)
    assert (regimes["Russia"], regimes["China"], regimes["Venezuela"]) == (2737, 13, 123)


@pytest.mark.shared_data
def test_xpcc_psb_and_chen_quanguo_under_the_china_regime(sema: ParsedList) -> None:
    xpcc = by_id(sema, "China | Part 2 | item 1")
    assert xpcc.name == "Xinjiang Production and Construction Corps Public Security Bureau"
    [listing] = xpcc.listings
    assert (listing.list, listing.program, listing.listed_on) == (
        "Consolidated Canadian Autonomous Sanctions List",
        "China",
        "2021-03-21",
    )
    assert listing.source_url.startswith("https://www.international.gc.ca/")
    chen = by_id(sema, "China | Part 1 | item 5")
    assert (chen.name, chen.schema, chen.extra["birth_dates"]) == (
        "Quanguo Chen",
        "person",
        ["1955-11"],
    )
    assert chen.countries == []  # the regime is not where a party is


@pytest.mark.shared_data
def test_cyrillic_alias_fragments_and_also_known_as(sema: ParsedList) -> None:
    shadayev = by_id(sema, "Russia | 1, Part 1 | item 826")
    assert ("Максут Игоревич Шадаев", "ru") in [(n.name, n.lang) for n in shadayev.names]
    salyaev = next(e for e in sema.entities if e.name == "Aleksey Mikhailovich SALYAEV")
    assert names(salyaev, "alias") == ["Oleksii SALYAYEV"]
    assert names(salyaev, "weak") == ["Aleksei", "SALIAIEV"]  # spelling fragments
    rusbitech = next(e for e in sema.entities if "RusBITech" in e.name)
    assert rusbitech.name == "Research and Production Association RusBITech"
    assert "Rusbitech" in names(rusbitech, "alias")  # "(also known as Rusbitech)"


@pytest.mark.shared_data
def test_ship_with_imo_number_and_build_year(sema: ParsedList) -> None:
    ship = by_id(sema, "Russia | 1.1 | item 1")
    assert (ship.name, ship.schema) == ("Balitiyskiy III", "vessel")
    assert ship.identifiers == ["IMO 7612448"]
    assert ship.extra["build_date"] == "1980"
    assert ship.extra["vessel_type"] == "General Cargo / Multi Purpose"


def test_made_up_file_old_and_bilingual_element_names() -> None:
    person, company, ship = ca_sema.parse(FIXTURES / "ca_mini.xml").entities
    assert person.id == "Russia | 1, Part 1 | item 9001"
    assert person.name == "Example Examplevich PERSONOV"
    assert names(person, "weak") == ["Primer"]
    assert ("Пример Примерович Персонов", "ru") in [(n.name, n.lang) for n in person.names]
    assert person.extra["birth_dates"] == ["1970-05"]
    assert (company.id, company.name) == (
        "China | Part 2 | item 9002",
        "Example Security Technology Co., Ltd.",
    )
    assert names(company, "alias") == ["Example Security", "示例安全技术有限公司"]
    assert company.listed_on == "2024-12-09"
    assert (ship.schema, ship.identifiers) == ("vessel", ["IMO 9000001"])


@pytest.mark.shared_data
def test_cli_import_then_check_finds_a_canada_listed_entity(db_path: Path) -> None:
    output, hits = import_then_check(
        db_path, shared(SEMA), "ca-sema", "ca-sema", "Research and Production Association RusBITech"
    )
    assert "ca-sema: loaded version 3 with 5090 entities and 8893 names" in output
    assert hits[0]["listed_on"] == "2024-02-21"
