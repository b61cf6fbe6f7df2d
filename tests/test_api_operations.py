"""What every request goes through: problem documents for every error, request ids
echoed and recorded on the run, gzip, CORS off by default outside /reconcile, 415, and
Retry-After on 503."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer

from screener.api.app import create_app
from screener.db import runs
from screener.db.store import Store
from screener.errors import InputError
from screener.screening.service import Screener
from screener.settings import Config, parse_config

HIK = {"q": {"schema": "Company", "properties": {"name": ["Hikvision"]}}}
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def run_of(db: Path, run_id: str) -> dict[str, Any]:
    store = Store(db)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                return runs.run(store, run_id)
            except Exception:
                assert time.monotonic() < deadline, "the run was not recorded"
                time.sleep(0.1)
    finally:
        store.close()


def test_request_ids_are_echoed_and_recorded_on_the_run(live: LiveServer) -> None:
    with live.client() as c:
        given = c.post(
            "/match",
            json={"queries": HIK},
            headers={"X-Request-ID": "erp-4711", "traceparent": TRACE},
        )
        made = c.get("/check", params={"name": "Megvii"})
        junk = c.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert given.headers["x-request-id"] == "erp-4711" and given.headers["traceparent"] == TRACE
    assert len(made.headers["x-request-id"]) == 32
    assert junk.headers["x-request-id"] != "bad id\twith spaces"
    options = run_of(live.db_path, given.json()["run_id"])["options"]
    assert (options["request_id"], options["traceparent"]) == ("erp-4711", TRACE)
    check = run_of(live.db_path, made.json()["run_id"])["options"]
    assert check["request_id"] == made.headers["x-request-id"]


def test_answers_over_500_bytes_are_gzipped(live: LiveServer) -> None:
    with live.client() as c:
        big = c.post("/match", json={"queries": HIK}, headers={"Accept-Encoding": "gzip"})
        small = c.get("/healthz", headers={"Accept-Encoding": "gzip"})
        plain = c.post("/match", json={"queries": HIK}, headers={"Accept-Encoding": "identity"})
    assert big.headers["content-encoding"] == "gzip" and big.json()["responses"]["q"]["results"]
    assert "content-encoding" not in small.headers
    assert "content-encoding" not in plain.headers
    raw = httpx.post(
        f"{live.url}/match", json={"queries": HIK}, headers={"Accept-Encoding": "gzip"}
    ).read()
    assert json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)["responses"]


def test_every_error_is_a_problem_document(live: LiveServer) -> None:
    with live.client() as c:
        missing = c.get("/no/such/path")
        wrong_method = c.delete("/match")
        page = c.get("/no/such/page", headers={"Accept": "text/html"})
        not_json = c.post(
            "/match",
            content=b"name=Hikvision",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        decision = c.post("/decisions", content=b"x", headers={"content-type": "text/plain"})
    for r, status in ((missing, 404), (wrong_method, 405), (not_json, 415)):
        assert r.status_code == status
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert (body["status"], body["type"]) == (status, "about:blank") and body["detail"]
        assert body["request_id"] == r.headers["x-request-id"]
    assert "POST" in wrong_method.headers["allow"]
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert decision.status_code in (401, 415)  # the token is asked for first


def test_a_failure_of_the_server_is_a_500_problem_naming_the_request(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.api import yente

    def broken(*a: Any, **k: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(yente.entities, "lookup", broken)
    with LiveServer(db_path) as server, server.client() as c:
        r = c.post("/match", json={"queries": HIK}, headers={"X-Request-ID": "r-1"})
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "r-1" in r.json()["detail"] and "boom" not in r.text


def test_cors_is_off_outside_reconcile_by_default(live: LiveServer) -> None:
    with live.client(headers={"Origin": "https://erp.example.org"}) as c:
        r = c.post("/match", json={"queries": HIK})
    assert "access-control-allow-origin" not in r.headers


def test_cors_for_the_configured_origins(db_path: Path) -> None:
    with LiveServer(db_path, cors_origins=["https://erp.example.org"]) as server:
        with server.client(headers={"Origin": "https://erp.example.org"}) as c:
            ok = c.post("/match", json={"queries": HIK})
            preflight = c.request(
                "OPTIONS", "/match", headers={"Access-Control-Request-Method": "POST"}
            )
        with server.client(headers={"Origin": "https://evil.example"}) as c:
            other = c.post("/match", json={"queries": HIK})
    assert ok.headers["access-control-allow-origin"] == "https://erp.example.org"
    assert preflight.status_code == 200
    assert "access-control-allow-origin" not in other.headers


def test_503_says_when_to_try_again(db_path: Path) -> None:
    import asyncio

    s = Screener.open(db_path, Config(), auto_reload=False)

    async def ask() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(s))  # no lifespan: never loaded
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return [
                await c.post("/match", json={"queries": HIK}),
                await c.get("/readyz"),
                await c.get("/search/default", params={"q": "Dahua"}),
            ]

    try:
        answers = asyncio.run(ask())
    finally:
        s.close()
    assert [r.status_code for r in answers] == [503, 503, 503]
    assert all(r.headers["retry-after"] == "5" for r in answers)
    assert answers[1].json()["status"] == "unavailable"


@pytest.mark.parametrize(
    ("serve", "message"),
    [
        ({"base_url": "ftp://x"}, "base_url must be an http(s) URL"),
        ({"base_url": "https://x.example/?a=1"}, "base_url must be an http(s) URL"),
        ({"cors_origins": "https://a.example"}, "cors_origins must be a list of origins"),
        ({"cors_origins": ["https://a.example/path"]}, "cors_origins must be a list of origins"),
        ({"workers": 2}, "[serve] takes token"),
    ],
    ids=["scheme", "query", "not-a-list", "a-path", "unknown-key"],
)
def test_serve_settings_are_checked(serve: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as e:
        parse_config({"serve": serve})
    assert message in str(e.value)


def test_serve_settings() -> None:
    c = parse_config(
        {"serve": {"base_url": "https://screener.example.org/", "cors_origins": ["*"]}}
    )
    assert (c.base_url, c.cors_origins) == ("https://screener.example.org", ["*"])
