"""What every request handler shares: one :class:`Server` per process, holding the
Screener, the token guard, the list watcher, the audit writer, the jobs and the
templates. Handlers reach it with :func:`server`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import Response

from screener.api.background import AuditWriter, ListWatcher
from screener.api.jobs import Jobs
from screener.api.problems import Unsupported
from screener.api.security import Guard
from screener.db import runs
from screener.errors import InputError, ListsError
from screener.screening.service import Screener, Snapshot

log = logging.getLogger("screener.serve")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class Server:
    """What every request handler shares: the Screener and the server's threads."""

    def __init__(
        self,
        s: Screener,
        *,
        reload_interval: float = 1.0,
        base_url: str | None = None,
        audit: AuditWriter | None = None,
        jobs_root: str | None = None,
    ):
        self.s = s
        self.guard = Guard(s.settings.token)
        self.watcher = ListWatcher(s, reload_interval)
        self.audit = audit or AuditWriter(s)
        self.jobs: Jobs | None = None
        self.jobs_root = jobs_root
        # the service's identity: [serve] base_url, else the address it was started on;
        # never the Host header of a request
        self.base_url = (s.settings.base_url or base_url or "http://127.0.0.1:8000").rstrip("/")
        self.templates = Environment(
            loader=PackageLoader("screener.api", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["is_cjk"] = lambda text: bool(_CJK.search(str(text)))

    @property
    def upload_limit(self) -> int:
        return int(self.s.settings.max_upload_mb * 1024 * 1024)

    def start(self) -> None:
        self.jobs = Jobs(self.jobs_root)
        self.watcher.start()
        self.audit.start()
        if not self.guard.writes_enabled:
            log.warning(
                "no token is configured: uploads, decisions and list updates are "
                "refused (set SCREENER_TOKEN or [serve] token in the config file)"
            )

    def stop(self) -> None:
        self.watcher.stop()
        self.audit.stop()
        if self.jobs is not None:
            self.jobs.close()

    def snapshot_or_503(self) -> Snapshot:
        """The loaded lists, or a ListsError (503): still loading, not loadable, or stale
        under ``fail_stale`` (then every screening refuses, as ``check`` does)."""
        snap = self.s.loaded
        if snap is None:
            raise ListsError(self.watcher.error or "the lists are still loading; try again shortly")
        if self.s.settings.fail_stale and self.watcher.stale:
            raise ListsError(
                f"stale lists with fail_stale set: {'; '.join(self.watcher.stale)}; "
                "run `screener lists update`"
            )
        return snap

    def s_notes(self) -> list[str]:
        """What a clear answer does not cover now (stale lists, official lists never
        loaded), as the list watcher last found it."""
        return list(self.watcher.notes)

    def record(
        self,
        command: str,
        options: dict[str, Any],
        threshold: float,
        started: str,
        rows: list[tuple[int, str, list[dict[str, Any]]]],
        lists: list[dict[str, Any]],
    ) -> str:
        """Queue the audit record of an answered request; return its run id."""
        run_id = runs.new_run_id()
        code = 1 if any(h for *_, h in rows) else 0
        self.audit.add(
            runs.FinishedRun(run_id, command, options, lists, threshold, started, rows, code)
        )
        return run_id


def server(request: Request) -> Server:
    srv: Server = request.app.state.server
    return srv


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON (UTF-8, compact) through orjson: a /match answer of 20 parties encodes in a
    tenth of the time the standard library takes."""
    body = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, status, headers, media_type="application/json")


JSON_TYPES = ("application/json", "text/json")


def is_json(request: Request) -> bool:
    """Whether the body says it is JSON (``application/json``, ``*/*+json``), or says
    nothing (a client that sends JSON without saying so, as yente accepts)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return not ctype or ctype in JSON_TYPES or ctype.endswith("+json")


async def json_body(request: Request, default: Any = None) -> Any:
    """The request's JSON body: 415 for another media type, 400 for one that is not JSON
    (or none, unless ``default`` stands for it)."""
    if not is_json(request):
        raise Unsupported(
            f"the body is {request.headers.get('content-type', '')[:60]!r}; send JSON "
            "(Content-Type: application/json)"
        )
    raw = await request.body()
    if not raw.strip():
        if default is not None:
            return default
        raise InputError("the request has no body; send JSON")
    return parse_json(raw)


def parse_json(raw: bytes | str, what: str = "the body") -> Any:
    """JSON text as data, or an InputError (400): not JSON, text that is not Unicode (a
    lone surrogate such as ``"\\ud800"``, bytes that are not UTF-8), or nested deeper
    than orjson's limit of 1,024 (Python's own parser would overflow its stack)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise InputError(f"{what} is not JSON of valid text: {e.msg}") from None
