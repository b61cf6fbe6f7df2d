"""A university research office's quarter, end to end: 62 funders in a register with a
title row above its header (fixtures/inputs/funders_62.xlsx), screened to a formatted
spreadsheet, decisions recorded from it, a portfolio re-screened, and the committee
report for a research audience in Australia printed to PDF and read back.

The PDF is read with pdftotext (poppler-utils) and looked at in headless Chromium; the
tests that need them skip, saying why, where they are missing (.ci/run installs both).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from office import KUNLUN, office_store

from screener.cli import cli
from screener.files.reports import chromium

ROOT = Path(__file__).resolve().parents[1]
FUNDERS = ROOT / "fixtures" / "inputs" / "funders_62.xlsx"
PDFTOTEXT = shutil.which("pdftotext")
NEEDS_PDF = pytest.mark.skipif(
    chromium.find() is None or PDFTOTEXT is None,
    reason="needs Chromium and pdftotext (apt-get install chromium poppler-utils; .ci/run does)",
)
REFERENCE = "G-2026-017"
# The register's rows as the spreadsheet numbers them: title, "prepared by", blank, header.
FIRST, LAST = 5, 66
# Decisions the office records, by the register's funder name: (kind, reason).
DECISIONS = {
    "China Electronics Technology Group Corporation": ("confirmed", "CETC itself"),
    "Nanjing Research Institute of Electronics Technology": ("declined", "CETC 14: declined"),
    "华为技术有限公司": ("declined", "Huawei: declined by the committee"),
    "Huawei Technologies (Australia) Pty Ltd": ("confirmed", "Huawei's Australian subsidiary"),
    "Dahua Technology Australia Pty Ltd": ("cleared", "maintenance contract only; approved"),
    "Dahua Electronics Corporation": ("false-positive", "a Flushing, NY distributor"),
}
# Each decided party's row and how the report words its decision. Row 6 (CETC 14) also
# hits CETC itself, as the group it is a unit of, through the ownership stage (a hit with
# no list version): its decision must not read as "review again".
DECIDED = {
    5: "confirmed",
    6: "declined",
    10: "declined",
    16: "escalated",
    17: "confirmed",
    19: "cleared",
    21: "false positive",
}
# The report's fixed labels: none may be broken across lines in the PDF.
LABELS = [
    "Screening report",
    "Reference",
    "Reviewer",
    "Written for",
    "Jurisdiction",
    "Parties, in input order",
    "Verdict",
    "Top listing",
    "Relation",
    "Decision",
    "Sanctioned or denied: do not accept",
    "Restricted partner: approval needed",
    "Restricted dealings: check the terms",
    "Elevated risk: due diligence",
    "No finding",
    "Potential matches, party by party",
    "Matched name",
    "Severity",
    "Requirement, policy or effect",
    "Meaning",
    "Citation",
    "Listed",
    "Ended",
    "About this screening",
    "Parties screened",
    "With potential matches",
    "Suppressed matches",
    "Distinct names screened",
    "Coverage statement",
    "National frameworks",
    "How verdicts are given",
    "What the listings mean",
    "Review and sign-off",
    "Committee decision",
    "Signature",
    "Prohibited",
    "Licence required",
    "Restricted",
    "confirmed",
    "declined",
    "escalated",
    "cleared",
    "false positive",
    "to review",
]
AU_FRAMEWORKS = {
    "Australian sanctions (DFAT Consolidated List)": (
        "https://www.dfat.gov.au/international-relations/security/sanctions/reform-australias-sanctions-laws"
    ),
    "Defence Trade Controls Act 2012 and the Defence and Strategic Goods List (DSGL)": (
        "https://defence.gov.au/business-industry/exporting/export-controls-framework/changes-export-controls"
    ),
    "Foreign Arrangements Scheme": "https://www.foreignarrangements.gov.au/resources/faqs",
    "Guidelines to Counter Foreign Interference in the Australian University Sector (UFIT)": (
        "https://education.gov.au/guidelines-counter-foreign-interference-australian-university-sector/due-diligence-risk-assessments-and-management"
    ),
}
KUNLUN_REMARK = (
    "United States financial institutions are prohibited from opening or maintaining a "
    "correspondent account or a payable-through account for the foreign financial "
    "institution listed here, pursuant to 31 C.F.R. section 561.201(c)."
)


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", str(db), *args], standalone_mode=False, catch_exceptions=False
    )


def pdf_pages(pdf: Path, layout: bool = False) -> list[str]:
    """The text of each page (pdftotext separates pages with form feeds)."""
    assert PDFTOTEXT is not None
    args = [PDFTOTEXT, *(["-layout"] if layout else []), str(pdf), "-"]
    out = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    return out.split("\f")[:-1]


def test_broken_words_are_found() -> None:
    assert broken("a screene\nd list", "Parties screened") == ["screene|d"]
    assert broken("Prohibite-\nd", "Prohibited") == ["Prohibite|d"]
    assert broken("Potenti al", "Potential matches") == []  # same line: see the layout check
    assert broken("Potential\nmatches", "Potential matches") == []  # between words: fine


def broken(text: str, label: str) -> list[str]:
    """The places ``text`` breaks a word of ``label`` across two lines ("screene\\nd")."""
    found = []
    for word in re.findall(r"[A-Za-z]{4,}", label):
        for k in range(1, len(word)):
            head, tail = re.escape(word[:k]), re.escape(word[k:])
            if re.search(rf"(?<![A-Za-z]){head}-?\n\s*{tail}(?![A-Za-z])", text):
                found.append(f"{word[:k]}|{word[k:]}")
    return found


@pytest.fixture(scope="module")
def office(master_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return office_store(master_db, tmp_path_factory.mktemp("office"))


@pytest.fixture
def db(office: Path, tmp_path: Path) -> Path:
    target = tmp_path / "office.db"
    shutil.copyfile(office, target)
    shutil.copyfile(office.with_name(office.name + ".index"), tmp_path / "office.db.index")
    return target


def review(screened: Path, reviewed: Path) -> None:
    """The reviewer's pass over the screened workbook: the decision columns filled in."""
    wb = openpyxl.load_workbook(screened)
    ws = wb["results"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    for r in range(2, ws.max_row + 1):
        name = ws.cell(r, col["Funder"]).value
        if name in DECISIONS:
            kind, why = DECISIONS[name]
            ws.cell(r, col["decision"]).value = kind
            ws.cell(r, col["decision_reason"]).value = why
            ws.cell(r, col["decision_by"]).value = "R. Officer"
    wb.save(reviewed)


def screen(db: Path, tmp_path: Path) -> tuple[Path, Path, Result]:
    """The register screened to a spreadsheet: (the register, the workbook, the run)."""
    register = tmp_path / "funders_62.xlsx"
    shutil.copyfile(FUNDERS, register)
    screened = tmp_path / "funders.screened.xlsx"
    r = invoke(db, "batch", str(register), "-o", str(screened), "--workers", "1")
    assert r.return_value == 1
    return register, screened, r


def decide(db: Path, screened: Path, tmp_path: Path) -> None:
    """Decisions recorded from the reviewed workbook, and one on the command line."""
    reviewed = tmp_path / "funders.reviewed.xlsx"
    review(screened, reviewed)
    r = invoke(db, "decisions", "import", str(reviewed))
    assert "6 of 62 rows have a decision" in r.output
    invoke(
        db,
        "decide",
        "Bank of Kunlun Co., Ltd.",
        KUNLUN.split(":")[1],
        "--as",
        "escalated",
        "--reason",
        "to the sanctions adviser",
        "--by",
        "R. Officer",
    )


def test_the_register_screened_to_a_spreadsheet_reviewers_like(db: Path, tmp_path: Path) -> None:
    """The title row is passed over, with a warning naming the header row; 中国 and 香港
    are countries, "Korea" is warned about; the workbook is formatted."""
    _, screened, r = screen(db, tmp_path)
    assert "took row 4 as the header (column names: Funder, Country, Amount (AUD)" in r.stderr
    assert "'中国'" not in r.stderr and "'香港'" not in r.stderr  # read as CN and HK
    assert (
        "1 row has country 'Korea', which could be North Korea (KP) or South Korea (KR)" in r.stderr
    )
    wb = openpyxl.load_workbook(screened)
    ws = wb["results"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    header = [c.value for c in ws[1]]
    assert len(rows) == 62
    assert header[:5] == ["Funder", "Country", "Amount (AUD)", "Received", "Scheme"]
    at = {h: i for i, h in enumerate(header)}
    by_row = {row[at["screen_input_row"]]: row for row in rows}
    assert sorted(by_row) == list(range(FIRST, LAST + 1))
    assert by_row[16][at["screen_list"]] == "CAPTA List"
    assert by_row[16][at["screen_effect"]] == f"correspondent-account ban: {KUNLUN_REMARK}"
    assert by_row[17][at["screen_relation"]] == "unit"  # Huawei's Australian subsidiary
    # a bold frozen header, widths, an autofilter over the table
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}63"
    assert ws.column_dimensions["A"].width > 30 and ws.column_dimensions["B"].width < 20
    # the input's number formats: dollars and dates as the register showed them
    assert ws["C2"].value == 480000 and ws["C2"].number_format == '"$"#,##0.00'
    assert ws["D2"].is_date and ws["D2"].number_format == "d/mm/yyyy"
    # rows coloured by the verdict of their top hit, grey when every hit is suppressed
    rules = {
        rule.formula[0]: rule.dxf.fill.bgColor.rgb
        for cf in ws.conditional_formatting
        for rule in cf.rules
    }
    severity = ws.cell(1, at["screen_severity"] + 1).column_letter
    status = ws.cell(1, at["screen_status"] + 1).column_letter
    assert rules[f'${severity}2="licence-required"'].endswith("FADBD8")
    assert rules[f'${severity}2="restricted"'].endswith("FCE5CD")
    assert rules[f'${status}2="suppressed"'].endswith("E7E6E6")
    last = ws.cell(1, len(header)).column_letter
    assert {str(cf.sqref) for cf in ws.conditional_formatting} == {f"A2:{last}1048576"}
    wb.close()


def test_decided_parties_read_as_their_decision(db: Path, tmp_path: Path) -> None:
    """In the re-screening and the report, a decided party reads as its decision."""
    register, screened, _ = screen(db, tmp_path)
    decide(db, screened, tmp_path)
    invoke(db, "portfolio", "add", "funders-2026", str(register))
    r = invoke(db, "rescreen", "funders-2026")
    lines = r.output.splitlines()
    for row, words in DECIDED.items():
        line = next(x for x in lines if x.startswith(f"  row {row}: "))
        assert line.endswith(f"; {words}"), line
    cetc = r.output[r.output.index("  row 5: ") : r.output.index("  row 6: ")]
    assert "confirmed by R. Officer" in cetc and "[to review]" not in cetc
    kunlun = r.output[r.output.index("  row 16: ") : r.output.index("  row 17: ")]
    assert "escalated by R. Officer" in kunlun and "[to review]" in kunlun  # still waits
    seven = r.output[r.output.index("  row 7: ") : r.output.index("  row 8: ")]
    assert seven.splitlines()[0].endswith("; to review") and "[to review]" in seven
    out = tmp_path / "report.html"
    invoke(db, "report", str(register), "-o", str(out), "--audience", "research", "--workers", "1")
    page = out.read_text("utf-8")
    summary = dict(re.findall(r'<tr id="party-(\d+)">.*?<td class="d [a-z-]+">([^<]*)</td>', page))
    for row, words in DECIDED.items():
        assert summary[str(row)] == words, row
    assert summary["7"] == "to review" and summary["22"] == "—"  # undecided; clear
    # 中国 and 香港 read as countries: the evidence says so, the summary shows the codes
    assert "SenseTime Group Limited <span class=muted>(HK)</span>" in page
    cetc = page[page.index('id="row-5"') : page.index('id="row-6"')]
    assert "country CN agrees" in cetc
    assert "to review" not in page[page.index('id="row-5"') : page.index('id="row-6"')]


@NEEDS_PDF
def test_sixty_two_funders_to_a_committee_report(db: Path, tmp_path: Path) -> None:
    register, screened, _ = screen(db, tmp_path)
    decide(db, screened, tmp_path)
    invoke(db, "portfolio", "add", "funders-2026", str(register))
    invoke(db, "rescreen", "funders-2026")

    # The committee report, for a research office in Australia, as PDF.
    pdf = tmp_path / "committee.pdf"
    args = ["--audience", "research", "--jurisdiction", "AU", "--reference", REFERENCE]
    r = invoke(db, "report", str(register), "-o", str(pdf), *args, "--workers", "1")
    assert r.return_value == 1
    pages = pdf_pages(pdf, layout=True)
    flow = pdf_pages(pdf)
    whole = "\n".join(flow)
    flat = " ".join(whole.split())

    # Page 1 holds the summary table; the 62 parties fit on two pages, in input order.
    assert "Parties, in input order" in pages[0]
    assert re.search(
        r"Row\s+Party\s+Verdict\s+Top listing\s+Relation\s+Decision\s+Reviewer", pages[0]
    )
    summary = [
        int(m.group(1))
        for page in pages[:2]
        for m in re.finditer(r"(?m)^\s{0,3}(\d{1,2})\s{2,}", page)
    ]
    assert summary == list(range(FIRST, LAST + 1))
    assert re.search(r"(?m)^\s{0,3}5\s{2,}China Electronics Technology Group Corporation", pages[0])
    # every decided party shows its decision, in the summary and in its details
    for row, words in DECIDED.items():
        line = next(
            x for x in "\n".join(pages[:2]).splitlines() if re.match(rf"\s{{0,3}}{row}\s{{2,}}", x)
        )
        assert words in line, line
    assert re.search(r"(?m)^\s{0,3}7\s{2,}.*to review", pages[0])
    for kind in ("confirmed", "declined", "cleared", "false-positive", "escalated"):
        assert re.search(rf"Decision #\d+: {kind} by R\. Officer on \d{{4}}-\d\d-\d\d", flat), kind
    # no broken word among the report's fixed labels
    problems = {label: broken(whole, label) for label in LABELS}
    assert not {k: v for k, v in problems.items() if v}
    for label in LABELS:
        assert label in flat, label
    # every page's footer: the reference and the page number
    for n, page in enumerate(flow, 1):
        assert f"Reference {REFERENCE}" in page and f"Page {n} of {len(flow)}" in page
    # no party's header alone at the foot of a page: its first block is on the same page
    for page in flow:
        heads = list(re.finditer(r"Row \d+: ", page))
        if heads:
            assert "Matched name" in page[heads[-1].start() :], page[heads[-1].start() :][:200]
    # the Australian frameworks, named with their sources
    for name in AU_FRAMEWORKS:
        assert name in flat, name
    assert "DFAT, Foreign Arrangements Scheme, FAQs" in flat
    assert "In Australia: a party on DFAT's Consolidated List" in flat
    # Bank of Kunlun: its listing's meaning, from OFAC's own remark
    assert "Row 16: Bank of Kunlun Co., Ltd." in flat
    assert "correspondent-account ban" in flat
    assert "pursuant to 31 C.F.R. section 561.201(c)" in flat
    assert "SWIFT/BIC CKLBCNBJ" in flat  # the remark itself

    # The same report as HTML: each framework links its official source.
    page = tmp_path / "committee.html"
    invoke(db, "report", str(register), "-o", str(page), *args, "--workers", "1")
    html = page.read_text("utf-8")
    for name, url in AU_FRAMEWORKS.items():
        block = html[html.index(f"<h4>{escape(name)}</h4>") :]
        block = block[: block.index("</div>")]
        assert f'href="{url}"' in block, name
    assert "<title>Screening report: funders_62.xlsx</title>" in html
    # ... and looked at in headless Chromium: the first page is the summary, drawn
    from test_committee_report import png_size_and_colours

    shot = tmp_path / "first.png"
    chromium.screenshot(page, shot, tmp_path / "chromium", 1240, 1754)
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1240, 1754) and colours > 50


