"""`eu-fsf`: the EU Financial Sanctions Files XML, a real 7-entity excerpt and a made-up file.

The excerpt (deriv-eu-fsf-sample) holds one test edit: its 6th entity repeats logicalId
5468 with the name "TestOneWord" (see ../shared/data/PROVENANCE.md). The importer keeps
it, as it keeps whatever a file says, and names the repeated id in ``meta``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from official_lists import FIXTURES, import_then_check, name_count, names, real

from screener.lists.parsers import eu_fsf
from screener.model import ParsedList

SAMPLE = "deriv-eu-fsf-sample/sample_eu.xml"


@pytest.fixture(scope="module")
def sample() -> ParsedList:
    return eu_fsf.parse(real(SAMPLE))


def test_every_sanction_entity_of_the_excerpt(sample: ParsedList) -> None:
    assert [e.id for e in sample.entities] == ["5295", "5463", "5468", "191", "5807", "5468", "927"]
    assert all(e.schema == "person" for e in sample.entities)
    assert name_count(sample) == 15
    assert sample.published == "2020-04-15"
    assert sample.meta["global_file_id"] == "123465"
    assert sample.meta["duplicate_ids"] == ["5468"]
    assert sample.entities[5].name == "TestOneWord"  # the test edit, kept as written


def test_entity_with_regulation_citation_birth_dates_and_citizenship(sample: ParsedList) -> None:
    abid = sample.entities[0]
    assert abid.name == "Abid Hammadou"
    assert {"Abdelhamid Abou Zeid", "Youcef Adel", "Abou Abdellah"} <= set(names(abid, "alias"))
    [listing] = abid.listings
    assert (listing.citation, listing.program, listing.listed_on) == (
        "2019/555 (OJ L97)",
        "TAQA",
        "2008-07-03",
    )
    assert listing.source_url.startswith("https://eur-lex.europa.eu/")
    assert abid.identifiers == ["EU reference EU.2026.82"]
    assert abid.extra["birth_dates"] == ["1965-12-12", "1958"]
    assert abid.extra["birth_dates_circa"] == ["1958"]
    assert abid.extra["nationalities"] == ["dz"] and abid.countries == ["dz"]


def test_identity_documents_and_addresses(sample: ParsedList) -> None:
    aouadi = sample.entities[6]
    assert aouadi.identifiers == [
        "EU reference EU.3343.85",
        "National identification card 04643632 (TUNISIA)",
        "National passport L191609 (TUNISIA)",
    ]
    assert aouadi.addresses == ["23 50th Street, Zehrouni, Tunis, TUNISIA"]
    manzi = sample.entities[4]
    assert manzi.countries == ["cd", "rw"]  # address in the DRC, citizen of Rwanda
    assert manzi.listed_on == "2010-12-01" and manzi.programs == ["COD"]


def test_made_up_file_weak_alias_language_and_un_reference() -> None:
    company, person = eu_fsf.parse(FIXTURES / "eu_mini.xml").entities
    assert company.schema == "organization"
    assert [(n.name, n.kind, n.lang) for n in company.names] == [
        ("Example Machine Works JSC", "primary", None),
        ("Пример Машиностроительный Завод", "alias", "ru"),
        ("EMW", "weak", None),
    ]
    assert "Registration Number 1000000000000 (RUSSIAN FEDERATION)" in company.identifiers
    assert person.name == "Example PERSON"  # built from firstName and lastName
    assert person.listed_on is None  # no designationDate: none invented
    assert "UN reference XXi.001" in person.identifiers
    assert person.extra["birth_dates"] == ["1970-05-01", "1971"]
    assert person.extra["nationalities"] == ["kp"]
    assert person.remarks == "A made-up person for the importer's tests."


def test_cli_import_then_check_finds_an_eu_listed_person(db_path: Path) -> None:
    output, hits = import_then_check(
        db_path, real(SAMPLE), "eu-fsf", "eu-fsf-sample", "Mohamed Ben Belkacem Aouadi"
    )
    assert "loaded version 3 with 7 entities and 15 names" in output
    assert hits[0]["entity_id"] == "927" and hits[0]["citation"] == "2016/294 (OJ L55)"
