"""`fr-rule`: the Entity List entries of a Federal Register rule, each with the volume and
page where it is printed. Real: FR Doc. 2023-03929 (88 FR, pages 12171-12175 marked);
made up: a rule whose entries span two pages, one of them without <LI> items."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from official_lists import FIXTURES, import_then_check, names, real

from screener.lists.parsers import fr_rule
from screener.model import ParsedList

RULE = "afk-bis-fr-rule/2023-03929.xml"
# Each entry and the page its name is printed on (after the <PRTPAGE P="..."/> markers).
PAGES = {
    "2023-03929/ca/cpunto-inc": 12172,
    "2023-03929/ca/electronic-network-inc": 12172,
    "2023-03929/cn/aook-technology-ltd": 12172,
    "2023-03929/cn/beijing-ti-tech-science-and-technology-development-co": 12172,
    "2023-03929/cn/beijing-yunze-technology-co-ltd": 12173,
    "2023-03929/cn/china-head-aerospace-technology-co": 12173,
    "2023-03929/cn/spacety-co-ltd": 12173,
    "2023-03929/fr/china-head-aerospace-technology-co": 12173,
    "2023-03929/lu/spacety-co-ltd": 12174,
    "2023-03929/nl/china-head-aerospace-technology-co": 12174,
    "2023-03929/ru/dexias-industrial-products-and-trade-limited-company": 12174,
    "2023-03929/ru/innovation-and-technologies-llc": 12174,
    "2023-03929/ru/promtekhkomplekt-jsc": 12174,
}


@pytest.fixture(scope="module")
def rule() -> ParsedList:
    return fr_rule.parse(real(RULE))


def test_thirteen_entries_each_with_its_page_citation(rule: ParsedList) -> None:
    assert {e.id: e.extra["page"] for e in rule.entities} == PAGES
    assert {e.id: e.citation for e in rule.entities} == {
        eid: f"88 FR {page}" for eid, page in PAGES.items()
    }
    assert len({e.name for e in rule.entities}) == 10  # 10 entities under 13 entries
    assert Counter(e.countries[0] for e in rule.entities) == {
        "cn": 5,
        "ru": 3,
        "ca": 2,
        "fr": 1,
        "lu": 1,
        "nl": 1,
    }


def test_document_date_url_and_licence_columns(rule: ParsedList) -> None:
    assert rule.published == "2023-02-27"  # "88 FR [INSERT FR PAGE NUMBER AND 2/27/2023]"
    [doc] = rule.meta["documents"]
    assert doc == {
        "document_number": "2023-03929",
        "volume": "88",
        "published": "2023-02-27",
        "effective_date": "2023-02-24",
        "title": "Additions of Entities to the Entity List",
        "url": "https://www.federalregister.gov/d/2023-03929",
    }
    for e in rule.entities:
        [listing] = e.listings
        assert (listing.list, listing.authority, listing.listed_on) == (
            "Entity List",
            "US Commerce BIS",
            "2023-02-27",
        )
        assert listing.source_url == "https://www.federalregister.gov/d/2023-03929"
        assert listing.license_requirement.startswith("For all items subject to the EAR.")
        assert listing.license_policy.startswith("Policy of denial for all items subject")
        assert e.extra["footnotes"] == ["3"]  # <SU>3</SU>: the footnote 3 designation


def test_aliases_and_addresses_of_an_entry(rule: ParsedList) -> None:
    yunze = next(e for e in rule.entities if e.name == "Beijing Yunze Technology Co., Ltd.")
    assert names(yunze, "alias") == [
        "Beijing Yunze",
        "Beijing Yunze Technology Company",
        "Yunze Beijing",
    ]
    assert yunze.addresses[2] == (
        "402, Floor 4, No. 85, Huilongguan W. Street, Changping District Beijing 102200 China"
    )
    spacety = next(e for e in rule.entities if e.id == "2023-03929/cn/spacety-co-ltd")
    assert spacety.addresses[1] == (
        "Room 445, 9th Floor, Block B, No. 18 Zhongguancun Street, Haidian District, Beijing China"
    )  # 9<SU>th</SU>
    assert spacety.extra["notes"] == ["(See alternate address under Luxembourg)"]
    network = next(e for e in rule.entities if e.name == "Electronic Network Inc.")
    assert len(names(network, "alias")) == 6  # "the following six aliases"
    # from the continuation row
    assert network.addresses == ["145 Montee De Liesse Ste 10 St. Laurent, Quebec H4T 1T9 Canada"]


def test_made_up_rule_pages_former_names_and_an_entry_without_items() -> None:
    parsed = fr_rule.parse(FIXTURES / "fr_mini.xml")
    vision, optics, radio = parsed.entities
    assert (vision.citation, optics.citation, radio.citation) == (
        "89 FR 20001",
        "89 FR 20001",
        "89 FR 20002",
    )
    assert names(vision, "alias") == ["Example Vision", "EVT"]
    assert vision.addresses == [
        "Room 1, 3rd Floor, 8 Example Road, Hangzhou, China",
        "2 Example Street, Shenzhen, China",
        "3 Example Lane, Hong Kong, China",
    ]
    assert vision.license_requirement == (
        "For all items subject to the EAR. (See §§ 734.9(e), 744.11 of the EAR)"
    )
    assert (optics.name, optics.addresses) == (
        "Example Optics Co., Ltd.",
        ["No. 8 Example Road, Wuhan, Hubei, China"],
    )
    assert optics.extra["citations"] == "75 FR 36519, 6/28/10. 89 FR 20001, 3/4/2024."
    assert names(radio, "former") == ["Old Example Radio"]  # "f.k.a., the following alias"
    assert parsed.published == "2024-03-04"


def test_cli_import_then_check_finds_an_entry_with_its_citation(db_path: Path) -> None:
    output, hits = import_then_check(
        db_path, real(RULE), "fr-rule", "fr-2023-03929", "Spacety Luxembourg S.A."
    )
    assert "fr-2023-03929: loaded version 3 with 13 entities and 65 names" in output
    assert {(h["citation"], h["listed_on"]) for h in hits} == {
        ("88 FR 12173", "2023-02-27"),
        ("88 FR 12174", "2023-02-27"),
    }


def test_a_daily_issue_file_holding_the_rule(tmp_path: Path) -> None:
    rule_xml = (FIXTURES / "fr_mini.xml").read_text(encoding="utf-8")
    issue = tmp_path / "FR-2024-03-04.xml"
    issue.write_text(
        f"<FEDREG><VOL>89</VOL><NO>44</NO><RULES>{rule_xml}</RULES></FEDREG>", encoding="utf-8"
    )
    parsed = fr_rule.parse(issue)
    assert [e.citation for e in parsed.entities] == ["89 FR 20001", "89 FR 20001", "89 FR 20002"]
