"""``screener serve``: the application on uvicorn, one Screener per process.

Binds to 127.0.0.1 by default; another address is allowed, with a warning, since
anyone who reaches it can screen names (writes still need the token). With one
process the lists load in the background after the server starts: ``/readyz`` says
when they are in.

``--workers N`` (:func:`serve_workers`) loads the lists whole first, then forks N
processes that share the loaded index page by page (as batch workers do) and accept
connections on one listening socket: screening holds the interpreter's lock, so one
process saturates one core with names never screened before. Each worker watches the
lists and reloads them itself when they change. Their screening requests are
recorded by one audit writer, in the parent process, which the workers hand their
runs to through a queue; batch jobs share one folder, so any worker answers for any
job. If a worker dies, the parent stops the others and exits 1 (a service manager
starts it again); SIGTERM or Ctrl-C stop them all, each finishing its requests.

A client must send its request's headers within :data:`HEADER_TIMEOUT` seconds of
connecting (or of the first byte of its next request on a kept connection) and its
body with no pause longer than :data:`BODY_IDLE_TIMEOUT` (and whole within
:data:`BODY_TIMEOUT`); else the connection is closed (408 when no response has
started). Slow clients dribbling bytes would otherwise hold connections open without
end. An idle kept connection closes after uvicorn's ``timeout_keep_alive`` (5 s).
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
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
    workers: int = 1,
    reload_interval: float = 1.0,
    log_level: str = "info",
) -> int:
    """Run the server until Ctrl-C or SIGTERM; the exit code (1: a worker died)."""
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
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    try:
        if workers > 1:
            return serve_workers(s, host, port, workers, base, reload_interval, log_level)
        app = create_app(s, reload_interval=reload_interval, base_url=base)
        uvicorn.Server(uvicorn_config(app, host, port, log_level)).run()
        return 0
    finally:
        s.close()


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every worker accepts on, bound before the fork."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_workers(
    s: Screener,
    host: str,
    port: int,
    workers: int,
    base: str,
    reload_interval: float,
    log_level: str,
) -> int:
    """Load the lists, fork ``workers`` server processes, record their runs, wait."""
    import multiprocessing

    from screener.api import entities
    from screener.api.background import WARM_UP, record_dates
    from screener.db import runs
    from screener.heap import paused_collector

    with paused_collector():  # the index, frozen for the collector (background.py)
        s.refresh(lazy=False)
        gc.freeze()
    snap = s.loaded
    assert snap is not None
    s.screen([s.query(n) for n in WARM_UP])
    entities.lookup(snap, s.store, record_dates(s.store, snap.lists))
    log.info("lists loaded; starting %d workers", workers)
    sock = listening_socket(host, port)
    jobs_root = tempfile.mkdtemp(prefix="screener-serve-")
    queue = multiprocessing.get_context("fork").Queue()
    children: list[int] = []
    for i in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                code = _worker(s, sock, base, queue, jobs_root, reload_interval, log_level)
            except BaseException:
                log.exception("worker %d failed", i)
            finally:
                os._exit(code)
        children.append(pid)
    sock.close()

    def write_runs() -> None:  # the one audit writer
        while (batch := queue.get()) is not None:
            try:
                runs.record_finished(s.store, batch)
            except Exception:
                log.exception("recording %d screening requests failed", len(batch))

    writer = threading.Thread(target=write_runs, name="screener-audit")
    writer.start()
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = False
    try:
        while children:
            pid, status = os.waitpid(-1, 0)
            if pid in children:
                children.remove(pid)
                if not stopping:
                    log.error("worker %d ended (status %d); stopping the others", pid, status)
                    failed = True
                    stop(signal.SIGTERM, None)
    finally:
        queue.put(None)
        writer.join(timeout=60)
        shutil.rmtree(jobs_root, ignore_errors=True)
    return 1 if failed else 0


def _end_with_parent() -> None:
    """Linux: SIGTERM when the parent dies, however it dies (a worker never serves on
    alone, without its audit writer)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker(
    s: Screener,
    sock: socket.socket,
    base: str,
    queue: Any,
    jobs_root: str,
    reload_interval: float,
    log_level: str,
) -> int:
    """One forked server process over the parent's loaded lists."""
    import uvicorn

    from screener.api.app import create_app
    from screener.api.background import AuditWriter

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _end_with_parent()
    s.after_fork()
    audit = AuditWriter(None, sink=queue.put)
    app = create_app(
        s, reload_interval=reload_interval, base_url=base, audit=audit, jobs_root=jobs_root
    )
    uvicorn.Server(uvicorn_config(app, log_level=log_level)).run(sockets=[sock])
    queue.close()
    queue.join_thread()  # the runs handed over reach the writer before the process ends
    return 0


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
