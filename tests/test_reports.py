"""screener.files.reports: the top hit by severity, numbers in XLSX, rows numbered as in the
input spreadsheet, each hit's relation, and the fast JSONL and XLSX paths against the slow
ones they replace."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import yaml
from excerpts import excerpt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.db.decisions import KINDS
from screener.db.store import Store
from screener.files.readers import open_input
from screener.files.reports import OUTPUT_COLUMNS, html, open_writer
from screener.files.reports import xlsx as xlsx_module
from screener.files.reports.cells import as_number, xlsx_text
from screener.files.reports.severity import DATA as SEVERITY_YAML
from screener.files.reports.severity import levels, listing_level, order_hits, top_hit
from screener.lists.parsers import ofac
from screener.matching.matcher import Matcher

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "fixtures" / "inputs"
OFAC_CONS = excerpt("moov-watchman/ofac_non_sdn")
HUAWEI = "Huawei Technologies Co., Ltd."
# OFAC's non-SDN entry for Huawei (ent_num 30947), in the legacy cons_prim.csv layout.
HUAWEI_NS_CMIC = (
    '30947,"HUAWEI TECHNOLOGIES CO., LTD.",-0- ,"CMIC-EO13959",-0- ,-0- ,-0- ,'
    '-0- ,-0- ,-0- ,-0- ,"Target Type Private Company; '
    'Listing Date (CMIC) 03 Jun 2021."\r\n'
)
OFAC_SOURCE = {"id": "ofac-cons", "name": "OFAC Consolidated (non-SDN)", "kind": "sanctions"}
META: dict[str, Any] = {
    "run_id": "r1",
    "tool_version": "0.1.0",
    "created_at": "2026-01-01",
    "threshold": 0.85,
    "lists": [],
    "input": {"path": "partners.csv", "sha256": "ab" * 32, "rows": None},
}


def write(
    path: Path,
    columns: list[str],
    chunks: list[tuple[pd.DataFrame, list[dict[str, Any]]]],
    meta: dict[str, Any] = META,
) -> None:
    with open_writer(path, columns, meta) as writer:
        for df, results in chunks:
            writer.write(df, results)


def frame(rows: list[list[str]], columns: list[str], start: int = 0) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns, dtype=str)
    df.index = pd.RangeIndex(start, start + len(rows))
    return df


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"), newline="")))


def read_xlsx(path: Path, sheet: str = "results") -> list[dict[str, Any]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def hit(
    name: str,
    score: float,
    list_name: str | None,
    citation: str | None = None,
    listings: list[dict[str, Any]] | None = None,
    **more: Any,
) -> dict[str, Any]:
    return {
        "entity_id": name.lower().replace(" ", "-"),
        "name": name,
        "matched_name": name,
        "score": score,
        "source_id": "test",
        "source_name": "Test source",
        "list": list_name,
        "citation": citation,
        "listings": listings or [],
        **more,
    }


def listing(list_name: str, citation: str | None = None, **more: Any) -> dict[str, Any]:
    return {"list": list_name, "citation": citation, "in_force": True, **more}


# --- severity: which hit a row shows ---------------------------------------------------------


@pytest.fixture
def huawei_hits(store: Store, tmp_path: Path) -> list[dict[str, Any]]:
    """Huawei screened, as the matcher reports it, against the bundled list plus OFAC's
    non-SDN entry for Huawei read by the OFAC parser: two hits that both score 1.0."""
    folder = tmp_path / "ofac-cons"
    folder.mkdir()
    (folder / "cons_prim.csv").write_bytes(HUAWEI_NS_CMIC.encode())
    store.import_parsed(OFAC_SOURCE, ofac.parse(folder), sha256="t", origin="test")
    m = Matcher.from_store(store)
    return [h.as_dict() for h in m.screen(HUAWEI, None, m.threshold)]


def test_huawei_row_shows_its_entity_list_listing(
    huawei_hits: list[dict[str, Any]], tmp_path: Path
) -> None:
    # Both score 1.0; the matcher lists OFAC's "HUAWEI TECHNOLOGIES CO., LTD." first (name
    # order), an NS-CMIC entry without a citation, which is what the rows used to show.
    found = {(h["list"], h["score"], h["citation"]) for h in huawei_hits}
    assert {("Entity List", 1.0, "84 FR 22961"), ("NS-CMIC List", 1.0, None)} <= found
    df = frame([[HUAWEI, "CN"]], ["name", "country"])
    results = [{"row": 0, "query": HUAWEI, "country": "cn", "status": "hit", "hits": huawei_hits}]
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"out{suffix}"
        write(out, ["name", "country"], [(df, results)])
        row = read_csv(out)[0] if suffix == ".csv" else read_xlsx(out)[0]
        assert row["screen_top_name"] == HUAWEI
        assert row["screen_list"] == "Entity List"
        assert row["screen_citation"] == "84 FR 22961"
        assert row["screen_severity"] == "licence-required"
        assert row["screen_source"] == "Screener curated surveillance-technology list"


def test_huawei_with_the_real_ofac_list(store: Store, tmp_path: Path) -> None:
    store.import_parsed(OFAC_SOURCE, ofac.parse(OFAC_CONS), sha256="t", origin="test")
    m = Matcher.from_store(store)
    hits = [h.as_dict() for h in m.screen(HUAWEI, None, m.threshold)]
    assert {h["list"] for h in hits} >= {"NS-CMIC List", "Entity List"}
    top = top_hit(hits)
    assert top is not None and (top["list"], top["citation"]) == ("Entity List", "84 FR 22961")


def test_a_branch_of_huawei_shows_the_entity_list(matcher: Matcher, tmp_path: Path) -> None:
    """Two 'unit' hits that score the same: the holding company (NS-CMIC, first by name) and
    Huawei Technologies (Entity List, through its listed name "Huawei"). The row shows the
    Entity List one."""
    query = "Huawei Investment & Holding Düsseldorf GmbH"
    hits = [h.as_dict() for h in matcher.screen(query, None, matcher.threshold)]
    assert {"NS-CMIC List", "Entity List"} <= {h["list"] for h in hits}
    out = tmp_path / "out.csv"
    write(
        out,
        ["name"],
        [(frame([[query]], ["name"]), [{"row": 0, "query": query, "status": "hit", "hits": hits}])],
    )
    row = read_csv(out)[0]
    assert (
        row["screen_top_name"],
        row["screen_relation"],
        row["screen_list"],
        row["screen_citation"],
    ) == (HUAWEI, "unit", "Entity List", "84 FR 22961")


def test_html_lists_hits_most_severe_first(
    huawei_hits: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    df = frame([[HUAWEI]], ["name"])
    write(
        out, ["name"], [(df, [{"row": 0, "query": HUAWEI, "status": "hit", "hits": huawei_hits}])]
    )
    page = out.read_text("utf-8")
    # One block for Huawei Technologies: the curated entry (Entity List, first, most severe)
    # and OFAC's NS-CMIC entry of the same name merged, every listing in one table.
    assert "<strong>Huawei Technologies Co., Ltd.</strong>" in page
    assert "<strong>HUAWEI TECHNOLOGIES CO., LTD.</strong>" not in page
    assert (
        page.count('<div class="entity') == len(html.entity_groups(huawei_hits)) < len(huawei_hits)
    )
    block = page[page.index("<strong>Huawei Technologies Co., Ltd.</strong>") :]
    block = block[: block.index("</div>")]
    assert "screener-surveillance" in block and "ofac-cons" in block
    assert block.index("84 FR 22961") < block.index("NS-CMIC List")
    assert "<dt>Severity</dt><dd>Licence required</dd>" in page
    assert '<span class="verdict licence-required">Licence required</span>' in page


@pytest.mark.parametrize(
    ("list_name", "extra", "expected"),
    [
        ("SDN List", {}, "prohibited"),
        ("Specially Designated Nationals (SDN)", {}, "prohibited"),
        ("Denied Persons List (DPL)", {}, "prohibited"),
        ("UK Sanctions List", {}, "prohibited"),
        ("EU Global Human Rights Sanctions", {}, "prohibited"),
        (
            "Entity List (EL)",
            {"license_requirement": "For all items subject to the EAR."},
            "licence-required",
        ),
        ("Entity List", {}, "licence-required"),
        ("Military End User (MEU) List", {}, "licence-required"),
        ("Japan METI End User List", {}, "licence-required"),
        ("Unverified List (UVL)", {}, "restricted"),
        ("NS-CMIC List", {}, "restricted"),
        ("Non-SDN Chinese Military-Industrial Complex Companies List (CMIC)", {}, "restricted"),
        ("Non-SDN Menu-Based Sanctions List", {}, "restricted"),
        ("OFAC Consolidated (non-SDN) List", {}, "restricted"),
        ("DoD 1260H List", {}, "restricted"),
        ("FCC Covered List", {}, "restricted"),
        ("NDAA Section 889", {}, "restricted"),
        ("A list no pattern names", {}, "restricted"),
        ("A list no pattern names", {"license_requirement": "For all items."}, "licence-required"),
        ("ASPI China Defence Universities Tracker", {}, "reference"),
        ("MISP Surveillance Vendors", {}, "reference"),
        ("SDN List", {"in_force": False}, "ended"),
        ("Entity List", {"end_date": "2020-01-01"}, "ended"),
        ("Entity List", {"end_date": "2999-01-01"}, "licence-required"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_listing_levels(list_name: str, extra: dict[str, Any], expected: str) -> None:
    assert listing_level({"list": list_name, **extra}).id == expected


def test_severity_then_score_then_citation() -> None:
    aspi = hit("Beijing Institute of Technology", 1.0, "ASPI China Defence Universities Tracker")
    el = hit("Beijing Institute of Technology", 0.9, "Entity List")
    sdn = hit("Bank Melli", 0.86, "SDN List")
    uncited = hit("Huawei", 0.95, "Entity List")
    cited = hit("Huawei", 0.95, "Entity List", "84 FR 22961")
    assert order_hits([aspi, el]) == [el, aspi]
    assert order_hits([el, sdn]) == [sdn, el]
    assert order_hits([uncited, cited]) == [cited, uncited]
    assert order_hits([aspi]) == [aspi] and top_hit([]) is None


def test_the_most_severe_listing_speaks_for_a_hit(tmp_path: Path) -> None:
    """An entity whose main listing is NS-CMIC but which is also on the Entity List."""
    hikvision = "Hangzhou Hikvision Digital Technology Co., Ltd."
    multi = hit(
        hikvision,
        0.9,
        "NS-CMIC List",
        None,
        listings=[
            listing("NS-CMIC List"),
            listing("Entity List", "84 FR 54002"),
            listing("DoD 1260H List"),
        ],
    )
    other = hit("Hikvision Digital Technology", 0.99, "DoD 1260H List")
    results = [{"row": 0, "query": "Hikvision", "status": "hit", "hits": [other, multi]}]
    out = tmp_path / "out.csv"
    write(out, ["name"], [(frame([["Hikvision"]], ["name"]), results)])
    row = read_csv(out)[0]
    assert (row["screen_top_name"], row["screen_list"], row["screen_citation"]) == (
        hikvision,
        "Entity List",
        "84 FR 54002",
    )


def test_severity_table_is_documented() -> None:
    raw = yaml.safe_load(SEVERITY_YAML.read_text("utf-8"))
    assert [lv.id for lv in levels()] == [
        "prohibited",
        "licence-required",
        "restricted",
        "reference",
        "ended",
    ]
    for level in raw["levels"]:
        assert level["label"] and len(level["meaning"]) > 40, level["id"]
        for entry in level["lists"]:
            re.compile(entry["pattern"])
            assert entry["note"], entry["pattern"]


# --- XLSX: numbers, limits, and the rendered rows ---------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("42", 42),
        ("-3.5", -3.5),
        ("0", 0),
        ("0.25", 0.25),
        ("12.50", 12.5),
        ("250000", 250000),
        ("123456789012345", 123456789012345),
        ("1e-05", 1e-05),
        ("0.30000000000000004", 0.30000000000000004),
        ("007", None),
        ("+5", None),
        ("1234567890123456", None),
        ("1E5", None),
        ("1,000", None),
        ("4_2", None),
        (" 42", None),
        ("42 ", None),
        ("nan", None),
        ("-inf", None),
        ("-", None),
        ("", None),
        ("C0000001", None),
        ("2019-10-09", None),
        ("84 FR 54002", None),
    ],
)
def test_as_number(cell: str, expected: float | None) -> None:
    value = as_number(cell)
    assert value == expected and type(value) is type(expected)


def test_xlsx_keeps_numbers_numeric(tmp_path: Path) -> None:
    columns = ["Funder", "Amount", "Code", "Note"]
    df = frame(
        [
            ["Stanford University", "250000", "007", "-2+3"],
            ["Hikvision", "-3.5", "1234567890123456", "+5"],
            ["Dahua", "12.50", "1E5", "-2"],
        ],
        columns,
    )
    results = [
        {"row": 0, "query": "Stanford University", "status": "clear", "hits": []},
        {
            "row": 1,
            "query": "Hikvision",
            "status": "hit",
            "hits": [hit("Hikvision", 0.987, "Entity List", "84 FR 54002")],
        },
        {"row": 2, "query": "Dahua", "status": "clear", "hits": []},
    ]
    out = tmp_path / "out.xlsx"
    write(out, columns, [(df, results)])
    rows = read_xlsx(out)
    assert [r["Amount"] for r in rows] == [250000, -3.5, 12.5]
    assert [r["Code"] for r in rows] == ["007", "1234567890123456", "1E5"]
    assert [r["Note"] for r in rows] == ["'-2+3", "'+5", -2]  # a number is no formula
    assert rows[1]["screen_top_score"] == 0.987
    assert [r["screen_hits"] for r in rows] == [0, 1, 0]
    assert [r["screen_input_row"] for r in rows] == [2, 3, 4]
    wb = openpyxl.load_workbook(out)
    types = [c.data_type for c in wb["results"][2]]
    wb.close()
    assert types[1] == "n" and types[2] == "s"


def test_xlsx_rows_render_as_xlsxwriter_writes_them(tmp_path: Path) -> None:
    """RowSheet relies on XlsxWriter internals: its sheet XML must equal XlsxWriter's own."""
    columns = ["name", "amount", "note"]
    cells = [
        ["Zhejiang Dahua Technology Co., Ltd.", "12.5", "  padded  "],
        ["AT&T <Inc>", "7", "multi\nline"],
        ["", "", "北京大学"],
        ["tab\tinside", "0", 'quote " here'],
    ]
    df = frame(cells, columns)
    results = [
        {"row": i, "query": r[0], "status": "clear", "hits": []} for i, r in enumerate(cells)
    ]
    ours = tmp_path / "ours.xlsx"
    write(ours, columns, [(df, results)])

    theirs = tmp_path / "theirs.xlsx"
    wb = xlsxwriter.Workbook(str(theirs), {**xlsx_module.OPTIONS, "tmpdir": str(tmp_path)})
    ws = wb.add_worksheet("results")
    ws.freeze_panes(1, 0)
    bold = wb.add_format(xlsx_module.HEADER_FORMAT)
    for c, label in enumerate(columns + OUTPUT_COLUMNS):
        ws.write_string(0, c, label, bold)
    ws.data_validation(
        1,
        len(columns) + len(OUTPUT_COLUMNS) - 3,
        1_048_575,
        len(columns) + len(OUTPUT_COLUMNS) - 3,
        {
            "validate": "list",
            "source": list(KINDS),
            "ignore_blank": True,
            "input_title": "Decision",
            "input_message": "Leave empty, or choose one; give a "
            "reason in decision_reason and your name in decision_by.",
        },
    )
    for r, (row, result) in enumerate(zip(cells, results), start=1):
        values: list[Any] = [
            *row,
            "clear",
            None,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            0,
            r + 1,
            "",
            "",
            result["query"],
        ]
        for c, v in enumerate(values):
            number = as_number(v) if isinstance(v, str) and c < len(columns) else None
            if number is not None or isinstance(v, int):
                ws.write_number(r, c, v if number is None else number)
            elif v:
                ws.write_string(r, c, v)
    wb.add_worksheet("about")
    wb.close()

    def sheet_data(path: Path) -> str:
        """The rows (column widths, filters and colours are the writer's own)."""
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/worksheets/sheet1.xml").decode()
        return xml[xml.index("<sheetData") : xml.index("</sheetData>")]

    assert sheet_data(ours) == sheet_data(theirs)


