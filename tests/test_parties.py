"""Parties: the records of several lists that are one organisation, on real records.

The store holds the bundled list plus official excerpts committed under fixtures/excerpts
(OFAC's consolidated non-SDN list, the 2025 CSL sample, the BIS Denied Persons List); the
tests that need OpenSanctions' transcriptions (the 1260H list, the FCC Covered List,
section 889) read ../shared/data and skip without it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import assert_one_line_error, run_main
from excerpts import excerpt, shared

from screener.db import parties as party_db
from screener.db.store import Store
from screener.lists import catalog
from screener.lists.bundled import open_store
from screener.model import Entity, Listing, ParsedList
from screener.screening import parties
from screener.screening.parties import identifier_keys, legal_name_key

CONS = excerpt("moov-watchman/ofac_non_sdn")
CSL_2025 = excerpt("moov-watchman/csl_samples/consolidated_sample_2025.csv")
DPL = excerpt("moov-watchman/bis_dpl_2022/dpl.txt")


@pytest.fixture(scope="module")
def official_db(master_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled list plus the OFAC consolidated, CSL and DPL excerpts, parties built."""
    target = tmp_path_factory.mktemp("parties") / "s.db"
    shutil.copyfile(master_db, target)
    store = open_store(target)
    try:
        catalog.import_file(store, CONS, "ofac", "ofac-cons")
        catalog.import_file(store, CSL_2025, "csl", "csl")
        catalog.import_file(store, DPL, "bis-dpl", "bis-dpl")
        parties.ensure(store)
    finally:
        store.close()
    return target


@pytest.fixture
def official(official_db: Path, tmp_path: Path) -> Store:
    target = tmp_path / "official.db"  # beside db_path's s.db
    shutil.copyfile(official_db, target)
    return open_store(target)


def party(store: Store, pid: str) -> dict[tuple[str, str], str]:
    return {(m["source_id"], m["entity_id"]): m["rule"] for m in party_db.members(store, pid)}


def test_cetc_is_one_party_of_its_curated_entry_and_the_ofac_entry_it_cites(
    official: Store,
) -> None:
    cetc = party(official, "cetc")
    assert cetc == {
        ("screener-surveillance", "cetc"): "anchor",
        ("ofac-cons", "30936"): "cross-reference",
    }
    (ofac,) = [m for m in party_db.members(official, "cetc") if m["source_id"] == "ofac-cons"]
    assert parties.explain(ofac) == (
        "cross-reference: the curated entry cites OFAC entry number 30936 "
        "(with screener-surveillance:cetc)"
    )
    assert party_db.party_of(official, "ofac-cons", "30936") == "cetc"


def test_cetc_13_is_one_party_across_the_curated_list_and_the_csl(official: Store) -> None:
    (csl_id,) = [
        e.id
        for e in official.entities(["csl"])
        if e.name.startswith("China Electronics Technology Group Corporation 13th")
    ]
    assert party(official, "cetc-13") == {
        ("screener-surveillance", "cetc-13"): "anchor",
        ("csl", csl_id): "name",
    }


def test_a_parent_and_its_unit_stay_two_parties(official: Store) -> None:
    """CETC and CETC 13, China Mobile Limited and China Mobile Communications Group: linked
    by ownership, never merged."""
    assert party_db.party_of(official, "screener-surveillance", "cetc-13") == "cetc-13"
    assert ("screener-surveillance", "cetc-13") not in party(official, "cetc")
    mobile = party_db.party_of(official, "ofac-cons", "30923")  # CHINA MOBILE LIMITED
    group = party_db.party_of(official, "ofac-cons", "30944")  # ... COMMUNICATIONS GROUP
    assert mobile != group or mobile is None


def test_china_electronics_corporation_is_not_cetc(official: Store) -> None:
    cec = party(official, "cec")
    assert cec == {
        ("screener-surveillance", "cec"): "anchor",
        ("ofac-cons", "30932"): "cross-reference",
    }
    assert not set(cec) & set(party(official, "cetc"))


