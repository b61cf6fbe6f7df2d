"""Parquet in and out: the input's columns keep their types, the results get the CSV's
``screen_*`` columns plus the hits as JSON, and a bad Parquet file is one error line."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import assert_one_line_error, run_main

from screener.db import runs as audit
from screener.db.store import Store
from screener.errors import InputError
from screener.files.readers import open_input
from screener.files.reports import APPENDED_COLUMNS
from screener.files.reports.parquet import HITS_JSON
from screener.screening.service import Screener

HIKVISION = "Hangzhou Hikvision Digital Technology Co., Ltd."
DAHUA = "Zhejiang Dahua Technology Co., Ltd."


def typed_table() -> pa.Table:
    """Parties with columns of many Arrow types, nulls among them."""
    utc = dt.UTC
    return pa.table(
        {
            "party_id": pa.array([101, None, 103, 104, 105], pa.int64()),
            "name": pa.array(
                [
                    "Hikvision",
                    "ZHEJIANG DAHUA TECH CO LTD",
                    "Harlow & Birch Logistics GmbH",
                    None,
                    "  ",
                ],
                pa.string(),
            ),
            "country": pa.array(["CN", None, "GB", "US", "Narnia"], pa.string()),
            "amount": pa.array([1.5, None, 2.25, 0.0, -3.0], pa.float64()),
            "active": pa.array([True, False, None, True, False], pa.bool_()),
            "onboarded": pa.array(
                [
                    dt.datetime(2024, 3, 1, 9, 30, tzinfo=utc),
                    None,
                    None,
                    None,
                    dt.datetime(2025, 1, 2, tzinfo=utc),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "since": pa.array([dt.date(2020, 1, 31), None, None, None, None], pa.date32()),
            "limit": pa.array(
                [decimal.Decimal("1000.50"), None, None, None, None], pa.decimal128(10, 2)
            ),
            "tags": pa.array([["cctv", "ai"], None, [], ["x"], None], pa.list_(pa.string())),
            "segment": pa.array(["A", "B", "A", "C", "A"]).dictionary_encode(),
        }
    )


@pytest.fixture
def typed_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "parties.parquet"
    pq.write_table(typed_table(), path, row_group_size=2)
    return path


# --- reading ----------------------------------------------------------------------------


def test_reader_keeps_columns_and_types(typed_parquet: Path) -> None:
    table = open_input(typed_parquet)
    assert (table.format, table.rows, table.name_column, table.country_column) == (
        "parquet",
        5,
        "name",
        "country",
    )
    assert table.columns == list(typed_table().column_names)
    chunks = list(table.chunks(2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert [list(c.index) for c in chunks] == [[0, 1], [2, 3], [4]]  # data rows, continued
    df = pd.concat(chunks)
    assert str(df["party_id"].dtype) == "int64[pyarrow]"  # a gap does not make it a float
    assert str(df["onboarded"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert df["party_id"].tolist()[:3] == [101, pd.NA, 103]
    assert df["limit"].tolist()[0] == decimal.Decimal("1000.50")
    back = pa.Table.from_pandas(df, preserve_index=False)
    assert back.schema.field("tags").type == pa.list_(pa.string())


def test_reader_with_pandas_index_and_other_names(tmp_path: Path) -> None:
    path = tmp_path / "indexed.pq"
    df = pd.DataFrame({"Company": ["Hikvision", "Dahua"]}, index=pd.Index([7, 9], name="cust"))
    df.to_parquet(path)  # the index is written as a column
    table = open_input(path)
    assert table.columns == ["Company", "cust"]
    assert table.name_column == "Company"
    assert next(table.chunks())["cust"].tolist() == [7, 9]


# --- writing ----------------------------------------------------------------------------


def test_parquet_to_parquet_keeps_types_and_adds_screen_columns(
    store: Store, typed_parquet: Path, tmp_path: Path
) -> None:
    out = tmp_path / "parties.screened.parquet"
    summary = Screener(store).batch(typed_parquet, out)
    assert (summary.rows, summary.hit_rows, summary.skipped) == (5, 2, 2)
    written = pq.read_table(out)
    source = typed_table()
    assert written.column_names == source.column_names + APPENDED_COLUMNS + [HITS_JSON]
    for field in source.schema:
        assert written.schema.field(field.name).type == field.type, field.name
        assert written.column(field.name).to_pylist() == source.column(field.name).to_pylist()
    screen = written.select([*APPENDED_COLUMNS, HITS_JSON]).to_pylist()
    assert [r["screen_status"] for r in screen] == ["hit", "hit", "clear", "skipped", "skipped"]
    assert screen[0]["screen_top_name"] == HIKVISION
    assert screen[0]["screen_citation"] == "84 FR 54002"
    assert screen[1]["screen_top_name"] == DAHUA
    assert screen[0]["screen_top_score"] == 1.0 and screen[2]["screen_top_score"] is None
    assert [r["screen_hits"] for r in screen] == [1, 1, 0, 0, 0]
    assert [r["screen_input_row"] for r in screen] == [1, 2, 3, 4, 5]  # records, from 1
    assert written.schema.field("screen_input_row").type == pa.int64()
    hits = json.loads(screen[0][HITS_JSON])
    assert hits[0]["name"] == HIKVISION and hits[0]["listings"]
    assert screen[2][HITS_JSON] == "[]"
    meta = json.loads(out.with_name(out.name + ".meta.json").read_text("utf-8"))
    assert meta["run_id"] == summary.run_id
    assert meta["output"]["format"] == "parquet"
    assert meta["input"]["format"] == "parquet"
    assert meta["output"]["row_numbers"].endswith("the first Parquet row is row 1")
    assert any("Narnia" in w for w in meta["summary"]["warnings"])


def test_parquet_hits_json_is_the_jsonl_hits(
    store: Store, typed_parquet: Path, tmp_path: Path
) -> None:
    s = Screener(store)
    s.batch(typed_parquet, tmp_path / "o.parquet")
    s.batch(typed_parquet, tmp_path / "o.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text("utf-8").splitlines()]
    column = pq.read_table(tmp_path / "o.parquet").column(HITS_JSON).to_pylist()
    assert [json.loads(c) for c in column] == [x["hits"] for x in lines]
    assert [x["row"] for x in lines] == [1, 2, 3, 4, 5]


def test_csv_to_parquet_columns_are_strings(store: Store, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,name\n007,Hikvision\n8,Acme Bakery Ltd\n", "utf-8")
    out = tmp_path / "out.parquet"
    Screener(store).batch(src, out)
    t = pq.read_table(out)
    assert t.column("id").to_pylist() == ["007", "8"]  # as read: text keeps the leading zero
    assert pa.types.is_string(t.schema.field("id").type) or pa.types.is_large_string(
        t.schema.field("id").type
    )
    assert t.column("screen_input_row").to_pylist() == [2, 3]  # header is row 1


def test_parquet_to_csv_and_xlsx_show_missing_values_as_empty(
    store: Store, typed_parquet: Path, tmp_path: Path
) -> None:
    import openpyxl

    s = Screener(store)
    s.batch(typed_parquet, tmp_path / "o.csv")
    text = (tmp_path / "o.csv").read_text("utf-8-sig")
    assert "<NA>" not in text and "nan" not in text.lower().split(",")
    second = text.splitlines()[2].split(",")
    assert second[:4] == ["", "ZHEJIANG DAHUA TECH CO LTD", "", ""]
    s.batch(typed_parquet, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", read_only=True)["results"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == 101 and rows[1][3] == 1.5  # numbers stay numbers
    assert rows[2][0] is None and rows[2][2] is None  # missing stays empty


def test_parquet_output_refuses_input_with_screen_columns(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "screened.parquet"
    pd.DataFrame({"name": ["Hikvision"], "screen_status": ["hit"]}).to_parquet(src)
    out = tmp_path / "again.parquet"
    code, _, err = run_main(
        monkeypatch, capsys, "--db", str(db_path), "batch", str(src), "-o", str(out)
    )
    assert code == 2
    assert_one_line_error(err, "screen_status")
    assert sorted(p.name for p in tmp_path.iterdir() if "again" in p.name) == []


# --- bad input --------------------------------------------------------------------------


def corrupt_data_page(path: Path) -> None:
    """Overwrite the middle of the file (the column data) but keep its footer."""
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    for i in range(8, len(data) - footer - 8):
        data[i] = 0xFF
    path.write_bytes(bytes(data))


def big_parquet(path: Path) -> Path:
    names = [f"Harlow & Birch Logistics {i} GmbH" for i in range(2000)]
    pq.write_table(pa.table({"name": names}), path, compression="none", row_group_size=500)
    return path


BAD_FILES = {
    "truncated": lambda p: p.write_bytes(big_parquet(p).read_bytes()[:-100]),
    "csv-renamed": lambda p: p.write_text("name\nHikvision\n", "utf-8"),
    "zip-renamed": lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 64),
    "magic-only": lambda p: p.write_bytes(b"PAR1"),
    "corrupt-data": lambda p: corrupt_data_page(big_parquet(p)),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_parquet_is_one_error_line(
    db_path: Path,
    tmp_path: Path,
    case: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in.parquet"
    BAD_FILES[case](src)
    out = tmp_path / "out.parquet"
    code, _, err = run_main(
        monkeypatch, capsys, "--db", str(db_path), "batch", str(src), "-o", str(out)
    )
    assert code == 2, err
    assert_one_line_error(err, str(src))
    assert [p.name for p in tmp_path.iterdir() if "out" in p.name] == []


def test_empty_parquet_is_an_input_error(tmp_path: Path) -> None:
    src = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"name": pa.array([], pa.string())}), src)
    with pytest.raises(InputError, match="has no rows"):
        open_input(src)


@pytest.mark.parametrize(
    "args,words",
    [
        (["--column", "Company"], ["no column 'Company'", "columns: party_id, name"]),
        (["--country-column", "nation"], ["no column 'nation'"]),
    ],
    ids=["name-column", "country-column"],
)
def test_parquet_missing_column_is_one_error_line(
    db_path: Path,
    typed_parquet: Path,
    tmp_path: Path,
    args: list[str],
    words: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(typed_parquet),
        "-o",
        str(tmp_path / "o.parquet"),
        *args,
    )
    assert code == 2
    assert_one_line_error(err, *words)
    assert not (tmp_path / "o.parquet").exists()


def test_parquet_without_a_name_column_is_one_error_line(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "ids.parquet"
    pd.DataFrame({"a": [1], "b": ["x"]}).to_parquet(src)
    code, _, err = run_main(
        monkeypatch, capsys, "--db", str(db_path), "batch", str(src), "-o", str(tmp_path / "o.csv")
    )
    assert code == 2
    assert_one_line_error(err, "cannot tell which column holds the names")
    runs: list[dict[str, Any]] = audit.runs(Store(db_path), 5)
    assert not [r for r in runs if r["command"] == "batch"]  # refused before a run starts
