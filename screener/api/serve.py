"""``screener serve``: the application on uvicorn, one process, one Screener.

Binds to 127.0.0.1 by default; another address is allowed, with a warning, since
anyone who reaches it can screen names (writes still need the token). The lists load
in the background after the server starts: ``/readyz`` says when they are in.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any

from screener.screening.service import Screener

log = logging.getLogger("screener.serve")


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
    )
