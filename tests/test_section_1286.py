"""The DoD Section 1286 importer: one entity per name, a listing per report year."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from excerpts import shared

from screener.cli import cli
from screener.errors import InputError
from screener.lists.parsers import section_1286
from screener.lists.registry import importer, registry

# OpenSanctions' source file (CC BY-NC 4.0): read from ../shared/data, never committed
REAL = "opensanctions/us/special_leg/source_files/section_1286.csv"
HEADER = (
    "schema,name,aliases,topics,program,authority,reason,report-date,start-date,"
    "end-date,country,notes,source_url\n"
)
PROGRAM = "Section 1286 of the John S. McCain NDAA for FY2019 (Public Law 115 - 232)"
FY24 = "https://basicresearch.defense.gov/FY24-1286.pdf"
FY25 = "https://www.cto.mil/wp-content/uploads/2026/07/FY25-Section-1286-List.pdf"


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "section_1286.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        [
            (
                f'Company,National University of Defense Technology,"NUDT; Hunan Guofang Keji University",'
                f"debarment,{PROGRAM},United States Congress,,2024,,,,,{FY24}"
            ),
            (
                f"Company,National University of Defense Technology ,Central South CAD Center,debarment,"
                f"{PROGRAM},United States Congress,,2025,,,China,,{FY25}"
            ),
            (
                f"Company,Mabna Institute,,debarment,{PROGRAM},United States Congress,,2024,,2026-07-23,,,"
                f"{FY24}"
            ),
            (
                f"Company,Institute of Solid-State Physics of the Russian Academy of Sciences,,debarment,"
                f"{PROGRAM},United States Congress,,2024,,,,,{FY24}"
            ),
            (
                f"Company,Institute of Solid State Physics of the Russian Academy of Sciences,,debarment,"
                f"{PROGRAM},United States Congress,,2025,,,Russia,,{FY25}"
            ),
            (
                f"Company,Thousand Talents Plan,,debarment,{PROGRAM},United States Congress,,2025,,,,,"
                f"{FY25}"
            ),
        ],
    )


def test_one_entity_per_name_with_a_listing_per_year(small: Path) -> None:
    parsed = section_1286.parse(small)
    by = {e.name: e for e in parsed.entities}
    nudt = by["National University of Defense Technology"]
    assert [n.name for n in nudt.names] == [
        "National University of Defense Technology",
        "NUDT",
        "Hunan Guofang Keji University",
        "Central South CAD Center",
    ]
    assert [(ls.program, ls.in_force) for ls in nudt.listings] == [
        ("FY2024 list", False),
        ("FY2025 list", True),
    ]
    assert nudt.countries == ["cn"] and nudt.source_url == FY25
    assert nudt.listings[0].list == "DoD Section 1286 List"
    assert "not an export restriction" in nudt.listings[1].effect
    assert parsed.meta["latest_report_year"] == 2025 and "CC BY-NC" in parsed.meta["licence"]


def test_a_name_absent_from_the_newest_year_or_with_an_end_date_is_not_in_force(
    small: Path,
) -> None:
    mabna = {e.name: e for e in section_1286.parse(small).entities}["Mabna Institute"]
    assert [(ls.in_force, ls.end_date) for ls in mabna.listings] == [(False, "2026-07-23")]
    assert mabna.end_date == "2026-07-23"


def test_spellings_that_differ_only_in_punctuation_are_one_entity(small: Path) -> None:
    issp = [e for e in section_1286.parse(small).entities if "Solid" in e.name]
    assert len(issp) == 1
    assert issp[0].name == "Institute of Solid State Physics of the Russian Academy of Sciences"
    assert issp[0].id == (
        "us-1286-institute-of-solid-state-physics-of-the-russian-academy-of-sciences"
    )
    assert issp[0].countries == ["ru"]


def test_registered_as_a_format_with_a_source_and_no_download() -> None:
    assert importer("section-1286") is section_1286.parse
    entry = registry()["dod-section-1286"]
    assert entry["format"] == "section-1286" and "CC BY-NC" in entry["licence"]
    assert not entry.get("urls") and not entry.get("files") and not entry.get("bundled")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\nx,Acme\n", "missing column"),
        (HEADER + f"Company,NUDT,,debarment,{PROGRAM},US,,FY25,,,,,{FY25}\n", "not a year"),
        (HEADER, "no rows with a name"),
    ],
    ids=["not-1286-columns", "bad-year", "no-rows"],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        section_1286.parse(path)


def test_imported_with_lists_import(small: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "lists",
            "import",
            str(small),
            "--format",
            "section-1286",
            "--source",
            "dod-section-1286",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "dod-section-1286: loaded version" in result.output and "4 entities" in result.output


@pytest.mark.shared_data
def test_real_transcription() -> None:
    parsed = section_1286.parse(shared(REAL))
    ids = [e.id for e in parsed.entities]
    assert len(ids) == len(set(ids)) and len(ids) >= 150
    by = {e.name: e for e in parsed.entities}
    assert by["Thousand Talents Plan"].listings[-1].in_force
    nudt = by["National University of Defense Technology"]
    assert [ls.program for ls in nudt.listings] == [
        "FY2022 list",
        "FY2023 list",
        "FY2024 list",
        "FY2025 list",
    ]
    assert nudt.countries == ["cn"] and nudt.listings[-1].in_force
    assert not any(ls.in_force for ls in by["Mabna Institute"].listings)
