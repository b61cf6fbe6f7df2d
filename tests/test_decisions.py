"""Reviewers' decisions in the store (append-only, superseded, keyed by the normalized party
name, with a fingerprint of the listing) and the decisions stage every screening runs."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from screener.cli import cli
from screener.db.store import Store
from screener.errors import InputError
from screener.screening import decisions
from screener.screening.service import Screener

DAHUA_NY = "Dahua Electronics Corporation"  # a New York distributor on the BIS Denied Persons List
REASON = "Dahua Electronics Corp. of Flushing, NY (BIS Denied Persons List), not Zhejiang Dahua"


def dahua(store: Store) -> dict:
    snap = decisions.snapshot(store, "screener-surveillance", "dahua")
    assert snap is not None
    return snap


def test_record_latest_and_the_party_key(store: Store) -> None:
    d = decisions.record(
        store,
        DAHUA_NY,
        "screener-surveillance",
        "dahua",
        "False Positive",
        REASON,
        "A. Reviewer",
        dahua(store),
    )
    assert (d["id"], d["kind"], d["party"], d["supersedes"]) == (
        1,
        "false-positive",
        DAHUA_NY,
        None,
    )
    assert d["party_key"] == "dahua electronic"  # normalized: legal form and plural gone
    assert "Zhejiang Dahua Technology Co., Ltd." in d["listing"]["names"]
    assert any("大华" in n for n in d["listing"]["names"])  # every name, in every script
    assert {x["list"] for x in d["listing"]["listings"]} >= {"Entity List", "DoD 1260H List"}
    assert len(d["fingerprint"]) == 64
    # Another spelling of the same party finds it; another party does not.
    assert (
        decisions.latest(store, "DAHUA ELECTRONICS CORP.", "screener-surveillance", "dahua")["id"]
        == 1
    )
    assert decisions.latest(store, "Dahua Technology", "screener-surveillance", "dahua") is None


def test_later_decisions_supersede_and_none_is_ever_changed(store: Store) -> None:
    first = decisions.record(
        store,
        DAHUA_NY,
        "screener-surveillance",
        "dahua",
        "false-positive",
        REASON,
        "A. Reviewer",
        dahua(store),
    )
    second = decisions.record(
        store,
        "DAHUA ELECTRONICS CORPORATION",
        "screener-surveillance",
        "dahua",
        "escalated",
        "the address needs checking",
        "B. Lead",
        dahua(store),
    )
    assert second["supersedes"] == first["id"]
    now = decisions.latest(store, DAHUA_NY, "screener-surveillance", "dahua")
    assert now is not None and now["kind"] == "escalated"
    rows = decisions.all_decisions(store)
    assert [(r["id"], r["current"], r["superseded_by"]) for r in rows] == [
        (1, False, 2),
        (2, True, None),
    ]
    assert decisions.all_decisions(store, party="Siemens AG") == []
    for sql in ("update decisions set kind = 'cleared'", "delete from decisions"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"), store.conn:
            store.conn.execute(sql)
    assert len(decisions.all_decisions(store)) == 2


@pytest.mark.parametrize(
    ("kind", "reason", "reviewer", "message"),
    [
        ("ignore", REASON, "A. Reviewer", "unknown decision 'ignore'; use one of false-positive"),
        ("cleared", "  ", "A. Reviewer", "a decision needs a reason"),
        ("cleared", REASON, "", "a decision needs the reviewer's name"),
    ],
    ids=["kind", "reason", "reviewer"],
)
def test_a_decision_needs_kind_reason_and_reviewer(
    store: Store, kind: str, reason: str, reviewer: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        decisions.record(
            store, DAHUA_NY, "screener-surveillance", "dahua", kind, reason, reviewer, dahua(store)
        )
    assert decisions.all_decisions(store) == []


def test_the_fingerprint_counts_what_matters_and_changes_say_what(store: Store) -> None:
    old = dahua(store)
    same = copy.deepcopy(old)
    for x in same["listings"]:
        x["source_url"], x["effect"] = "https://example.org/moved", "reworded"
    assert decisions.fingerprint(same) == decisions.fingerprint(old)  # links and wording
    new = copy.deepcopy(old)
    ended = next(x for x in new["listings"] if x["list"] == "DoD 1260H List")
    ended.update(end_date="2026-02-17", in_force=False)
    new["listings"].append({"list": "NS-CMIC List", "listed_on": "2026-07-01", "in_force": True})
    new["names"] = [*new["names"], "Dahua Tech"]
    assert decisions.fingerprint(new) != decisions.fingerprint(old)
    assert decisions.changes(old, new) == [
        "new names: Dahua Tech",
        "new listing: NS-CMIC List (listed 2026-07-01)",
        "DoD 1260H List ended (end date 2026-02-17)",
    ]
    gone = {**old, "listings": [x for x in old["listings"] if x["list"] != "Entity List"]}
    assert decisions.changes(old, gone) == ["listing removed: Entity List"]


def test_a_false_positive_is_suppressed_and_kept(db_path: Path) -> None:
    s = Screener.open(db_path)
    before = s.check(DAHUA_NY)
    assert (before.status, before.exit_code, before.hits[0].entity_id) == ("hit", 1, "dahua")
    hit = before.hits[0].to_dict()
    d = decisions.record(
        s.store,
        DAHUA_NY,
        hit["source_id"],
        hit["entity_id"],
        "false-positive",
        REASON,
        "A. Reviewer",
        hit,
    )
    after = s.check("DAHUA ELECTRONICS CORP")  # the same service sees the new decision
    assert (after.status, after.exit_code) == ("suppressed", 0)
    (h,) = after.hits  # never dropped
    assert h.status == "suppressed"
    assert h.extra["decision"] == {
        "id": d["id"],
        "kind": "false-positive",
        "reason": REASON,
        "reviewer": "A. Reviewer",
        "decided_at": d["decided_at"],
        "party": DAHUA_NY,
        "listing_changed": False,
    }
    assert after.to_dict()["hits"][0]["status"] == "suppressed"
    # The audit record keeps the status and the decision of each hit.
    (row,) = s.store.query(
        "select status, decision_id from run_hits where run_id = ?", [after.run_id]
    )
    assert row == {"status": "suppressed", "decision_id": d["id"]}
    # Other parties are not touched.
    assert s.check("Zhejiang Dahua Technology Co., Ltd.").status == "hit"
    s.close()


def test_confirmed_escalated_and_declined_stay_hits(db_path: Path) -> None:
    s = Screener.open(db_path)
    hit = s.check("Hikvision").hits[0].to_dict()
    for kind in ("confirmed", "escalated", "declined", "cleared"):
        decisions.record(
            s.store,
            "Hikvision",
            hit["source_id"],
            hit["entity_id"],
            kind,
            "the party is the listed company",
            "A. Reviewer",
            hit,
        )
        result = s.check("Hikvision")
        h = next(x for x in result.hits if x.entity_id == hit["entity_id"])
        assert h.extra["decision"]["kind"] == kind
        expected = "suppressed" if kind == "cleared" else "hit"
        assert h.status == expected, kind
    s.close()


def test_screener_without_stages_ignores_decisions(db_path: Path) -> None:
    s = Screener.open(db_path)
    hit = s.check(DAHUA_NY).hits[0].to_dict()
    decisions.record(
        s.store,
        DAHUA_NY,
        hit["source_id"],
        hit["entity_id"],
        "false-positive",
        REASON,
        "A. Reviewer",
        hit,
    )
    bare = Screener(s.store, stages=[])
    assert bare.check(DAHUA_NY).status == "hit"
    assert Screener(s.store).check(DAHUA_NY).status == "suppressed"  # the default stages
    s.close()


def test_decide_list_and_export_commands(db_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(cli, ["--db", str(db_path), *args], catch_exceptions=False)

    r = run(
        "decide",
        DAHUA_NY,
        "dahua",
        "--as",
        "false-positive",
        "--reason",
        REASON,
        "--by",
        "A. Reviewer",
    )
    assert r.exit_code == 0, r.output
    assert r.output.startswith("recorded false-positive #1 by A. Reviewer on ")
    assert "entity screener-surveillance:dahua" in r.output
    r = run("check", DAHUA_NY)
    assert r.exit_code == 0
    assert r.output.startswith("SUPPRESSED 0.88  Zhejiang Dahua Technology Co., Ltd.")
    assert "decision     : false-positive #1 by A. Reviewer on " in r.output
    r = run(
        "decide",
        DAHUA_NY,
        "dahua",
        "--as",
        "confirmed",
        "--reason",
        "same address",
        "--by",
        "B. Lead",
        "--format",
        "json",
    )
    assert json.loads(r.output)["supersedes"] == 1
    listed = json.loads(run("decisions", "list", "--format", "json").output)
    assert [(d["id"], d["current"]) for d in listed] == [(1, False), (2, True)]
    current = json.loads(
        run(
            "decisions", "list", "--current", "--party", "DAHUA ELECTRONICS", "--format", "json"
        ).output
    )
    # The same party after normalization (legal forms such as "Corporation" do not count).
    assert [d["id"] for d in current] == [2]
    out = tmp_path / "decisions.jsonl"
    assert run("decisions", "export", "-o", str(out)).exit_code == 0
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [(r["id"], r["kind"], r["superseded_by"]) for r in rows] == [
        (1, "false-positive", 2),
        (2, "confirmed", None),
    ]
    assert rows[0]["listing"]["listings"]
    csv_out = tmp_path / "decisions.csv"
    assert run("decisions", "export", "-o", str(csv_out)).exit_code == 0
    assert csv_out.read_text("utf-8-sig").splitlines()[0].startswith("id,decided_at,party,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["Acme", "no-such-entity"],
            "no listed entity with id 'no-such-entity' in the active lists",
        ),
        (["Acme", "dahua", "--source", "csl"], "no entity 'dahua' in the active version of 'csl'"),
    ],
    ids=["unknown-entity", "unknown-source"],
)
def test_decide_refuses_an_unknown_entity(db_path: Path, args: list[str], message: str) -> None:
    r = CliRunner().invoke(
        cli,
        ["--db", str(db_path), "decide", *args, "--as", "cleared", "--reason", "x", "--by", "y"],
    )
    assert isinstance(r.exception, InputError) and message in str(r.exception)
