"""The download deadline, against a real slow server: http.server on 127.0.0.1 in a
thread, dripping a few bytes a second. Each read then finishes well within the read
timeout, so only the overall deadline can end the download."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from screener.db.store import Store
from screener.errors import InputError, UpdateError
from screener.lists import update as refresh
from screener.lists.download import Downloader
from screener.settings import Config, parse_config

ROOT = Path(__file__).resolve().parents[1]
CSL_V1 = ROOT / "fixtures" / "http" / "csl" / "consolidated_v1.csv"
HEADERS = b"HTTP/1.0 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n"


class DripServer:
    """Answers every GET a byte at a time, every ``interval`` seconds, for ever.

    ``part`` is "body" (status and headers at once, then the body drips) or
    "headers" (the status line and headers themselves drip).
    """

    def __init__(self, part: str, interval: float = 0.2):
        self.stop = threading.Event()
        self.sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                data = HEADERS if part == "headers" else b"name,country\n" * 10_000
                if part == "body":
                    self.wfile.write(HEADERS)
                try:
                    for i in range(len(data)):
                        if server.stop.wait(interval):
                            return
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        server.sent += 1
                except OSError:  # the client hung up
                    return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/consolidated.csv"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture(params=["body", "headers"])
def drip(request: pytest.FixtureRequest) -> Iterator[DripServer]:
    server = DripServer(request.param)
    yield server
    server.close()


def test_a_dripping_server_cannot_stretch_the_deadline(drip: DripServer, tmp_path: Path) -> None:
    # A read timeout of 2 s never fires: a byte comes every 0.2 s.
    dl = Downloader(
        deadline=1.0,
        retries=3,
        backoff=0.0,
        timeout=httpx.Timeout(connect=2.0, read=2.0, write=2.0, pool=2.0),
    )
    start = time.monotonic()
    with dl, pytest.raises(UpdateError) as caught:
        dl.fetch(drip.url, tmp_path / "consolidated.csv")
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 3.0, elapsed  # a 1-second deadline; 3x that for a busy machine
    assert drip.sent >= 3  # the server was sending all along
    message = str(caught.value)
    assert message.startswith(f"{drip.url}: not downloaded within the 1-second deadline (got ")
    assert message.endswith(
        "so far; the server is stalled or too slow; download_deadline in "
        "the config file sets the limit)"
    )
    assert "\n" not in message


def test_the_deadline_covers_the_pauses_between_retries(tmp_path: Path) -> None:
    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, content=b"busy")

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    dl = Downloader(
        transport=httpx.MockTransport(unavailable),
        deadline=1.0,
        retries=10,
        backoff=0.2,
        sleep=sleep,
    )
    start = time.monotonic()
    with dl, pytest.raises(UpdateError, match=r"server error HTTP 503 .*\(after 3 attempts\)"):
        dl.fetch("https://data.trade.gov/consolidated.csv", tmp_path / "c.csv")
    assert slept == [0.2, 0.4]  # the next pause (0.8 s) would pass the 1-second deadline
    assert time.monotonic() - start < 1.8  # 0.6 s of pauses; 3x that for a busy machine


@pytest.mark.parametrize(
    "text, message",
    [
        ("download_deadline = 0", "download_deadline must be a number of seconds above 0"),
        ("download_deadline = '5m'", "download_deadline must be a number of seconds above 0"),
        ("download_deadline = true", "download_deadline must be a number of seconds above 0"),
    ],
    ids=["zero", "text", "boolean"],
)
def test_bad_deadlines_in_the_config_are_refused(text: str, message: str) -> None:
    import tomllib

    with pytest.raises(InputError, match=message):
        parse_config(tomllib.loads(text))


def test_the_default_deadline_is_five_minutes() -> None:
    assert Config().download_deadline == parse_config({}).download_deadline == 300.0
    assert parse_config({"download_deadline": 42}).download_deadline == 42.0


def test_lists_update_gives_up_with_exit_4_and_keeps_the_previous_version(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    store = Store.open(db)
    first = refresh.update(
        store, ["csl"], from_file=CSL_V1, config=Config(sources={"csl": {"min_entities": 3}})
    )
    assert first[0].status == "loaded"
    version = first[0].version_id
    store.close()
    config = tmp_path / "config.toml"
    config.write_text("download_deadline = 1.5\n\n[sources.csl]\nmin_entities = 3\n")
    server = DripServer("body")
    try:
        start = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from screener.cli import main; main()",
                "--db",
                str(db),
                "lists",
                "update",
                "csl",
                "--url",
                f"csl={server.url}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            check=False,
            env={**os.environ, "SCREENER_CONFIG": str(config)},
        )
        elapsed = time.monotonic() - start
    finally:
        server.close()
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"csl: FAILED: {server.url}: not downloaded within the 1.5-second deadline (got "
    )
    assert lines[0].endswith(f"sets the limit); version {version} stays active")
    assert elapsed < 15, elapsed  # start-up included; the download itself took 1.5 s
    store = Store.open(db)
    try:
        assert store.source("csl")["active_version"] == version  # type: ignore[index]
        assert len(store.versions("csl")) == 1
    finally:
        store.close()
