"""Portfolios re-screened: after a later edition of the DoD 1260H list is imported,
``rescreen`` reports exactly the parties whose status changed, and nothing when nothing did.

Two stories read the editions from OpenSanctions' transcription of the list in
../shared/data (CC BY-NC 4.0, so not committed) and are marked ``shared_data``
(tests/milcorps.py); another tells it on the bundled list's own 1260H facts, anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import milcorps
import pytest
from click.testing import CliRunner, Result

from screener.cli import cli
from screener.lists import catalog
from screener.lists.bundled import open_store
from screener.screening import decisions

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures" / "http" / "csl"

# Each party with the 1260H company it is (by the list's clean name), or None.
PORTFOLIO = [
    ("Baidu, Inc.", "CN", "baidu-inc"),  # added in 2026
    ("CoStar Group, Inc.", "US", "costar-group-co-ltd"),  # a false match; removed 2026-02-17
    ("ChangXin Memory Technologies, Inc.", "CN", "changxin-memory-technologies-inc"),
    (
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "CN",
        "hangzhou-hikvision-digital-technology-co-ltd",
    ),
    ("Beijing Megvii Technology Co., Ltd.", "CN", "beijing-megvii-technology-co-ltd"),
    ("Stanford University", "US", None),
    ("TP-Link Technologies Co., Ltd.", "CN", "tp-link-technologies-co-ltd"),  # added in 2026
    ("Glarun Technology Co., Ltd.", "CN", "glarun-technology-co-ltd"),  # removed 2026-02-17
    ("Alibaba Group Holding Limited", "CN", "alibaba-group-holding-limited"),  # added in 2026
    ("Yangtze Memory Technologies Co., Ltd.", "CN", "yangtze-memory-technologies-co-ltd"),
    ("University of Melbourne", "AU", None),
    ("Siemens AG", "DE", None),
]


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", str(db), *args], standalone_mode=False, catch_exceptions=False
    )


def state(on: str, company: str | None) -> str | None:
    """What the 1260H list said of a company on a date: None, 'listed' or 'ended'."""
    found = milcorps.status_on(on).get(company) if company else None
    return None if found is None else "ended" if found["end_date"] else "listed"


def with_funders(db: Path, tmp_path: Path) -> Path:
    src = tmp_path / "funders.csv"
    src.write_text(
        "name,country,note\n"
        + "".join(f'"{n}",{c},row {i}\n' for i, (n, c, _) in enumerate(PORTFOLIO, 2)),
        encoding="utf-8",
    )
    r = invoke(db, "portfolio", "add", "funders-2026", str(src))
    assert r.output.startswith(f"portfolio 'funders-2026': {len(PORTFOLIO)} parties from {src}")
    return db


@pytest.fixture
def db(edition_2025: Path, tmp_path: Path) -> Path:
    """The bundled list and the 1260H edition of 2025-01-07, with the funders' portfolio."""
    return with_funders(milcorps.copy_store(edition_2025, tmp_path), tmp_path)


@pytest.fixture
def bundled_db(db_path: Path, tmp_path: Path) -> Path:
    """The bundled list alone, with the funders' portfolio."""
    return with_funders(db_path, tmp_path)


@pytest.mark.shared_data
def test_rescreen_reports_exactly_the_parties_whose_status_changed(
    db: Path, tmp_path: Path
) -> None:
    # The first screening compares with nothing: every party with a hit is new.
    first = invoke(db, "rescreen", "funders-2026", "--format", "json")
    assert first.return_value == 1
    base = json.loads(first.stdout)
    assert base["previous"] is None
    with_hits = {c["party"] for c in base["changes"]}
    assert "Hangzhou Hikvision Digital Technology Co., Ltd." in with_hits
    assert not with_hits & {"Stanford University", "Baidu, Inc.", "Siemens AG"}
    # Nothing changed since: nothing to report, exit 0.
    quiet = invoke(db, "rescreen", "funders-2026", "--format", "json")
    assert quiet.return_value == 0
    assert json.loads(quiet.stdout)["changes"] == []

    # The edition of 2026-06-08 arrives.
    store = open_store(db)
    catalog.import_file(
        store,
        milcorps.edition("2026-06-08", tmp_path / "e2026.yaml"),
        "curated",
        milcorps.SOURCE_ID,
    )
    store.close()
    report = tmp_path / "changes.json"
    r = invoke(db, "rescreen", "funders-2026", "-o", str(report), "--format", "json")
    assert r.return_value == 1
    data = json.loads(r.stdout)
    assert json.loads(report.read_text("utf-8")) == data
    expected = {
        name
        for name, _, company in PORTFOLIO
        if state("2025-01-07", company) != state("2026-06-08", company)
    }
    assert expected == {
        "Baidu, Inc.",
        "CoStar Group, Inc.",
        "TP-Link Technologies Co., Ltd.",
        "Glarun Technology Co., Ltd.",
        "Alibaba Group Holding Limited",
    }
    assert {c["party"] for c in data["changes"]} == expected
    by = {c["party"]: c for c in data["changes"]}
    assert [(x["kind"], x["entity_id"]) for x in by["Baidu, Inc."]["changes"]] == [
        ("new-hit", "baidu-inc")
    ]
    assert (by["Baidu, Inc."]["status_before"], by["Baidu, Inc."]["status"]) == ("clear", "hit")
    assert by["Baidu, Inc."]["row"] == 2  # numbered as in the spreadsheet
    (costar,) = by["CoStar Group, Inc."]["changes"]
    assert costar["kind"] == "listing-changed"
    assert costar["text"].endswith("DoD 1260H List ended (end date 2026-02-17)")
    changed = {x["source_id"]: x for x in data["lists_changed"]}
    new = changed["dod-1260h"]
    assert new["published"] == "2026-06-08" and new["from_version"] < new["to_version"]
    # The HTML report says the same.
    page = tmp_path / "changes.html"
    invoke(db, "rescreen", "funders-2026", "-o", str(page))  # nothing changed since
    assert "Nothing changed since the last screening." in page.read_text("utf-8")