def test_report_wording_follows_audience_and_jurisdiction(db: Path, tmp_path: Path) -> None:
    register = tmp_path / "funders_62.xlsx"
    shutil.copyfile(FUNDERS, register)
    out = tmp_path / "uk.html"
    invoke(db, "report", str(register), "-o", str(out), "--jurisdiction", "uk", "--workers", "1")
    page = out.read_text("utf-8")
    # export wording by default: "Licence required", not the research office's
    assert '<td class="v licence-required">Licence required</td>' in page
    assert "Restricted partner" not in page
    assert "National frameworks: United Kingdom (UK)" in page
    for name in ("UK financial sanctions (OFSI)", "National Security and Investment Act 2021"):
        assert name in page
    assert "Foreign Arrangements Scheme" not in page
    # the config file names the default jurisdiction
    config = tmp_path / "config.toml"
    config.write_text('[report]\njurisdiction = "AU"\n', "utf-8")
    runner = CliRunner(env={"SCREENER_CONFIG": str(config)})
    out = tmp_path / "au.html"
    runner.invoke(
        cli,
        ["--db", str(db), "report", str(register), "-o", str(out), "--workers", "1"],
        catch_exceptions=False,
    )
    assert "National frameworks: Australia (AU)" in out.read_text("utf-8")


