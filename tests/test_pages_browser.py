"""The reviewers' pages in a real browser: Debian's chromium, headless, driven by
Playwright's Python API (never its own browser download), against a real server.

Skipped, saying why, only when no chromium binary exists (``apt-get install chromium``;
.ci/run installs it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import TOKEN, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "no chromium binary at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """Each page test runs with JavaScript on and off: the pages need none."""
    context = browser.new_context(java_script_enabled=request.param)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def sign_in(page: Any, live: LiveServer, then: str = "/upload") -> None:
    page.goto(f"{live.url}/login?next={then}")
    page.get_by_label("Token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}{then}")


def test_search_with_the_keyboard_and_read_the_evidence(page: Any, live: LiveServer) -> None:
    page.goto(live.url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_label("Name of the party").fill("ZHEJIANG DAHUA TECH CO LTD")
    page.get_by_label("Country").fill("CN")
    page.get_by_label("Name of the party").press("Enter")
    page.wait_for_url(re.compile(r".*name=ZHEJIANG.*"))
    hit = page.get_by_role("article").filter(has_text="Zhejiang Dahua Technology Co., Ltd.").first
    assert hit.get_by_role("heading", level=3).inner_text() == "Zhejiang Dahua Technology Co., Ltd."
    listings = hit.get_by_role("table", name="Listings")
    assert "84 FR 54002" in listings.inner_text()
    official = hit.get_by_role("link", name=re.compile("official page for Entity List"))
    assert official.get_attribute("href").startswith("https://www.federalregister.gov/")
    evidence = hit.locator("details")
    assert not evidence.locator("dl").is_visible()
    evidence.locator("summary").click()
    assert evidence.locator("dl").is_visible()
    assert "zhejiang dahua" in evidence.inner_text()


def test_every_page_has_one_h1_and_a_label_for_every_field(page: Any, live: LiveServer) -> None:
    sign_in(page, live)
    for path in (
        "/",
        "/?name=Hikvision",
        "/upload",
        "/sources",
        "/docs",
        "/entity?id=screener-surveillance:hikvision",
    ):
        page.goto(live.url + path)
        assert page.locator("h1").count() == 1, path
        unlabelled = page.evaluate("""[...document.querySelectorAll(
            'input:not([type=hidden]), select, textarea')].filter(e => !e.labels.length)
            .map(e => e.name)""")
        assert unlabelled == [], path
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("navigation", name="Main").is_visible()


def test_names_from_users_are_shown_as_text(page: Any, live: LiveServer) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    page.goto(live.url)
    page.get_by_label("Name of the party").fill(evil)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*name=.*"))
    assert evil in page.get_by_role("heading", level=2).inner_text()
    assert page.locator("main img").count() == 0
    assert dialogs == []


def test_upload_a_file_and_read_the_party_by_party_report(page: Any, live: LiveServer) -> None:
    sign_in(page, live)
    page.get_by_label("File").set_input_files(
        str(ROOT / "fixtures" / "inputs" / "deal_parties.csv")
    )
    page.get_by_label("Column holding each party's country").fill("country")
    page.get_by_role("button", name="Screen the file").click()
    page.wait_for_url(re.compile(r".*/uploads/[0-9a-f]{32}$"))
    status = page.get_by_role("status")
    status.filter(has_text="Screened 11 rows").wait_for(timeout=60_000)  # the page refreshes
    assert "with potential matches" in status.inner_text()
    page.get_by_role("link", name="Open the party-by-party report").click()
    page.wait_for_url(re.compile(r".*/batch/[0-9a-f]{32}/result$"))
    assert "Hangzhou Hikvision Digital Technology" in page.content()
    assert page.get_by_role("heading", name="Parties, in input order").is_visible()


def test_sign_in_with_a_wrong_token_says_so(page: Any, live: LiveServer) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("Token").fill("this is not the token")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "That is not the token."


def test_record_a_decision_on_a_hit(page: Any, live: LiveServer) -> None:
    sign_in(page, live, then="/")
    page.get_by_label("Name of the party").fill("Dahua Electronics Corporation")
    page.get_by_label("Name of the party").press("Enter")
    hit = page.get_by_role("article").filter(has_text="Zhejiang Dahua Technology Co., Ltd.").first
    hit.get_by_text("Record a decision on this hit").click()
    hit.get_by_label("A false positive: not the listed entity").check()
    hit.get_by_label("Reason").fill("a distributor in Flushing, NY; not Zhejiang Dahua")
    hit.get_by_label("Reviewer").fill("A. Reviewer")
    hit.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(r".*decided=\d+$"))
    assert "The decision was recorded" in page.get_by_role("status").first.inner_text()
    hit = page.get_by_role("article").filter(has_text="Zhejiang Dahua Technology Co., Ltd.").first
    assert hit.locator(".badge").inner_text().lower() == "suppressed"
    assert "Decision: A false positive" in hit.inner_text()
    assert hit.get_by_label("Reviewer").input_value() == "A. Reviewer"


# --- the upload result and the lists page, looked at ------------------------------------


@pytest.fixture(scope="module")
def office_live(master_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over the bundled list plus OFAC's non-SDN, BIS's Denied Persons and CSL
    excerpts: lists whose files state no date of their own."""
    from office import office_store

    db = office_store(master_db, tmp_path_factory.mktemp("office-live"))
    with LiveServer(db) as server:
        yield server


