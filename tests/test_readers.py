"""screener.files.readers: every input shape a partner or funder list arrives in."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.errors import InputError
from screener.files import readers
from screener.files.readers import NOTES_ATTR, open_input

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inputs"

HIKVISION_ZH = "杭州海康威视数字技术股份有限公司"
DAHUA_ZH = "浙江大华技术股份有限公司"
DAHUA = "Zhejiang Dahua Technology Co., Ltd."
STANFORD = "Stanford University"
SOCGEN = "Société Générale"


def read_all(table: readers.InputTable, size: int = 50_000) -> pd.DataFrame:
    return pd.concat(list(table.chunks(size)))


def write_csv(path: Path, rows: list[list[str]], sep: str = ",", encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
    text = buffer.getvalue()
    if encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    return path


def assert_input_error(path: Path, excinfo: pytest.ExceptionInfo[InputError], *words: str) -> None:
    message = str(excinfo.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    for word in words:
        assert word in message, message


# --- recorded fixtures --------------------------------------------------------------------


def test_fixture_gbk_partners_from_a_chinese_excel_export() -> None:
    table = open_input(FIXTURES / "partners_gbk.csv")
    assert (table.format, table.encoding, table.delimiter) == ("csv", "gb18030", ",")
    assert table.columns == ["公司名称", "国家", "备注"]
    assert table.name_column == "公司名称"
    assert table.country_column == "国家"
    df = read_all(table)
    assert df["公司名称"].tolist() == [
        HIKVISION_ZH,
        DAHUA_ZH,
        "科大讯飞股份有限公司",
        DAHUA,
        "清华大学",
    ]
    assert df["备注"].tolist() == ["视频监控", "", "语音识别", "英文名", ""]
    assert table.rows == 5


def test_fixture_utf16_funders_tab_separated() -> None:
    table = open_input(FIXTURES / "funders_utf16.csv")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert (table.name_column, table.country_column) == ("Funder", "Country")
    df = read_all(table)
    assert df["Funder"].tolist()[:2] == [STANFORD, SOCGEN]
    assert df["Amount"].tolist() == ["250000", "100000", "", "50000"]


def test_fixture_xlsx_needs_sheet() -> None:
    path = FIXTURES / "partners.xlsx"
    table = open_input(path, sheet="Partners")
    assert (table.format, table.sheet) == ("xlsx", "Partners")
    assert table.columns == ["Company Name", "Country", "Since"]
    assert table.name_column == "Company Name"
    df = read_all(table)
    assert df["Company Name"].tolist() == [HIKVISION_ZH, DAHUA, STANFORD]  # empty row dropped
    assert df["Since"].tolist() == ["2019", "", "2021"]  # ints as written, no ".0"
    assert df.index.tolist() == [0, 1, 2]
    # The first sheet is a note: one header-like line and nothing under it.
    with pytest.raises(InputError) as excinfo:
        open_input(path)
    assert_input_error(path, excinfo, "Read me", "no rows")


def test_sha256_is_of_the_file_bytes() -> None:
    path = FIXTURES / "partners_gbk.csv"
    assert open_input(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --- encodings and delimiters -------------------------------------------------------------

ROWS = [
    ["name", "country"],
    [HIKVISION_ZH, "CN"],
    [DAHUA_ZH, "CN"],
    [DAHUA, "CN"],
    [STANFORD, "US"],
]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-be-bom", "utf-16"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "gbk", "gb18030"],
)
def test_encodings_with_chinese_names(tmp_path: Path, encoding: str, expected: str) -> None:
    path = write_csv(tmp_path / "partners.csv", ROWS, encoding=encoding)
    table = open_input(path)
    assert table.encoding == expected
    assert table.columns == ["name", "country"]  # no BOM left in the first header
    assert read_all(table)["name"].tolist() == [HIKVISION_ZH, DAHUA_ZH, DAHUA, STANFORD]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_western_single_byte_encodings(tmp_path: Path, encoding: str) -> None:
    rows = [["name", "country"], [SOCGEN, "FR"], ["Crédit Agricole", "FR"], ["Nestlé S.A.", "CH"]]
    path = write_csv(tmp_path / "banks.csv", rows, sep=";", encoding=encoding)
    table = open_input(path)
    assert table.encoding == "cp1252"  # the same text as latin-1 for these bytes
    assert read_all(table)["name"].tolist() == [SOCGEN, "Crédit Agricole", "Nestlé S.A."]


def test_utf8_file_with_non_utf8_byte_beyond_the_sample(tmp_path: Path) -> None:
    ascii_rows = "".join(f"Company {i},US\n" for i in range(120_000))  # > 1 MB of ASCII
    data = ("name,country\n" + ascii_rows).encode() + f"{SOCGEN},FR\n".encode("cp1252")
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    table = open_input(path)
    assert table.encoding == "cp1252"
    assert read_all(table)["name"].iloc[-1] == SOCGEN


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_delimiters(tmp_path: Path, sep: str) -> None:
    rows = [["Entity Name", "Country", "Note"], [DAHUA, "CN", ""], [STANFORD, "US", "a; b | c"]]
    path = write_csv(tmp_path / "list.txt", rows, sep=sep)
    table = open_input(path)
    assert table.delimiter == sep
    assert table.name_column == "Entity Name"
    df = read_all(table)
    assert df.values.tolist() == [[DAHUA, "CN", ""], [STANFORD, "US", "a; b | c"]]


def test_tsv_extension(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.tsv", [["name", "country"], [DAHUA, "CN"]], sep="\t")
    assert open_input(path).delimiter == "\t"


def test_one_column_list_with_commas_in_names(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text(f"company\n{DAHUA}\n{STANFORD}\nHuawei Technologies Co., Ltd.\n")
    table = open_input(path)
    assert table.delimiter is None
    assert table.columns == ["company"]
    assert read_all(table)["company"].tolist() == [DAHUA, STANFORD, "Huawei Technologies Co., Ltd."]


def test_empty_cells_short_rows_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text(f"name,country,note\n{STANFORD},,x\n\n,CN,\nAcme Corp\n")
    df = read_all(open_input(path))
    assert df.values.tolist() == [[STANFORD, "", "x"], ["", "CN", ""], ["Acme Corp", "", ""]]
    assert all(isinstance(v, str) for v in df.to_numpy().ravel())


def test_values_are_not_interpreted(tmp_path: Path) -> None:
    path = tmp_path / "raw.csv"
    path.write_text("name,id\nNA,007\nnull,1e5\n  Padded Ltd  ,TRUE\n")
    df = read_all(open_input(path))
    assert df.values.tolist() == [["NA", "007"], ["null", "1e5"], ["  Padded Ltd  ", "TRUE"]]


def test_quoted_newlines_and_quotes(tmp_path: Path) -> None:
    rows = [["name", "address"], ['The "Best" Co.', "Line 1\nLine 2"], [STANFORD, "Stanford, CA"]]
    df = read_all(open_input(write_csv(tmp_path / "q.csv", rows)))
    assert df.values.tolist() == rows[1:]


def test_trailing_delimiter_on_every_row_adds_a_column(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text(f"name;country\n{STANFORD};US;\n{DAHUA};CN;\n")
    table = open_input(path)
    assert table.columns == ["name", "country", "column_3"]
    assert read_all(table)["name"].tolist() == [STANFORD, DAHUA]


def test_duplicate_and_blank_headers(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(f"name,name,\n{STANFORD},Stanford,x\n")
    table = open_input(path, column="name")
    assert table.columns == ["name", "name.1", "column_3"]


def test_chunks_continue_the_index(tmp_path: Path) -> None:
    rows = [["name"]] + [[f"Company {i}"] for i in range(7)]
    table = open_input(write_csv(tmp_path / "many.csv", rows))
    chunks = list(table.chunks(size=3))
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [c.index.tolist() for c in chunks] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(table.chunks(size=3))[2]["name"].tolist() == ["Company 6"]  # re-readable


def test_ten_megabyte_cell(tmp_path: Path) -> None:
    big = "海" * 2_000_000 + "x" * 4_000_000  # 10 MB of UTF-8
    path = tmp_path / "big.csv"
    path.write_text(f'name,country\n"{big}",CN\n{STANFORD},US\n', encoding="utf-8")
    started = time.monotonic()
    table = open_input(path)
    df = read_all(table)
    assert time.monotonic() - started < 30  # generous: it takes well under a second
    assert (table.delimiter, table.columns) == (",", ["name", "country"])
    assert df["name"].tolist() == [big, STANFORD]


# --- column picking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["id", "Company Name", "Country"], "Company Name"),
        (["名称", "国家"], "名称"),
        (["ID", "counterparty", "amount"], "counterparty"),
        (["Supplier", "City"], "Supplier"),
        (["organisation"], "organisation"),
        (["whatever"], "whatever"),  # the only column
    ],
    ids=["company-name", "chinese", "counterparty", "supplier", "organisation", "only-column"],
)
def test_obvious_name_column(tmp_path: Path, header: list[str], expected: str) -> None:
    row = [STANFORD] + ["x"] * (len(header) - 1)
    table = open_input(write_csv(tmp_path / "in.csv", [header, row]))
    assert table.name_column == expected


def test_explicit_column_exact_and_case_insensitive(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [["Name", "Parent Company"], [DAHUA, "Dahua"]])
    assert open_input(path, column="Parent Company").name_column == "Parent Company"
    assert open_input(path, column="parent company").name_column == "Parent Company"


def test_explicit_column_missing_lists_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [["Name", "Country"], [DAHUA, "CN"]])
    with pytest.raises(InputError) as excinfo:
        open_input(path, column="Entity")
    assert_input_error(path, excinfo, "'Entity'", "columns: Name, Country")


@pytest.mark.parametrize(
    "header",
    [["name", "company"], ["id", "description"]],
    ids=["two-candidates", "no-candidate"],
)
def test_ambiguous_name_column(tmp_path: Path, header: list[str]) -> None:
    path = write_csv(tmp_path / "in.csv", [header, [STANFORD, "x"]])
    with pytest.raises(InputError) as excinfo:
        open_input(path)
    assert_input_error(
        path, excinfo, "cannot tell which column holds the names; use --column", ", ".join(header)
    )


def test_country_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [["Name", "Nationality", "HQ"], [DAHUA, "CN", "CN"]])
    assert open_input(path).country_column == "Nationality"
    assert open_input(path, country_column="hq").country_column == "HQ"
    with pytest.raises(InputError) as excinfo:
        open_input(path, country_column="Land")
    assert_input_error(path, excinfo, "--country-column", "'Land'")
    no_country = write_csv(tmp_path / "n.csv", [["name"], [DAHUA]])
    assert open_input(no_country).country_column is None


# --- XLSX ---------------------------------------------------------------------------------


def test_xlsx_first_sheet_values(tmp_path: Path) -> None:
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "Country", "Amount", "Since", "Flag"])
    ws.append([HIKVISION_ZH, "CN", 1500.5, dt.datetime(2019, 10, 9), True])
    ws.append([STANFORD, None, 3.0, dt.date(2021, 1, 2), None])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    table = open_input(path)
    assert table.sheet == "Sheet"
    df = read_all(table)
    assert df.values.tolist() == [
        [HIKVISION_ZH, "CN", "1500.5", "2019-10-09", "TRUE"],
        [STANFORD, "", "3", "2021-01-02", ""],
    ]


def test_xlsx_unknown_sheet_lists_sheets() -> None:
    path = FIXTURES / "partners.xlsx"
    with pytest.raises(InputError) as excinfo:
        open_input(path, sheet="Funders")
    assert_input_error(path, excinfo, "'Funders'", "Read me, Partners")
    assert open_input(path, sheet="partners").sheet == "Partners"


def test_xlsx_chunks(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["company"])
    for i in range(5):
        ws.append([f"Company {i}"])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    chunks = list(open_input(path).chunks(size=2))
    assert [c.index.tolist() for c in chunks] == [[0, 1], [2, 3], [4]]


def test_sheet_option_on_csv_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [["name"], [DAHUA]])
    with pytest.raises(InputError) as excinfo:
        open_input(path, sheet="Partners")
    assert_input_error(path, excinfo, "--sheet")


# --- the header row -----------------------------------------------------------------------


def register(path: Path, *top: list[object]) -> Path:
    """A funders register: ``top`` rows (a title...), then the header and two funders."""
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in top:
        ws.append(row)
    ws.append(["Funder", "Country", "Amount"])
    ws.append([HIKVISION_ZH, "中国", 250000])
    ws.append([STANFORD, "US", 5000])
    ws["C" + str(ws.max_row - 1)].number_format = '"$"#,##0.00'
    ws["C" + str(ws.max_row)].number_format = '"$"#,##0.00'
    ws.append([None])
    ws.append(["Total", None, dt.date(2026, 3, 31)])
    wb.save(path)
    return path


def test_a_title_row_above_the_header_is_passed_over_and_named(tmp_path: Path) -> None:
    import datetime as dt

    path = register(
        tmp_path / "r.xlsx",
        ["Research funding register 2026"],
        ["Prepared by the Research Office", dt.date(2026, 3, 31)],
        [],
    )
    table = open_input(path)
    assert table.columns == ["Funder", "Country", "Amount"]
    assert (table.name_column, table.country_column, table.header_row) == ("Funder", "Country", 4)
    assert table.notes() == [
        (
            f"{path}: took row 4 as the header (column names: Funder, Country, Amount); the "
            "rows above it look like a title (Research funding register 2026; Prepared by the "
            "Research Office 2026-03-31); give --header-row N if the column names are on "
            "another row"
        )
    ]
    df = read_all(table)
    assert df["Funder"].tolist() == [HIKVISION_ZH, STANFORD, "Total"]
    assert list(df.attrs["input_rows"]) == [5, 6, 8]  # as the sheet numbers them
    assert table.number_formats == {"Amount": '"$"#,##0.00'}


def test_a_header_on_the_first_row_says_nothing(tmp_path: Path) -> None:
    table = open_input(register(tmp_path / "r.xlsx"))
    assert (table.columns[0], table.header_row, table.notes()) == ("Funder", 1, [])


def test_header_row_given(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx", ["Funders"], ["Note", "kept as data"])
    assert open_input(path).header_row == 3
    table = open_input(path, header_row=2, column="Note")
    assert (table.columns, table.notes()) == (["Note", "kept as data"], [])
    assert read_all(table)["Note"].tolist()[:2] == ["Funder", HIKVISION_ZH]
    with pytest.raises(InputError) as excinfo:
        open_input(register(tmp_path / "b.xlsx", ["Funders"], []), header_row=2)
    assert_input_error(tmp_path / "b.xlsx", excinfo, "--header-row 2: that row is blank")
    with pytest.raises(InputError) as excinfo:
        open_input(path, header_row=40)
    assert_input_error(path, excinfo, "--header-row 40: the last row with data is 7")
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"name": "Hikvision"}\n')
    with pytest.raises(InputError, match="--header-row applies only to CSV and XLSX"):
        open_input(jsonl, header_row=2)


def test_a_title_line_above_a_csv_table(tmp_path: Path) -> None:
    path = tmp_path / "funders.csv"
    path.write_text(f'Funders register 2026\n\nFunder,Country\n"{DAHUA}",CN\n{STANFORD},US\n')
    table = open_input(path)
    assert (table.columns, table.delimiter, table.header_row) == (["Funder", "Country"], ",", 3)
    assert "took line 3 as the header" in table.notes()[0]
    df = read_all(table)
    assert df.values.tolist() == [[DAHUA, "CN"], [STANFORD, "US"]]
    assert list(df.attrs["input_rows"]) == [4, 5]
    given = open_input(path, header_row=3)
    assert (given.columns, given.notes()) == (["Funder", "Country"], [])


@pytest.mark.parametrize(
    "first",
    [["Partner", "2024", "2025"], ["Partner", "FY 2024", "FY 2025"]],
    ids=["years", "fiscal-years"],
)
def test_a_first_row_with_values_in_it_is_still_the_header(
    tmp_path: Path, first: list[str]
) -> None:
    """Column names may be years; an all-text data row under them is no header."""
    path = write_csv(
        tmp_path / "y.csv", [first, [DAHUA, "Hangzhou", "China"], [STANFORD, "CA", "US"]]
    )
    table = open_input(path, column="Partner")
    assert (table.columns, table.notes()) == (first, [])


# --- JSON Lines ---------------------------------------------------------------------------


def write_jsonl(path: Path, objects: list[object]) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects))
    return path


def test_jsonl_union_of_keys(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"name": HIKVISION_ZH, "country": "CN"},
            {"name": STANFORD, "aliases": ["Leland Stanford Junior University"], "id": 7},
            {"name": DAHUA, "country": None},
        ],
    )
    table = open_input(path)
    assert table.columns == ["name", "country", "aliases", "id"]
    assert (table.name_column, table.country_column, table.rows) == ("name", "country", 3)
    df = read_all(table)
    assert df.values.tolist() == [
        [HIKVISION_ZH, "CN", "", ""],
        [STANFORD, "", '["Leland Stanford Junior University"]', "7"],
        [DAHUA, "", "", ""],
    ]


def test_jsonl_later_keys_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers.jsonl, "DEFAULT_CHUNK", 3)  # the header comes from the first chunk
    objects: list[object] = [{"name": f"Company {i}"} for i in range(3)]
    objects.append({"name": DAHUA, "lei": "300U0EXAMPLE"})
    table = open_input(write_jsonl(tmp_path / "in.ndjson", objects))
    assert table.columns == ["name"]
    chunks = list(table.chunks(size=3))
    assert list(chunks[0].columns) == ["name"]
    assert chunks[1].to_dict("records") == [{"name": DAHUA, "lei": "300U0EXAMPLE"}]
    assert chunks[1].index.tolist() == [3]
    assert table.columns == ["name", "lei"]


def test_json_extension_holding_json_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.json", [{"name": DAHUA}, {"name": STANFORD}])
    assert read_all(open_input(path))["name"].tolist() == [DAHUA, STANFORD]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[{"name": "Stanford University"}]', ["JSON array"]),
        ('{"name": "Stanford University"}\n{"name": \n', ["line 2", "not valid JSON"]),
        ('{"name": "Stanford University"}\n["Dahua"]\n', ["line 2", "not a JSON object"]),
        ("name,country\n", ["not JSON Lines"]),
    ],
    ids=["array", "broken-line", "not-object", "csv-in-json"],
)
def test_jsonl_errors(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError) as excinfo:
        read_all(open_input(path))
    assert_input_error(path, excinfo, *words)


# --- errors -------------------------------------------------------------------------------


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "missing.csv"


def _directory(tmp_path: Path) -> Path:
    (tmp_path / "folder.csv").mkdir()
    return tmp_path / "folder.csv"


def _empty(tmp_path: Path) -> Path:
    (tmp_path / "empty.csv").write_bytes(b"")
    return tmp_path / "empty.csv"


def _bom_only(tmp_path: Path) -> Path:
    (tmp_path / "bom.csv").write_bytes(codecs.BOM_UTF8 + b"\r\n")
    return tmp_path / "bom.csv"


def _header_only(tmp_path: Path) -> Path:
    (tmp_path / "header.csv").write_text("name,country\n\n")
    return tmp_path / "header.csv"


def _garbage(tmp_path: Path) -> Path:
    (tmp_path / "garbage.csv").write_bytes(random.Random(7).randbytes(20_000))
    return tmp_path / "garbage.csv"


def _png(tmp_path: Path) -> Path:
    (tmp_path / "logo.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return tmp_path / "logo.csv"


def _xlsx_in_csv(tmp_path: Path) -> Path:
    path = tmp_path / "renamed.csv"
    path.write_bytes((FIXTURES / "partners.xlsx").read_bytes())
    return path


def _csv_as_xlsx(tmp_path: Path) -> Path:
    (tmp_path / "fake.xlsx").write_text("name\nStanford University\n")
    return tmp_path / "fake.xlsx"


def _zip_not_xlsx(tmp_path: Path) -> Path:
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return path


def _unknown_extension(tmp_path: Path) -> Path:
    (tmp_path / "partners.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    return tmp_path / "partners.xls"


def _unquoted_comma(tmp_path: Path) -> Path:
    (tmp_path / "ragged.csv").write_text(f"name,country\n{STANFORD},US\nHuawei Co., Ltd.,CN\n")
    return tmp_path / "ragged.csv"


def _unquoted_comma_later(tmp_path: Path) -> Path:
    rows = "".join(f"Company {i},US\n" for i in range(10_000))  # beyond the 64 KB sniff sample
    (tmp_path / "ragged.csv").write_text(f"name,country\n{rows}Huawei Co., Ltd.,CN\n")
    return tmp_path / "ragged.csv"


def _bad_byte_later(tmp_path: Path) -> Path:
    # cp1252 leaves 0x81 undefined: detected as cp1252 from the sample, fails when read.
    path = tmp_path / "late.csv"
    rows = "name\n" + f"{SOCGEN}\n" * 3 + "Acme Corp\n" * 120_000  # over 1 MB
    path.write_bytes(rows.encode("cp1252") + b"\x81\n")
    return path


ERROR_CASES = [
    (_missing, "no such file"),
    (_directory, "directory"),
    (_empty, "empty"),
    (_bom_only, "empty"),
    (_header_only, "no rows"),
    (_garbage, "binary"),
    (_png, "PNG"),
    (_xlsx_in_csv, "ZIP"),
    (_csv_as_xlsx, "not a ZIP"),
    (_zip_not_xlsx, "not a readable Excel workbook"),
    (_unknown_extension, "unknown file type '.xls'"),
    (_unquoted_comma, "line 3 has 3 fields but the header has 2"),
    (_unquoted_comma_later, "line 10002 has 3 fields but the header has 2"),
]


@pytest.mark.parametrize(
    ("make", "words"), ERROR_CASES, ids=[make.__name__.strip("_") for make, _ in ERROR_CASES]
)
def test_bad_input_is_one_line_naming_the_file(
    tmp_path: Path, make: Callable[[Path], Path], words: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError) as excinfo:
        read_all(open_input(path))
    assert_input_error(path, excinfo, words)


def test_a_byte_the_files_encoding_lacks_is_decoded_by_itself_and_noted(tmp_path: Path) -> None:
    # cp1252 leaves 0x81 undefined: the file is read cell by cell, that cell alone otherwise
    path = _bad_byte_later(tmp_path)
    table = open_input(path)
    frame = read_all(table)
    assert frame["name"].iloc[0] == SOCGEN
    assert len(frame) == 3 + 120_000 + 1
    chunks = list(table.chunks(200_000))
    assert chunks[0].attrs[NOTES_ATTR] == {
        120_003: (None, "decoded as cp1251, unlike the file's cp1252")
    }
    assert table.decoded == {"cp1251": 1}


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "locked.csv", [["name"], [DAHUA]])

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    # chmod 000 does not stop root, which the tests may run as; fail the open instead.
    monkeypatch.setattr(readers.table, "open", denied, raising=False)
    with pytest.raises(InputError) as excinfo:
        open_input(path)
    assert_input_error(path, excinfo, "permission denied")


# --- properties ---------------------------------------------------------------------------


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_any_text_in_a_cell_round_trips(tmp_path: Path, encoding: str, text: str) -> None:
    rows = [["name", "country"], [text, "CN"]]
    path = write_csv(tmp_path / f"prop-{encoding}.csv", rows, encoding=encoding)
    df = read_all(open_input(path))
    assert df.values.tolist() == [[text, "CN"]]


def test_a_small_csv_of_more_rows_than_the_sniffer_reads_is_not_counted_short(
    tmp_path: Path,
) -> None:
    """A file under the sniffer's sample size but of more rows than it parses: its row
    count is left to the reading, never the sniffer's 200 (the batch chose the pool by
    it, and the sidecar would show it)."""
    path = tmp_path / "suppliers.csv"
    rows = [["name"], *([f"Vendor {i} Trading Ltd"] for i in range(1_200))]
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    assert path.stat().st_size < readers.SNIFF_BYTES
    table = open_input(path)
    assert table.rows is None
    assert len(read_all(table)) == 1_200
    few = tmp_path / "few.csv"
    few.write_text("name\nHikvision\nDahua\n", encoding="utf-8")
    assert open_input(few).rows == 2