def test_xlsx_text_is_never_markup_or_a_formula(tmp_path: Path) -> None:
    # XlsxWriter itself writes a constant-memory string that starts with "<r>" and ends
    # with "</r>" unescaped, as rich text: a hostile cell could add a formula cell.
    inject = (
        '<r><t>a</t></r></is></c><c r="Z2"><f>HYPERLINK("http://evil.example")</f></c>'
        '<c r="Y2" t="inlineStr"><is><r><t>b</t></r>'
    )
    df = frame([[inject, "_x0041_ literal"]], ["name", "note"])
    out = tmp_path / "out.xlsx"
    write(out, ["name", "note"], [(df, [{"row": 0, "query": "x", "status": "clear", "hits": []}])])
    wb = openpyxl.load_workbook(out)
    cells = [c for row in wb["results"].iter_rows() for c in row if c.value is not None]
    wb.close()
    assert all(c.data_type != "f" for c in cells)
    assert cells[len(["name", "note"]) + len(OUTPUT_COLUMNS)].value == inject
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    assert "_x005F_x0041_ literal" in xml  # Excel shows "_x0041_ literal", not "A literal"


def test_xlsx_cell_limit_counts_utf16_units(tmp_path: Path) -> None:
    df = frame([["😀" * 20_000]], ["blob"])
    out = tmp_path / "out.xlsx"
    write(out, ["blob"], [(df, [{"row": 0, "query": "x", "status": "clear", "hits": []}])])
    value = read_xlsx(out)[0]["blob"]
    assert value.endswith("[truncated]")
    assert len(value.encode("utf-16-le")) // 2 <= 32_767


