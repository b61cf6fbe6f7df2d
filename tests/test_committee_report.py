"""The report a committee can sign: every party in input order with its verdict, one block per
listed entity, decisions and suppressed hits shown, the coverage statement, the audience's
wording with official sources; as HTML and as PDF, looked at in headless Chromium."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from screener.cli import cli
from screener.db import decisions
from screener.errors import InputError
from screener.files.reports import chromium
from screener.files.reports.verdicts import hit_verdict, party_verdict, verdicts
from screener.lists.bundled import open_store

NO_CHROMIUM = (
    "no Chromium binary (chromium, chromium-browser, google-chrome) on PATH; .ci/run installs it"
)
DAHUA_NY = "Dahua Electronics Corporation"
# A grant office's funders, with a blank row 4 the way spreadsheets have them.
FUNDERS = [
    ["Funder", "Country", "Amount"],
    ["Huawei Technologies Co., Ltd.", "CN", 250000],
    ["Stanford University", "US", 5000],
    None,
    [DAHUA_NY, "US", 12000],
    ["Harbin Institute of Technology", "CN", 30000],
    ["Wellcome Trust", "GB", 100000],
    ["海康威视", "CN", 8000],
]
ROWS = [2, 3, 5, 6, 7, 8]  # as the spreadsheet numbers them


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", str(db), *args], standalone_mode=False, catch_exceptions=False
    )


@pytest.fixture
def funders(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Funders"
    for r in FUNDERS:
        ws.append(r or [])
    path = tmp_path / "funders.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def reviewed_db(db_path: Path) -> Path:
    """The bundled list, with Dahua Electronics (New York) marked a false positive."""
    store = open_store(db_path)
    snap = decisions.snapshot(store, "screener-surveillance", "dahua")
    assert snap is not None
    decisions.record(
        store,
        DAHUA_NY,
        "screener-surveillance",
        "dahua",
        "false-positive",
        "a New York distributor, not Zhejiang Dahua",
        "R. Officer",
        snap,
    )
    store.close()
    return db_path


def sections(page: str) -> list[str]:
    """The parties of the summary table, in page order."""
    return re.findall(r'<tr id="party-(\d+)"', page)


def details(page: str) -> list[str]:
    """The parties with a details section, in page order."""
    return re.findall(r'<section class="party [^"]+" id="row-(\d+)"', page)


def test_report_shows_every_party_with_its_verdict(
    reviewed_db: Path, funders: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    r = invoke(
        reviewed_db,
        "report",
        str(funders),
        "-o",
        str(out),
        "--audience",
        "research",
        "--reference",
        "G-2026-017",
        "--reviewer",
        "Research Office",
        "--workers",
        "1",
    )
    assert r.return_value == 1
    page = out.read_text("utf-8")
    # Every party, clears too, in input order, numbered as in the spreadsheet, first in
    # the summary; the parties with potential matches again, in detail, after it.
    assert sections(page) == [str(n) for n in ROWS]
    assert details(page) == ["2", "5", "6", "8"]
    assert page.index('<tr id="party-8"') < page.index("<h2 id=details>")
    verdict_of = dict(re.findall(r'<tr id="party-(\d+)">.*?<td class="v ([a-z-]+)">', page))
    assert verdict_of == {
        "2": "licence-required",
        "3": "no-finding",
        "5": "no-finding",
        "6": "licence-required",
        "7": "no-finding",
        "8": "licence-required",
    }
    # Huawei: one block for Huawei Technologies with all its listings merged.
    huawei = page[page.index('id="row-2"') : page.index('id="row-5"')]
    assert huawei.count("<strong>Huawei Technologies Co., Ltd.</strong>") == 1
    for listing in (
        "Entity List",
        "NS-CMIC List",
        "DoD 1260H List",
        "FCC Covered List",
        "NDAA Section 889",
    ):
        assert f"<td>{listing}<br>" in huawei, listing
    assert "84 FR 22961" in huawei
    # The false positive is shown, suppressed, with its decision; it counts for nothing.
    dahua = page[page.index('id="row-5"') : page.index('id="row-6"')]
    assert '<span class="status decided">false positive</span>' in dahua  # the party
    assert '<span class="status decided">false positive by R. Officer on ' in dahua  # its hit
    assert "Decision #1: false-positive</strong> by R. Officer" in dahua
    assert "a New York distributor, not Zhejiang Dahua" in dahua
    assert "Not counted in the verdict." in dahua
    # The reference and reviewer fields, and the coverage statement, loudly about lists never
    # downloaded, and about what a clear result does not cover.
    assert "<th>Reference</th><td>G-2026-017</td>" in page
    assert "<th>Reviewer</th><td>Research Office</td>" in page
    assert page.count("The official lists were never downloaded: ") == 2  # top and coverage
    assert "OFAC Specially Designated Nationals List (ofac-sdn)" in page
    coverage = page[page.index("<h2 id=coverage>") :]
    assert "Screener curated surveillance-technology list" in coverage
    for limit in (
        "Ownership and affiliates",
        "Names the lists do not record",
        "Lists not checked",
        "A match is not an identification",
    ):
        assert f"<strong>{limit}.</strong>" in coverage
    assert 'href="https://www.federalregister.gov/d/2025-19001"' in coverage  # BIS Affiliates
    # Worded for a research office, each statement with its official source.
    meanings = page[page.index("<h2 id=meanings>") :]
    assert "Research office" in meanings
    assert "it does not in itself prohibit accepting the party&#x27;s funds" in meanings
    assert (
        'href="https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/'
        'part-734/section-734.8"'
    ) in meanings
    assert "Restricts DoD contracting (Section 805, NDAA FY2024" in meanings
    assert "DoD fundamental research assistance awards" in meanings
    assert (
        'href="https://www.govinfo.gov/content/pkg/PLAW-118publ31/pdf/PLAW-118publ31.pdf"'
        in meanings
    )
    # The sign-off.
    assert "<h2 id=signoff>Review and sign-off</h2>" in page


def test_the_export_audience_words_it_for_exporters(
    db_path: Path, funders: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    invoke(db_path, "report", str(funders), "-o", str(out), "--workers", "1")
    page = out.read_text("utf-8")
    assert "What the listings mean: Export control and trade compliance" in page
    assert "needs a BIS licence, with no licence exceptions" in page
    assert "accepting the party" not in page
    assert "<th>Reference</th><td><span class=blank></span>" in page  # a line to write on


def test_a_report_of_a_batch_output_and_of_its_run(
    reviewed_db: Path, funders: Path, tmp_path: Path
) -> None:
    jsonl = tmp_path / "funders.jsonl"
    r = invoke(reviewed_db, "batch", str(funders), "-o", str(jsonl), "--workers", "1")
    run_id = re.search(r"\(run (\S+)\)", r.stderr).group(1)  # type: ignore[union-attr]
    from_file = tmp_path / "from-file.html"
    invoke(reviewed_db, "report", str(jsonl), "-o", str(from_file), "--reviewer", "A. B.")
    from_run = tmp_path / "from-run.html"
    r = invoke(reviewed_db, "report", run_id, "-o", str(from_run))
    assert f"as screened by run {run_id}" in r.stderr
    for page in (from_file.read_text("utf-8"), from_run.read_text("utf-8")):
        assert sections(page) == [str(n) for n in ROWS]
        assert f"Run {run_id}" in page
        assert "Decision #1: false-positive" in page
    assert "<th>Reviewer</th><td>A. B.</td>" in from_file.read_text("utf-8")
    with pytest.raises(InputError, match="no such file, and no batch run with that id"):
        invoke(reviewed_db, "report", "20990101T000000-nothing", "-o", str(tmp_path / "x.html"))


def test_verdicts_come_from_the_documented_table() -> None:
    assert [v.id for v in verdicts()] == [
        "prohibited",
        "licence-required",
        "restricted",
        "elevated-risk",
        "no-finding",
    ]
    sdn = {"list": "SDN List", "listings": [{"list": "SDN List"}]}
    aspi = {"list": "ASPI China Defence Universities Tracker"}
    ended = {"list": "DoD 1260H List", "in_force": False, "end_date": "2025-01-07"}
    assert hit_verdict(sdn).id == "prohibited"
    assert hit_verdict(aspi).id == hit_verdict(ended).id == "elevated-risk"
    fp = {**sdn, "decision": {"kind": "false-positive"}}
    cleared = {**sdn, "decision": {"kind": "cleared"}}
    assert party_verdict([fp]).id == "no-finding"
    assert party_verdict([cleared, aspi]).id == "prohibited"  # permitted, but still the finding
    assert party_verdict([]).id == "no-finding"


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the image data (a blank
    page has a handful)."""
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.mark.skipif(chromium.find() is None, reason=NO_CHROMIUM)
def test_screenshots_and_pdf_in_headless_chromium(
    reviewed_db: Path, funders: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    invoke(
        reviewed_db,
        "report",
        str(funders),
        "-o",
        str(out),
        "--reference",
        "D-1042",
        "--workers",
        "1",
    )
    shot = tmp_path / "report.png"
    chromium.screenshot(out, shot, tmp_path / "chromium", 1280, 4000)
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 4000)
    assert colours > 50  # text, badges and tables, not an empty page
    # The same report as PDF, through the batch path and `report`.
    pdf = tmp_path / "report.pdf"
    r = invoke(reviewed_db, "report", str(funders), "-o", str(pdf), "--workers", "1")
    assert r.return_value == 1
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2
    assert not list(tmp_path.glob(".report.pdf.*"))  # no scratch left behind


def test_pdf_without_chromium_is_one_clear_error(
    db_path: Path, funders: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENER_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(InputError, match="PDF output needs Chromium"):
        invoke(db_path, "report", str(funders), "-o", str(tmp_path / "r.pdf"))
    assert not (tmp_path / "r.pdf").exists()
    runs = json.loads(invoke(db_path, "runs", "--format", "json").stdout)
    assert runs == [] or runs[0]["status"] != "done"
