"""The reviewers' loop end to end, on real names and two real editions of the DoD 1260H list:

1. a funders' spreadsheet is screened (XLSX out);
2. the reviewer marks CoStar Group, Inc. (the US real-estate data company) a false
   positive of the 1260H's Costar Group Co., Ltd. in the XLSX;
3. ``decisions import`` records it;
4. a new batch shows that hit ``suppressed`` (and exits 0 when nothing else needs review);
5. a later edition of the list ends Costar's listing (removed 2026-02-17);
6. the hit comes back ``review-again``, saying what changed.

The two editions are read from OpenSanctions' transcription of the list in ../shared/data
(CC BY-NC 4.0, so not committed): the tests that need them are marked ``shared_data``
(tests/milcorps.py); test_rescreen.py checks a decision coming back on the bundled list's
1260H facts, anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import milcorps
import openpyxl
import pytest
from click.testing import CliRunner, Result

from screener.cli import cli
from screener.db.store import Store
from screener.lists import catalog
from screener.lists.bundled import open_store
from screener.screening import decisions

COSTAR = "CoStar Group, Inc."
REASON = (
    "CoStar Group, Inc. is the US commercial real-estate data company (Nasdaq: CSGP), "
    "not Costar Group Co., Ltd. of China South Industries"
)
FUNDERS = [
    ["Funder", "Country", "Amount"],
    [COSTAR, "US", "250000"],
    ["Zhejiang Dahua Technology Co., Ltd.", "CN", "12000"],
    ["Stanford University", "US", "5000"],
    ["Baidu, Inc.", "CN", "80000"],
]


def invoke(db: Path, *args: str) -> Result:
    """The click group in-process; ``return_value`` is the command's exit code."""
    return CliRunner().invoke(
        cli, ["--db", str(db), *args], standalone_mode=False, catch_exceptions=False
    )


def load_edition(db: Path, date: str, folder: Path) -> None:
    store = open_store(db)
    try:
        catalog.import_file(
            store,
            milcorps.edition(date, folder / f"1260h-{date}.yaml"),
            "curated",
            milcorps.SOURCE_ID,
        )
    finally:
        store.close()


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Funders"
    for r in rows:
        ws.append([int(x) if x.isdigit() else x for x in r])
    wb.save(path)
    return path


def jsonl(path: Path) -> dict[str, dict[str, Any]]:
    return {r["query"]: r for r in map(json.loads, path.read_text("utf-8").splitlines())}


@pytest.fixture
def db(edition_2025: Path, tmp_path: Path) -> Path:
    return milcorps.copy_store(edition_2025, tmp_path)


@pytest.mark.shared_data
def test_the_whole_loop(db: Path, tmp_path: Path) -> None:
    funders = write_xlsx(tmp_path / "funders.xlsx", FUNDERS)

    # 1. batch: CoStar hits the 1260H's Costar Group Co., Ltd.
    first = tmp_path / "funders.screened.xlsx"
    assert invoke(db, "batch", str(funders), "-o", str(first), "--workers", "1").return_value == 1
    wb = openpyxl.load_workbook(first)
    ws = wb["results"]
    header = [c.value for c in ws[1]]
    col = {name: i + 1 for i, name in enumerate(header)}
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    costar = rows[COSTAR]
    assert ws.cell(costar, col["screen_status"]).value == "hit"
    assert ws.cell(costar, col["screen_top_name"]).value == "Costar Group Co., Ltd."
    assert ws.cell(costar, col["screen_list"]).value == "DoD 1260H List"
    ids = ws.cell(costar, col["screen_hit_ids"]).value
    assert ids.startswith("dod-1260h:costar-group-co-ltd@")
    assert ws.cell(rows["Baidu, Inc."], col["screen_status"]).value == "clear"  # not yet listed

    # 2. the reviewer marks the false positive in the spreadsheet and saves it
    ws.cell(costar, col["decision"]).value = "False positive"
    ws.cell(costar, col["decision_reason"]).value = REASON
    ws.cell(costar, col["decision_by"]).value = "R. Officer"
    reviewed = tmp_path / "funders.reviewed.xlsx"
    wb.save(reviewed)
    wb.close()

    # 3. decisions import
    r = invoke(db, "decisions", "import", str(reviewed))
    assert r.output.splitlines()[0] == (
        f"{reviewed}: 1 of 4 rows have a decision: recorded 1 decisions, 0 already in force"
    )
    again = invoke(db, "decisions", "import", str(reviewed))  # a second import changes nothing
    assert "recorded 0 decisions, 1 already in force" in again.output
    store = Store.open(db)
    (d,) = decisions.all_decisions(store)
    store.close()
    assert (d["party"], d["source_id"], d["entity_id"], d["kind"], d["reviewer"]) == (
        COSTAR,
        "dod-1260h",
        "costar-group-co-ltd",
        "false-positive",
        "R. Officer",
    )
    assert d["origin"] == "funders.reviewed.xlsx row 2"
    assert d["listing"]["listings"][0]["end_date"] is None  # listed, as the batch saw it

    # 4. a new batch: the hit is suppressed, kept, and carries the decision
    second = tmp_path / "second.jsonl"
    assert invoke(db, "batch", str(funders), "-o", str(second), "--workers", "1").return_value == 1
    row = jsonl(second)[COSTAR]
    assert row["status"] == "suppressed"
    (hit,) = row["hits"]
    assert (hit["status"], hit["entity_id"]) == ("suppressed", "costar-group-co-ltd")
    assert {k: hit["decision"][k] for k in ("id", "kind", "reviewer", "reason")} == {
        "id": d["id"],
        "kind": "false-positive",
        "reviewer": "R. Officer",
        "reason": REASON,
    }
    assert jsonl(second)["Zhejiang Dahua Technology Co., Ltd."]["status"] == "hit"
    meta = json.loads((tmp_path / "second.jsonl.meta.json").read_text("utf-8"))
    assert (meta["summary"]["suppressed"], meta["summary"]["suppressed_hits"]) == (1, 1)
    # Only CoStar and Stanford: nothing needs review, so exit 0.
    few = write_xlsx(tmp_path / "few.xlsx", [FUNDERS[0], FUNDERS[1], FUNDERS[3]])
    assert (
        invoke(
            db, "batch", str(few), "-o", str(tmp_path / "few.csv"), "--workers", "1"
        ).return_value
        == 0
    )

    # 5. a later edition: Costar removed on 2026-02-17, Baidu added
    load_edition(db, "2026-06-08", tmp_path)

    # 6. the hit comes back to be reviewed again, saying what changed
    third = tmp_path / "third.jsonl"
    assert invoke(db, "batch", str(funders), "-o", str(third), "--workers", "1").return_value == 1
    rows3 = jsonl(third)
    assert rows3[COSTAR]["status"] == "review-again"
    (hit,) = rows3[COSTAR]["hits"]
    assert hit["status"] == "review-again"
    assert hit["decision"]["listing_changed"] is True
    assert hit["decision"]["changes"] == ["DoD 1260H List ended (end date 2026-02-17)"]
    assert rows3["Baidu, Inc."]["status"] == "hit"
    assert rows3["Baidu, Inc."]["hits"][0]["listings"][0]["listed_on"] == "2026-06-08"
    # The spreadsheet says so too.
    out = tmp_path / "third.xlsx"
    invoke(db, "batch", str(funders), "-o", str(out), "--workers", "1")
    wb = openpyxl.load_workbook(out, read_only=True)
    values = [list(v) for v in wb["results"].iter_rows(values_only=True)]
    wb.close()
    line = dict(zip(values[0], values[1]))
    assert line["screen_status"] == "review-again"
    assert line["screen_decision"].startswith(
        f"review-again: false-positive #{d['id']} by R. Officer on "
    )
    assert line["screen_decision"].endswith(
        "changed since: DoD 1260H List ended (end date 2026-02-17)"
    )


