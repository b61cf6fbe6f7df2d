"""What the official-list importers share: one clear error line for every kind of bad file,
the format registry, `lists update` of the new sources (recorded responses and a real
HTTP server on 127.0.0.1; nothing reaches the internet), and the field readers."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from official_lists import FIXTURES, real

from screener.cli import cli, main
from screener.db.store import Store
from screener.errors import InputError
from screener.lists import update as refresh
from screener.lists.download import Downloader
from screener.lists.parsers import fields
from screener.lists.registry import FORMATS, importer, registry
from screener.settings import Config

XML_FORMATS = ["un-sc", "eu-fsf", "ca-sema", "fr-rule"]
TABLE_FORMATS = ["ofsi", "dfat", "bis-dpl"]
NEW_FORMATS = XML_FORMATS + TABLE_FORMATS


# -- bad input: one InputError line --------------------------------------------------
def fails(fmt: str, path: Path) -> str:
    with pytest.raises(InputError) as exc:
        importer(fmt)(path)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_an_html_error_page_is_refused(fmt: str) -> None:
    assert "is an HTML page" in fails(fmt, FIXTURES / "error_page.html")


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_empty_and_missing_files(fmt: str, tmp_path: Path) -> None:
    empty = tmp_path / "list.xml"
    empty.write_bytes(b"\xef\xbb\xbf\n")
    assert fails(fmt, empty).endswith("file is empty")
    assert fails(fmt, tmp_path / "absent.xml").endswith("no such file")


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_text_that_is_not_xml(fmt: str) -> None:
    assert "is not XML" in fails(fmt, FIXTURES / "not_a_list.txt")


@pytest.mark.parametrize(
    "fmt, expected",
    [
        ("un-sc", "not <CONSOLIDATED_LIST>"),
        ("eu-fsf", "not <export>"),
        ("ca-sema", "not <data-set>"),
        ("fr-rule", "not <RULE> or <FEDREG> or <RULES>"),
    ],
)
def test_wrong_root_element(fmt: str, expected: str) -> None:
    message = fails(fmt, FIXTURES / "wrong_root.xml")
    assert "root element is <rss>" in message and expected in message


def test_another_lists_xml_names_its_root() -> None:
    assert "root element is <export>" in fails("un-sc", FIXTURES / "eu_mini.xml")
    assert "root element is <CONSOLIDATED_LIST>" in fails("ca-sema", FIXTURES / "un_mini.xml")


def test_a_truncated_xml_file() -> None:
    message = fails("un-sc", FIXTURES / "un_truncated.xml")
    assert "malformed XML at line" in message and "truncated" in message


def test_xml_declaring_entities_is_refused() -> None:
    assert "declares XML entities" in fails("un-sc", FIXTURES / "entity_bomb.xml")


def test_a_federal_register_document_without_an_entity_list_table(tmp_path: Path) -> None:
    doc = tmp_path / "notice.xml"
    doc.write_text(
        "<RULE><PREAMB><SUBJECT>Something else</SUBJECT></PREAMB>"
        "<FRDOC>[FR Doc. 2024-00001 Filed 1-1-24]</FRDOC></RULE>"
    )
    assert "no Entity List table" in fails("fr-rule", doc)


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_a_workbook_without_the_lists_header(fmt: str) -> None:
    message = fails(fmt, FIXTURES / "no_header.xlsx")
    assert "no header row with the columns" in message
    assert "(first row: Company, Country)" in message


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_a_truncated_workbook(fmt: str) -> None:
    assert "not a readable XLSX workbook (truncated or damaged?)" in fails(
        fmt, FIXTURES / "truncated.xlsx"
    )


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_an_old_binary_xls_is_refused_with_a_hint(fmt: str, tmp_path: Path) -> None:
    xls = tmp_path / "regulation8_consolidated_2.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    assert "old binary Excel (.xls) file; open it and save it as .xlsx" in fails(fmt, xls)


def test_the_wrong_spreadsheet_list_names_the_columns_it_needs() -> None:
    message = fails("dfat", FIXTURES / "ofsi_2022_mini.csv")
    assert "not the DFAT Consolidated List" in message
    assert "Reference, Name of Individual or Entity, Type, Name Type" in message
    assert "BIS Denied Persons List" in fails("bis-dpl", FIXTURES / "not_a_list.txt")


def test_a_csv_cut_inside_a_quoted_field(tmp_path: Path) -> None:
    cut = tmp_path / "ConList.csv"
    cut.write_bytes((FIXTURES / "ofsi_2022_mini.csv").read_bytes() + b'EXAMPLE,"cut off')
    assert "malformed CSV at line 8" in fails("ofsi", cut)


def test_cli_bad_file_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = FIXTURES / "error_page.html"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "screener",
            "--db",
            str(tmp_path / "s.db"),
            "lists",
            "import",
            str(page),
            "--format",
            "un-sc",
            "--source",
            "un-sc",
        ],
    )
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        (
            f"screener: error: {page}: is an HTML page, not the UN consolidated list XML file "
            "(an error or login page?)"
        )
    ]


# -- the registry --------------------------------------------------------------------
def test_every_format_has_an_importer_and_every_source_a_known_format() -> None:
    assert set(NEW_FORMATS) <= set(FORMATS)
    for fmt in FORMATS:
        assert callable(importer(fmt))
    sources = registry()
    for sid in ("un-sc", "ofsi", "eu-fsf", "dfat", "ca-sema", "bis-dpl", "fr-2023-03929"):
        entry = sources[sid]
        assert entry["format"] in FORMATS and entry["urls"] and entry["official_url"]
        assert entry["min_entities"] >= 1 and entry["max_age_days"] and entry["licence"]
        assert all(u.startswith("https://") for u in entry["urls"])
    assert sources["ofsi"]["default_update"] is False  # closed on 28 January 2026


def test_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown list format 'un_sc'"):
        importer("un_sc")


# -- lists update -------------------------------------------------------------------
@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    real_lookup = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1"):
            raise OSError(f"test tried to reach {host!r}")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


def serve(routes: dict[str, tuple[bytes, str]]) -> httpx.MockTransport:
    """Answer each URL with (body, Content-Type); 404 for any other."""

    def handle(request: httpx.Request) -> httpx.Response:
        body, ctype = routes.get(str(request.url), (b"not recorded", "text/plain"))
        status = 200 if str(request.url) in routes else 404
        return httpx.Response(status, content=body, headers={"Content-Type": ctype})

    return httpx.MockTransport(handle)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def update(
    store: Store, sid: str, transport: httpx.BaseTransport, config: Config | None = None
) -> refresh.UpdateOutcome:
    [outcome] = refresh.update(
        store, [sid], transport=transport, config=config or Config(), sleep=lambda s: None
    )
    return outcome


def test_dfat_update_takes_the_xlsx_or_the_csv_its_url_serves(store: Store) -> None:
    url = registry()["dfat"]["urls"][0]
    xlsx = real("stanux-dfat-consolidated/regulation8_consolidated.xlsx").read_bytes()
    excerpt = Config(sources={"dfat": {"min_entities": 60}})  # 64 of the list's 3062
    loaded = update(store, "dfat", serve({url: (xlsx, XLSX_TYPE)}), excerpt)
    assert (loaded.status, loaded.entities, loaded.origin) == ("loaded", 64, url)
    # the same URL now serving the CSV layout (a made-up one-entry list)
    small = Config(sources={"dfat": {"min_entities": 1}})
    csv_copy = update(
        store, "dfat", serve({url: ((FIXTURES / "dfat_mini.csv").read_bytes(), "text/csv")}), small
    )
    assert csv_copy.status == "failed" and "a drop of 98%" in csv_copy.message
    assert csv_copy.version_id == loaded.version_id  # the XLSX version stays active


def test_a_truncated_xlsx_download_is_refused(store: Store) -> None:
    url = registry()["dfat"]["urls"][0]
    cut = (FIXTURES / "ofsi_2022_mini.xlsx").read_bytes()[:3000]
    [first, second] = registry()["dfat"]["urls"]
    out = update(store, "dfat", serve({first: (cut, XLSX_TYPE), second: (cut, XLSX_TYPE)}))
    assert out.status == "failed" and "looks truncated" in out.message and url in out.message


def test_eu_update_from_a_url_without_a_file_name(store: Store) -> None:
    url = registry()["eu-fsf"]["urls"][0]  # ".../content?token=...": no extension
    body = real("deriv-eu-fsf-sample/sample_eu.xml").read_bytes()
    small = Config(sources={"eu-fsf": {"min_entities": 5}})
    out = update(store, "eu-fsf", serve({url: (body, "application/xml")}), small)
    assert (out.status, out.entities) == ("loaded", 7)
    refused = update(store, "eu-fsf", serve({url: (body, "application/xml")}))
    assert refused.status == "unchanged"  # same bytes
    assert update(store, "un-sc", serve({})).message.endswith(
        "HTTP 404 Not Found (the file is not at this URL; has the publisher moved it? use --url)"
    )


class LocalServer:
    """http.server serving one folder on 127.0.0.1."""

    def __init__(self, root: Path):
        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def un_server(tmp_path: Path) -> Iterator[LocalServer]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "consolidated.xml").write_bytes(
        real("moov-watchman/un_sc/UN_consolidated.xml").read_bytes()
    )
    server = LocalServer(root)
    yield server
    server.stop()


def test_cli_update_un_from_a_real_http_server_then_check(
    un_server: LocalServer, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh, "Downloader", partial(Downloader, backoff=0))
    config = tmp_path / "config.toml"
    config.write_text("[sources.un-sc]\nmin_entities = 50\n")  # 53 of the list's 1003
    monkeypatch.setenv("SCREENER_CONFIG", str(config))
    url = f"{un_server.url}/consolidated.xml"
    runner = CliRunner()
    args = ["--db", str(db_path), "lists", "update", "un-sc", "--url", f"un-sc={url}"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "un-sc: loaded version 3 with 53 entities"
    again = runner.invoke(cli, args)  # If-Modified-Since -> 304
    assert again.output.strip() == "un-sc: unchanged (version 3)"
    shown = runner.invoke(cli, ["--db", str(db_path), "lists", "show", "--format", "json"])
    un = next(s for s in json.loads(shown.output) if s["id"] == "un-sc")
    assert (un["published"], un["origin"], un["format"]) == ("2026-02-27", url, "un-sc")
    checked = runner.invoke(
        cli,
        ["--db", str(db_path), "check", "Usama Bin Laden Network", "--format", "json"],
        standalone_mode=False,
    )
    assert checked.return_value == 1
    hit = json.loads(checked.stdout)["hits"][0]
    assert (hit["entity_id"], hit["source_id"], hit["name"]) == ("QDe.004", "un-sc", "AL-QAIDA")


# -- field readers ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, order, expected",
    [
        ("1970-05-01", "dmy", "1970-05-01"),
        ("00/00/1980", "dmy", "1980"),
        ("00/05/1980", "dmy", "1980-05"),
        ("06/19/2003", "mdy", "2003-06-19"),
        ("12 Apr. 2000", "dmy", "2000-04-12"),
        ("April 12, 2000", "dmy", "2000-04-12"),
        ("Approximately 1963", "dmy", "1963"),
        ("May 1970", "dmy", "1970-05"),
        ("31/02/1970", "dmy", None),
        ("3017-08-22", "dmy", None),
        ("unknown", "dmy", None),
    ],
)
def test_partial_dates(text: str, order: str, expected: str | None) -> None:
    assert fields.partial_date(text, order) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CHINA, PEOPLE'S REPUBLIC OF", ["cn"]),
        ("Russia / Russie", ["ru"]),
        ("Russian and Ukrainian", ["ru", "ua"]),
        ("(1) Syria. (2) Lebanon", ["sy", "lb"]),
        ("Trinidad and Tobago", ["tt"]),
        ("Myanmar (Burma) / Myanmar (Birmanie)", ["mm"]),
    ],
)
def test_country_codes(text: str, expected: list[str]) -> None:
    assert fields.country_codes([text]) == expected


def test_script_languages() -> None:
    assert [fields.script_lang(t) for t in ("القاعدة", "Шадаев", "海康威视", "김철삼", "Kim")] == [
        "ar",
        "ru",
        "zh",
        "ko",
        None,
    ]
    assert fields.lang_code("Belarusian", "Дзмітрый") == "be"
    assert fields.lang_code("Cyrillic", "Дзмітрый") == "ru"  # a script, not a language
    assert fields.lang_code("Russian", "Latin text") is None


PIECES: Callable[..., Any] = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))


@given(PIECES)
def test_field_readers_take_any_text(text: str) -> None:
    fields.birth_dates(text)
    fields.split_enumerated(text)
    fields.country_codes([text])
    fields.partial_date(text)
    assert fields.clean(text) == fields.clean(fields.clean(text))