def test_bank_of_kunlun_on_the_entity_page_and_in_match(office: Path, tmp_path: Path) -> None:
    """The pages and /match show what the listing means, from the same data as the report."""
    import httpx
    from live_server import LiveServer

    target = tmp_path / "office.db"
    shutil.copyfile(office, target)
    shutil.copyfile(office.with_name(office.name + ".index"), tmp_path / "office.db.index")
    with LiveServer(target) as live:
        page = httpx.get(f"{live.url}/entity", params={"id": KUNLUN}).text
        assert "BANK OF KUNLUN CO LTD" in page
        assert KUNLUN_REMARK in page  # the remarks
        assert "<strong>Correspondent-account ban:</strong>" in page  # the listing's effect
        assert "Programme: 561-Related" in page
        assert 'href="https://ofac.treasury.gov/faqs/557"' in page
        body = {"queries": {"q": {"schema": "Company", "properties": {"name": ["Bank of Kunlun"]}}}}
        result = httpx.post(f"{live.url}/match", json=body).json()["responses"]["q"]["results"][0]
        found = result["screener"]  # yente's result, with screener's hit under its own key
        assert found["remarks"].startswith("SWIFT/BIC CKLBCNBJ")
        [listing] = found["listings"]
        assert (listing["list"], listing["effect_kind"]) == (
            "CAPTA List",
            "correspondent-account ban",
        )
        assert listing["effect"] == KUNLUN_REMARK
