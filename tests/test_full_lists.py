"""The four lists the curated entries carried only in part, as full sources: the DoD 1260H
editions, the FCC Covered List, Japan METI's End User List and ASPI's tracker.

Each parser is tested on a small fixture written by hand (fixtures/README.md says where
each fact is from), so that a fresh clone tests it, and on the real file: METI's from its
excerpt (fixtures/excerpts), the others from ../shared/data, as their licences keep them
out of the project (those tests are marked ``shared_data`` and skip without it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run_main
from excerpts import SHARED_DATA, excerpt

from screener.db.store import Store
from screener.errors import InputError
from screener.lists import catalog
from screener.lists.coverage import statement, subset_lists
from screener.lists.parsers import aspi_unitracker, dod_1260h, fcc_covered, meti_eul
from screener.screening.service import Screener

REPO = Path(__file__).resolve().parents[1]
OFFICIAL = REPO / "fixtures" / "lists" / "official"
MILCORPS = SHARED_DATA / "opensanctions" / "us" / "dod_chinese_milcorps" / "sanctions.csv"
FCC = SHARED_DATA / "opensanctions" / "us" / "fcc_covered_list" / "table.csv"
METI = excerpt("xyna-export-control-registry/data/entities/jp.json")  # 16 of its 835 records
ASPI = SHARED_DATA / "misp-galaxy" / "clusters" / "china-defence-universities.json"


def needs(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"needs {path.relative_to(REPO.parent)}, which is not committed")


def by_name(entities, name):
    return next(e for e in entities if e.name == name)


# -- DoD 1260H -------------------------------------------------------------------------------


def test_1260h_fixture_reads_listing_periods_edition_by_edition() -> None:
    parsed = dod_1260h.parse(OFFICIAL / "dod_1260h_mini.csv")
    ents = parsed.entities
    assert parsed.published == "2026-06-08"
    assert parsed.meta["full_editions"] == ["2025-01-07", "2026-06-08"]
    avionics = by_name(ents, "Example Avionics Group Co.")
    (period,) = avionics.listings
    assert (period.listed_on, period.end_date, period.in_force) == ("2021-06-03", None, True)
    assert period.program == "editions 2021-06-03, 2025-01-07, 2026-06-08"
    assert period.citation == "90 FR 1105; 91 FR 35189"
    assert avionics.remarks == "Example Avionics is indirectly affiliated with the PLA."
    assert [(n.name, n.kind) for n in avionics.names] == [("EAG", "abbreviation")]
    railway = by_name(ents, "Example Railway Works Limited")
    assert [(x.listed_on, x.end_date, x.in_force) for x in railway.listings] == [
        ("2021-06-03", "2025-01-07", False)
    ]


def test_1260h_end_date_of_the_withdrawn_list_ends_nothing() -> None:
    """2026-02-17 comes from a list withdrawn the day it was posted: a company the 2026-06-08
    edition no longer names ended then; one it still names never ended."""
    ents = dod_1260h.parse(OFFICIAL / "dod_1260h_mini.csv").entities
    dropped = by_name(ents, "Example Shipping Finance Co. Ltd.")
    assert [(x.listed_on, x.end_date) for x in dropped.listings] == [("2025-01-07", "2026-06-08")]
    kept = by_name(ents, "Example Memory Technologies Inc.")
    assert [(x.listed_on, x.end_date, x.in_force) for x in kept.listings] == [
        ("2025-01-07", None, True)
    ]
    assert not any(x.end_date == "2026-02-17" for e in ents for x in e.listings)


def test_1260h_parents_and_renamed_companies() -> None:
    ents = dod_1260h.parse(OFFICIAL / "dod_1260h_mini.csv").entities
    parent = by_name(ents, "Example Shipping Corporation Limited")
    child = by_name(ents, "Example Shipping (North America) Inc.")
    assert (child.parent_name, child.parent_id) == (parent.name, parent.id)
    renamed = by_name(ents, "Example Cyberspace Technology Co. Ltd")
    # "Chen Du" (the 2026 notice's spelling of the former name) joins "Cheng Du" (2025)
    assert ("Chen Du Example Information Co. Ltd.", "former") in [
        (n.name, n.kind) for n in renamed.names
    ]
    assert [(x.listed_on, x.in_force) for x in renamed.listings] == [("2025-01-07", True)]
    assert not any(e.name.startswith("Cheng Du") for e in ents)


@pytest.mark.shared_data
def test_1260h_real_editions() -> None:
    needs(MILCORPS)
    parsed = dod_1260h.parse(MILCORPS)
    ents = parsed.entities
    assert parsed.published == "2026-06-08"
    assert sum(e.listings[-1].in_force for e in ents) == 188  # the 2026-06-08 edition
    tencent = by_name(ents, "Tencent Holdings Limited")
    assert [(x.listed_on, x.end_date, x.program) for x in tencent.listings] == [
        ("2025-01-07", None, "editions 2025-01-07, 2026-06-08")
    ]
    assert "Tencent" in [n.name for n in tencent.names]
    megvii = by_name(ents, "Beijing Megvii Technology Co., Ltd.")
    assert [(x.listed_on, x.end_date) for x in megvii.listings] == [("2024-01-31", "2025-01-07")]
    cosco = by_name(ents, "China COSCO SHIPPING Corporation Limited")
    finance = by_name(ents, "COSCO SHIPPING Finance Co., Ltd.")
    assert finance.parent_id == cosco.id
    assert [(x.listed_on, x.end_date) for x in finance.listings] == [("2025-01-07", "2026-06-08")]
    cxmt = by_name(ents, "ChangXin Memory Technologies, Inc.")
    assert [(x.listed_on, x.in_force) for x in cxmt.listings] == [("2025-01-07", True)]
    assert "Zhonghang Electronic Measuring Instruments Company Limited" in [
        n.name for n in by_name(ents, "AVIC Chengdu Aircraft Co., Ltd.").names
    ]


def test_1260h_refuses_another_csv(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("name,start date\nA,2025-01-07\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a DoD 1260H transcription"):
        dod_1260h.parse(bad)


# -- FCC Covered List ------------------------------------------------------------------------


def test_fcc_page_fixture() -> None:
    parsed = fcc_covered.parse(OFFICIAL / "fcc_covered_mini.html")
    ents = {e.name: e for e in parsed.entities}
    assert parsed.published == "2026-03-23"
    assert set(ents) == {
        "Huawei Technologies Company",
        "Hangzhou Hikvision Digital Technology Company",
        "Pacific Networks Corp",
        "ComNet (USA) LLC",
        "Shenzhen Da-Jiang Innovations Sciences and Technologies Company Limited",
        "Autel Robotics",
    }
    assert ents["ComNet (USA) LLC"].parent_id == ents["Pacific Networks Corp"].id
    (hik,) = ents["Hangzhou Hikvision Digital Technology Company"].listings
    assert hik.listed_on == "2021-03-12" and "to the extent it is used" in hik.effect
    autel = ents["Autel Robotics"]
    assert autel.listings[0].listed_on == "2025-12-22"
    assert autel.remarks == "entry updated 2026-01-07"
    assert "DJI" in [n.name for n in ents[next(n for n in ents if "Da-Jiang" in n)].names]
    assert len(parsed.meta["classes"]) == 1  # routers: a class, not a party


@pytest.mark.shared_data
def test_fcc_real_table() -> None:
    needs(FCC)
    parsed = fcc_covered.parse(FCC)
    names = {e.name for e in parsed.entities}
    assert {"ZTE Corporation", "Dahua Technology Company", "AO Kaspersky Lab"} <= names
    assert "Autel Robotics" in names
    assert parsed.published == "2026-07-28"
    assert len(parsed.meta["classes"]) == 3  # drones, routers... from any foreign producer


def test_fcc_refuses_a_page_without_the_table(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<!doctype html><html><body><p>Sorry</p></body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="no Covered List entries"):
        fcc_covered.parse(page)


# -- METI End User List ----------------------------------------------------------------------


def test_meti_fixture_names_in_both_scripts() -> None:
    parsed = meti_eul.parse(OFFICIAL / "meti_eul_mini.json")
    ents = {e.id: e for e in parsed.entities}
    assert parsed.published == "2025-09-29"  # the revision in the press-release URL
    nust = ents["jp-eul-556"]
    assert nust.name == "Nanjing University of Science and Technology"
    assert [(n.name, n.kind) for n in nust.names] == [
        ("NUST", "abbreviation"),
        ("南京理工大学", "chinese"),
    ]
    assert nust.countries == ["cn"]
    assert nust.listings[0].list == "Japan METI End User List"
    assert nust.listings[0].program == "concern: conventional weapons"
    lost = ents["jp-eul-900"]  # the copy put the name after the country
    assert (lost.name, lost.addresses, lost.countries) == (
        "Example 99th Research Institute",
        ["People's Republic of China"],
        ["cn"],
    )
    assert ents["jp-eul-901"].extra["concerns"] == ["N"]  # a full-width Ｎ


def test_meti_real_list() -> None:
    parsed = meti_eul.parse(METI)
    assert len(parsed.entities) == 16
    assert sum("cn" in e.countries for e in parsed.entities) == 15
    chip = next(e for e in parsed.entities if e.name == "CETC Chip Technology Co., Ltd")
    assert "中电科芯片技术股份有限公司" in [n.name for n in chip.names]
    assert {"CETC 24", "CETC 26", "CETC 44"} <= {n.name for n in chip.names}


def test_meti_refuses_other_json(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text(json.dumps({"values": []}), encoding="utf-8")
    with pytest.raises(InputError, match="not METI's End User List"):
        meti_eul.parse(other)


# -- ASPI tracker (its licence does not let us ship a fixture: the real copy only) ------------


@pytest.mark.shared_data
def test_aspi_real_tracker() -> None:
    needs(ASPI)
    parsed = aspi_unitracker.parse(ASPI)
    assert len(parsed.entities) == 159
    njust = next(
        e for e in parsed.entities if e.name == "Nanjing University of Science and Technology"
    )
    assert ("南京理工大学", "chinese") in [(n.name, n.kind) for n in njust.names]
    (listing,) = njust.listings
    assert listing.program == "risk category: Seven sons of national defence"
    assert "not a legal restriction" in (listing.effect or "")
    assert njust.extra["supervising_agencies"]
    assert njust.parent_name is None  # a supervising agency is not an owner


# -- into a store: beside the curated entries, and the coverage statement --------------------


@pytest.mark.shared_data
def test_full_lists_hit_beside_the_curated_entries(store, db_path: Path) -> None:
    needs(MILCORPS)
    catalog.import_file(store, MILCORPS, "dod-1260h", "dod-1260h")
    catalog.import_file(store, METI, "meti-eul", "meti-eul")
    s = Screener(store)
    hits = s.check("Hangzhou Hikvision Digital Technology Co., Ltd.").hits
    # one hit for the party, naming the curated entry and the 1260H record
    [hikvision] = [h for h in hits if h.extra["party"]["id"] == "hikvision"]
    records = {r["source_id"] for r in hikvision.extra["party"]["records"]}
    assert {"screener-surveillance", "dod-1260h"} <= records
    tencent = s.check("Tencent").hits[0]
    assert (tencent.source_id, tencent.entity_id) == ("dod-1260h", "1260h-tencent-holdings-limited")
    nust = {
        r["source_id"]
        for h in s.check("Nanjing University of Science and Technology").hits
        for r in h.extra["party"]["records"]
    }
    assert {"screener-surveillance", "meti-eul"} <= nust


def test_coverage_statement_says_full_or_curated_subset(store) -> None:
    catalog.import_file(store, OFFICIAL / "fcc_covered_mini.html", "fcc-covered", "fcc-covered")
    s = Screener(store)
    items = {x["list"]: x for x in statement(store, s.lists())}
    fcc = items["FCC Covered List"]
    assert (fcc["status"], fcc["source_id"], fcc["data_date"]) == (
        "full",
        "fcc-covered",
        "2026-03-23",
    )
    entity_list = items["Entity List"]
    assert entity_list["status"] == "subset"
    assert entity_list["text"].startswith(
        f"Entity List: curated subset only ({entity_list['entries']} entries of "
        "screener-surveillance); a party not among them was not checked against this list"
    )
    assert "load csl" in entity_list["text"]
    assert "DoD 1260H List" in subset_lists(list(items.values()))
    assert items["FCC Covered List"]["text"].startswith("FCC Covered List: full list, fcc-covered")


# -- the Done-when scenarios, through the CLI -------------------------------------------------


@pytest.mark.shared_data
def test_store_with_the_four_lists_hits_tencent_bgi_and_cosco_lines_with_their_editions(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (MILCORPS, FCC, METI, ASPI):
        needs(path)
    db = ["--db", str(db_path)]
    for path, fmt in (
        (MILCORPS, "dod-1260h"),
        (FCC, "fcc-covered"),
        (METI, "meti-eul"),
        (ASPI, "aspi-unitracker"),
    ):
        code, out, _ = run_main(
            monkeypatch, capsys, *db, "lists", "import", str(path), "--format", fmt, "--source", fmt
        )
        assert code == 0 and f"{fmt}: loaded version" in out
    for query, listed in (
        ("Tencent", "Tencent Holdings Limited"),
        ("BGI Genomics Co., Ltd.", "BGI Genomics Co., Ltd."),
        ("COSCO Shipping Lines Co Ltd", "China COSCO SHIPPING Corporation Limited"),
    ):
        code, out, _ = run_main(monkeypatch, capsys, *db, "check", query, "--format", "json")
        assert code == 1, query
        hit = json.loads(out)["hits"][0]
        assert hit["name"] == listed
        (period,) = [x for x in hit["listings"] if x["list"] == "DoD 1260H List"]
        assert period["in_force"] and period["program"].startswith("editions ")
        assert "2026-06-08" in period["program"]
    code, out, _ = run_main(monkeypatch, capsys, *db, "check", "COSCO Shipping Lines Co Ltd")
    assert "relation     : owned-by" in out  # via its parent, China COSCO SHIPPING
    assert (
        "listing      : DoD 1260H List | 90 FR 1105; 91 FR 35189 | listed 2025-01-07 | editions 2025-01-07, 2026-06-08"
        in out
    )
    assert (
        "checked in full: " in out
        and "DoD 1260H List (dod-1260h, data of 2026-06-08, 218 rows)" in out
    )
    assert "curated subset only (a party not among these entries was not checked): " in out


def test_a_2021_sdn_file_imported_today_is_data_of_2021_and_stale(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sdn = excerpt("moov-watchman/ofac_sdn_2021")
    db = ["--db", str(db_path)]
    run_main(
        monkeypatch,
        capsys,
        *db,
        "lists",
        "import",
        str(sdn),
        "--format",
        "ofac",
        "--source",
        "ofac-sdn",
    )
    code, out, _ = run_main(monkeypatch, capsys, *db, "lists", "show", "--format", "json")
    row = next(r for r in json.loads(out) if r["id"] == "ofac-sdn")
    # the legacy CSV states no date: its newest dated entry (a RUSSIA-EO14024 tag) dates it
    assert (row["data_date"], row["data_date_basis"]) == ("2021-04-15", "newest-entry")
    code, out, err = run_main(monkeypatch, capsys, *db, "check", "--fail-stale", "Huawei")
    assert code == 3 and out == ""
    assert (
        "list ofac-sdn is" in err
        and "data of 2021-04-15" in err
        and "older than its 7-day limit" in err
    )
    run_main(
        monkeypatch,
        capsys,
        *db,
        "lists",
        "import",
        str(sdn),
        "--format",
        "ofac",
        "--source",
        "ofac-sdn-dated",
        "--data-date",
        "2021-07-07",
    )
    code, out, _ = run_main(monkeypatch, capsys, *db, "lists", "show", "--format", "json")
    row = next(r for r in json.loads(out) if r["id"] == "ofac-sdn-dated")
    assert (row["data_date"], row["data_date_basis"]) == ("2021-07-07", "given")


def test_a_bad_data_date_is_one_error_line(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "lists",
        "import",
        str(OFFICIAL / "fcc_covered_mini.html"),
        "--format",
        "fcc-covered",
        "--source",
        "fcc-covered",
        "--data-date",
        "July 2026",
    )
    assert code == 2
    assert_one_line_error(err, "--data-date 'July 2026' is not a date")


def test_ownership_on_2026_12_07_says_the_affiliates_rule_is_in_force_by_default(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hikrobot: 60% owned by Hikvision, an Entity List party (lists/ownership.yaml)."""
    code, out, _ = run_main(
        monkeypatch, capsys, "--db", str(db_path), "ownership", "Hikrobot", "--on", "2026-12-07"
    )
    assert code == 1
    assert "relation on 2026-12-07: owned-by, 60% held by listed parties" in out
    assert (
        "status on 2026-12-07: in force by default since 2026-11-10, 90 FR 50857 (checked 2026-12-07)"
        in out
    )
    assert "in force by default (no extension found; 90 FR 50857)" in out and "Caveat:" in out
    assert "unknown" not in out


