"""screener.files.reports: what a reviewer gets back, and that a failed run never clobbers it."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import signal
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.errors import InputError
from screener.files.cells import neutralize
from screener.files.reports import CAUTION, OUTPUT_COLUMNS, REVIEW_COLUMNS, open_writer
from screener.files.reports.cells import hit_cells, row_cells, trail_cells
from screener.files.reports.process import WriterError, can_fork

HIKVISION_ZH = "杭州海康威视数字技术股份有限公司"
DAHUA = "Zhejiang Dahua Technology Co., Ltd."
STANFORD = "Stanford University"

COLUMNS = ["name", "country", "note"]


def hikvision_hit(**changes: Any) -> dict[str, Any]:
    hit = {
        "entity_id": "csl-1a2b3c",
        "name": "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "matched_name": HIKVISION_ZH,
        "score": 0.987,
        "source_id": "us-csl",
        "source_name": "Consolidated Screening List",
        "list": "Entity List (EL) - Bureau of Industry and Security",
        "citation": "84 FR 54002",
        "listed_on": "2019-10-09",
        "source_url": "https://www.bis.gov/entity-list",
        "license_requirement": "For all items subject to the EAR.",
        "explanation": "Chinese name equal after normalization",
        "countries": ["cn"],
        "listings": [
            {
                "list": "Entity List",
                "authority": "US Commerce BIS",
                "citation": "84 FR 54002",
                "listed_on": "2019-10-09",
                "end_date": None,
                "in_force": True,
                "license_requirement": "For all items subject to the EAR.",
                "license_policy": "Presumption of denial.",
                "effect": None,
                "source_url": "https://www.federalregister.gov/d/2019-22210",
            },
            {
                "list": "NS-CMIC List",
                "authority": "US Treasury OFAC",
                "citation": "EO 13959",
                "listed_on": "2021-06-03",
                "end_date": None,
                "in_force": True,
                "license_requirement": None,
                "license_policy": None,
                "effect": "Purchase of publicly traded securities prohibited",
                "source_url": "https://ofac.treasury.gov/",
            },
        ],
    }
    hit.update(changes)
    return hit


def make_chunk(start: int = 0) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    rows = [
        [HIKVISION_ZH, "CN", "=cmd|' /C calc'!A0"],
        [STANFORD, "US", ""],
        ["", "", "@SUM(A1)"],
        [DAHUA, "CN", "-2+3"],
    ]
    df = pd.DataFrame(rows, columns=COLUMNS, dtype=str)
    df.index = pd.RangeIndex(start, start + len(rows))
    dahua_hit = hikvision_hit(
        entity_id="csl-dahua",
        name='=HYPERLINK("http://evil.example")',  # a hostile listed name
        matched_name=DAHUA,
        score=0.91,
        citation="+84 FR 54002",
        listings=[],
    )
    results = [
        {
            "row": start,
            "query": HIKVISION_ZH,
            "country": "CN",
            "status": "hit",
            "reason": None,
            "hits": [hikvision_hit(score=0.5), hikvision_hit()],
        },
        {
            "row": start + 1,
            "query": STANFORD,
            "country": "US",
            "status": "clear",
            "reason": None,
            "hits": [],
        },
        {
            "row": start + 2,
            "query": "",
            "country": None,
            "status": "skipped",
            "reason": "empty name",
            "hits": [],
        },
        {
            "row": start + 3,
            "query": DAHUA,
            "country": "CN",
            "status": "hit",
            "reason": None,
            "hits": [dahua_hit],
        },
    ]
    return df, results


META: dict[str, Any] = {
    "run_id": "run-2024-06-01-abc123",
    "tool_version": "0.1.0",
    "created_at": "2024-06-01T09:30:00Z",
    "threshold": 0.85,
    "input": {"path": "partners.csv", "sha256": "ab" * 32, "rows": 4},
    "lists": [
        {
            "source_id": "us-csl",
            "name": "Consolidated Screening List",
            "version_id": "2024-05-31",
            "sha256": "cd" * 32,
            "published": "2024-05-31",
            "loaded_at": "2024-06-01T08:00:00Z",
            "entities": 13_245,
        }
    ],
}
SUMMARY = {"rows": 4, "hits": 3, "clear": 1, "skipped": 1, "hit_rows": 2}
COUNTS = {
    "rows": 4,
    "hit_rows": 2,
    "hits": 3,
    "suppressed_hits": 0,
    "needs_review": 2,
    "suppressed": 0,
    "review_again": 0,
    "clear": 1,
    "skipped": 1,
    "unreadable": 0,
}  # what make_chunk() holds


def write_output(path: Path, chunks: int = 1) -> None:
    with open_writer(path, COLUMNS, META) as writer:
        for i in range(chunks):
            df, results = make_chunk(start=4 * i)
            writer.write(df, results)
        writer.close(SUMMARY)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --- CSV ----------------------------------------------------------------------------------


def test_csv_keeps_input_columns_and_appends_screen_columns(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    write_output(out)
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)  # so Excel reads the Chinese names
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == COLUMNS + OUTPUT_COLUMNS
    assert rows[0][-3:] == REVIEW_COLUMNS == ["decision", "decision_reason", "decision_by"]
    assert len(rows) == 5
    assert rows[1] == [
        HIKVISION_ZH,
        "CN",
        "'=cmd|' /C calc'!A0",
        "hit",
        "0.987",
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        HIKVISION_ZH,
        "same",
        "Consolidated Screening List",
        "Entity List (EL) - Bureau of Industry and Security",
        "84 FR 54002",
        "licence-required",
        "licence requirement: For all items subject to the EAR.",
        "2",
        "2",
        "us-csl:csl-1a2b3c; us-csl:csl-1a2b3c",
        "",
        HIKVISION_ZH,
        "",
        "",
        "",
    ]
    assert rows[2] == [
        STANFORD,
        "US",
        "",
        "clear",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "0",
        "3",
        "",
        "",
        STANFORD,
        "",
        "",
        "",
    ]
    assert rows[3][:4] == ["", "", "'@SUM(A1)", "skipped"]
    assert rows[4][2] == "'-2+3"
    dahua = dict(zip(rows[0], rows[4]))
    assert dahua["screen_top_name"] == '\'=HYPERLINK("http://evil.example")'  # appended cells too
    assert dahua["screen_citation"] == "'+84 FR 54002"


def test_csv_many_chunks_in_order(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    write_output(out, chunks=3)
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == [HIKVISION_ZH, STANFORD, "", DAHUA] * 3


def test_tab_and_cr_prefixes_are_neutralized(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    df = pd.DataFrame([["\tTab Ltd", "\rCR Ltd"]], columns=["name", "country"], dtype=str)
    result = {"row": 0, "query": "Tab Ltd", "country": None, "status": "clear", "hits": []}
    with open_writer(out, ["name", "country"], META) as writer:
        writer.write(df, [result])
    text = out.read_bytes().decode("utf-8-sig")  # read_text() would turn \r into \n
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1][:2] == ["'\tTab Ltd", "'\rCR Ltd"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text()),
            st.text(alphabet=st.sampled_from(list(',"\r\n \t=+-@ab\u5b89\x00\u2028'))),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_csv_lines_are_what_the_csv_module_writes(cells: list[tuple[str | None, str]]) -> None:
    """Any text, including commas, quotes, line breaks and formula prefixes, comes out
    as the csv module (minimal quoting, CRLF) writes the same safe cells."""
    df = pd.DataFrame([list(c) for c in cells], columns=["name", "note"], dtype=object)
    results = [
        {"row": i, "query": c[1], "country": None, "status": "clear", "hits": []}
        for i, c in enumerate(cells)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.csv"
        with open_writer(out, ["name", "note"], META) as writer:
            writer.write(df, results)
        got = out.read_bytes().decode("utf-8-sig")
    expected = io.StringIO(newline="")
    w = csv.writer(expected, lineterminator="\r\n")
    w.writerow([neutralize(c) for c in ["name", "note", *OUTPUT_COLUMNS]])
    for i, (name, note) in enumerate(cells):
        safe = [neutralize(name or ""), neutralize(note), "clear"]
        w.writerow(
            [
                *safe,
                *[""] * 9,  # top score, name, matched name, relation, source, list, citation,
                # severity, effect
                "0",  # hits
                str(i + 2),  # input row
                "",  # hit ids
                "",  # decision applied
                neutralize(note),  # the query
                *[""] * 3,  # the reviewer's decision, reason and name
            ]
        )
    assert got == expected.getvalue()


def test_row_cells_order_the_hits_once_for_both_parts() -> None:
    """The writers' cells of a hit list (top hit, then hit ids and decisions) as
    hit_cells and trail_cells give them, whatever order the hits come in."""
    _, results = make_chunk()
    hikvision, dahua = results[0]["hits"], results[3]["hits"]
    for hits in (hikvision, dahua, hikvision + dahua, (dahua + hikvision)[::-1], []):
        assert row_cells(hits) == (hit_cells(hits), trail_cells(hits))
    cells, trail = row_cells(dahua + hikvision)
    assert cells[1] == "Hangzhou Hikvision Digital Technology Co., Ltd."  # the top hit
    assert trail[0].split("; ")[0] == "us-csl:csl-1a2b3c"


# --- XLSX ---------------------------------------------------------------------------------


def test_xlsx_content_and_formula_injection(tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    write_output(out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["results", "about"]
    ws = wb["results"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == COLUMNS + OUTPUT_COLUMNS
    assert rows[1][:5] == [HIKVISION_ZH, "CN", "'=cmd|' /C calc'!A0", "hit", 0.987]
    top = dict(zip(rows[0], rows[1]))
    assert (top["screen_hits"], top["screen_input_row"]) == (2, 2)
    assert (top["screen_hit_ids"], top["screen_query"]) == (
        "us-csl:csl-1a2b3c; us-csl:csl-1a2b3c",
        HIKVISION_ZH,
    )
    assert [top[c] for c in REVIEW_COLUMNS] == [None, None, None]  # for the reviewer
    # The decision column offers the decision kinds.
    (rule,) = ws.data_validations.dataValidation
    assert rule.type == "list" and "false-positive" in rule.formula1
    assert str(rule.sqref).startswith(f"{openpyxl.utils.get_column_letter(len(rows[0]) - 2)}2:")
    assert rows[2][:4] == [STANFORD, "US", None, "clear"]
    assert rows[3][2] == "'@SUM(A1)"
    assert rows[4][2] == "'-2+3"
    assert rows[4][5] == '\'=HYPERLINK("http://evil.example")'
    # No cell anywhere is a formula.
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    about = {r[0]: r[1] for r in wb["about"].iter_rows(values_only=True) if r and r[0]}
    assert about["Caution"] == CAUTION
    assert about["Input SHA-256"] == "ab" * 32
    assert about["hit_rows"] == 2
    wb.close()


def test_xlsx_strips_illegal_characters_and_long_cells(tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    df = pd.DataFrame([["Bell\x07 Ltd", "x" * 40_000]], columns=["name", "blob"], dtype=str)
    result = {"row": 0, "query": "Bell Ltd", "country": None, "status": "clear", "hits": []}
    with open_writer(out, ["name", "blob"], META) as writer:
        writer.write(df, [result])
    wb = openpyxl.load_workbook(out, read_only=True)
    row = next(wb["results"].iter_rows(min_row=2, values_only=True))
    wb.close()
    assert row[0] == "Bell\ufffd Ltd"
    assert len(row[1]) == 32_767 and row[1].endswith("[truncated]")


def sheets_xml(path: Path) -> dict[str, bytes]:
    """The workbook's parts but its dates (docProps say when the file was made)."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def test_xlsx_in_a_process_of_its_own_writes_the_same_workbook(tmp_path: Path) -> None:
    """A batch's workbook rendered in a forked process is the one rendered here, part for
    part: hit lists shared by rows of several chunks, the cache of their cells reset."""
    chunks = [make_chunk(start=4 * i) for i in range(6)]
    shared = chunks[0][1][0]["hits"]  # Hikvision's hits, again in later chunks
    for _, results in chunks[1:]:
        results[0]["hits"] = shared
    outs = {}
    for own_process in (False, True):
        out = outs[own_process] = tmp_path / f"results-{own_process}.xlsx"
        with open_writer(out, COLUMNS, META, own_process=own_process) as writer:
            for df, results in chunks:
                writer.write(df, results)
            writer.close(SUMMARY)
    assert sheets_xml(outs[True]) == sheets_xml(outs[False])
    rows = [
        list(r) for r in openpyxl.load_workbook(outs[True])["results"].iter_rows(values_only=True)
    ]
    assert len(rows) == 1 + 24
    assert rows[21][:5] == [HIKVISION_ZH, "CN", "'=cmd|' /C calc'!A0", "hit", 0.987]
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not can_fork(), reason="the writer's process is forked")
@pytest.mark.parametrize("when", ["write", "close"])
def test_xlsx_writer_process_that_dies_is_one_error(tmp_path: Path, when: str) -> None:
    """Its process killed (out of memory, say): the next write or the close says so as a
    WriterError; nothing is left behind and the previous output stays."""
    out = tmp_path / "results.xlsx"
    out.write_bytes(b"previous good output")
    with pytest.raises(WriterError, match=r"the XLSX writer process died \(killed by signal 9"):
        with open_writer(out, COLUMNS, META, own_process=True) as writer:
            writer.write(*make_chunk())
            os.kill(writer._book.pid, signal.SIGKILL)
            time.sleep(0.2)
            if when == "write":
                writer.write(*make_chunk(start=4))
            writer.close(SUMMARY)
    assert out.read_bytes() == b"previous good output"
    assert leftovers(tmp_path) == []