def test_xlsx_goes_on_in_a_new_sheet_past_the_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_module, "XLSX_MAX_ROWS", 3)  # header + 2 rows a sheet
    names = ["Hikvision", "Dahua", "SenseTime", "Megvii", "iFlytek"]
    chunks = [
        (
            frame([[n] for n in names[a:b]], ["name"], a),
            [{"row": i, "query": names[i], "status": "clear", "hits": []} for i in range(a, b)],
        )
        for a, b in ((0, 3), (3, 5))
    ]
    out = tmp_path / "out.xlsx"
    write(out, ["name"], chunks)
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["results", "results 2", "results 3", "about"]
    wb.close()
    got = [
        (r["name"], r["screen_input_row"])
        for s in ("results", "results 2", "results 3")
        for r in read_xlsx(out, s)
    ]
    assert got == [(n, i + 2) for i, n in enumerate(names)]


def test_xlsx_scratch_folder_is_beside_the_output_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    writer = open_writer(out, ["name"], META)
    writer.write(
        frame([["Hikvision"]], ["name"]),
        [{"row": 0, "query": "Hikvision", "status": "clear", "hits": []}],
    )
    scratch = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(scratch) == 1 and re.fullmatch(r"\.out\.xlsx\..+\.tmp", scratch[0].name)
    assert list(scratch[0].iterdir())  # XlsxWriter's row file is in it
    writer.close(writer.counts())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "out.xlsx.meta.json"]


