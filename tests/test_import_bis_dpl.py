"""`bis-dpl`: the BIS Denied Persons List (dpl.txt), real (Sept 2022) and made up.

The real file (47 of its rows: fixtures/excerpts) has three typo dates in Last_Update
("0222-05-18", "2922-09-01", "3017-08-22"; see ../shared/data/PROVENANCE.md): they are
not used as dates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from official_lists import FIXTURES, import_then_check, real

from screener.lists.parsers import bis_dpl
from screener.model import Entity, ParsedList

DPL = "moov-watchman/bis_dpl_2022/dpl.txt"


@pytest.fixture(scope="module")
def dpl() -> ParsedList:
    return bis_dpl.parse(real(DPL))


def named(parsed: ParsedList, name: str) -> list[Entity]:
    return [e for e in parsed.entities if e.name == name]


def test_47_rows_are_30_denial_orders(dpl: ParsedList) -> None:
    assert dpl.meta["rows"] == 47
    assert len(dpl.entities) == 30  # rows of one order (name, dates, citations) joined
    assert sum(len(e.addresses) for e in dpl.entities) == 47
    assert len({e.id for e in dpl.entities}) == 30


def test_typo_dates_are_not_used(dpl: ParsedList) -> None:
    assert dpl.meta["bad_dates"] == [
        "AL-NASER AIRLINES: Last_Update 0222-05-18",
        "KNOKKE-HEIST SUPPORT CORPORATION MANAGEMENT: Last_Update 2922-09-01",
        "MANSOUR ZADEH: Last_Update 3017-08-22",
    ]
    [zadeh] = named(dpl, "MANSOUR ZADEH")  # four addresses, one row with the typo
    assert zadeh.extra["last_update"] == "2017-08-22"
    assert zadeh.extra["last_update_as_printed"] == ["3017-08-22"]
    assert zadeh.listed_on == "2017-08-10" and zadeh.citation == "82 FR 39105"


def test_dahua_electronics_is_a_denied_person_with_its_citation(dpl: ParsedList) -> None:
    [dahua] = named(dpl, "DAHUA ELECTRONICS CORPORATION")  # Flushing, NY: not Zhejiang Dahua
    assert dahua.addresses == ["134-12 59HT AVENUE, FLUSHING, NY, 11355"]
    [listing] = dahua.listings
    assert (listing.list, listing.authority, listing.citation) == (
        "Denied Persons List",
        "US Commerce BIS",
        "82 FR 46480",
    )
    assert (listing.listed_on, listing.end_date) == ("2017-09-28", "2025-11-19")
    assert dahua.extra["fr_citation"] == "82 F.R. 46480 10/5/2017"


def test_one_order_with_several_addresses_and_citations(dpl: ParsedList) -> None:
    # the Amman row lists other FR citations than the three others: another order
    order, amman = named(dpl, "AIR FREIGHT LTD")
    assert len(order.addresses) == 3 and amman.countries == ["jo"]
    assert order.citation.startswith("80 FR 30435; 80 FR 44930; 81 FR 45276")
    assert order.countries == ["iq", "ae"]


def test_made_up_file() -> None:
    parsed = bis_dpl.parse(FIXTURES / "dpl_mini.txt")
    freight, john = parsed.entities
    assert freight.addresses == ["1 EXAMPLE ROAD, DUBAI, AE", "2 EXAMPLE AVENUE, BAGHDAD, IQ"]
    assert freight.citation == "80 FR 30435; 87 FR 30173"  # "87 F.R.30173" too
    assert freight.listings[0].in_force is False  # expired 2022-11-09
    assert parsed.meta["bad_dates"] == ["EXAMPLE FREIGHT LTD: Last_Update 0222-05-18"]
    assert john.end_date == "2056-06-29" and john.listings[0].in_force


def test_fr_citations_normalized() -> None:
    assert bis_dpl.fr_citations("68 F.R. 38290 6/27/03 71 F.R. 38843 7/10/06") == [
        "68 FR 38290",
        "71 FR 38843",
    ]
    assert bis_dpl.fr_citations("80 F.R 57572 9/24/15 ") == ["80 FR 57572"]


def test_cli_import_then_check_finds_a_denied_person(db_path: Path) -> None:
    output, hits = import_then_check(
        db_path, real(DPL), "bis-dpl", "bis-dpl", "Dahua Electronics Corporation"
    )
    assert "bis-dpl: loaded version 3 with 30 entities and 30 names" in output
    assert hits[0]["citation"] == "82 FR 46480"
