"""Ownership links from files: GLEIF Level 2 relationship records, a user's CSV, the
CSL's own lines; `screener lists import` for them and `screener ownership`."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from excerpts import excerpt

from screener.cli import cli
from screener.db import ownership as graph
from screener.db.ownership_graph import assess, subsidiaries
from screener.db.store import Store
from screener.errors import InputError
from screener.lists import catalog, links
from screener.lists.csl_links import links as csl_links
from screener.lists.csl_links import subordinates
from screener.lists.parsers import csl, gleif_rr, ownership_csv

RR, LEI = excerpt("openownership-gleif/rr-data.xml"), excerpt("openownership-gleif/lei-data.xml")
EL_TEXT = excerpt("kaixinol-bis-el-universities/data.json")
CSL_2019 = excerpt("moov-watchman/csl_samples/csl_sample_2019.csv")
CSL_2025 = excerpt("moov-watchman/csl_samples/consolidated_sample_2025.csv")
NODES = graph.NODE_SOURCE
DAY = "2026-12-01"


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", str(db), *args], standalone_mode=False, catch_exceptions=False
    )


# -- GLEIF ------------------------------------------------------------------------------


def test_gleif_real_records_keep_only_consolidation() -> None:
    parsed = gleif_rr.parse(RR)  # names from lei-data.xml beside it
    assert parsed.published == "2023-06-05"
    assert parsed.meta["relationships"] == 2 and parsed.meta["skipped_not_consolidation"] == 8
    assert parsed.meta["names_file"] == str(LEI) and parsed.meta["lei_records"] == 13
    direct, ultimate = parsed.links
    assert (direct.child_key, direct.owner_name) == (
        "lei-010cmkz3von21wf2zd45",
        "ZZG38T0MDR3QY1ETUA76",
    )
    assert ultimate.owner_name == "3C7474T6CDKPR9K6YT90"
    assert (direct.controlled, direct.kind, direct.as_of, direct.end_date) == (
        True,
        "subsidiary",
        "2018-02-06",
        None,
    )
    assert ultimate.source == (
        "https://www.sec.gov/ix?doc=/Archives/edgar/data/40545/000004054521000011/ge-20201231.htm"
    )  # ValidationReference
    assert "IS_DIRECTLY_CONSOLIDATED_BY" in (direct.note or "")
    # The three LEIs have no Level 1 record in the excerpt: the LEI is the name.
    assert direct.child_name == "010CMKZ3VON21WF2ZD45"


def test_gleif_names_periods_status_and_shares(tmp_path: Path) -> None:
    """The real record's shape, with names from the real lei-data.xml: a DENTSU LEI as
    the parent, an inactive relationship and a percentage quantifier."""
    text = RR.read_text(encoding="utf-8")
    text = text.replace("ZZG38T0MDR3QY1ETUA76", "213800FERQ5LE3H7WJ58")  # Dentsu International
    text = text.replace("010CMKZ3VON21WF2ZD45", "00GBW0Z2GYIER7DHDS71")  # Aristeia Capital
    quant = (
        "<rr:RelationshipQuantifiers><rr:RelationshipQuantifier>"
        "<rr:MeasurementMethod>ACCOUNTING_CONSOLIDATION</rr:MeasurementMethod>"
        "<rr:QuantifierAmount>75.5</rr:QuantifierAmount>"
        "<rr:QuantifierUnits>PERCENTAGE</rr:QuantifierUnits>"
        "</rr:RelationshipQuantifier></rr:RelationshipQuantifiers>"
    )
    first = text.index("<rr:RelationshipType>IS_DIRECTLY_CONSOLIDATED_BY")
    status_at = text.index("<rr:RelationshipStatus>ACTIVE</rr:RelationshipStatus>", first)
    text = (
        text[:status_at]
        + "<rr:RelationshipStatus>INACTIVE</rr:RelationshipStatus>"
        + quant
        + text[status_at + len("<rr:RelationshipStatus>ACTIVE</rr:RelationshipStatus>") :]
    )
    rr = tmp_path / "rr.xml"
    rr.write_text(text, encoding="utf-8")
    direct, _ = gleif_rr.parse(rr, names=LEI).links
    assert (direct.child_name, direct.child_country) == ("ARISTEIA CAPITAL, L.L.C.", "us")
    assert direct.owner_name == "DENTSU INTERNATIONAL LIMITED"
    assert direct.share == 75.5
    assert direct.end_date == "2022-06-04"  # inactive: ended at its last update
    assert "inactive" in (direct.note or "")


def test_gleif_refuses_a_dtd_and_a_non_gleif_file(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(InputError, match="declares a DTD"):
        gleif_rr.parse(bomb)
    other = tmp_path / "other.xml"
    other.write_text("<root><a/></root>")
    with pytest.raises(InputError, match="not a GLEIF relationship file"):
        gleif_rr.parse(other)
    broken = tmp_path / "broken.xml"
    broken.write_text("<root><a></root>")
    with pytest.raises(InputError, match="not valid XML"):
        gleif_rr.parse(broken)


def test_cli_imports_gleif_links(db_path: Path) -> None:
    r = invoke(db_path, "lists", "import", str(RR), "--format", "gleif-rr", "--source", "gleif")
    assert r.exit_code == 0, r.output
    assert re.match(
        r"gleif: loaded ownership links version \d+: 2 links; the graph has \d+ "
        r"unlisted parties",
        r.output,
    )
    store = Store.open(db_path)
    try:
        load = graph.active_load(store, "gleif")
        assert load["origin"] == "gleif" and load["published"] == "2023-06-05"
        child = store.entity(NODES, "lei-010cmkz3von21wf2zd45")
        assert child is not None and child.extra["ownership_node"]
        assert assess(store, NODES, child.id, on=DAY).relation is None  # nothing listed above
    finally:
        store.close()
    again = invoke(db_path, "lists", "import", str(RR), "--format", "gleif-rr", "--source", "gleif")
    assert "gleif: unchanged ownership links" in again.output


# -- a user's CSV -----------------------------------------------------------------------


def write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_csv_parents_by_id_by_chain_and_by_matcher(store: Store, tmp_path: Path) -> None:
    src = "https://example.org/annual-report-2024.pdf"
    path = write(
        tmp_path / "mine.csv",
        [
            ["child", "parent", "share", "source", "kind", "as_of", "note", "aliases"],
            [
                "Hikvision Europe B.V.",
                "screener-surveillance:hikvision",
                "100%",
                src,
                "",
                "2024",
                "",
                "Hikvision Europe",
            ],
            ["Hikvision Netherlands Holding", "Hikvision Europe B.V.", "100", src, "", "", "", ""],
            ["Dahua Europe B.V.", "ZHEJIANG DAHUA TECH CO LTD", "100", src, "", "", "", ""],
            ["Somebody Else Ltd", "Unheard Of Holdings", "51", src, "", "", "", ""],
        ],
    )
    rows = ownership_csv.parse(path)
    parsed = ownership_csv.resolve(store, rows, links.match_owner)
    assert parsed.meta["parents"] == {"id": 1, "chain": 1, "matched": 1, "unresolved": 1}
    by_child = {lk.child_name: lk for lk in parsed.links}
    assert (
        by_child["Hikvision Europe B.V."].owner_entity_id,
        by_child["Hikvision Europe B.V."].share,
    ) == ("hikvision", 100.0)
    assert by_child["Hikvision Netherlands Holding"].owner_key == "hikvision-europe-b-v"
    dahua = by_child["Dahua Europe B.V."]
    assert (dahua.owner_source_id, dahua.owner_entity_id) == ("screener-surveillance", "dahua")
    assert "matched to 'Zhejiang Dahua Technology Co., Ltd.'" in (dahua.note or "")
    r = catalog.import_file(store, path, "ownership-csv", "my-links")
    assert isinstance(r, links.LinksResult) and r.links == 4
    two_step = assess(store, NODES, "hikvision-netherlands-holding", on=DAY)
    assert (two_step.relation, two_step.share) == ("owned-by", 100.0)
    assert [s.owner.name for s in two_step.chains[0].steps] == [
        "Hikvision Europe B.V.",
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
    ]
    assert assess(store, NODES, "somebody-else-ltd", on=DAY).relation is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["child", "share", "source"], ["A", "1", "x"]], "missing column\\(s\\) parent"),
        ([["child", "parent", "share", "source"], ["A", "B", "150", "x"]], "line 2: share '150'"),
        ([["child", "parent", "share", "source"], ["A", "B", "lots", "x"]], "is not a number"),
        (
            [["child", "parent", "share", "source"], ["A", "", "10", "x"]],
            "line 2: the parent is empty",
        ),
        (
            [["child", "parent", "source", "kind"], ["A", "B", "x", "cousin"]],
            "unknown kind 'cousin'",
        ),
        ([["child", "parent", "source", "as_of"], ["A", "B", "x", "May 2024"]], "is not a date"),
        ([["child", "parent", "source"]], "no rows under the header"),
    ],
    ids=[
        "no-parent-column",
        "share-over-100",
        "share-text",
        "empty-parent",
        "bad-kind",
        "bad-date",
        "header-only",
    ],
)
def test_csv_errors_are_one_clear_line(tmp_path: Path, rows: list[list[str]], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ownership_csv.parse(write(tmp_path / "bad.csv", rows))


def test_csv_in_gb18030_and_semicolons(tmp_path: Path) -> None:
    p = tmp_path / "gbk.csv"
    p.write_bytes("child;parent;share;source\n萤石网络;海康威视;;年报\n".encode("gb18030"))
    [row] = ownership_csv.parse(p)
    assert (row.child, row.parent, row.share) == ("萤石网络", "海康威视", None)


def test_cli_refuses_a_list_id_for_links(db_path: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", [["child", "parent", "source"], ["A Co", "dahua", "x"]])
    with pytest.raises(InputError, match="is a list"):
        invoke(
            db_path,
            "lists",
            "import",
            str(path),
            "--format",
            "ownership-csv",
            "--source",
            "screener-surveillance",
        )


# -- the CSL's own lines ----------------------------------------------------------------


def test_subordinate_institutions_in_real_entity_list_text() -> None:
    entries = json.loads(EL_TEXT.read_text(encoding="utf-8"))["entries"]
    found = {e["name"]: subordinates(e["raw"]) for e in entries if subordinates(e["raw"])}
    assert list(found) == ["China Aerospace Science and Industry Corporation Second Academy"]
    units = dict(found["China Aerospace Science and Industry Corporation Second Academy"])
    assert units == {
        "Second Design Department": [
            "Beijing Institute of Electronics Systems Engineering",
            "Second Planning Department",
        ],
        "23rd Research Institute": ["Beijing Institute of Radio Measurement", "BIRM"],
        "25th Research Institute": ["Beijing Institute of Remote Sensing Equipment"],
    }


def el_rows(tmp_path: Path) -> Path:
    """The real Entity List entries of the shared excerpt, as CSL rows (name, address)."""
    entries = json.loads(EL_TEXT.read_text(encoding="utf-8"))["entries"]
    header = [
        "source",
        "entity_number",
        "type",
        "name",
        "addresses",
        "alt_names",
        "source_list_url",
    ]
    rows = [header]
    for i, e in enumerate(entries, 1):
        rest = e["raw"][len(e["name"]) :].strip(" ,.")
        address = re.split(r"—[^.;]*\.\s", rest)[-1] if "a.k.a" in rest else rest
        alt = rest if "Subordinate institution" in rest else ""
        rows.append(
            [
                "Entity List (EL) - Bureau of Industry and Security",
                f"EL-{i}",
                "Entity",
                e["name"],
                address.replace(" and ", "; "),
                alt,
                "https://www.bis.gov/regulations/ear/744",
            ]
        )
    return write(tmp_path / "el.csv", rows)


def test_csl_import_records_units_of_listed_entries(db_path: Path, tmp_path: Path) -> None:
    path = el_rows(tmp_path)
    parsed = csl_links(csl.parse(path).entities, "csl")
    pairs = {(lk.child_name, lk.owner_name) for lk in parsed.links}
    assert (
        "Academy of Military Medical Sciences, Institute of Basic Medicine",
        "Academy of Military Medical Sciences",
    ) in pairs
    assert (
        "China Aerospace Science and Industry Corporation (CASIC) 3rd Academy's 159 Factory",
        "China Aerospace Science and Industry Corporation (CASIC) 3rd Academy",
    ) in pairs
    unit = (
        "23rd Research Institute of China Aerospace Science and Industry Corporation Second Academy"
    )
    assert (unit, "China Aerospace Science and Industry Corporation Second Academy") in pairs
    assert len(pairs) == 16  # 11 AMMS institutes, 2 CASIC factories, 3 subordinate institutions
    basic = next(lk for lk in parsed.links if lk.child_name.endswith("Basic Medicine"))
    assert "shares the address '27 Taiping Road" in (basic.note or "")

    r = invoke(db_path, "lists", "import", str(path), "--format", "csl", "--source", "csl")
    assert r.exit_code == 0, r.output
    store = Store.open(db_path)
    try:
        load = graph.active_load(store, "csl")
        assert (load["origin"], load["edges"]) == ("csl", 16)
        birm = next(e for e in store.entities([NODES]) if e.name.startswith("23rd Research"))
        assert {"Beijing Institute of Radio Measurement", "BIRM"} <= {n.name for n in birm.names}
        a = assess(store, NODES, birm.id, on=DAY)
        assert a.relation == "unit" and a.owners[0].source_id == "csl"
        [rule] = a.rules
        assert rule["id"] == "bis-affiliates-rule" and rule["applies"]
        amms = next(
            e for e in store.entities(["csl"]) if e.name == "Academy of Military Medical Sciences"
        )
        assert len(subsidiaries(store, "csl", amms.id)) == 11
    finally:
        store.close()


def test_real_csl_samples_state_no_ownership(tmp_path: Path) -> None:
    """The two real CSL samples hold no subordinate institution and no entry named under
    another's name; their shared addresses are siblings, not parents ("(Linked To: ...)"
    remarks are not ownership)."""
    for path in (CSL_2019, CSL_2025):
        assert csl_links(csl.parse(path).entities, "csl").links == []


# -- screener ownership -----------------------------------------------------------------


@pytest.mark.parametrize("query", ["EZVIZ", "萤石网络"])
def test_cli_ownership_explains_ezviz(db_path: Path, query: str) -> None:
    r = invoke(db_path, "ownership", query, "--on", DAY)
    assert r.return_value == 1, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith(
        f"'{query}' -> Hangzhou EZVIZ Network Co., Ltd. (screener-"
        "ownership:hangzhou-ezviz-network-co-ltd, score 1.00; not listed"
    )
    assert "  relation on 2026-12-01: owned-by" in lines
    assert any(
        x.strip().startswith(
            "Hangzhou EZVIZ Network Co., Ltd. -> Hangzhou Hikvision "
            "Digital Technology Co., Ltd. [Entity List"
        )
        and "share not published, controlled" in x
        and "source: https://q.stock.sohu.com/cn,gg,002415,6497726459.shtml" in x
        for x in lines
    )
    assert any(
        "rule: BIS Affiliates rule" in x and "90 FR 47201" in x and "applies" in x for x in lines
    )
    assert any(
        x.strip().startswith(
            "status on 2026-12-01: in force by default since 2026-11-10, 90 FR 50857"
        )
        for x in lines
    )


def test_cli_ownership_json_and_exit_codes(db_path: Path) -> None:
    doc = json.loads(
        invoke(db_path, "ownership", "Hikrobot", "--format", "json", "--on", "2026-01-15").output
    )
    [m] = doc["matches"]
    assert m["assessment"]["relation"] == "owned-by" and m["assessment"]["share"] == 60.0
    assert m["assessment"]["rules"][0]["status"]["status"] == "suspended"
    usa = invoke(db_path, "ownership", "Dahua Technology USA", "--on", DAY)
    # as check finds it: a regional company of Dahua by its name (exit 1, as check exits);
    # the sold subsidiary's own node says its link ended and no longer counts
    assert usa.return_value == 1
    assert "relation: unit (a unit, lab, branch or brand company of Zhejiang Dahua" in usa.output
    assert "ENDED 2024-01" in usa.output and "no longer counts" in usa.output
    clear = invoke(db_path, "ownership", "Stanford University")
    assert clear.return_value == 0 and "No listed entity or ownership link found" in clear.output
    down = invoke(db_path, "ownership", "Zhejiang Dahua Technology Co., Ltd.")
    assert down.return_value == 1 and "  owns:" in down.output
    assert "Zhejiang Huaray Technology Co., Ltd. -> Zhejiang Dahua Technology" in down.output
    with pytest.raises(InputError, match="not a date"):
        invoke(db_path, "ownership", "EZVIZ", "--on", "soon")


def test_help_names_the_ownership_command() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "ownership" in out
    sub = CliRunner().invoke(cli, ["ownership", "--help"]).output
    assert "Exit 0 when nothing listed is involved" in sub


@pytest.mark.parametrize(
    ("name", "relation"),
    [
        ("Huawei Technologies Australia Pty Ltd", "unit"),
        ("Hikvision Australia Pty Ltd", "unit"),
        ("Hikvision", "same"),
        ("CETC 14", "same"),
        ("EZVIZ", "owned-by"),
        ("Hikrobot", "owned-by"),
    ],
)
def test_ownership_and_check_agree_on_the_relation(db_path: Path, name: str, relation: str) -> None:
    """The ownership view takes the relation check finds for the same name: a regional
    company named after a listed vendor is its unit in both, a company listed parties own
    is owned-by in both (explained through its own node)."""
    found = json.loads(invoke(db_path, "check", name, "--format", "json").stdout)["hits"][0]
    view = json.loads(invoke(db_path, "ownership", name, "--format", "json").stdout)
    first = view["matches"][0]
    assert found["relation"] == first["relation"] == relation
    assert first["listed_entity"] == found["name"]
    if relation == "owned-by":  # the node a listed party owns, not the owner itself
        assert first["via"] == [first["source_id"], first["entity_id"]]
        assert first["source_id"] == "screener-ownership"
    else:
        assert (first["source_id"], first["entity_id"]) == (found["source_id"], found["entity_id"])
    assert view["involved"] is True
    second = invoke(db_path, "ownership", name).stdout.splitlines()[1]
    assert second.startswith(
        f"  relation: {relation} (" if relation != "owned-by" else "  relation on "
    ), second
    assert relation in second
