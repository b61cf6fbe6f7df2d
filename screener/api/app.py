"""The HTTP application: the JSON API and the reviewers' pages over one Screener.

    from screener.api.app import create_app
    app = create_app(Screener.open(db, auto_reload=False))   # an ASGI app (Starlette)

One :class:`~screener.screening.service.Screener` serves every request: its loaded
lists are one snapshot, swapped in by the list watcher (:mod:`screener.api.background`)
when the active versions change. ``/match`` and ``/reconcile`` screen in the event
loop (a name screened before is a dictionary look-up; the screening holds the
interpreter's lock whichever thread runs it); what writes to the store (checks and
their runs, jobs, decisions) runs in worker threads, each with its own connection.

JSON routes (documented in ``openapi.yaml``, served at ``/openapi.json`` and read at
``/docs``)::

    GET  /healthz                 the process is up
    GET  /readyz                  the lists are loaded and fresh (else 503)
    GET  /lists                   the lists screened against, loaded and active
    POST /lists/update            download the official lists (token; a job)
    GET  /lists/update/{job}      that job
    GET  /check?name=             one name, recorded as a run
    POST /match                   many parties, yente's shape (screener.api.match)
    POST /batch                   upload a file to screen (token; a job)
    GET  /batch/{job}             that job; /batch/{job}/result its output
    GET|POST /reconcile           the reconciliation API (screener.api.reconcile)

The pages are in :mod:`screener.api.pages`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from functools import cache
from importlib import resources
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from screener.api import match as yente
from screener.api import pages, review
from screener.api import reconcile as recon
from screener.api.jobs import Job
from screener.api.security import PREVIEW_CSP, REPORT_CSP, BodyLimit, Forbidden, SecurityHeaders
from screener.api.server import Server, error_response, json_response, parse_json, server
from screener.api.uploads import start_batch
from screener.db.store import now_iso
from screener.errors import InputError, ScreenerError
from screener.lists.freshness import require_fresh, stale_message
from screener.matching.rules import valid_threshold
from screener.screening.service import Screener

log = logging.getLogger("screener.serve")
UPLOAD_PATHS = ("/batch", "/upload")


def api(handler: Any) -> Any:
    """A JSON route: screener errors become a JSON error with the right status."""

    async def route(request: Request) -> Response:
        try:
            result: Response = await handler(request)
            return result
        except (ScreenerError, Forbidden) as e:
            return error_response(e)

    route.__name__ = handler.__name__
    route.__doc__ = handler.__doc__
    return route


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- health ------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    """The process answers."""
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready (200) when the lists are loaded. A list older than its max age, judged by
    the date of its data, is a problem named in ``problems`` and ``stale`` (with its data
    date beside its load date), not a failure: checks still answer, with a warning.
    Under ``fail_stale`` it is a failure (503), as every check would then refuse."""
    srv = server(request)

    def look() -> tuple[bool, dict[str, Any]]:
        failures = []
        if srv.s.loaded is None:
            failures.append(srv.watcher.error or "the lists are still loading")
        try:
            stale = require_fresh(srv.s.store, srv.s.settings, fail_stale=False)
        except ScreenerError as e:
            stale, failures = [], [*failures, str(e)]
        if stale and srv.s.settings.fail_stale:
            failures.append("stale lists with fail_stale set: every check refuses")
        problems = failures + [stale_message(x) for x in stale]
        return not failures, {
            "ready": not failures,
            "problems": problems,
            "stale": [
                {
                    k: x.get(k)
                    for k in (
                        "source_id",
                        "data_date",
                        "data_date_basis",
                        "loaded_at",
                        "age_days",
                        "max_age_days",
                    )
                }
                for x in stale
            ],
            "lists": srv.s.loaded_versions,
            "reloading": srv.watcher.loading,
        }

    ready, body = await run_in_threadpool(look)
    return json_response(body, 200 if ready else 503)


# -- lists -------------------------------------------------------------------------------


@api
async def lists(request: Request) -> Response:
    """The lists: those screening uses now (loaded) and the store's active versions."""
    srv = server(request)
    c = await run_in_threadpool(srv.s.coverage, False)
    return json_response(
        {
            "loaded": srv.s.loaded_versions,
            "active": c["lists"],
            "reloading": srv.watcher.loading,
            "warnings": c["notes"],
            "stale": c["stale_detail"],
            "coverage": c["statement"],  # per list: full, curated subset, not loaded
        }
    )