def test_the_denied_persons_lists_dahua_electronics_is_not_zhejiang_dahua(
    official: Store,
) -> None:
    (dpl,) = [
        e for e in official.entities(["bis-dpl"]) if e.name == "DAHUA ELECTRONICS CORPORATION"
    ]
    assert "Flushing" in " ".join(dpl.addresses) or "FLUSHING" in " ".join(dpl.addresses)
    assert party_db.party_of(official, "bis-dpl", dpl.id) is None  # a party by itself
    assert ("bis-dpl", dpl.id) not in party(official, "dahua")


def test_a_person_and_a_company_of_the_same_name_stay_apart(tmp_path: Path) -> None:
    """OFAC's SDN list has "Kim Il Sung" the person; a (made-up) company of the same name
    on another list, with the same country, never joins him."""
    store = Store.open(tmp_path / "s.db")
    person = Entity("kis", "KIM IL SUNG", "person", countries=["kp"])
    company = Entity("kis-co", "Kim Il Sung University", "organization", countries=["kp"])
    company2 = Entity("kis-co2", "KIM IL SUNG UNIVERSITY", "person", countries=["kp"])
    for sid, ents in (("a", [person]), ("b", [company]), ("c", [company2])):
        for e in ents:
            e.listings = [Listing("Some List")]
        store.import_parsed({"id": sid}, ParsedList(ents), sha256=sid, origin=sid)
    parties.ensure(store)
    assert party_db.party_of(store, "a", "kis") is None
    # the university is an organisation's legal name, but the other record is a person
    assert party_db.party_of(store, "b", "kis-co") is None


def test_two_huawei_subsidiaries_in_different_countries_stay_apart(tmp_path: Path) -> None:
    """The Entity List names Huawei affiliates country by country (84 FR 43493, 2019-08-21):
    one name in two countries is two companies; and a name that two entries of one list
    carry joins nothing."""
    store = Store.open(tmp_path / "s.db")

    def org(eid: str, name: str, country: str) -> Entity:
        return Entity(eid, name, countries=[country], listings=[Listing("Entity List")])

    el = [
        org("h-br", "Huawei Cloud Computing Technologies Co., Ltd.", "br"),
        org("h-cn", "Huawei Cloud Computing Technologies Co., Ltd.", "cn"),
    ]
    other = [org("x-cl", "Huawei Cloud Computing Technologies Co., Ltd.", "cl")]
    store.import_parsed({"id": "el"}, ParsedList(el), sha256="el", origin="el")
    store.import_parsed({"id": "other"}, ParsedList(other), sha256="o", origin="o")
    parties.ensure(store)
    assert all(party_db.party_of(store, s, e) is None for s, e in [("el", "h-br"), ("el", "h-cn")])
    assert party_db.party_of(store, "other", "x-cl") is None