def test_the_report_says_a_list_was_checked_only_as_a_curated_subset(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    parties = tmp_path / "parties.csv"
    parties.write_text(
        "name\nHangzhou Hikvision Digital Technology Co., Ltd.\nSiemens AG\n", encoding="utf-8"
    )
    out_html = tmp_path / "report.html"
    code, _, _ = run_main(
        monkeypatch, capsys, "--db", str(db_path), "batch", str(parties), "-o", str(out_html)
    )
    assert code == 1
    html = out_html.read_text("utf-8")
    n = Screener(Store(db_path)).coverage()["statement"]
    el = next(x for x in n if x["list"] == "Entity List")
    assert (
        f"Entity List: curated subset only ({el['entries']} entries of screener-surveillance); a party "
        "not among them was not checked against this list; load csl for the full list"
    ) in html
    assert "checked as a curated subset only (see the coverage statement)" in html
    sidecar_csv = tmp_path / "parties.screened.csv"
    run_main(
        monkeypatch, capsys, "--db", str(db_path), "batch", str(parties), "-o", str(sidecar_csv)
    )
    meta = json.loads((tmp_path / "parties.screened.csv.meta.json").read_text("utf-8"))
    statuses = {x["list"]: x["status"] for x in meta["coverage"]["lists"]}
    assert statuses["Entity List"] == "subset" and statuses["DoD 1260H List"] == "subset"


# -- lists update: the FCC list is a page ------------------------------------------------------


def test_fcc_update_downloads_the_page_and_dates_it_by_the_download(store) -> None:
    """The Covered List is an HTML page (other sources refuse one as an error page); what
    the FCC serves today is current today, so the download day dates it."""
    import datetime as dt

    import httpx

    from screener.lists import update
    from screener.settings import Config

    page = (OFFICIAL / "fcc_covered_mini.html").read_bytes()
    seen: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=page, headers={"Content-Type": "text/html"})

    (out,) = update.update(
        store,
        ["fcc-covered"],
        transport=httpx.MockTransport(reply),
        config=Config(),
        sleep=lambda s: None,
    )
    assert (out.status, out.entities) == ("loaded", 6)
    assert seen == ["https://www.fcc.gov/supplychain/coveredlist"]
    row = next(r for r in catalog.show(store) if r["id"] == "fcc-covered")
    assert (row["data_date"], row["data_date_basis"]) == (dt.date.today().isoformat(), "download")
    # the same page imported from a file is dated by its newest entry, a lower bound
    catalog.import_file(store, OFFICIAL / "fcc_covered_mini.html", "fcc-covered", "fcc-file")
    row = next(r for r in catalog.show(store) if r["id"] == "fcc-file")
    assert (row["data_date"], row["data_date_basis"]) == ("2026-03-23", "newest-entry")


def test_another_source_still_refuses_an_html_page(store) -> None:
    import httpx

    from screener.lists import update
    from screener.settings import Config

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b"<!doctype html><p>login</p>", headers={"Content-Type": "text/html"}
        )

    (out,) = update.update(
        store,
        ["meti-eul"],
        transport=httpx.MockTransport(reply),
        config=Config(),
        sleep=lambda s: None,
    )
    assert out.status == "failed" and "HTML page" in out.message