@api
async def lists_update(request: Request) -> Response:
    """Download the official lists from their configured URLs, as a job (token)."""
    srv = server(request)
    srv.guard.require_write(request)
    body = await _json_body(request, default={})
    sources = body.get("sources") if isinstance(body, dict) else None
    if sources is not None and (
        not isinstance(sources, list) or not all(isinstance(x, str) for x in sources)
    ):
        raise InputError('"sources" must be a list of source ids')
    force = bool(body.get("force")) if isinstance(body, dict) else False

    def work(job: Job) -> dict[str, Any]:
        from screener.lists import update

        outcomes = update.update(srv.s.store, sources or None, force=force, config=srv.s.settings)
        return {"ok": all(o.ok for o in outcomes), "sources": [_outcome(o) for o in outcomes]}

    assert srv.jobs is not None
    job = srv.jobs.submit(srv.jobs.new("lists-update", work))
    return json_response({**job.to_dict(), "status_url": f"/lists/update/{job.id}"}, 202)


def _outcome(o: Any) -> dict[str, Any]:
    return {
        "source_id": o.source_id,
        "status": o.status,
        "ok": o.ok,
        "version_id": o.version_id,
        "entities": o.entities,
        "message": o.message,
        "notice": o.notice,
    }


def _job(request: Request, kind: str) -> Any:
    """The job of kind ``kind`` the request's path names, for a reader; None if none."""
    srv = server(request)
    srv.guard.require_reader(request)
    return srv.jobs.get(request.path_params["job"], kind) if srv.jobs else None


@api
async def lists_update_job(request: Request) -> Response:
    """A list update job."""
    job = _job(request, "lists-update")
    if job is None:
        return json_response({"error": "no such job"}, 404)
    return json_response(job.to_dict())


# -- screening ---------------------------------------------------------------------------


@api
async def check(request: Request) -> Response:
    """One name, with every hit and its provenance; recorded as a run."""
    srv = server(request)
    srv.snapshot_or_503()
    p = request.query_params
    result = await run_in_threadpool(
        srv.s.check,
        p.get("name", ""),
        country=p.get("country") or None,
        threshold=valid_threshold(t) if (t := p.get("threshold")) else None,
        fail_stale=yente.flag(p, "fail_stale"),
        related=yente.flag(p, "related"),
    )
    return json_response(result.to_dict())


async def _json_body(request: Request, default: Any = None) -> Any:
    raw = await request.body()
    if not raw.strip():
        if default is not None:
            return default
        raise InputError("the request has no body; send JSON")
    return parse_json(raw)


@api
async def match(request: Request) -> Response:
    """Many parties in one request, in yente's shape (see screener.api.match)."""
    srv = server(request)
    started = now_iso()
    threshold, cutoff, limit = yente.options(request.query_params)
    body = await _json_body(request)
    snap = srv.snapshot_or_503()
    parsed = yente.parse(body, srv.s, cutoff, yente.flag(request.query_params, "related"))
    responses, rows = yente.respond(parsed, srv.s, snap, threshold, limit)
    used = snap.lists
    run_id = srv.record(
        "match",
        {"queries": len(parsed), "threshold": threshold, "cutoff": cutoff, "limit": limit},
        threshold,
        started,
        rows,
        used,
    )
    return json_response(
        {
            "responses": responses,
            "threshold": threshold,
            "cutoff": cutoff,
            "limit": limit,
            "lists": used,
            "run_id": run_id,
        }
    )


# -- batch -------------------------------------------------------------------------------


@api
async def batch(request: Request) -> Response:
    """Upload a CSV, XLSX or JSON Lines file to screen; returns a job id (token)."""
    srv = server(request)
    srv.guard.authorize(request)  # before reading the upload
    async with request.form(max_files=1, max_fields=20) as form:
        srv.guard.require_write(request, form)
        srv.snapshot_or_503()
        job = await run_in_threadpool(start_batch, srv, form)
    return json_response(
        {
            **job.to_dict(),
            "status_url": f"/batch/{job.id}",
            "result_url": f"/batch/{job.id}/result",
        },
        202,
    )


@api
async def batch_job(request: Request) -> Response:
    """A batch job's status and summary."""
    job = _job(request, "batch")
    if job is None:
        return json_response({"error": "no such job"}, 404)
    return json_response({**job.to_dict(), "result_url": f"/batch/{job.id}/result"})


