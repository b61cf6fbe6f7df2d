"""``screener serve``: the application on uvicorn, one process, one Screener.

Binds to 127.0.0.1 by default; another address is allowed, with a warning, since
anyone who reaches it can screen names (writes still need the token). The lists load
in the background after the server starts: ``/readyz`` says when they are in.

A client must send its request's headers within :data:`HEADER_TIMEOUT` seconds of
connecting (or of the first byte of its next request on a kept connection) and its
body with no pause longer than :data:`BODY_IDLE_TIMEOUT` (and whole within
:data:`BODY_TIMEOUT`); else the connection is closed (408 when no response has
started). Slow clients dribbling bytes would otherwise hold connections open without
end. An idle kept connection closes after uvicorn's ``timeout_keep_alive`` (5 s).
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any

from screener.screening.service import Screener

log = logging.getLogger("screener.serve")
HEADER_TIMEOUT = 10.0  # seconds for a request's line and headers
BODY_IDLE_TIMEOUT = 15.0  # seconds between two parts of a body
BODY_TIMEOUT = 300.0  # seconds for a whole body (25 MB at 85 KB/s)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    db: Path | str | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    reload_interval: float = 1.0,
    log_level: str = "info",
) -> None:
    """Run the server until Ctrl-C or SIGTERM."""
    import uvicorn

    from screener.api.app import create_app

    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not is_loopback(host):
        log.warning(
            "listening on %s: anyone who can reach it can screen names and read the "
            "lists; writes still need the token",
            host,
        )
    s = Screener.open(db, auto_reload=False)
    try:
        app = create_app(s, reload_interval=reload_interval)
        uvicorn.Server(uvicorn_config(app, host, port, log_level)).run()
    finally:
        s.close()


def uvicorn_config(
    app: Any, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info"
) -> Any:
    """How uvicorn runs the application: no access log (each screening is in the runs),
    no Server header, the lifespan (it starts the list watcher) required."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        lifespan="on",
        http=timed_http(),
    )


def timed_http() -> type:
    """uvicorn's HTTP protocol (httptools) with the read timeouts of the module docstring."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class TimedHttp(HttpToolsProtocol):
        _timer: Any = None
        _body_deadline = 0.0

        def _arm(self, seconds: float, reason: str) -> None:
            self._disarm()
            self._timer = self.loop.call_later(seconds, self._too_slow, reason)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _too_slow(self, reason: str) -> None:
            self._timer = None
            if reason == "body" and getattr(self.flow, "read_paused", False):
                self._arm(BODY_IDLE_TIMEOUT, "body")  # the application is not reading
                return
            if self.transport.is_closing():
                return
            if reason == "headers":
                self.transport.write(
                    b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n"
                    b"connection: close\r\n\r\n"
                )
            self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm(HEADER_TIMEOUT, "headers")

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._timer is None:  # the next request on a kept connection
                self._arm(HEADER_TIMEOUT, "headers")

        def on_headers_complete(self) -> None:
            self._body_deadline = self.loop.time() + BODY_TIMEOUT
            self._arm(BODY_IDLE_TIMEOUT, "body")
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            left = self._body_deadline - self.loop.time()
            self._arm(min(BODY_IDLE_TIMEOUT, max(left, 0.0)), "body")
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

    return TimedHttp