# --- JSONL: the fast lines are json.dumps' lines ------------------------------------------------


def test_jsonl_lines_equal_json_dumps(tmp_path: Path) -> None:
    tricky = 'Quote " back\\slash \n newline \x01 control 北京 😀 </script>'
    shared = [
        hit(
            "Huawei",
            1.0,
            "Entity List",
            "84 FR 22961",
            relation="unit",
            matched_part="Huawei",
            countries=["cn"],
            evidence={"tokens": ["huawei"]},
        )
    ]
    results = [
        {"row": 0, "query": tricky, "country": "cn", "status": "hit", "hits": shared},
        {"row": 1, "query": "Huawei", "country": None, "status": "hit", "hits": shared},
        {
            "row": 2,
            "query": "",
            "country": None,
            "status": "skipped",
            "reason": "empty name",
            "hits": [],
        },
        {
            "row": 3,
            "query": None,
            "country": "us",
            "status": "clear",
            "hits": [],
            "decision": {"kind": "false-positive", "by": "A. Reviewer"},
        },
    ]
    df = frame([[r["query"] or ""] for r in results], ["name"])
    out = tmp_path / "out.jsonl"
    write(out, ["name"], [(df, results)])
    expected = []
    for r in results:
        known = ("row", "query", "country", "status", "reason", "hits")
        record = {
            "row": r["row"] + 2,
            "query": r["query"],
            "country": r["country"],
            "status": r["status"],
            "reason": r.get("reason"),
            "hits": r["hits"],
            **{k: v for k, v in r.items() if k not in known},
        }
        expected.append(json.dumps(record, ensure_ascii=False) + "\n")
    assert out.read_text("utf-8") == "".join(expected)
    assert json.loads(expected[0])["hits"][0]["relation"] == "unit"  # the hit dict as it is


