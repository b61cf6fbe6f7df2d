"""The reviewers' pages over HTTP (a real server): escaping, sign-in, CSRF, uploads.
The same pages in a real browser: tests/test_pages_browser.py."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from live_server import TOKEN, LiveServer

ROOT = Path(__file__).resolve().parents[1]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@contextmanager
def signed_in(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as c:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"csrf": token, "token": TOKEN, "next": "/upload"})
        assert r.status_code == 303 and r.headers["location"] == "/upload"
        assert "screener_session" in c.cookies
        yield c


def test_search_page_shows_hits_with_their_evidence(live: LiveServer) -> None:
    with live.client() as c:
        r = c.get("/", params={"name": "ZHEJIANG DAHUA TECH CO LTD"})
    assert r.status_code == 200
    page = r.text
    assert "<h1>Screen a name</h1>" in page
    assert "Zhejiang Dahua Technology Co., Ltd." in page and "84 FR 54002" in page
    assert (
        'href="https://www.federalregister.gov/' in page and "<summary>Evidence</summary>" in page
    )
    assert page.count("<h1>") == 1 and 'lang="en"' in page


def test_everything_a_user_types_is_escaped(live: LiveServer) -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    with live.client() as c:
        r = c.get("/", params={"name": evil, "country": '"><b>x'})
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert 'value="&#34;&gt;&lt;b&gt;x"' in r.text  # the country field, and its error
    assert r.status_code == 400


def test_sign_in_needs_the_token_and_a_fresh_form(live: LiveServer) -> None:
    with live.client() as c:
        token = csrf_of(c.get("/login").text)
        wrong = c.post("/login", data={"csrf": token, "token": "not-the-token-at-all"})
        stale = c.post("/login", data={"csrf": "0" * 64, "token": TOKEN})
        away = c.post("/login", data={"csrf": token, "token": TOKEN, "next": "//evil.example/x"})
    assert wrong.status_code == 403 and "That is not the token." in wrong.text
    assert stale.status_code == 403 and "expired" in stale.text
    assert away.status_code == 303 and away.headers["location"] == "/"


def test_a_csrf_cookie_planted_by_another_site_is_not_enough(live: LiveServer) -> None:
    with live.client() as c:
        c.cookies.set("screener_csrf", "planted")
        r = c.post("/login", data={"csrf": "planted", "token": TOKEN})
    assert r.status_code == 403


def test_upload_by_the_page_needs_the_forms_csrf_token(live: LiveServer) -> None:
    files = {"file": ("parties.csv", b"name\nHikvision\n")}
    with signed_in(live) as c:
        page = c.get("/upload").text
        assert 'enctype="multipart/form-data"' in page
        missing = c.post("/upload", files=files)
        forged = c.post("/upload", files=files, data={"csrf": "f" * 64})
        foreign = c.post(
            "/upload",
            files=files,
            data={"csrf": csrf_of(page)},
            headers={"Origin": "https://evil.example"},
        )
        ok = c.post("/upload", files=files, data={"csrf": csrf_of(page), "format": "html"})
        assert (missing.status_code, forged.status_code, foreign.status_code) == (403, 403, 403)
        assert ok.status_code == 303 and ok.headers["location"].startswith("/uploads/")
        deadline = time.monotonic() + 30
        while "Screened 1 row" not in (job := c.get(ok.headers["location"]).text):
            assert time.monotonic() < deadline and "could not be screened" not in job
            assert '<meta http-equiv="refresh" content="2">' in job
            time.sleep(0.1)
        assert "1 with potential matches" in job
        report = c.get(re.search(r'href="(/batch/[0-9a-f]+/result)"', job).group(1))
    assert report.status_code == 200 and "Hangzhou Hikvision" in report.text


def test_an_upload_page_is_only_for_the_signed_in(live: LiveServer) -> None:
    with live.client() as c:
        form = c.get("/upload").text
        job = c.get("/uploads/" + "0" * 32)
    assert 'href="/login?next=/upload"' in form and 'type="file"' not in form
    assert job.status_code == 401 and "Sign in" in job.text


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/uploads/" + "0" * 32, "this upload"),
        ("/reviews", "the decisions"),
        ("/portfolios", "the portfolios"),
        ("/portfolios/funders", "this portfolio"),
        ("/rescreens/" + "0" * 32, "this re-screening"),
    ],
)
def test_pages_with_clients_data_are_only_for_the_signed_in(
    live: LiveServer, path: str, what: str
) -> None:
    with live.client() as c:
        page = c.get(path)
    assert page.status_code == 401 and f"Sign in to see {what}" in page.text


def test_sign_out_needs_the_form(live: LiveServer) -> None:
    with signed_in(live) as c:
        assert c.post("/logout", data={"csrf": "0" * 64}).status_code == 403
        token = csrf_of(c.get("/").text)
        out = c.post("/logout", data={"csrf": token})
        assert out.status_code == 303
        assert c.get("/uploads/" + "0" * 32).status_code == 401


def test_without_a_token_the_page_says_uploads_are_off(db_path: Path) -> None:
    with LiveServer(db_path, token=None) as server, server.client() as c:
        page = c.get("/upload").text
        token = csrf_of(c.get("/login").text)
        login = c.post("/login", data={"csrf": token, "token": "anything-long-enough"})
    assert "Uploads are turned off" in page and "SCREENER_TOKEN" in page
    assert login.status_code == 403 and "SCREENER_TOKEN" in login.text


def test_lists_entity_and_docs_pages(live: LiveServer) -> None:
    with live.client() as c:
        lists = c.get("/sources").text
        entity = c.get("/entity", params={"id": "screener-surveillance:hikvision"})
        missing = c.get("/entity", params={"id": "nope:nope"})
        docs = c.get("/docs").text
        css = c.get("/static/screener.css")
    assert "Screener curated surveillance-technology list" in lists
    assert (
        entity.status_code == 200
        and '<li lang="zh">杭州海康威视数字技术股份有限公司' in entity.text
    )
    assert missing.status_code == 404
    assert 'id="match"' in docs and "/openapi.json" in docs
    assert css.headers["content-type"].startswith("text/css")