def test_a_name_in_a_compatible_country_joins_and_in_another_does_not(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    a = Entity("1", "Xiamen Meiya Pico Information Co., Ltd.", countries=["cn"])
    b = Entity("2", "XIAMEN MEIYA PICO INFORMATION CO LTD")  # no country: compatible
    c = Entity("3", "Xiamen Meiya Pico Information Company", countries=["us"])
    for sid, e in (("a", a), ("b", b), ("c", c)):
        e.listings = [Listing(sid)]
        store.import_parsed({"id": sid}, ParsedList([e]), sha256=sid, origin=sid)
    parties.ensure(store)
    pid = party_db.party_of(store, "a", "1")
    assert pid == "a:1" and party_db.party_of(store, "b", "2") == pid
    assert party_db.party_of(store, "c", "3") is None


@pytest.mark.parametrize(
    ("name", "key"),
    [
        (
            "Hangzhou Hikvision Digital Technology Co., Ltd.",
            "hangzhou hikvision digital technology",
        ),
        ("Hangzhou Hikvision Digital Technology Company", "hangzhou hikvision digital technology"),
        ("Hikvision", None),  # a brand
        ("CETC", None),  # an abbreviation
        ("Dahua Technology", None),  # a short name, no legal form
        ("Harbin Institute of Technology", "harbin institute technology"),
    ],
)
def test_legal_name_keys(name: str, key: str | None) -> None:
    assert legal_name_key(name) == key


def test_identifiers_from_ofac_remarks_and_csl_cells() -> None:
    remarks = (
        "Target Type State-Owned Enterprise; Listing Date (CMIC) 03 Jun 2021; Unified Social "
        "Credit Code (USCC) 91110000710929498G (China); a.k.a. 'CETC'."
    )
    assert identifier_keys([], remarks) == {("uscc", "91110000710929498G")}
    assert identifier_keys(["1027700167110, Registration ID", "7744001497, Tax ID No."], "") == {
        ("registration", "1027700167110"),
        ("tax", "7744001497"),
    }
    assert identifier_keys(["Registration ID, C122790"], "") == {("registration", "C122790")}
    assert identifier_keys(["Registration ID, 4471"], "") == set()  # too short to trust
    assert identifier_keys([], "Registration ID 14063277.") == {("registration", "14063277")}


def test_parties_are_built_again_when_a_list_version_changes(official: Store) -> None:
    before = party_db.last_build(official)
    assert parties.ensure(official).built is False
    ent = Entity("n1", "Some New Company Ltd.", listings=[Listing("X")])
    official.import_parsed({"id": "new"}, ParsedList([ent]), sha256="n", origin="n")
    again = parties.ensure(official)
    assert again.built and again.key != before["key"]
    assert party(official, "cetc")  # the same parties, under the same ids
    assert party_db.party_of(official, "ofac-cons", "30936") == "cetc"


def test_judgements_join_and_part_records_and_outlive_list_updates(official: Store) -> None:
    dpl = next(
        e for e in official.entities(["bis-dpl"]) if e.name == "DAHUA ELECTRONICS CORPORATION"
    )
    party_db.record_judgement(
        official,
        "same",
        ("bis-dpl", dpl.id),
        ("ofac-cons", "30946"),
        "test only: a judgement joins any two records",
        "A. Reviewer",
    )
    parties.ensure(official)
    assert party_db.party_of(official, "bis-dpl", dpl.id) == "hikvision"
    party_db.record_judgement(
        official,
        "different",
        ("ofac-cons", "30936"),
        ("screener-surveillance", "cetc"),
        "test only: a later judgement parts them",
        "A. Reviewer",
    )
    parties.ensure(official)
    assert party_db.party_of(official, "ofac-cons", "30936") is None
    ent = Entity("n1", "Some New Company Ltd.", listings=[Listing("X")])
    official.import_parsed({"id": "new"}, ParsedList([ent]), sha256="n", origin="n")
    parties.ensure(official)
    assert party_db.party_of(official, "ofac-cons", "30936") is None
    assert party_db.party_of(official, "bis-dpl", dpl.id) == "hikvision"
    with pytest.raises(Exception, match="append-only"):
        official.conn.execute("delete from judgements")


@pytest.mark.shared_data
def test_full_store_hikvision_and_cetc_across_every_list(tmp_path: Path) -> None:
    """On the bundled list plus the 1260H, FCC and section 889 transcriptions."""
    from screener.lists.parsers import dod_1260h, fcc_covered

    milcorps = shared("opensanctions/us/dod_chinese_milcorps/sanctions.csv")
    fcc = shared("opensanctions/us/fcc_covered_list/table.csv")
    store = open_store(tmp_path / "s.db")
    catalog.import_file(store, CONS, "ofac", "ofac-cons")
    for sid, parsed in (("dod-1260h", dod_1260h.parse(milcorps)), ("fcc", fcc_covered.parse(fcc))):
        store.import_parsed({"id": sid}, parsed, sha256=sid, origin=sid)
    parties.ensure(store)
    assert {s for s, _ in party(store, "hikvision")} == {
        "screener-surveillance",
        "ofac-cons",
        "dod-1260h",
        "fcc",
    }
    assert {s for s, _ in party(store, "cetc")} == {
        "screener-surveillance",
        "ofac-cons",
        "dod-1260h",
    }
    assert {s for s, _ in party(store, "cec")} == {
        "screener-surveillance",
        "ofac-cons",
        "dod-1260h",
    }
    assert party_db.party_of(store, "screener-surveillance", "cetc-13") is None or (
        party_db.party_of(store, "screener-surveillance", "cetc-13") == "cetc-13"
    )


# -- decisions on the party ---------------------------------------------------------------------


def invoke(db: Path, *args: str) -> Any:
    from click.testing import CliRunner

    from screener.cli import cli

    return CliRunner().invoke(
        cli, ["--db", str(db), *args], standalone_mode=False, catch_exceptions=False
    )


def test_the_review_loop_a_new_record_joining_a_decided_party(
    db_path: Path, tmp_path: Path
) -> None:
    """A decision on the curated CETC entry; OFAC's consolidated list is loaded and its CETC
    entry (30936, which the curated entry cites) joins the party; the re-screening says
    `review-again: new listing` for CETC, and nothing else."""
    src = tmp_path / "partners.csv"
    src.write_text(
        "name\nChina Electronics Technology Group Corporation\n"
        "Zhejiang Dahua Technology Co., Ltd.\nStanford University\n",
        encoding="utf-8",
    )
    assert invoke(db_path, "portfolio", "add", "partners", str(src)).exit_code == 0
    decided = invoke(
        db_path,
        "decide",
        "China Electronics Technology Group Corporation",
        "cetc",
        "--as",
        "confirmed",
        "--reason",
        "the state-owned group itself; no transaction without the committee",
        "--by",
        "A. Reviewer",
    )
    assert decided.exit_code == 0
    assert invoke(db_path, "rescreen", "partners").return_value == 1  # the first screening

    store = open_store(db_path)
    catalog.import_file(store, CONS, "ofac", "ofac-cons")  # a new list version
    store.close()
    r = invoke(db_path, "rescreen", "partners", "--format", "json")
    out = json.loads(r.stdout)
    assert r.return_value == 1
    [party] = out["changes"]  # nothing else changed
    assert party["party"] == "China Electronics Technology Group Corporation"
    [change] = party["changes"]  # and for it, only its CETC hit
    assert (change["kind"], change["source_id"], change["entity_id"], change["status"]) == (
        "listing-changed",
        "screener-surveillance",
        "cetc",
        "review-again",
    )
    assert change["text"].startswith(
        "China Electronics Technology Group Corporation (screener-surveillance:cetc): "
        "new listing: NS-CMIC List"
    )
    # check shows the one hit of the party, review-again, with what joined
    checked = json.loads(
        invoke(
            db_path, "check", "China Electronics Technology Group Corporation", "--format", "json"
        ).stdout
    )
    [hit] = [h for h in checked["hits"] if h["party"]["id"] == "cetc"]
    assert hit["status"] == "review-again"
    assert [(x["source_id"], x["entity_id"]) for x in hit["party"]["records"]] == [
        ("screener-surveillance", "cetc"),
        ("ofac-cons", "30936"),
    ]
    [added] = hit["decision"]["changes"]
    assert added.startswith("new listing: NS-CMIC List")
    assert "on ofac-cons:30936 CHINA ELECTRONICS TECHNOLOGY GROUP CORPORATION" in added
    assert not any(h["status"] == "hit" and h["party"]["id"] == "cetc" for h in checked["hits"])


def test_a_cleared_party_is_suppressed_on_every_record(official: Store) -> None:
    """A decision on the OFAC record of CEC holds for the party: the hit that the curated
    entry heads is suppressed, not a fresh hit to review."""
    from screener.screening import decisions
    from screener.screening.service import Screener

    snap = decisions.snapshot(official, "ofac-cons", "30932")
    decisions.record(
        official,
        "China Electronics Corporation",
        "ofac-cons",
        "30932",
        "cleared",
        "the committee accepted the funds after review",
        "A. Reviewer",
        snap,
    )
    s = Screener(official)
    result = s.check("China Electronics Corporation")
    [cec] = [h for h in result.hits if h.extra["party"]["id"] == "cec"]
    assert cec.status == "suppressed"
    assert cec.extra["decision"]["decided_on"] == "ofac-cons:30932"
    assert len([h for h in result.hits if h.extra["party"]["id"] == "cec"]) == 1


# -- every face agrees: one hit per party ------------------------------------------------------

THIRTY = [
    "Hangzhou Hikvision Digital Technology Co., Ltd.",
    "HIKVISION",
    "China Electronics Technology Group Corporation",
    "China Electronics Corporation",
    "China Electronics Technology Group Corporation 13th Research Institute",
    "Huawei Technologies Co., Ltd.",
    "HUAWEI INVESTMENT & HOLDING CO., LTD.",
    "Zhejiang Dahua Technology Co., Ltd.",
    "DAHUA ELECTRONICS CORPORATION",
    "CHINA MOBILE LIMITED",
    "China Mobile Communications Group Co., Ltd.",
    "SenseTime Group Limited",
    "MEGVII TECHNOLOGY LIMITED",
    "CloudWalk Technology Co., Ltd.",
    "Xiamen Meiya Pico Information Co., Ltd.",
    "NetPosa Technologies Limited",
    "Leon Technology Company Limited",
    "Inspur Group Co., Ltd.",
    "Dawning Information Industry Co., Ltd",
    "SZ DJI Technology Co., Ltd.",
    "China Telecom Corporation Limited",
    "Costar Group Co., Ltd.",
    "Aviation Industry Corporation of China, Ltd.",
    "Semiconductor Manufacturing International Corporation",
    "Panda Electronics Group Co., Ltd.",
    "Yitu Limited",
    "Stanford University",
    "Siemens AG",
    "Acme Widgets Ltd",
    "University of Oxford",
]


def party_ids(hits: list[dict[str, Any]]) -> list[str]:
    return [h["party"]["id"] for h in hits]


def test_check_batch_rescreen_report_match_and_reconciliation_agree(
    official: Store, tmp_path: Path
) -> None:
    """30 parties through every face: the same parties, each once, in each."""
    from starlette.datastructures import QueryParams

    from screener.api import datasets, entities, match, reconcile
    from screener.db import portfolios
    from screener.files.reports.html import entity_groups
    from screener.screening import rescreen
    from screener.screening.service import Screener

    s = Screener(official)
    src = tmp_path / "thirty.csv"
    src.write_text("name\n" + "".join(f'"{n}"\n' for n in THIRTY), encoding="utf-8")
    checked = {n: party_ids([h.to_dict() for h in s.check(n).hits]) for n in THIRTY}
    assert all(len(ids) == len(set(ids)) for ids in checked.values())  # each party once
    assert checked["HIKVISION"][0] == "hikvision"
    assert checked["China Electronics Technology Group Corporation"][0] == "cetc"
    assert sum(1 for ids in checked.values() if ids) >= 25

    s.batch(src, tmp_path / "out.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    batched = {r["query"]: party_ids(r["hits"]) for r in rows}
    assert batched == checked
    for r in rows:  # the report: one block per party
        assert len(entity_groups(r["hits"])) == len(r["hits"])

    s.batch(src, tmp_path / "out.csv")  # the CSV row: the same first party, the same count
    import csv

    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    firsts = {r["query"]: (r["hits"][0]["name"] if r["hits"] else "") for r in rows}
    assert {r["name"]: int(r["screen_hits"]) for r in table} == {
        n: len(ids) for n, ids in checked.items()
    }
    assert {r["name"]: r["screen_top_name"] for r in table} == firsts

    s.batch(src, tmp_path / "out.html")
    html = (tmp_path / "out.html").read_text("utf-8")
    assert html.count('<div class="entity') == sum(len(ids) for ids in checked.values())

    rescreen.add_portfolio(official, "thirty", src)
    again = rescreen.rescreen(s, "thirty")
    assert again.parties == 30
    last = portfolios.last_screening(official, "thirty")
    assert last is not None
    kept = {r["party"]: [h["party_id"] for h in r["hits"]] for r in last["results"]}
    assert kept == checked

    body = {"queries": {str(i): {"properties": {"name": [n]}} for i, n in enumerate(THIRTY)}}
    snap = s.snapshot()
    o = match.Options(QueryParams({"threshold": "0.8", "limit": "100"}))
    table = entities.lookup(snap, official)
    keep = match.Filter(datasets.scope("default", snap.lists), o, table)
    out, _ = match.respond(match.parse(body), s, snap, o, keep)
    found = [x for v in out.values() for x in v["results"]]
    matched = {
        THIRTY[int(k)]: [x["screener"]["party"]["id"] for x in v["results"]] for k, v in out.items()
    }
    assert matched == checked
    for x in found:  # the result is the party: its id, its other records, their lists
        records = x["screener"]["party"]["records"]
        ids = {entities.record_id(r["source_id"], r["entity_id"]) for r in records}
        assert {x["id"], *x["referents"]} == ids and x["id"] not in x["referents"]
        listed, canonical = table.resolve(x["id"])  # /entities/{id}: the party itself
        assert canonical and listed is not None and listed.id == x["id"]
        assert table.resolve(x["screener"]["party"]["id"])[0] is listed  # the store's id
        for other in x["referents"]:  # another record: redirected to the party
            assert table.resolve(other) == (listed, False)
        assert set(x["datasets"]) == {datasets.dataset_name(r["source_id"]) for r in records}
    cetc = next(x for x in found if x["screener"]["party"]["id"] == "cetc")
    assert cetc["id"] == "screener-surveillance.cetc"
    assert "ofac-cons.30936" in cetc["referents"] and "ofac_cons" in cetc["datasets"]

    raw = json.dumps({str(i): {"query": n} for i, n in enumerate(THIRTY)})
    answers, _ = reconcile.respond(reconcile.parse(raw, s), s, s.snapshot())
    hik = answers[str(THIRTY.index("HIKVISION"))]["result"]
    assert hik[0]["match"] is True  # one candidate for the party: OpenRefine may match it
    assert len([c for c in hik if c["score"] == hik[0]["score"]]) == 1


@pytest.mark.slow
def test_the_dask_engine_screens_parties_as_the_local_engine(
    official: Store, tmp_path: Path
) -> None:
    from screener.screening.service import Screener

    s = Screener(official)
    src = tmp_path / "thirty.csv"
    src.write_text("name\n" + "".join(f'"{n}"\n' for n in THIRTY), encoding="utf-8")
    s.batch(src, tmp_path / "local.jsonl", engine="local")
    s.batch(src, tmp_path / "dask.jsonl", engine="dask", workers=1)

    def ids(path: Path) -> dict[str, list[str]]:
        rows = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
        return {r["query"]: party_ids(r["hits"]) for r in rows}

    local = ids(tmp_path / "local.jsonl")
    assert local == ids(tmp_path / "dask.jsonl")
    assert local["HIKVISION"][0] == "hikvision"


# -- the commands -------------------------------------------------------------------------------


def test_lists_show_and_lists_party(
    official: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = official.path
    official.close()
    shown = invoke(db, "lists", "show")
    assert shown.exit_code == 0
    assert "records in" in shown.output and "parties of several lists" in shown.output
    rows = json.loads(invoke(db, "lists", "show", "--format", "json").output)
    by = {r["id"]: r for r in rows}
    assert by["ofac-cons"]["records_in_parties"] >= 20  # the NS-CMIC entries the list cites
    party = invoke(db, "lists", "party", "ofac-cons:30936")  # a record names its party
    assert party.exit_code == 0
    assert party.output.splitlines()[0] == (
        "party cetc: China Electronics Technology Group Corporation (2 records)"
    )
    assert "why: cross-reference: the curated entry cites OFAC entry number 30936" in party.output
    data = json.loads(invoke(db, "lists", "party", "cetc", "--format", "json").output)
    assert [(r["source_id"], r["entity_id"], r["rule"]) for r in data["records"]] == [
        ("screener-surveillance", "cetc", "anchor"),
        ("ofac-cons", "30936", "cross-reference"),
    ]
    code, _, err = run_main(monkeypatch, capsys, "--db", str(db), "lists", "party", "no-such")
    assert code == 2
    assert_one_line_error(err, "no party or record 'no-such'", "SOURCE:ENTRY")


def test_judgements_by_command_exported_and_imported_with_decisions(
    official: Store,
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = official.path
    official.close()
    parted = invoke(
        db,
        "lists",
        "different",
        "ofac-cons:30936",
        "screener-surveillance:cetc",
        "--reason",
        "test: parted by hand",
        "--by",
        "A. Reviewer",
    )
    assert parted.exit_code == 0 and "recorded judgement #1 (different)" in parted.output
    data = json.loads(invoke(db, "lists", "party", "cetc", "--format", "json").output)
    assert [r["source_id"] for r in data["records"]] == ["screener-surveillance"]
    joined = invoke(
        db,
        "lists",
        "same",
        "ofac-cons:30936",
        "screener-surveillance:cetc",
        "--reason",
        "test: the curated entry cites it",
        "--by",
        "A. Reviewer",
    )
    assert joined.exit_code == 0
    data = json.loads(invoke(db, "lists", "party", "cetc", "--format", "json").output)
    assert [r["rule"] for r in data["records"]] == ["anchor", "judgement"]
    code, _, err = run_main(
        monkeypatch, capsys, "--db", str(db), "lists", "same", "cetc", "ofac-cons:30936",
        "--reason", "x", "--by", "y",
    )  # fmt: skip
    assert code == 2
    assert_one_line_error(err, "'cetc' is not a record", "SOURCE:ENTRY")

    out = tmp_path / "decisions.jsonl"
    assert invoke(db, "decisions", "export", "-o", str(out)).exit_code == 0
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert [(x["id"], x["kind"]) for x in lines] == [("j1", "different"), ("j2", "same")]
    # another store (the bundled list only) takes them in, once
    imported = invoke(db_path, "lists", "judgements", "--import", str(out))
    assert imported.exit_code == 0
    again = invoke(db_path, "lists", "judgements", "--import", str(out), "--format", "json")
    assert [(j["kind"], j["reviewer"]) for j in json.loads(again.stdout)] == [
        ("different", "A. Reviewer"),
        ("same", "A. Reviewer"),
    ]
    assert "0 recorded, 2 already here" in again.stderr
    csv_out = tmp_path / "decisions.csv"
    assert invoke(db, "decisions", "export", "-o", str(csv_out)).exit_code == 0
    from screener.screening.review import import_judgements

    store = open_store(db_path)
    assert import_judgements(store, csv_out) == {"read": 2, "recorded": 0, "unchanged": 2}
    store.close()


def test_rescreen_follows_a_hit_into_its_party() -> None:
    """A hit kept before parties existed (on the OFAC record), or on a party since named
    after another record, is the same finding: no new hit, no hit gone."""
    from screener.screening.rescreen import compare

    def hit(**kw: Any) -> dict[str, Any]:
        return {"status": "hit", "fingerprint": "f", "listing": {}, "name": "CETC", **kw}

    before = [
        {
            "row": 2,
            "party": "CETC",
            "country": None,
            "status": "hit",
            "hits": [
                hit(source_id="ofac-cons", entity_id="30936"),  # before parties
                hit(source_id="dod-1260h", entity_id="x", party_id="dod-1260h:x", records=[]),
            ],
        }
    ]
    after = [
        {
            **before[0],
            "hits": [
                hit(
                    source_id="screener-surveillance",
                    entity_id="cetc",
                    party_id="cetc",
                    records=["screener-surveillance:cetc", "ofac-cons:30936", "dod-1260h:x"],
                )
            ],
        }
    ]
    assert compare(before, after) == []


def test_the_report_shows_a_decided_party_once_and_never_to_review(
    official: Store, tmp_path: Path
) -> None:
    """CETC confirmed on its curated entry, CEC cleared on its OFAC record: one block each,
    the one reading "confirmed" (by A. R.), the other suppressed; neither "to review"."""
    from screener.screening import decisions
    from screener.screening.service import Screener

    for party, source, entity, kind in (
        ("China Electronics Technology Group Corporation", "screener-surveillance", "cetc", "confirmed"),
        ("China Electronics Corporation", "ofac-cons", "30932", "cleared"),
    ):  # fmt: skip
        snap = decisions.snapshot(official, source, entity)
        decisions.record(
            official, party, source, entity, kind, "committee, 2026-12-01", "A. R.", snap
        )
    src = tmp_path / "two.csv"
    src.write_text(
        "name\nChina Electronics Technology Group Corporation\nChina Electronics Corporation\n",
        encoding="utf-8",
    )
    s = Screener(official)
    s.batch(src, tmp_path / "two.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "two.jsonl").read_text("utf-8").splitlines()]
    cetc = next(h for h in rows[0]["hits"] if h["party"]["id"] == "cetc")
    cec = next(h for h in rows[1]["hits"] if h["party"]["id"] == "cec")
    assert (cetc["status"], cec["status"]) == ("hit", "suppressed")
    assert [r["source_id"] for r in cec["party"]["records"]] == [
        "screener-surveillance",
        "ofac-cons",
    ]
    # a report of CETC alone: its one open hit is decided
    only = tmp_path / "cetc.csv"
    only.write_text("name\nChina Electronics Technology Group Corporation\n", encoding="utf-8")
    s.batch(only, tmp_path / "cetc.html", threshold=0.95)
    html = (tmp_path / "cetc.html").read_text("utf-8")
    assert '<span class="status decided">confirmed</span></h3>' in html  # the party
    assert '<span class="status decided">confirmed by A. R. on ' in html  # its block
    assert ">to review<" not in html
    s.batch(src, tmp_path / "two.html")
    html = (tmp_path / "two.html").read_text("utf-8")
    assert html.count("<strong>China Electronics Corporation</strong>") == 1  # one block


def test_a_batch_reads_every_records_party_at_once_and_finds_the_same_parties(
    official: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ASKED_ONE_BY_ONE records, the parties stage reads the party of every record in
    one query: the same parties as asking record by record (CETC of its curated entry
    and the OFAC entry it cites; CEC apart; Hikvision by itself)."""
    from screener.screening import party_hits
    from screener.screening.service import Screener

    names = [
        "China Electronics Technology Group Corporation",
        "China Electronics Corporation",
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
    ]

    def screened() -> list[list[dict[str, Any]]]:
        s = Screener(official)
        return [[dict(h.to_dict()) for h in hits] for hits in s.screen([s.query(n) for n in names])]

    one_by_one = screened()
    monkeypatch.setattr(party_hits, "ASKED_ONE_BY_ONE", 0)
    assert party_db.party_ids(official, 1_000_000) is not None
    assert screened() == one_by_one
    [cetc] = [h for h in one_by_one[0] if h["party"]["id"] == "cetc"]
    assert {(r["source_id"], r["entity_id"]) for r in cetc["party"]["records"]} == {
        ("screener-surveillance", "cetc"),
        ("ofac-cons", "30936"),
    }
    assert party_db.party_ids(official, 1) is None  # more records than asked for


def test_the_hit_on_a_party_of_one_record_is_what_the_general_merge_makes(
    official: Store,
) -> None:
    """A party of one record's hit is made without ranking (party_hits._alone): the same
    hit as the general merge gives (which a group holding the hit twice takes): every
    listing tagged with its record, the one record matched, the party anchored on it."""
    from screener.screening.party_hits import merge
    from screener.screening.results import ScreenHit
    from screener.screening.service import Screener

    matcher = Screener(official).full_matcher()
    hits = [ScreenHit.from_match(h) for h in matcher.screen_name("Megvii Technology Limited", 0.8)]
    assert hits
    for h in hits:
        pid = f"{h.source_id}:{h.entity_id}"
        alone = merge(pid, [h], [])
        assert alone.to_dict() == merge(pid, [h, h], []).to_dict()
        assert alone.extra["party"]["records"] == [
            {
                "source_id": h.source_id,
                "entity_id": h.entity_id,
                "version_id": h.version_id,
                "name": h.name,
                "list": h.list,
                "why": "the party's only record",
                "matched": True,
                "score": h.score,
            }
        ]
        assert all(x["entity_id"] == h.entity_id for x in alone.listings)
        assert "party" not in h.extra  # the hit itself is left as it was
