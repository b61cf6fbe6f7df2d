"""Reviewers' decisions and portfolios through `screener serve` (a real server)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from live_server import TOKEN, LiveServer

from screener.db.store import Store
from screener.screening.rescreen import add_portfolio

ROOT = Path(__file__).resolve().parents[1]
PARTY = "Dahua Electronics Corporation"
DECISION = {
    "party": PARTY,
    "entity_id": "dahua",
    "source_id": "screener-surveillance",
    "kind": "false-positive",
    "reviewer": "A. Reviewer",
    "reason": "a distributor in Flushing, NY; not Zhejiang Dahua",
}


def statuses(c: httpx.Client, name: str) -> list[tuple[str, str]]:
    r = c.post("/match", json={"queries": {"q": {"properties": {"name": [name]}}}})
    return [
        (x["screener"]["entity_id"], x["screener"]["status"])
        for x in r.json()["responses"]["q"]["results"]
    ]


def test_a_decision_recorded_by_the_api_applies_to_the_next_screening(db_path: Path) -> None:
    with LiveServer(db_path) as server, server.authed() as c:
        assert statuses(c, PARTY) == [("dahua", "hit")]
        r = c.post("/decisions", json=DECISION)
        assert r.status_code == 201, r.text
        d = r.json()
        assert (d["kind"], d["reviewer"], d["party"]) == ("false-positive", "A. Reviewer", PARTY)
        assert d["listing"]["name"] == "Zhejiang Dahua Technology Co., Ltd." and d["fingerprint"]
        # the same party in another spelling is suppressed too
        assert statuses(c, "DAHUA ELECTRONICS CORP") == [("dahua", "suppressed")]
        result = c.post(
            "/match", json={"queries": {"q": {"properties": {"name": [PARTY]}}}}
        ).json()["responses"]["q"]["results"][0]
        assert (
            result["screener"]["decision"]["id"] == d["id"]
            and result["screener"]["decision"]["listing_changed"] is False
        )
        listed = c.get("/decisions", params={"party": PARTY}).json()
        assert [x["id"] for x in listed["decisions"]] == [d["id"]]
        assert listed["decisions"][0]["current"] is True and "cleared" in listed["kinds"]
        # a plain hit on the real Dahua is untouched
        assert statuses(c, "Zhejiang Dahua Technology Co., Ltd.") == [("dahua", "hit")]


def test_decisions_need_the_token_and_every_field(db_path: Path) -> None:
    with LiveServer(db_path) as server:
        with server.client() as anon:
            assert anon.post("/decisions", json=DECISION).status_code == 401
            assert anon.get("/decisions").status_code == 401
        with server.authed() as c:
            no_reason = c.post("/decisions", json={**DECISION, "reason": " "})
            kind = c.post("/decisions", json={**DECISION, "kind": "maybe"})
            entity = c.post("/decisions", json={**DECISION, "entity_id": "no-such-entity"})
            body = c.post("/decisions", content=b"[]", headers={"content-type": "application/json"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    assert kind.status_code == 400 and "unknown decision 'maybe'" in kind.json()["detail"]
    assert entity.status_code == 400 and "no entity 'no-such-entity'" in entity.json()["detail"]
    assert body.status_code == 400


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]


def test_the_pages_record_a_decision_and_show_it_on_the_hit(db_path: Path) -> None:
    with LiveServer(db_path) as server, server.client() as c:
        anon = c.get("/", params={"name": PARTY}).text
        assert 'action="/decide"' not in anon and "to record decisions" in anon
        c.post("/login", data={"csrf": _csrf(c.get("/login").text), "token": TOKEN})
        page = c.get("/", params={"name": PARTY}).text
        assert 'action="/decide"' in page and "Record a decision on this hit" in page
        fields = {k: v for k, v in DECISION.items() if k != "source_id"}
        forged = c.post("/decide", data={**fields, "csrf": "0" * 64, "next": "/"})
        assert forged.status_code == 403
        r = c.post(
            "/decide",
            data={
                **fields,
                "source_id": "screener-surveillance",
                "csrf": _csrf(page),
                "next": f"/?name={PARTY}",
            },
        )
        assert r.status_code == 303 and "&decided=" in r.headers["location"]
        after = c.get(r.headers["location"]).text
        assert "The decision was recorded" in after
        assert "status-suppressed" in after and "A. Reviewer" in after
        assert 'value="A. Reviewer"' in after  # remembered for the next decision
        reviews = c.get("/reviews").text
        assert PARTY in reviews and "A false positive" in reviews


def test_portfolios_pages_and_a_rescreen_showing_what_changed(
    db_path: Path, tmp_path: Path
) -> None:
    store = Store(db_path)
    add_portfolio(store, "deal-1042", ROOT / "fixtures" / "inputs" / "deal_parties.csv")
    store.close()
    with LiveServer(db_path) as server, server.client() as c:
        assert c.get("/portfolios").status_code == 401
        c.post("/login", data={"csrf": _csrf(c.get("/login").text), "token": TOKEN})
        listing = c.get("/portfolios").text
        assert 'href="/portfolios/deal-1042"' in listing
        page = c.get("/portfolios/deal-1042").text
        assert "Never screened." in page
        r = c.post("/portfolios/deal-1042/rescreen", data={"csrf": _csrf(page)})
        assert r.status_code == 303 and r.headers["location"].startswith("/rescreens/")
        deadline = time.monotonic() + 60
        while "changed</strong>" not in (job := c.get(r.headers["location"]).text):
            assert time.monotonic() < deadline and 'role="alert"' not in job
            time.sleep(0.1)
        assert "The first screening: every party with a hit is new." in job
        assert "new-hit: new potential match: Hangzhou Hikvision" in job
        assert "status-hit" in c.get("/portfolios/deal-1042").text
        assert c.get("/portfolios/no-such-one").status_code == 404
        missing = c.post("/portfolios/no-such-one/rescreen", data={"csrf": _csrf(page)})
        assert missing.status_code == 400