@pytest.mark.shared_data
def test_a_decision_then_a_new_edition_comes_back_for_review(db: Path, tmp_path: Path) -> None:
    invoke(db, "rescreen", "funders-2026")
    store = open_store(db)
    snap = decisions.snapshot(store, "dod-1260h", "costar-group-co-ltd")
    assert snap is not None
    decisions.record(
        store,
        "CoStar Group, Inc.",
        "dod-1260h",
        "costar-group-co-ltd",
        "false-positive",
        "the US real-estate data company",
        "R. Officer",
        snap,
    )
    store.close()
    r = invoke(db, "rescreen", "funders-2026", "--format", "json")
    assert r.return_value == 0  # the only change is a hit now suppressed
    (change,) = json.loads(r.stdout)["changes"]
    assert (change["party"], change["status_before"], change["status"]) == (
        "CoStar Group, Inc.",
        "hit",
        "suppressed",
    )
    assert change["changes"][0]["kind"] == "status-changed"
    assert change["needs_review"] is False
    store = open_store(db)
    catalog.import_file(
        store,
        milcorps.edition("2026-06-08", tmp_path / "e2026.yaml"),
        "curated",
        milcorps.SOURCE_ID,
    )
    store.close()
    r = invoke(db, "rescreen", "funders-2026")
    assert r.return_value == 1
    assert (
        "  row 3: CoStar Group, Inc. (US): suppressed -> review-again\n"
        "    listing-changed: Costar Group Co., Ltd. (dod-1260h:costar-group-co-ltd): DoD "
        "1260H List ended (end date 2026-02-17) (review again: decision #1 predates the "
        "change)  [to review]"
    ) in r.output


# The same story on the bundled list's own 1260H facts, so that it runs anywhere: its
# entries with a 1260H listing, imported as the editions of 2025-01-07 and 2026-06-08.
SUPPLIERS = [
    ("GLARUN Technology Co., Ltd.", "glarun-technology-co-ltd"),  # not named on 2026-06-08
    ("Tianyi Cloud Technology Co., Ltd.", "tianyi-cloud-technology-co-ltd"),  # named then
    ("Hangzhou Hikvision Digital Technology Co., Ltd.", None),  # in both
    ("Beijing Megvii Technology Co., Ltd.", None),  # removed 2025-01-07: ended in both
    ("Stanford University", None),
]


def import_bundled_edition(db: Path, date: str, folder: Path) -> None:
    store = open_store(db)
    try:
        path = milcorps.edition(date, folder / f"e{date}.yaml", milcorps.bundled_status_on(date))
        catalog.import_file(store, path, "curated", milcorps.SOURCE_ID)
    finally:
        store.close()