@api
async def batch_result(request: Request) -> Response:
    """A finished batch job's output file."""
    job = _job(request, "batch")
    if job is None:
        return json_response({"error": "no such job"}, 404)
    if job.status != "done" or job.output is None or not job.output.exists():
        return json_response({**job.to_dict(), "error": f"the job is {job.status}"}, 409)
    inline = job.media_type is not None and job.media_type.startswith("text/html")
    headers = {"content-security-policy": REPORT_CSP} if inline else {}
    return FileResponse(
        job.output,
        media_type=job.media_type,
        headers=headers,
        filename=job.download_name,
        content_disposition_type="inline" if inline else "attachment",
    )


# -- reconciliation ----------------------------------------------------------------------


@api
async def reconcile(request: Request) -> Response:
    """The reconciliation service: the manifest, or the answers to ``queries``."""
    srv = server(request)
    params = request.query_params
    form: Any = {}
    if request.method == "POST":
        async with request.form(max_files=0) as form:
            pass  # fields only: nothing left open
    raw = form.get("queries") or params.get("queries")
    callback = params.get("callback") or form.get("callback")
    if callback is not None and not recon.CALLBACK.match(str(callback)):
        raise InputError("callback must be a JavaScript name")
    if raw is None:
        data: Any = recon.manifest(base_url(request))
    else:
        started = now_iso()
        snap = srv.snapshot_or_503()
        parsed = recon.parse(str(raw), srv.s)
        data, rows = recon.respond(parsed, srv.s, snap)
        srv.record(
            "reconcile",
            {"queries": len(parsed), "cutoff": recon.CUTOFF},
            recon.CUTOFF,
            started,
            rows,
            snap.lists,
        )
    cors = {"access-control-allow-origin": "*"}
    if callback:
        body = json.dumps(data, ensure_ascii=False)
        return Response(
            f"/**/{callback}({body});", headers=cors, media_type="application/javascript"
        )
    return json_response(data, headers=cors)


async def reconcile_preview(request: Request) -> Response:
    """A small card of a listed entity, for OpenRefine's preview pop-up."""
    srv = server(request)
    snap = srv.s.loaded
    entity = recon.find_entity(snap, request.query_params.get("id", "")) if snap else None
    html = srv.templates.get_template("preview.html").render(e=entity)
    return Response(
        html,
        200 if entity else 404,
        media_type="text/html; charset=utf-8",
        headers={"content-security-policy": PREVIEW_CSP},
    )


# -- API reference -----------------------------------------------------------------------


@cache
def openapi_doc() -> dict[str, Any]:
    text = resources.files("screener.api").joinpath("openapi.yaml").read_text(encoding="utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    from screener import __version__

    doc["info"]["version"] = __version__
    return doc


async def openapi(request: Request) -> Response:
    """The OpenAPI document of the JSON API."""
    return json_response(openapi_doc())


async def docs(request: Request) -> Response:
    """The API reference as a page (no script: it reads without JavaScript)."""
    return pages.render(request, "docs.html", doc=openapi_doc())


ROUTES = [
    Route("/healthz", healthz),
    Route("/readyz", readyz),
    Route("/lists", lists),
    Route("/lists/update", lists_update, methods=["POST"]),
    Route("/lists/update/{job}", lists_update_job),
    Route("/check", check),
    Route("/match", match, methods=["POST"]),
    Route("/batch", batch, methods=["POST"]),
    Route("/batch/{job}", batch_job),
    Route("/batch/{job}/result", batch_result),
    Route("/reconcile", reconcile, methods=["GET", "POST"]),
    Route("/reconcile/preview", reconcile_preview),
    Route("/openapi.json", openapi),
    Route("/docs", docs),
]


def create_app(s: Screener, *, reload_interval: float = 1.0) -> Starlette:
    """The ASGI application over ``s`` (a Screener with ``auto_reload=False``)."""
    srv = Server(s, reload_interval=reload_interval)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        srv.start()
        try:
            yield
        finally:
            srv.stop()

    app = Starlette(
        routes=[*ROUTES, *review.API_ROUTES, *pages.ROUTES, *review.PAGE_ROUTES],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyLimit, upload_limit=srv.upload_limit, upload_paths=UPLOAD_PATHS),
        ],
        lifespan=lifespan,
    )
    app.state.server = srv
    return app
