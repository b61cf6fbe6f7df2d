"""List refresh: recorded responses replayed through httpx.MockTransport, and one real
HTTP server on 127.0.0.1 serving the real CSL sample. Nothing here reaches the internet.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from excerpts import excerpt

from screener.cli import cli
from screener.db.store import Store
from screener.errors import InputError, ListsError, UpdateError
from screener.lists import freshness
from screener.lists import update as refresh
from screener.lists.bundled import open_store
from screener.lists.diff import diff as diff_versions
from screener.lists.download import Downloader
from screener.lists.registry import registry
from screener.settings import Config, load_config

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures" / "http"
CSL_SAMPLE = excerpt("moov-watchman/csl_samples/consolidated_sample_2025.csv")
CSL_CSV, CSL_JSON = registry()["csl"]["urls"]
SDN_FILES = registry()["ofac-sdn"]["files"]
CONS_FILES = registry()["ofac-cons"]["files"]
OS_URL = registry()["opensanctions-us-trade-csl"]["urls"][0]
# The fixtures are small excerpts, so the registry's minimum entry counts (thousands)
# are lowered here the way a user would, in the config.
CONFIG = Config(
    sources={
        "csl": {"min_entities": 3},
        "ofac-sdn": {"min_entities": 5},
        "ofac-cons": {"min_entities": 5},
        "opensanctions-us-trade-csl": {"min_entities": 5},
    }
)
SINOBRIGHT = (
    "Sinobright Import and Export Company; and any successor, sub-unit, or subsidiary thereof"
)
CETC_13 = "China Electronics Technology Group Corporation 13th Research Institute"


def fixture(rel: str) -> bytes:
    return (FIX / rel).read_bytes()


Reply = Callable[[httpx.Request], httpx.Response]


def ok(body: bytes, ctype: str = "text/csv", **headers: str) -> Reply:
    return lambda req: httpx.Response(200, content=body, headers={"Content-Type": ctype, **headers})


def status(code: int) -> Reply:
    return lambda req: httpx.Response(code, content=b"error")


def raises(exc: type[httpx.TransportError]) -> Reply:
    def reply(req: httpx.Request) -> httpx.Response:
        raise exc("simulated", request=req)

    return reply


class Recorded:
    """A MockTransport answering each URL from a list of replies (the last one repeats)."""

    def __init__(self, routes: dict[str, Reply | list[Reply]]):
        self.routes = {u: r if isinstance(r, list) else [r] for u, r in routes.items()}
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.routes.get(str(request.url))
        if replies is None:
            return httpx.Response(404, content=b"not recorded")
        return (replies.pop(0) if len(replies) > 1 else replies[0])(request)

    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any name lookup but 127.0.0.1's, so no test can reach the internet."""
    real = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1"):
            raise OSError(f"test tried to reach {host!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture(scope="session")
def fresh_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A new store with the bundled list loaded, made once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "s.db"
    open_store(path).close()
    return path.read_bytes()


@pytest.fixture
def db_path(tmp_path: Path, fresh_db: bytes) -> Path:
    path = tmp_path / "s.db"
    path.write_bytes(fresh_db)
    return path


def run(
    store: Store, rec: Recorded, *ids: str, sleeps: list[float] | None = None, **kw: Any
) -> refresh.UpdateOutcome:
    kw.setdefault("config", CONFIG)
    sleep = sleeps.append if sleeps is not None else (lambda s: None)
    outcomes = refresh.update(store, list(ids), transport=rec.transport, sleep=sleep, **kw)
    assert len(outcomes) == 1
    return outcomes[0]


def active(store: Store, sid: str) -> int | None:
    return (store.source(sid) or {}).get("active_version")


@pytest.fixture
def loaded(store: Store) -> int:
    """csl version 1 (12 entries) loaded from the official URL."""
    out = run(store, Recorded({CSL_CSV: ok(fixture("csl/consolidated_v1.csv"))}), "csl")
    assert out.status == "loaded" and out.entities == 12
    return out.version_id  # type: ignore[return-value]


# -- success paths ------------------------------------------------------------------
def test_csl_download_becomes_the_active_version(store: Store) -> None:
    rec = Recorded({CSL_CSV: ok(fixture("csl/consolidated_v1.csv"))})
    out = run(store, rec, "csl")
    assert (out.status, out.entities, out.origin) == ("loaded", 12, CSL_CSV)
    assert active(store, "csl") == out.version_id
    assert store.version(out.version_id)["origin"] == CSL_CSV
    names = {e.name for e in store.entities(["csl"])}
    assert "Atlas Sanatgaran" in names and "RIM, Ryong Nam" in names
    assert rec.requests[0].headers["User-Agent"].startswith("screener/")


def test_a_304_answer_to_the_saved_etag_is_unchanged(store: Store) -> None:
    v1 = fixture("csl/consolidated_v1.csv")
    stamp = "Tue, 01 Jul 2025 10:00:00 GMT"
    rec = Recorded(
        {
            CSL_CSV: [
                ok(v1, ETag='"csl-v1"', **{"Last-Modified": stamp}),
                lambda req: httpx.Response(304),
            ]
        }
    )
    first = run(store, rec, "csl")
    second = run(store, rec, "csl")
    assert (second.status, second.version_id) == ("unchanged", first.version_id)
    assert rec.requests[1].headers["If-None-Match"] == '"csl-v1"'
    assert rec.requests[1].headers["If-Modified-Since"] == stamp
    assert "If-None-Match" not in rec.requests[0].headers
    assert len(store.versions("csl")) == 1


def test_identical_bytes_again_are_unchanged(store: Store, loaded: int) -> None:
    out = run(store, Recorded({CSL_CSV: ok(fixture("csl/consolidated_v1.csv"))}), "csl")
    assert (out.status, out.version_id) == ("unchanged", loaded)
    assert len(store.versions("csl")) == 1


def test_a_changed_list_is_a_new_version_and_the_old_one_is_kept(store: Store, loaded: int) -> None:
    out = run(store, Recorded({CSL_CSV: ok(fixture("csl/consolidated_v2.csv"))}), "csl")
    assert (out.status, out.previous_version) == ("loaded", loaded)
    assert [v["status"] for v in store.versions("csl")] == ["superseded", "active"]


def test_csv_failure_falls_back_to_the_json_download(store: Store) -> None:
    rec = Recorded(
        {
            CSL_CSV: status(404),
            CSL_JSON: ok(
                (ROOT / "fixtures/lists/csl_sample.json").read_bytes(), "application/json"
            ),
        }
    )
    out = run(store, rec, "csl")
    assert (out.status, out.entities, out.origin) == ("loaded", 3, CSL_JSON)
    assert rec.urls() == [CSL_CSV, CSL_JSON]


def test_ofac_sdn_downloads_every_file_of_the_set(store: Store) -> None:
    names = ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"]
    rec = Recorded(
        {u: ok(fixture(f"ofac-sdn/{n}"), ETag=f'"{n}"') for u, n in zip(SDN_FILES, names)}
    )
    out = run(store, rec, "ofac-sdn")
    assert (out.status, out.entities) == ("loaded", 10)
    assert rec.urls() == SDN_FILES
    cuba = next(e for e in store.entities(["ofac-sdn"]) if e.id == "306")
    assert cuba.name == "BANCO NACIONAL DE CUBA"
    assert "NATIONAL BANK OF CUBA" in [n.name for n in cuba.names]  # from alt.csv
    li = next(e for e in store.entities(["ofac-sdn"]) if e.id == "28264")
    assert "LAZARUS GROUP" in (li.remarks or "")  # from sdn_comments.csv
    # All four files unchanged (304 to each ETag): no new version.
    rec.routes = {u: [lambda req: httpx.Response(304)] for u in SDN_FILES}
    again = run(store, rec, "ofac-sdn")
    assert (again.status, again.version_id) == ("unchanged", out.version_id)
    assert [r.headers.get("If-None-Match") for r in rec.requests[4:]] == [f'"{n}"' for n in names]


def test_ofac_set_with_one_changed_file_refetches_the_others(store: Store) -> None:
    names = ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"]
    rec = Recorded(
        {u: ok(fixture(f"ofac-sdn/{n}"), ETag=f'"{n}"') for u, n in zip(SDN_FILES, names)}
    )
    first = run(store, rec, "ofac-sdn")
    alt = fixture("ofac-sdn/alt.csv").replace(b"AVIA IMPORT", b"AVIAIMPORT")
    rec.routes = {
        u: [lambda req: httpx.Response(304), ok(fixture(f"ofac-sdn/{n}"))]
        for u, n in zip(SDN_FILES, names)
    }
    rec.routes[SDN_FILES[1]] = [ok(alt, ETag='"alt2"')]
    rec.requests.clear()
    out = run(store, rec, "ofac-sdn")
    assert (out.status, out.previous_version) == ("loaded", first.version_id)
    assert len(rec.requests) == 7  # four conditional, then the three unchanged in full
    assert "AVIAIMPORT" in [n.name for e in store.entities(["ofac-sdn"]) for n in e.names]


def test_ofac_consolidated_non_sdn_set(store: Store) -> None:
    names = ["cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"]
    rec = Recorded({u: ok(fixture(f"ofac-cons/{n}")) for u, n in zip(CONS_FILES, names)})
    out = run(store, rec, "ofac-cons")
    assert (out.status, out.entities) == ("loaded", 10)
    mobile = next(e for e in store.entities(["ofac-cons"]) if e.name == "CHINA MOBILE LIMITED")
    assert [x.list for x in mobile.listings] == ["NS-CMIC List"]


def test_opensanctions_simple_csv_carries_its_licence_notice(store: Store) -> None:
    rec = Recorded({OS_URL: ok(fixture("opensanctions/targets.simple.csv"))})
    out = run(store, rec, "opensanctions-us-trade-csl")
    assert (out.status, out.entities) == ("loaded", 12)
    assert "non-commercial" in (out.notice or "")
    assert "CC BY-NC" in store.source("opensanctions-us-trade-csl")["licence"]


def test_every_registry_source_with_a_url_is_updated_by_default(store: Store) -> None:
    rec = Recorded({})
    outcomes = refresh.update(store, transport=rec.transport, config=CONFIG, sleep=lambda s: None)
    assert [o.source_id for o in outcomes] == [
        "csl",
        "ofac-sdn",
        "ofac-cons",
        "opensanctions-us-trade-csl",
        "un-sc",
        "eu-fsf",
        "dfat",
        "ca-sema",
        "bis-dpl",
        "dod-1260h",
        "fcc-covered",
        "meti-eul",
        "aspi-unitracker",
    ]
    # not by default: OFSI's closed list and a Federal Register rule that never changes
    assert not {"ofsi", "fr-2023-03929"} & {o.source_id for o in outcomes}
    assert all(o.status == "failed" and "HTTP 404" in o.message for o in outcomes)


def test_one_failed_source_does_not_stop_the_others(store: Store) -> None:
    rec = Recorded(
        {
            CSL_CSV: status(503),
            CSL_JSON: status(503),
            OS_URL: ok(fixture("opensanctions/targets.simple.csv")),
        }
    )
    outcomes = refresh.update(
        store,
        ["csl", "opensanctions-us-trade-csl"],
        config=CONFIG,
        transport=rec.transport,
        sleep=lambda s: None,
    )
    assert [o.status for o in outcomes] == ["failed", "loaded"]
    assert active(store, "csl") is None


# -- failure modes: the previous version stays active -------------------------------
V1 = fixture("csl/consolidated_v1.csv")
FAILURES = [
    pytest.param(status(404), "HTTP 404 Not Found (the file is not at this URL", 1, id="404"),
    pytest.param(
        status(500),
        "server error HTTP 500 Internal Server Error (after 4 attempts)",
        4,
        id="500-retried",
    ),
    pytest.param(
        raises(httpx.ReadTimeout), "timed out (ReadTimeout) (after 4 attempts)", 4, id="timeout"
    ),
    pytest.param(raises(httpx.ConnectError), "cannot connect", 4, id="unreachable"),
    pytest.param(
        ok(fixture("csl/error.html"), "text/html; charset=utf-8"),
        "the server sent an HTML page (Content-Type text/html)",
        1,
        id="html-page",
    ),
    pytest.param(
        ok(fixture("csl/error.html"), "text/csv"),
        "the server sent an HTML page",
        1,
        id="html-body-labelled-csv",
    ),
    pytest.param(
        ok(V1[:3000], **{"Content-Length": str(len(V1))}),
        f"download truncated: got 3000 of {len(V1)} bytes",
        4,
        id="short-body",
    ),
    pytest.param(ok(fixture("csl/truncated.csv")), "it looks truncated", 1, id="truncated-file"),
    pytest.param(
        ok(V1[: V1.index(b'","', 5000) + 2]), "the file looks truncated", 1, id="cut-between-fields"
    ),
    pytest.param(
        ok(fixture("csl/changed_header.csv")),
        "not a CSL file: the columns 'name' and 'source' are missing",
        1,
        id="schema-change",
    ),
    pytest.param(ok(b""), "the server sent an empty file", 1, id="empty"),
]


@pytest.mark.parametrize(("reply", "message", "attempts"), FAILURES)
def test_failed_download_keeps_the_previous_version(
    store: Store, loaded: int, reply: Reply, message: str, attempts: int
) -> None:
    sleeps: list[float] = []
    rec = Recorded({CSL_CSV: reply, CSL_JSON: reply})
    out = run(store, rec, "csl", sleeps=sleeps)
    assert out.status == "failed"
    assert message in out.message
    assert out.message.startswith(f"all 2 URLs failed: {CSL_CSV}: ")
    assert out.version_id == loaded and active(store, "csl") == loaded
    assert len(store.versions("csl")) == 1
    assert sum(1 for e in store.entities(["csl"])) == 12
    assert rec.urls().count(CSL_CSV) == attempts
    assert sleeps == [1.0, 2.0, 4.0] * 2 if attempts == 4 else not sleeps


def test_a_4xx_is_not_retried_but_a_5xx_recovers(store: Store) -> None:
    rec = Recorded({CSL_CSV: [status(502), status(503), ok(V1)]})
    sleeps: list[float] = []
    out = run(store, rec, "csl", sleeps=sleeps)
    assert out.status == "loaded" and sleeps == [1.0, 2.0]


def test_a_large_drop_is_refused_unless_forced(store: Store, loaded: int) -> None:
    rec = Recorded({CSL_CSV: ok(fixture("csl/consolidated_small.csv"))})
    out = run(store, rec, "csl")
    assert out.status == "failed"
    assert out.message == (
        f"3 entries against 12 in version {loaded}: a drop of 75%, more "
        "than the 20% allowed; refused (use --force if the publisher "
        "really removed them)"
    )
    assert rec.urls() == [CSL_CSV]  # a refused copy is not retried from the JSON URL
    assert active(store, "csl") == loaded
    forced = run(store, rec, "csl", force=True)
    assert (forced.status, forced.entities) == ("loaded", 3)


def test_max_drop_comes_from_the_config(store: Store, loaded: int) -> None:
    config = Config(sources={"csl": {"min_entities": 3, "max_drop": 0.8}})
    rec = Recorded({CSL_CSV: ok(fixture("csl/consolidated_small.csv"))})
    assert run(store, rec, "csl", config=config).status == "loaded"


def test_fewer_entries_than_the_registry_minimum_are_refused(store: Store) -> None:
    # The real registry minimum for the CSL (thousands) refuses the 12-row excerpt.
    rec = Recorded({CSL_CSV: ok(V1)})
    out = run(store, rec, "csl", config=Config())
    assert out.status == "failed"
    assert out.message.startswith("only 12 entries, fewer than the 5000 a complete copy of csl")
    assert active(store, "csl") is None and store.versions("csl") == []


def test_downloads_above_the_size_limit_are_refused(tmp_path: Path) -> None:
    rec = Recorded({"http://mirror.test/big.csv": ok(V1)})
    with Downloader(transport=rec.transport, max_bytes=1000) as dl:
        with pytest.raises(UpdateError, match=r"the file is 1000 bytes|larger than the 1000"):
            dl.fetch("http://mirror.test/big.csv", tmp_path / "big.csv")
    chunked = Recorded(
        {"http://mirror.test/big.csv": lambda req: httpx.Response(200, stream=httpx.ByteStream(V1))}
    )
    with Downloader(transport=chunked.transport, max_bytes=1000) as dl:
        with pytest.raises(UpdateError, match="exceeds the 1000 bytes limit"):
            dl.fetch("http://mirror.test/big.csv", tmp_path / "big.csv")


# -- files, overrides, config --------------------------------------------------------
def test_from_file_loads_through_the_same_checks(store: Store) -> None:
    rec = Recorded({})
    out = run(store, rec, "csl", from_file=FIX / "csl" / "consolidated_v1.csv")
    assert (out.status, out.entities) == ("loaded", 12)
    assert out.origin == f"file:{FIX / 'csl' / 'consolidated_v1.csv'}"
    bad = run(store, rec, "csl", from_file=FIX / "csl" / "truncated.csv")
    assert bad.status == "failed" and "looks truncated" in bad.message
    assert rec.requests == [] and active(store, "csl") == out.version_id


def test_from_file_loads_an_ofac_folder(store: Store) -> None:
    out = run(store, Recorded({}), "ofac-cons", from_file=FIX / "ofac-cons")
    assert (out.status, out.entities) == ("loaded", 10)


def test_from_file_needs_exactly_one_source(store: Store) -> None:
    with pytest.raises(InputError, match="--from-file loads one source"):
        refresh.update(store, ["csl", "ofac-sdn"], from_file=FIX / "csl", config=CONFIG)


def test_unknown_source_is_an_input_error(store: Store) -> None:
    with pytest.raises(InputError, match="unknown source 'cls'"):
        refresh.update(store, ["cls"], config=CONFIG)


def test_url_override_replaces_the_official_urls(store: Store) -> None:
    rec = Recorded({"http://mirror.test/csl/latest": ok(V1)})
    out = run(store, rec, "csl", urls={"csl": "http://mirror.test/csl/latest"})
    assert (out.status, out.origin) == ("loaded", "http://mirror.test/csl/latest")
    assert rec.urls() == ["http://mirror.test/csl/latest"]


def test_folder_url_override_for_a_multi_file_source(store: Store) -> None:
    names = ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"]
    rec = Recorded({f"http://mirror.test/ofac/{n}": ok(fixture(f"ofac-sdn/{n}")) for n in names})
    out = run(store, rec, "ofac-sdn", urls={"ofac-sdn": "http://mirror.test/ofac/"})
    assert out.status == "loaded" and rec.urls() == [f"http://mirror.test/ofac/{n}" for n in names]
    with pytest.raises(InputError, match="needs 4 URLs, one for each of sdn.csv"):
        run(store, rec, "ofac-sdn", urls={"ofac-sdn": "http://mirror.test/ofac/sdn.csv"})


def test_config_file_urls_and_limits(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'fail_stale = true\n[urls]\ncsl = ["http://mirror.test/a.csv", '
        '"http://mirror.test/b.json"]\n[sources.csl]\nmin_entities = 3\n'
        "max_age_days = 2\n"
    )
    monkeypatch.setenv("SCREENER_CONFIG", str(path))
    config = load_config()
    assert config.urls["csl"] == ["http://mirror.test/a.csv", "http://mirror.test/b.json"]
    assert config.fail_stale and config.sources["csl"]["max_age_days"] == 2
    rec = Recorded(
        {
            "http://mirror.test/b.json": ok(
                (ROOT / "fixtures/lists/csl_sample.json").read_bytes(), "application/json"
            )
        }
    )
    out = refresh.update(store, ["csl"], transport=rec.transport, sleep=lambda s: None)[0]
    assert (out.status, out.origin) == ("loaded", "http://mirror.test/b.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("urls = [", "invalid TOML", id="not-toml"),
        pytest.param("[sources.csl]\nmax_drop = 2\n", "max_drop is a share from 0 to 1", id="drop"),
        pytest.param("[sources.csl]\nmin_entitys = 2\n", "unknown key 'min_entitys'", id="typo"),
        pytest.param("[urls]\ncsl = 3\n", "must be a URL or a list of URLs", id="url"),
        pytest.param("fail_stale = 'yes'\n", "fail_stale must be true or false", id="stale"),
    ],
)
def test_config_errors_are_clear(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "c.toml").write_text(text)
    with pytest.raises(InputError, match=message):
        load_config(tmp_path / "c.toml")


def test_a_missing_config_file_means_no_overrides(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml") == Config()


# -- staleness ---------------------------------------------------------------------
def test_lists_older_than_their_max_age_are_stale(store: Store, loaded: int) -> None:
    loaded_at = datetime.fromisoformat(store.version(loaded)["loaded_at"].replace("Z", "+00:00"))
    assert freshness.stale_sources(store, CONFIG, now=loaded_at + timedelta(days=6)) == []
    later = loaded_at + timedelta(days=8)
    stale = freshness.stale_sources(store, CONFIG, now=later)
    assert [(s["source_id"], s["age_days"], s["max_age_days"]) for s in stale] == [("csl", 8.0, 7)]
    relaxed = Config(sources={"csl": {"max_age_days": 30}})
    assert freshness.stale_sources(store, relaxed, now=later) == []
    assert freshness.require_fresh(store, CONFIG, now=later) == stale  # warn only
    with pytest.raises(ListsError, match="list csl is 8 days old .* older than its 7-day limit"):
        freshness.require_fresh(store, CONFIG, fail_stale=True, now=later)
    with pytest.raises(ListsError):
        freshness.require_fresh(store, Config(fail_stale=True), now=later)


def test_the_bundled_list_has_a_max_age_too(store: Store) -> None:
    later = datetime.now().astimezone() + timedelta(days=401)
    stale = freshness.stale_sources(store, Config(), now=later)
    assert "screener-surveillance" in [s["source_id"] for s in stale]


# -- diff ----------------------------------------------------------------------------
def test_diff_lists_added_removed_and_changed_entries(store: Store, loaded: int) -> None:
    v2 = run(store, Recorded({CSL_CSV: ok(fixture("csl/consolidated_v2.csv"))}), "csl")
    d = diff_versions(store, "csl")
    assert (d.from_version, d.to_version) == (loaded, v2.version_id)
    assert [e["name"] for e in d.added] == ["SME BANK"]
    assert [e["name"] for e in d.removed] == [SINOBRIGHT]
    assert d.removed[0]["citation"] == "Vol. 88, No. 151, 08/08/2023"
    [change] = d.changed
    assert change["name"].startswith(CETC_13) and change["fields"] == ["aliases"]
    gone = set(change["before"]["aliases"]) - set(change["after"]["aliases"])
    assert len(gone) == 1
    back = diff_versions(store, "csl", from_version=v2.version_id, to_version=loaded)
    assert [e["name"] for e in back.added] == [SINOBRIGHT]
    assert json.loads(json.dumps(d.to_dict()))["added"][0]["name"] == "SME BANK"


def test_diff_of_the_first_version_is_all_added(store: Store, loaded: int) -> None:
    d = diff_versions(store, "csl")
    assert d.from_version is None and len(d.added) == 12 and not d.removed


def test_diff_refuses_a_version_of_another_source(store: Store, loaded: int) -> None:
    other = active(store, "screener-surveillance")
    with pytest.raises(InputError, match=f"csl: no version {other}"):
        diff_versions(store, "csl", from_version=other)
    with pytest.raises(InputError, match="ofac-sdn: no versions loaded"):
        diff_versions(store, "ofac-sdn")


# -- CLI -----------------------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("[sources.csl]\nmin_entities = 3\n")
    monkeypatch.setenv("SCREENER_CONFIG", str(config))
    monkeypatch.delenv("SCREENER_DB", raising=False)
    return {"db": str(db_path), "config": str(config)}


def mock_downloads(monkeypatch: pytest.MonkeyPatch, rec: Recorded) -> None:
    monkeypatch.setattr(
        refresh, "Downloader", partial(Downloader, transport=rec.transport, sleep=lambda s: None)
    )


def test_cli_update_show_and_diff(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorded({CSL_CSV: [ok(V1), ok(fixture("csl/consolidated_v2.csv"))]})
    mock_downloads(monkeypatch, rec)
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", cli_env["db"], "lists", "update", "csl"])
    assert first.exit_code == 0, first.output
    assert "csl: loaded version 3 with 12 entities" in first.output
    second = runner.invoke(cli, ["--db", cli_env["db"], "lists", "update", "csl"])
    assert "csl: loaded version 4 with 12 entities, was version 3" in second.output
    shown = runner.invoke(cli, ["--db", cli_env["db"], "lists", "show", "--format", "json"])
    csl = next(r for r in json.loads(shown.output) if r["id"] == "csl")
    assert (csl["active_version"], csl["entities"], csl["versions"]) == (4, 12, 2)
    table = runner.invoke(cli, ["--db", cli_env["db"], "lists", "diff", "csl"])
    assert table.exit_code == 0, table.output
    assert "csl: version 3 -> 4: 1 added, 1 removed, 1 changed" in table.output
    assert "SME BANK" in table.output and "aliases" in table.output
    js = runner.invoke(
        cli,
        [
            "--db",
            cli_env["db"],
            "lists",
            "diff",
            "csl",
            "--from",
            "4",
            "--to",
            "3",
            "--format",
            "json",
        ],
    )
    assert [e["name"] for e in json.loads(js.output)["removed"]] == ["SME BANK"]


def test_cli_failed_update_exits_4_with_one_line_per_source(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = Recorded({OS_URL: ok(fixture("csl/error.html"), "text/html")})
    mock_downloads(monkeypatch, rec)
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            cli_env["db"],
            "lists",
            "update",
            "opensanctions-us-trade-csl",
            "csl",
            "--url",
            "csl=http://mirror.test/missing.csv",
        ],
    )
    assert result.exit_code == 4
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(
        "opensanctions-us-trade-csl: FAILED: " + OS_URL + ": the server sent an HTML page"
    )
    assert lines[1] == (
        "csl: FAILED: http://mirror.test/missing.csv: HTTP 404 Not Found (the "
        "file is not at this URL; has the publisher moved it? use --url)"
    )
    assert len(lines) == 2


def test_cli_from_file_and_bad_url_option(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    ok_run = runner.invoke(
        cli,
        [
            "--db",
            cli_env["db"],
            "lists",
            "update",
            "csl",
            "--from-file",
            str(FIX / "csl" / "consolidated_v1.csv"),
        ],
    )
    assert ok_run.exit_code == 0 and "loaded version 3 with 12 entities" in ok_run.output
    bad = runner.invoke(cli, ["--db", cli_env["db"], "lists", "update", "--url", "csl"])
    assert bad.exit_code == 2 and "'csl' is not SOURCE=URL" in bad.output


# -- a real HTTP server on 127.0.0.1 -------------------------------------------------
class LocalServer:
    """http.server serving a folder; ``cut`` makes it announce the whole file but send
    half of it and close the connection."""

    def __init__(self, root: Path):
        self.root, self.cut = root, False
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if not server.cut:
                    return super().do_GET()
                data = (root / self.path.lstrip("/")).read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()
            self.running = False


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[LocalServer]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "consolidated.csv").write_bytes(CSL_SAMPLE.read_bytes())
    server = LocalServer(root)
    yield server
    server.stop()


def replace_file(path: Path, data: bytes) -> None:
    """New bytes with a later mtime, so http.server's Last-Modified changes too."""
    stamp = path.stat().st_mtime + 60
    path.write_bytes(data)
    os.utime(path, (stamp, stamp))


def test_real_server_update_then_html_truncated_and_unreachable(
    local_server: LocalServer, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh, "Downloader", partial(Downloader, backoff=0))
    url = f"{local_server.url}/consolidated.csv"
    args = ["--db", cli_env["db"], "lists", "update", "csl", "--url", f"csl={url}"]
    runner = CliRunner()

    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "csl: loaded version 3 with 13 entities" in first.output
    shown = runner.invoke(cli, ["--db", cli_env["db"], "lists", "show", "--format", "json"])
    csl = next(r for r in json.loads(shown.output) if r["id"] == "csl")
    assert (csl["active_version"], csl["entities"], csl["origin"]) == (3, 13, url)
    diff = runner.invoke(cli, ["--db", cli_env["db"], "lists", "diff", "csl"])
    assert "csl: version (none) -> 3: 13 added, 0 removed, 0 changed" in diff.output
    # Unchanged file: http.server answers the If-Modified-Since with 304.
    assert "csl: unchanged (version 3)" in runner.invoke(cli, args).output

    page = fixture("csl/error.html")
    replace_file(local_server.root / "consolidated.csv", page)
    html = runner.invoke(cli, args)
    assert html.exit_code == 4
    assert html.output.strip() == (
        f"csl: FAILED: {url}: the server sent an HTML page, not the "
        "list file; it is probably an error or login page; "
        "version 3 stays active"
    )

    replace_file(local_server.root / "consolidated.csv", CSL_SAMPLE.read_bytes()[:5000])
    cut_file = runner.invoke(cli, args)
    assert cut_file.exit_code == 4 and "looks truncated; version 3 stays active" in cut_file.output

    replace_file(local_server.root / "consolidated.csv", CSL_SAMPLE.read_bytes())
    local_server.cut = True
    broken = runner.invoke(cli, args)
    assert broken.exit_code == 4
    assert "download incomplete, the connection broke" in broken.output
    assert "(after 4 attempts); version 3 stays active" in broken.output

    local_server.stop()
    down = runner.invoke(cli, args)
    assert down.exit_code == 4
    assert f"csl: FAILED: {url}: cannot connect" in down.output
    assert "version 3 stays active" in down.output

    s = open_store(cli_env["db"])
    try:
        assert active(s, "csl") == 3 and len(s.versions("csl")) == 1
    finally:
        s.close()


def test_main_exits_4_when_an_update_fails(
    local_server: LocalServer, cli_env: dict[str, str]
) -> None:
    url = f"{local_server.url}/moved/consolidated.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from screener.cli import main; main()",
            "--db",
            cli_env["db"],
            "lists",
            "update",
            "csl",
            "--url",
            f"csl={url}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "SCREENER_CONFIG": cli_env["config"]},
    )
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.strip() == (
        f"csl: FAILED: {url}: HTTP 404 File not found (the file is "
        "not at this URL; has the publisher moved it? use --url)"
    )
