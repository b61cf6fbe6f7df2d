"""Download list files over HTTP(S), carefully.

:class:`Downloader` wraps one ``httpx.Client`` and fetches one URL at a time:

* explicit timeouts (connect 10 s, read 60 s) and redirects followed (OFAC's
  Sanctions List Service answers with a redirect to a signed download);
* an overall deadline for each URL (``deadline`` seconds, 300 by default; the
  ``download_deadline`` of the config file), retries and their pauses included.
  Timeouts bound each read, so a server that drips one byte a second would never
  trip them; the deadline does: a watchdog thread shuts the connection's socket
  down when it passes, even in the middle of a blocked read (the socket is taken
  from httpx's ``trace`` extension as the connection is made; connections are not
  kept alive, so each request makes its own). A download past its deadline is
  not retried;
* up to ``retries`` more attempts, with exponential backoff, after a connection
  error, a timeout, a broken transfer, HTTP 429 or a 5xx answer; never after
  another 4xx;
* the body is streamed to a file while it is hashed (sha256) and counted: more
  than ``max_bytes`` is refused, and fewer bytes than ``Content-Length`` announced
  is a truncated download;
* an HTML page (``Content-Type: text/html`` or a body starting with ``<!doctype`` /
  ``<html``) is refused: list files are CSV or JSON, and such a page is an error or
  login page served with status 200; unless the list *is* a page (``page=True``, a
  source with ``page: true`` in sources.yaml: the FCC Covered List), whose importer
  then checks that the page holds the list;
* conditional requests: the ``ETag`` and ``Last-Modified`` of each URL are kept in the
  store's ``http_cache`` table (:mod:`screener.db.http_cache`), sent back as
  ``If-None-Match`` / ``If-Modified-Since``, and a 304 answer means unchanged.

Every failure is an :class:`~screener.errors.UpdateError` whose message names the URL
and the problem. Tests pass ``transport=httpx.MockTransport(...)`` and ``sleep``.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx

from screener import __version__
from screener.errors import UpdateError
from screener.settings import DOWNLOAD_DEADLINE

TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
RETRIES = 3
BACKOFF = 1.0  # seconds before the first retry; doubled each time
MAX_BYTES = 200 * 1024 * 1024
USER_AGENT = f"screener/{__version__} (restricted-party list refresh)"
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


@dataclass
class Fetched:
    """One URL fetched: the file written, or ``not_modified`` after a 304."""

    url: str
    path: Path | None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    size: int = 0


class _Retry(Exception):
    """A failure worth another attempt; its message is the user's if all fail."""