@pytest.mark.shared_data
def test_a_reviewed_csv_narrowed_to_one_hit(db: Path, tmp_path: Path) -> None:
    """A row with several hits: the reviewer keeps one id in screen_hit_ids."""
    src = tmp_path / "in.csv"
    src.write_text("name\nCOSCO Shipping Finance Co., Ltd.\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    invoke(db, "batch", str(src), "-o", str(out), "--workers", "1")
    import csv

    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = rows[0]["screen_hit_ids"].split("; ")
    assert len(ids) == 3 and ids[0].startswith("dod-1260h:cosco-shipping-finance-co-ltd@")
    rows[0].update(
        screen_hit_ids=ids[1],
        decision="cleared",
        decision_reason="a sister company; accepted after review",
    )
    reviewed = tmp_path / "reviewed.csv"
    with open(reviewed, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    r = invoke(db, "decisions", "import", str(reviewed), "--by", "C. Committee")
    assert "recorded 1 decisions" in r.output
    (d,) = json.loads(invoke(db, "decisions", "list", "--format", "json").output)
    assert (d["kind"], d["reviewer"], f"{d['source_id']}:{d['entity_id']}") == (
        "cleared",
        "C. Committee",
        ids[1].rsplit("@", 1)[0],
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"decision": "maybe"}, "row 2: unknown decision 'maybe'"),
        ({"decision_reason": ""}, "row 2: the decision 'false-positive' has no decision_reason"),
        ({"decision_by": ""}, "row 2: no reviewer: fill in decision_by, or give --by"),
        ({"screen_hit_ids": ""}, "row 2: a decision, but no hit to decide on"),
        (
            {"screen_hit_ids": "dod-1260h:no-such@1"},
            "row 2: dod-1260h:no-such version 1 is not in this list store",
        ),
    ],
    ids=["kind", "reason", "reviewer", "no-ids", "unknown-id"],
)
def test_a_bad_reviewed_row_records_nothing(
    db_path: Path, tmp_path: Path, edit: dict[str, str], message: str
) -> None:
    db = db_path  # the bundled list, which Dahua Technology USA hits
    import csv

    from screener.errors import InputError

    src = tmp_path / "in.csv"
    src.write_text("name\nDahua Technology USA Inc.\nStanford University\n", "utf-8")
    out = tmp_path / "out.csv"
    invoke(db, "batch", str(src), "-o", str(out), "--workers", "1")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    reason = "sold by Dahua in January 2024; no longer owned by the listed company"
    rows[0].update(decision="false-positive", decision_reason=reason, decision_by="R. Officer")
    rows[0].update(edit)
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(InputError, match=message):
        invoke(db, "decisions", "import", str(out))
    assert json.loads(invoke(db, "decisions", "list", "--format", "json").output) == []


def test_importing_a_file_that_is_no_reviewed_output(db_path: Path) -> None:
    from screener.errors import InputError

    db = db_path
    deal = Path(__file__).parent.parent / "fixtures" / "inputs" / "deal_parties.csv"
    with pytest.raises(InputError, match="not a reviewed screener output: no column screen_query"):
        invoke(db, "decisions", "import", str(deal))
