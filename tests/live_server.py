"""A real `screener serve` for tests: uvicorn on 127.0.0.1, on a port the system picks,
in a thread of the test process, over a store the test owns."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from screener.api.app import create_app
from screener.api.serve import uvicorn_config
from screener.screening.service import Screener
from screener.settings import Config

TOKEN = "test-token-0123456789abcdef"


class LiveServer:
    """Start with :meth:`start` (waits until ready); :meth:`stop` stops it."""

    def __init__(
        self,
        db_path: Path,
        *,
        token: str | None = TOKEN,
        reload_interval: float = 0.2,
        **settings: Any,
    ):
        self.db_path = db_path
        self.settings = Config(token=token, **settings)
        self.reload_interval = reload_interval
        self.url = ""
        self.screener: Screener | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self, timeout: float = 60) -> LiveServer:
        self.screener = Screener.open(self.db_path, self.settings, auto_reload=False)
        sock = self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        app = create_app(self.screener, reload_interval=self.reload_interval, base_url=self.url)
        self._server = uvicorn.Server(uvicorn_config(app, log_level="warning"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the server did not become ready")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        if self.screener is not None:
            self.screener.close()
            self.screener = None

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kw)

    def authed(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {TOKEN}"})

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