def test_a_new_edition_reports_what_it_changed_and_a_decision_comes_back(
    db_path: Path, tmp_path: Path
) -> None:
    import_bundled_edition(db_path, "2025-01-07", tmp_path)
    src = tmp_path / "suppliers.csv"
    src.write_text("name\n" + "".join(f'"{n}"\n' for n, _ in SUPPLIERS), encoding="utf-8")
    invoke(db_path, "portfolio", "add", "suppliers", str(src))
    # A reviewer cleared the 1260H hit of Glarun (say, no DoD-funded work is involved).
    store = open_store(db_path)
    glarun = "glarun-technology-co-ltd"
    snap = decisions.snapshot(store, "dod-1260h", glarun)
    assert snap is not None and snap["listings"][0]["end_date"] is None
    reason = "no DoD-funded work is involved; the 1260H listing prohibits nothing else here"
    decisions.record(
        store, SUPPLIERS[0][0], "dod-1260h", glarun, "cleared", reason, "R. Officer", snap
    )
    store.close()
    assert invoke(db_path, "rescreen", "suppliers").return_value == 1  # the first screening
    assert (
        json.loads(invoke(db_path, "rescreen", "suppliers", "--format", "json").stdout)["changes"]
        == []
    )

    import_bundled_edition(db_path, "2026-06-08", tmp_path)
    r = invoke(db_path, "rescreen", "suppliers", "--format", "json")
    assert r.return_value == 1
    by = {c["party"]: c for c in json.loads(r.stdout)["changes"]}
    assert set(by) == {SUPPLIERS[0][0], SUPPLIERS[1][0]}
    # Glarun's hit is its party: the curated entry and the 1260H record, one hit; the party
    # of its owner, CETC's 14th Institute, gained the 2026-06-08 edition's 1260H record.
    changes = {x["entity_id"]: (x["kind"], x["text"]) for x in by[SUPPLIERS[0][0]]["changes"]}
    assert changes == {
        "glarun": (
            "listing-changed",
            (
                "GLARUN Technology Co., Ltd. (screener-surveillance:glarun): DoD 1260H List ended "
                "(end date 2026-06-08) (review again: decision #1 predates the change)"
            ),
        ),
        "cetc-14": (
            "listing-changed",
            (
                "China Electronics Technology Group Corporation 14th Research Institute "
                "(screener-surveillance:cetc-14): new listing: DoD 1260H List (listed 2026-06-08)"
            ),
        ),
    }
    # Tianyi Cloud was a hit on the curated entry; the edition's record joins its party
    tianyi = [(x["kind"], x["entity_id"], x["text"]) for x in by[SUPPLIERS[1][0]]["changes"]]
    assert tianyi == [
        (
            "listing-changed",
            "tianyi-cloud",
            (
                "Tianyi Cloud Technology Co., Ltd. (screener-surveillance:tianyi-cloud): new "
                "listing: DoD 1260H List (listed 2026-06-08)"
            ),
        )
    ]
    # The cleared hit needs a reviewer again, and says why.
    checked = invoke(db_path, "check", SUPPLIERS[0][0], "--format", "json")
    [hit] = [h for h in json.loads(checked.stdout)["hits"] if h["entity_id"] == "glarun"]
    records = [(r["source_id"], r["entity_id"]) for r in hit["party"]["records"]]
    assert records == [("screener-surveillance", "glarun"), ("dod-1260h", glarun)]
    assert hit["status"] == "review-again"
    assert hit["decision"]["decided_on"] == f"dod-1260h:{glarun}"
    assert hit["decision"]["changes"] == ["DoD 1260H List ended (end date 2026-06-08)"]


def test_lists_update_rescreens_every_portfolio(
    bundled_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = bundled_db
    config = tmp_path / "config.toml"
    config.write_text("[sources.csl]\nmin_entities = 3\n")  # the fixture holds 12 entries
    monkeypatch.setenv("SCREENER_CONFIG", str(config))
    src = tmp_path / "suppliers.csv"
    src.write_text("name\nSinobright Import and Export Company\nSiemens AG\n", encoding="utf-8")
    invoke(db, "portfolio", "add", "suppliers", str(src))
    invoke(db, "rescreen", "suppliers")
    invoke(db, "rescreen", "funders-2026")
    r = invoke(
        db, "lists", "update", "csl", "--from-file", str(FIX / "consolidated_v1.csv"), "--rescreen"
    )
    assert r.return_value == 1, r.output
    out = r.stdout
    assert "csl: loaded version" in out
    assert "portfolio funders-2026: 12 parties; 0 changed" in out
    assert "portfolio suppliers: 2 parties; 1 changed" in out
    assert "row 2: Sinobright Import and Export Company: clear -> hit" in out
    listed = json.loads(invoke(db, "portfolio", "list", "--format", "json").output)
    assert [(p["name"], p["parties"]) for p in listed] == [("funders-2026", 12), ("suppliers", 2)]


def test_portfolio_names_and_replacing(bundled_db: Path, tmp_path: Path) -> None:
    db = bundled_db
    from screener.errors import InputError

    src = tmp_path / "one.csv"
    src.write_text("name\nBaidu, Inc.\n", encoding="utf-8")
    with pytest.raises(InputError, match="portfolio 'funders-2026' exists; add --replace"):
        invoke(db, "portfolio", "add", "funders-2026", str(src))
    assert (
        "1 parties" in invoke(db, "portfolio", "add", "funders-2026", str(src), "--replace").output
    )
    with pytest.raises(InputError, match="no portfolio named 'nope'"):
        invoke(db, "rescreen", "nope")
