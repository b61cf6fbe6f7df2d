"""Download list files over HTTP(S), carefully.

:class:`Downloader` wraps one ``httpx.Client`` and fetches one URL at a time:

* explicit timeouts (connect 10 s, read 60 s) and redirects followed (OFAC's
  Sanctions List Service answers with a redirect to a signed download);
* up to ``retries`` more attempts, with exponential backoff, after a connection
  error, a timeout, a broken transfer, HTTP 429 or a 5xx answer; never after
  another 4xx;
* the body is streamed to a file while it is hashed (sha256) and counted: more
  than ``max_bytes`` is refused, and fewer bytes than ``Content-Length`` announced
  is a truncated download;
* an HTML page (``Content-Type: text/html`` or a body starting with ``<!doctype`` /
  ``<html``) is refused: list files are CSV or JSON, and such a page is an error or
  login page served with status 200;
* conditional requests: the ``ETag`` and ``Last-Modified`` of each URL are kept in the
  store's ``http_cache`` table (:mod:`screener.db.http_cache`), sent back as
  ``If-None-Match`` / ``If-Modified-Since``, and a 304 answer means unchanged.

Every failure is an :class:`~screener.errors.UpdateError` whose message names the URL
and the problem. Tests pass ``transport=httpx.MockTransport(...)`` and ``sleep``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from screener import __version__
from screener.errors import UpdateError

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
    ):
        self.retries, self.backoff, self.max_bytes, self.sleep = retries, backoff, max_bytes, sleep
        self.client = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        )  # fmt: skip

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def fetch(
        self, url: str, dest: Path, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """GET ``url`` into the file ``dest``; conditional when a validator is given."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                return self._get(url, dest, headers)
            except _Retry as e:
                if attempt + 1 == attempts:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise UpdateError(f"{url}: {e}{tries}") from None
                self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, url: str, dest: Path, headers: dict[str, str]) -> Fetched:
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                if r.status_code == 304:
                    return Fetched(url, None, True, r.headers.get("etag"),
                                   r.headers.get("last-modified"))  # fmt: skip
                if r.status_code == 429 or r.status_code >= 500:
                    raise _Retry(f"server error HTTP {r.status_code} {r.reason_phrase}".rstrip())
                if r.status_code != 200:
                    raise UpdateError(f"{url}: HTTP {r.status_code} {r.reason_phrase}".rstrip()
                                      + _hint(r.status_code))  # fmt: skip
                self._check_headers(url, r)
                digest, size = self._stream(url, r, dest)
                _check_body(url, dest)
                return Fetched(url, dest, False, r.headers.get("etag"),
                               r.headers.get("last-modified"), digest, size)  # fmt: skip
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

    def _check_headers(self, url: str, r: httpx.Response) -> None:
        ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype in ("text/html", "application/xhtml+xml"):
            raise UpdateError(f"{url}: the server sent an HTML page (Content-Type {ctype}), "
                              "not the list file; it is probably an error or login page")
        length = _content_length(r)
        if length is not None and length > self.max_bytes:
            raise UpdateError(f"{url}: the file is {_mb(length)}, larger than the "
                              f"{_mb(self.max_bytes)} limit")  # fmt: skip

    def _stream(self, url: str, r: httpx.Response, dest: Path) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        with open(dest, "wb") as f:
            for chunk in r.iter_bytes(1 << 16):
                size += len(chunk)
                if size > self.max_bytes:
                    raise UpdateError(f"{url}: the download exceeds the "
                                      f"{_mb(self.max_bytes)} limit; refused")  # fmt: skip
                h.update(chunk)
                f.write(chunk)
        length = _content_length(r)
        if length is not None and size != length:
            raise _Retry(f"download truncated: got {size} of {length} bytes")
        return h.hexdigest(), size


def _content_length(r: httpx.Response) -> int | None:
    """The announced body size, when it is the size of the bytes we read."""
    if r.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    try:
        return int(r.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _check_body(url: str, path: Path) -> None:
    with open(path, "rb") as f:
        head = f.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        raise UpdateError(f"{url}: the server sent an empty file")
    if head.startswith(HTML_STARTS):
        raise UpdateError(f"{url}: the server sent an HTML page, not the list file; "
                          "it is probably an error or login page")


def _hint(status: int) -> str:
    if status == 404:
        return " (the file is not at this URL; has the publisher moved it? use --url)"
    if status in (401, 403):
        return " (access refused)"
    return ""


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"