# --- JSONL --------------------------------------------------------------------------------


def test_jsonl_one_object_per_row_with_every_hit_field(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    write_output(out, chunks=2)
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 8
    records = [json.loads(line) for line in lines]
    assert [r["row"] for r in records] == list(range(2, 10))  # spreadsheet rows of partners.csv
    first = records[0]
    assert (first["query"], first["status"], first["country"]) == (HIKVISION_ZH, "hit", "CN")
    assert first["hits"][1] == hikvision_hit()
    assert records[2]["status"] == "skipped" and records[2]["reason"] == "empty name"
    assert HIKVISION_ZH in lines[0]  # UTF-8, not \\u escapes


# --- HTML ---------------------------------------------------------------------------------


def test_html_report_content(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    write_output(out)
    page = out.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert CAUTION in page
    assert page.index(CAUTION) < page.index("<h2 id=parties>")  # on the first page
    for text in [
        "partners.csv",
        "run-2024-06-01-abc123",
        "2024-06-01T09:30:00Z",
        "0.85",
        "ab" * 32,
        "Consolidated Screening List",
        "cd" * 6,
        "13245",
        "2024-05-31",
    ]:
        assert text in page, text
    assert "<tr><th>With potential matches</th><td>2</td></tr>" in page  # about the run
    assert "0.99" in page and "84 FR 54002" in page and "2019-10-09" in page
    assert "Chinese name equal after normalization" in page
    assert "Presumption of denial." in page and "NS-CMIC List" in page
    assert '<a href="https://www.bis.gov/entity-list" rel="noopener noreferrer">' in page
    assert 'href="https://www.federalregister.gov/d/2019-22210"' in page
    # Every party in input order, numbered as in the spreadsheet, one line each in the
    # summary; then a section for each party with potential matches.
    assert page.count('<section class="party') == 2
    assert 'id="party-1"' not in page
    rows = [page.index(f'id="party-{n}"') for n in (2, 3, 4, 5)]
    assert rows == sorted(rows) and rows[-1] < page.index('id="row-2"')
    assert '<tr id="party-3"><td class=n>3</td><td>Stanford University <span class=muted>' in page
    assert '<td class="v skipped">Skipped</td><td>empty name</td>' in page
    assert '<section class="party licence-required" id="row-2">' in page  # its verdict
    # Self-contained: no scripts, no external resources.
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "Content-Security-Policy" in page


def test_html_escapes_everything_and_links_only_http(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    evil = "<script>alert('x')</script>"
    df = pd.DataFrame([[evil + " Ltd", "CN", '"><img src=x>']], columns=COLUMNS, dtype=str)
    hit = hikvision_hit(
        name=f"{evil} Holdings",
        matched_name=evil,
        explanation="<b>bold</b> & more",
        source_url="javascript:alert(1)",
        listings=[
            {
                "list": "Entity List",
                "source_url": "JavaScript:alert(2)",
                "citation": '"quoted" <cite>',
            }
        ],
    )
    result = {"row": 0, "query": evil + " Ltd", "country": "CN", "status": "hit", "hits": [hit]}
    meta = {**META, "run_id": '<img src=x onerror="alert(3)">'}
    with open_writer(out, COLUMNS, meta) as writer:
        writer.write(df, [result])
        writer.close({"rows": 1, "hits": 1, "clear": 0, "skipped": 0, "hit_rows": 1})
    page = out.read_text("utf-8")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Holdings" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Ltd" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "&quot;quoted&quot; &lt;cite&gt;" in page
    assert "javascript:alert(1)" in page  # shown as text ...
    assert 'href="javascript' not in page.lower()  # ... never linked


def test_html_without_hits(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    df = pd.DataFrame([[STANFORD, "US", ""]], columns=COLUMNS, dtype=str)
    result = {"row": 0, "query": STANFORD, "country": "US", "status": "clear", "hits": []}
    with open_writer(out, COLUMNS, META) as writer:
        writer.write(df, [result])
    page = out.read_text("utf-8")
    assert (
        "<td class=n>2</td><td>Stanford University <span class=muted>(US)</span></td>"
        '<td class="v no-finding">No finding</td>'
    ) in page
    assert "No party has a potential match." in page
    assert "What a clear result does not cover" in page
    assert not (tmp_path / "report.html.meta.json").exists()  # the report carries its meta


# --- atomicity and the sidecar ------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx", ".html"])
def test_abort_leaves_nothing_and_keeps_existing_output(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    fresh = tmp_path / f"fresh{suffix}"
    out.write_bytes(b"previous good output")
    for target in (out, fresh):
        writer = open_writer(target, COLUMNS, META)
        writer.write(*make_chunk())
        assert leftovers(tmp_path)  # work in progress sits in a temp file
        writer.abort()
        writer.abort()  # idempotent
    assert out.read_bytes() == b"previous good output"
    assert not fresh.exists()
    assert leftovers(tmp_path) == []
    assert not (tmp_path / f"results{suffix}.meta.json").exists()


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt], ids=["error", "ctrl-c"])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx", ".html"])
def test_exception_inside_with_keeps_existing_output(
    tmp_path: Path, suffix: str, error: type[BaseException]
) -> None:
    out = tmp_path / f"results{suffix}"
    out.write_bytes(b"previous good output")
    with pytest.raises(error), open_writer(out, COLUMNS, META) as writer:
        writer.write(*make_chunk())
        raise error("stopped mid-run")
    assert out.read_bytes() == b"previous good output"
    assert leftovers(tmp_path) == []


def test_close_replaces_existing_output(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    out.write_bytes(b"previous good output")
    write_output(out)
    assert out.read_text("utf-8-sig").startswith("name,country,note,screen_status")
    assert leftovers(tmp_path) == []


def test_leaving_with_normally_closes_with_own_counts(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with open_writer(out, COLUMNS, META) as writer:
        writer.write(*make_chunk())
    meta = json.loads((tmp_path / "results.jsonl.meta.json").read_text())
    assert meta["summary"] == COUNTS


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_sidecar_meta(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    write_output(out)
    meta = json.loads((tmp_path / f"results{suffix}.meta.json").read_text("utf-8"))
    assert meta["run_id"] == META["run_id"]
    assert meta["input"] == META["input"]
    assert meta["lists"] == META["lists"]
    assert meta["summary"] == {**COUNTS, **SUMMARY}
    assert meta["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_output_permissions_are_not_the_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    write_output(out)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_checks_lengths(tmp_path: Path) -> None:
    df, results = make_chunk()
    with pytest.raises(ValueError), open_writer(tmp_path / "r.csv", COLUMNS, META) as writer:
        writer.write(df, results[:2])
    assert list(tmp_path.iterdir()) == []


# --- bad output paths ---------------------------------------------------------------------


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"results\.xls: unknown output type '\.xls'"):
        open_writer(tmp_path / "results.xls", COLUMNS, META)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        open_writer(tmp_path / "nope" / "results.csv", COLUMNS, META)


def test_output_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        open_writer(tmp_path / "out.csv", COLUMNS, META)


def test_output_is_the_input(tmp_path: Path) -> None:
    source = tmp_path / "partners.csv"
    source.write_text("name\nStanford University\n")
    meta = {**META, "input": {"path": str(source), "sha256": "x", "rows": 1}}
    with pytest.raises(InputError, match="is the input file"):
        open_writer(source, ["name"], meta)
    assert source.read_text() == "name\nStanford University\n"