# --- rows numbered as in the spreadsheet; input rows counted ----------------------------------


@pytest.mark.parametrize(
    ("source", "first"), [("partners.csv", 2), ("partners.xlsx", 2), ("partners.jsonl", 1)]
)
def test_rows_numbered_for_the_input_format(tmp_path: Path, source: str, first: int) -> None:
    meta = {**META, "input": {**META["input"], "path": source}}
    df = frame([["Hikvision"], [""]], ["name"], start=10)  # the second chunk of a run
    results = [
        {
            "row": 10,
            "query": "Hikvision",
            "status": "hit",
            "hits": [hit("Hikvision", 1.0, "Entity List")],
        },
        {"row": 11, "query": "", "status": "skipped", "reason": "empty name", "hits": []},
    ]
    for suffix in (".csv", ".jsonl", ".html"):
        write(tmp_path / f"out{suffix}", ["name"], [(df, results)], meta)
    assert [r["screen_input_row"] for r in read_csv(tmp_path / "out.csv")] == [
        str(first + 10),
        str(first + 11),
    ]
    lines = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["row"] for line in lines] == [first + 10, first + 11]
    page = (tmp_path / "out.html").read_text("utf-8")
    assert f"<h3>Row {first + 10}: Hikvision" in page
    assert f'<tr id="party-{first + 11}"><td class=n>{first + 11}</td>' in page  # skipped
    sidecar = json.loads((tmp_path / "out.csv.meta.json").read_text("utf-8"))
    assert (
        "first JSON record is row 1" if first == 1 else "the first data row under it row 2"
    ) in sidecar["output"]["row_numbers"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx", ".html"])
def test_result_without_a_row_number(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    write(
        out,
        ["name"],
        [
            (
                frame([["Hikvision"]], ["name"]),
                [{"query": "Hikvision", "status": "clear", "hits": []}],
            )
        ],
    )
    if suffix == ".xlsx":
        assert read_xlsx(out)[0]["screen_input_row"] is None
    elif suffix == ".csv":
        assert read_csv(out)[0]["screen_input_row"] == ""
    elif suffix == ".jsonl":
        assert json.loads(out.read_text("utf-8"))["row"] is None


def test_xlsx_input_rows_keep_their_sheet_numbers(tmp_path: Path) -> None:
    """partners.xlsx: a 'Read me' sheet, then the table with a blank row 4 before Stanford."""
    table = open_input(INPUTS / "partners.xlsx", sheet="Partners")
    df = next(table.chunks())
    assert list(df.attrs["input_rows"]) == [2, 3, 5]
    results = [
        {"row": i, "query": q, "status": "clear", "hits": []}
        for i, q in enumerate(df[table.name_column])
    ]
    meta = {**META, "input": {"path": str(table.path), "sha256": table.sha256, "rows": table.rows}}
    assert table.rows is None  # unknown until read
    for suffix in (".xlsx", ".html"):
        write(tmp_path / f"out{suffix}", table.columns, [(df, results)], meta)
    rows = read_xlsx(tmp_path / "out.xlsx")
    assert [(r["Company Name"], r["screen_input_row"]) for r in rows][-1] == (
        "Stanford University",
        5,
    )
    assert [r["Since"] for r in rows] == [2019, None, 2021]  # numbers again
    page = (tmp_path / "out.html").read_text("utf-8")
    assert "<tr><th>Input rows</th><td>3</td></tr>" in page  # not "—"
    about = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(tmp_path / "out.xlsx")["about"].iter_rows(values_only=True)
        if r and r[0]
    }
    assert about["Input rows"] == 3
    sidecar = json.loads((tmp_path / "out.xlsx.meta.json").read_text("utf-8"))
    assert sidecar["input"]["rows"] == 3


# --- relation --------------------------------------------------------------------------------


def test_relation_in_every_output(matcher: Matcher, tmp_path: Path) -> None:
    query = "State Key Laboratory of Robotics and System, Harbin Institute of Technology"
    (lab,) = [h.as_dict() for h in matcher.screen(query, None, matcher.threshold)]
    assert (lab["name"], lab["relation"]) == ("Harbin Institute of Technology", "unit")
    same = hit("Hikvision", 1.0, "Entity List", "84 FR 54002")  # no "relation": the entity itself
    df = frame([[query], ["Hikvision"]], ["name"])
    results = [
        {"row": 0, "query": query, "status": "hit", "hits": [lab]},
        {"row": 1, "query": "Hikvision", "status": "hit", "hits": [same]},
    ]
    for suffix in (".csv", ".xlsx", ".jsonl", ".html"):
        write(tmp_path / f"out{suffix}", ["name"], [(df, results)])
    assert [r["screen_relation"] for r in read_csv(tmp_path / "out.csv")] == ["unit", "same"]
    assert [r["screen_relation"] for r in read_xlsx(tmp_path / "out.xlsx")] == ["unit", "same"]
    lines = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    first = json.loads(lines[0])["hits"][0]
    assert (first["relation"], first["matched_part"]) == ("unit", "Harbin Institute of Technology")
    assert "relation" not in json.loads(lines[1])["hits"][0]  # carried as is
    page = (tmp_path / "out.html").read_text("utf-8")
    assert '<span class="tag unit" title="a unit of the listed entity' in page
    assert '<span class="tag same" title="the listed entity itself">same</span>' in page
    assert "<dt>Matched part</dt><dd>Harbin Institute of Technology</dd>" in page


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.text(max_size=30), min_size=2, max_size=2), min_size=1, max_size=5))
def test_xlsx_any_text_reads_back(tmp_path: Path, rows: list[list[str]]) -> None:
    """Any text in, a workbook out that reads back cell for cell: numbers as numbers, text
    formula-safe, characters XML cannot carry as U+FFFD, no formula anywhere."""
    df = frame(rows, ["name", "note"])
    results = [{"row": i, "query": r[0], "status": "clear", "hits": []} for i, r in enumerate(rows)]
    out = tmp_path / "any.xlsx"
    write(out, ["name", "note"], [(df, results)])
    wb = openpyxl.load_workbook(out)
    got = [[c.value for c in row[:2]] for row in wb["results"].iter_rows(min_row=2)]
    assert all(c.data_type != "f" for row in wb["results"].iter_rows() for c in row)
    wb.close()

    def expected(cell: str) -> Any:
        number = as_number(cell)
        if number is not None:
            return number
        shown = re.sub("(_x[0-9a-fA-F]{4}_)", r"_x005F\1", xlsx_text(cell))  # Excel's escape
        return shown or None

    assert got == [[expected(c) for c in row] for row in rows]


def test_temp_paths_name_every_scratch_path(tmp_path: Path) -> None:
    """What a batch records so that a run killed with SIGKILL leaves nothing behind."""
    from screener.db.runs import looks_temporary

    writer = open_writer(tmp_path / "out.xlsx", ["name"], META)
    try:
        paths = writer.temp_paths
        assert writer.temp_path in paths
        assert sorted(paths) == sorted(p for p in tmp_path.iterdir())  # the file and the folder
        assert all(looks_temporary(p) for p in paths)
    finally:
        writer.abort()
    assert list(tmp_path.iterdir()) == []