def looked_at(page: Any, path: Path) -> None:
    """A screenshot of the whole page: drawn (text, tables, badges), not blank."""
    from test_committee_report import png_size_and_colours

    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(path), full_page=True)
    width, height, colours = png_size_and_colours(path)
    assert width == 1280 and height >= 600 and colours > 50


def test_upload_result_page(page: Any, office_live: LiveServer, tmp_path: Path) -> None:
    """The summary reads as numbers (never "<built-in method clear ...>"), and the file's
    own name, sanitised, titles the report and is kept in the run record."""
    sign_in(page, office_live)
    upload = tmp_path / "Funders 2026 (final).xlsx"
    upload.write_bytes((ROOT / "fixtures" / "inputs" / "funders_62.xlsx").read_bytes())
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Screen the file").click()
    page.wait_for_url(re.compile(r".*/uploads/[0-9a-f]{32}$"))
    status = page.get_by_role("status")
    status.filter(has_text="Screened 62 rows").wait_for(timeout=90_000)
    said = " ".join(status.inner_text().split())
    assert re.fullmatch(
        r"Screened 62 rows \(62 distinct names\): \d+ with potential matches, \d+ clear, "
        r"0 skipped\.",
        said,
    ), said
    assert "built-in method" not in page.content()
    assert "took row 4 as the header" in page.locator("main").inner_text()
    looked_at(page, tmp_path / "upload.png")
    run_id = re.search(r"Run (\S+)\.", page.locator("main").inner_text()).group(1)  # type: ignore[union-attr]
    page.get_by_role("link", name="Open the party-by-party report").click()
    page.wait_for_url(re.compile(r".*/batch/[0-9a-f]{32}/result$"))
    assert page.title() == "Screening report: Funders 2026 (final).xlsx"
    assert page.locator("h1").inner_text() == "Screening report: Funders 2026 (final).xlsx"
    from screener.db import runs
    from screener.db.store import Store

    store = Store.open(office_live.db_path)
    try:
        assert runs.run(store, run_id)["options"]["input_name"] == "Funders 2026 (final).xlsx"
    finally:
        store.close()


def test_lists_page_shows_every_data_date(
    page: Any, office_live: LiveServer, tmp_path: Path
) -> None:
    page.goto(f"{office_live.url}/sources")
    table = page.get_by_role("table")
    head = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    assert "Data of" in head and "Published" not in head
    at = head.index("Data of")
    shown = {}
    for row in table.locator("tbody tr").all():
        source = row.locator("th small").inner_text().strip()
        shown[source] = " ".join(row.locator("td").nth(at - 1).inner_text().split())
    assert set(shown) >= {"ofac-cons", "bis-dpl", "csl", "screener-surveillance"}
    assert all(re.match(r"\d{4}-\d\d-\d\d ", v) for v in shown.values()), shown
    assert shown["ofac-cons"].startswith("2022-03-26 the newest date in its entries")
    looked_at(page, tmp_path / "lists.png")