class _Deadline:
    """The time left for one URL, enforced even while a read is blocked.

    :meth:`trace` is given to httpx as the ``trace`` request extension and keeps
    the socket of each connection made; when the deadline passes, a timer thread
    shuts those sockets down, so the blocked read returns at once and the
    download fails. ``expired`` tells that failure from a network error.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if self.expired or self.left() <= 0:
            self.expired = True
            raise _Expired

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            sock = info["return_value"].get_extra_info("socket")
            if sock is not None:
                with self._lock:
                    self._sockets.append(sock)
                    if self.expired:
                        _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)


class _Expired(Exception):
    """The deadline passed; never retried."""


def _shutdown(sock: socket.socket) -> None:
    """End a connection another thread may be reading from.

    ``shutdown`` acts on the socket, not the descriptor, so a duplicate is used:
    the owner's socket object (plain or TLS) is left for its owner to close.
    """
    try:
        fd = sock.fileno()
        if fd < 0:
            return
        with socket.socket(fileno=os.dup(fd)) as dup:
            dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Downloader:
    """Fetch URLs to files; use as a context manager so the client is closed."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        max_bytes: int = MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DOWNLOAD_DEADLINE,
    ):
        self.retries, self.backoff, self.max_bytes, self.sleep = retries, backoff, max_bytes, sleep
        self.timeout, self.deadline = timeout, deadline
        self.client = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_keepalive_connections=0),  # a new socket per request
        )

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def fetch(
        self,
        url: str,
        dest: Path,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        page: bool = False,
    ) -> Fetched:
        """GET ``url`` into the file ``dest``; conditional when a validator is given.
        ``page``: the list is published as an HTML page, which is then not refused."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempts = self.retries + 1
        with _Deadline(self.deadline) as deadline:
            for attempt in range(attempts):
                try:
                    return self._get(url, dest, headers, deadline, page)
                except _Expired:
                    raise UpdateError(
                        f"{url}: not downloaded within the {self.deadline:g}-second deadline "
                        f"(got {_size(dest)} so far; the server is stalled or too slow; "
                        "download_deadline in the config file sets the limit)"
                    ) from None
                except _Retry as e:
                    delay = self.backoff * 2**attempt
                    if attempt + 1 == attempts or delay >= deadline.left():
                        tries = f" (after {attempt + 1} attempts)" if attempt else ""
                        raise UpdateError(f"{url}: {e}{tries}") from None
                    self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(
        self, url: str, dest: Path, headers: dict[str, str], deadline: _Deadline, page: bool
    ) -> Fetched:
        """One attempt; a failure once the deadline has passed is the deadline's."""
        deadline.check()
        try:
            return self._attempt(url, dest, headers, deadline, page)
        except _Retry:
            if deadline.expired or deadline.left() <= 0:
                raise _Expired from None
            raise

    def _attempt(
        self, url: str, dest: Path, headers: dict[str, str], deadline: _Deadline, page: bool
    ) -> Fetched:
        left = deadline.left()
        t = self.timeout  # no single wait may outlast the deadline either
        timeout = httpx.Timeout(
            connect=_cap(t.connect, left),
            read=_cap(t.read, left),
            write=_cap(t.write, left),
            pool=_cap(t.pool, left),
        )
        try:
            with self.client.stream(
                "GET", url, headers=headers, timeout=timeout, extensions={"trace": deadline.trace}
            ) as r:
                if r.status_code == 304:
                    return Fetched(
                        url, None, True, r.headers.get("etag"), r.headers.get("last-modified")
                    )
                if r.status_code == 429 or r.status_code >= 500:
                    raise _Retry(f"server error HTTP {r.status_code} {r.reason_phrase}".rstrip())
                if r.status_code != 200:
                    raise UpdateError(
                        f"{url}: HTTP {r.status_code} {r.reason_phrase}".rstrip()
                        + _hint(r.status_code)
                    )
                self._check_headers(url, r, page)
                digest, size = self._stream(url, r, dest, deadline)
                _check_body(url, dest, page)
                return Fetched(
                    url,
                    dest,
                    False,
                    r.headers.get("etag"),
                    r.headers.get("last-modified"),
                    digest,
                    size,
                )
        except httpx.TimeoutException as e:
            raise _Retry(f"timed out ({type(e).__name__})") from None
        except httpx.ConnectError as e:
            raise _Retry(f"cannot connect: {e}") from None
        except httpx.RemoteProtocolError as e:
            raise _Retry(f"download incomplete, the connection broke: {e}") from None
        except httpx.UnsupportedProtocol as e:
            raise UpdateError(f"{url}: unsupported URL: {e}") from None
        except httpx.TransportError as e:
            raise _Retry(f"network error: {type(e).__name__}: {e}") from None
        except httpx.InvalidURL as e:
            raise UpdateError(f"{url}: not a valid URL: {e}") from None

    def _check_headers(self, url: str, r: httpx.Response, page: bool = False) -> None:
        ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
        if not page and ctype in ("text/html", "application/xhtml+xml"):
            raise UpdateError(
                f"{url}: the server sent an HTML page (Content-Type {ctype}), "
                "not the list file; it is probably an error or login page"
            )
        length = _content_length(r)
        if length is not None and length > self.max_bytes:
            raise UpdateError(
                f"{url}: the file is {_mb(length)}, larger than the {_mb(self.max_bytes)} limit"
            )

    def _stream(
        self, url: str, r: httpx.Response, dest: Path, deadline: _Deadline
    ) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        with open(dest, "wb") as f:
            for chunk in r.iter_bytes():  # each piece as it arrives, so the deadline is seen
                deadline.check()
                size += len(chunk)
                if size > self.max_bytes:
                    raise UpdateError(
                        f"{url}: the download exceeds the {_mb(self.max_bytes)} limit; refused"
                    )
                h.update(chunk)
                f.write(chunk)
        length = _content_length(r)
        if length is not None and size != length:
            raise _Retry(f"download truncated: got {size} of {length} bytes")
        return h.hexdigest(), size


def _cap(seconds: float | None, left: float) -> float:
    return max(0.001, left if seconds is None else min(seconds, left))


def _size(path: Path) -> str:
    try:
        return _mb(path.stat().st_size)
    except OSError:
        return "nothing"


def _content_length(r: httpx.Response) -> int | None:
    """The announced body size, when it is the size of the bytes we read."""
    if r.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    try:
        return int(r.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _check_body(url: str, path: Path, page: bool = False) -> None:
    with open(path, "rb") as f:
        head = f.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        raise UpdateError(f"{url}: the server sent an empty file")
    if head.startswith(HTML_STARTS) and not page:
        raise UpdateError(
            f"{url}: the server sent an HTML page, not the list file; "
            "it is probably an error or login page"
        )


def _hint(status: int) -> str:
    if status == 404:
        return " (the file is not at this URL; has the publisher moved it? use --url)"
    if status in (401, 403):
        return " (access refused)"
    return ""


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"
