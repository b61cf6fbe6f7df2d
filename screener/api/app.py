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
    GET  /readyz                  the lists are loaded (else 503)
    GET  /lists                   the lists screened against, loaded and active
    POST /lists/update            download the official lists (token; a job)
    GET  /lists/update/{job}      that job
    GET  /check?name=             one name, recorded as a run
    POST /match/{dataset}         yente's matching (screener.api.match); /match: on default
    GET  /search/{dataset}        yente's search; /entities/{id}, /catalog, /algorithms
    POST /batch                   upload a file to screen (token; a job)
    GET  /batch/{job}             that job; /batch/{job}/result its output
    GET|POST /reconcile           the reconciliation API (screener.api.reconcile)

Errors are problem documents (:mod:`screener.api.problems`); request ids, CORS and
gzip are :mod:`screener.api.operations`. The pages are in :mod:`screener.api.pages`.
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
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from screener.api import pages, review, yente
from screener.api import reconcile as recon
from screener.api.background import AuditWriter
from screener.api.jobs import Job
from screener.api.operations import Cors, RequestIds, gzip, http_error, request_ids
from screener.api.problems import NotFound, error_response, problem, problem_body, status_of
from screener.api.security import PREVIEW_CSP, REPORT_CSP, BodyLimit, Forbidden, SecurityHeaders
from screener.api.server import Server, json_body, json_response, server
from screener.api.uploads import start_batch
from screener.db.store import now_iso
from screener.errors import InputError, ScreenerError
from screener.matching.rules import valid_threshold
from screener.screening.service import Screener

log = logging.getLogger("screener.serve")
UPLOAD_PATHS = ("/batch", "/upload")


def api(handler: Any) -> Any:
    """A JSON route: screener errors become problem documents with their status."""

    async def route(request: Request) -> Response:
        try:
            result: Response = await handler(request)
            return result
        except (ScreenerError, Forbidden) as e:
            return error_response(e, request_id=request_ids(request).get("request_id"))

    route.__name__ = handler.__name__
    route.__doc__ = handler.__doc__
    return route


# -- health ------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    """The process answers."""
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready (200, ``status: ok``) when the lists are loaded. A list older than its max
    age, judged by the date of its data, is a problem named in ``problems`` and
    ``stale`` (with its data date beside its load date), not a failure: checks still
    answer, with a warning. Under ``fail_stale`` it is a failure (503), as every check
    would then refuse."""
    srv = server(request)

    def look() -> tuple[bool, dict[str, Any]]:
        from screener.lists.freshness import require_fresh, stale_message

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
            "status": "ok" if not failures else "unavailable",
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
    headers = {} if ready else {"retry-after": "5"}
    return json_response(body, 200 if ready else 503, headers)


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
    body = await json_body(request, default={})
    if not isinstance(body, dict):
        raise InputError('the body must be a JSON object: {"sources": [...], "force": false}')
    sources = body.get("sources")
    if sources is not None and (
        not isinstance(sources, list) or not all(isinstance(x, str) for x in sources)
    ):
        raise InputError('"sources" must be a list of source ids')
    force = bool(body.get("force"))

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


def _job(request: Request, kind: str) -> Job:
    """The job of kind ``kind`` the request's path names, for a reader; else NotFound."""
    srv = server(request)
    srv.guard.require_reader(request)
    job = srv.jobs.get(request.path_params["job"], kind) if srv.jobs else None
    if job is None:
        raise NotFound("no such job (the server keeps the last 100)")
    return job


@api
async def lists_update_job(request: Request) -> Response:
    """A list update job."""
    return json_response(_job(request, "lists-update").to_dict())


# -- screening ---------------------------------------------------------------------------


@api
async def check(request: Request) -> Response:
    """One name, with every hit and its provenance; recorded as a run."""
    srv = server(request)
    srv.snapshot_or_503()
    p = request.query_params
    result = await run_in_threadpool(
        lambda: srv.s.check(
            p.get("name", ""),
            country=p.get("country") or None,
            threshold=valid_threshold(t) if (t := p.get("threshold")) else None,
            fail_stale=_flag(p, "fail_stale"),
            related=_flag(p, "related"),
            recorded=request_ids(request),
        )
    )
    return json_response(result.to_dict())


def _flag(params: Any, name: str) -> bool:
    return str(params.get(name, "")).lower() in ("1", "true", "yes")


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
    return json_response({**job.to_dict(), "result_url": f"/batch/{job.id}/result"})


@api
async def batch_result(request: Request) -> Response:
    """A finished batch job's output file."""
    job = _job(request, "batch")
    if job.status != "done" or job.output is None or not job.output.exists():
        return problem(409, f"the job is {job.status}", job=job.to_dict())
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


async def reconcile(request: Request) -> Response:
    """The reconciliation service: the manifest, or the answers to ``queries``. Errors
    are problem documents, wrapped like answers for a JSONP ``callback``."""
    srv = server(request)
    params = request.query_params
    callback = params.get("callback")
    try:
        raw: Any = params.get("queries")
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                async with request.form(max_files=0) as form:
                    raw = form.get("queries", raw)
                    given = form.get("callback")
                    callback = str(given) if given is not None else callback
            else:
                body = await json_body(request, default={})
                if isinstance(body, dict) and "queries" in body:
                    raw = body["queries"]
                elif body:
                    raw = body
        if callback is not None and not recon.CALLBACK.match(str(callback)):
            callback = None
            raise InputError("callback must be a JavaScript name")
        if raw is None:
            data: Any = recon.manifest(srv.base_url)
        else:
            started = now_iso()
            parsed = recon.parse(raw if isinstance(raw, dict) else str(raw), srv.s)
            snap = srv.snapshot_or_503()
            data, rows = recon.respond(parsed, srv.s, snap)
            srv.record(
                "reconcile",
                {"queries": len(parsed), "cutoff": recon.CUTOFF, **request_ids(request)},
                recon.CUTOFF,
                started,
                rows,
                snap.lists,
            )
        status = 200
    except (ScreenerError, Forbidden) as e:
        status = status_of(e)
        errors = getattr(e, "errors", None)
        extra = {"errors": errors} if errors else {}
        if not callback:
            return error_response(e, request_id=request_ids(request).get("request_id"))
        data = problem_body(status, str(e), **extra)
    if callback:
        body = json.dumps(data, ensure_ascii=False)
        headers = {"retry-after": "5"} if status == 503 else None
        return Response(
            f"/**/{callback}({body});", status, headers, media_type="application/javascript"
        )
    return json_response(data)


@api
async def reconcile_suggest(request: Request) -> Response:
    """The suggest service for entities (``prefix``, ``cursor``)."""
    srv = server(request)
    p = request.query_params
    cursor = p.get("cursor", "0")
    if not cursor.isdigit():
        raise InputError("cursor must be a whole number")
    snap = srv.snapshot_or_503()
    return json_response({"result": recon.suggest(snap, srv.s, p.get("prefix", ""), int(cursor))})


async def reconcile_preview(request: Request) -> Response:
    """A small card of a listed entity, for OpenRefine's preview pop-up (503 while the
    lists load)."""
    srv = server(request)
    snap = srv.s.loaded
    if snap is None:
        html = srv.templates.get_template("preview.html").render(e=None, loading=True)
        return Response(
            html,
            503,
            {"retry-after": "5", "content-security-policy": PREVIEW_CSP},
            media_type="text/html; charset=utf-8",
        )
    entity = recon.find_entity(snap, request.query_params.get("id", ""), srv.s.store)
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
    """The API reference as a page (no script: it reads without JavaScript), its
    references to shared parts written out in place."""
    return pages.render(request, "docs.html", doc=resolved_doc())


@cache
def resolved_doc() -> dict[str, Any]:
    doc = openapi_doc()

    def resolve(x: Any) -> Any:
        if isinstance(x, dict):
            ref = x.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                target: Any = doc
                for part in ref[2:].split("/"):
                    target = target[part]
                return resolve(target) if "schemas" not in ref else x
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, list):
            return [resolve(v) for v in x]
        return x

    out: dict[str, Any] = resolve(doc)
    return out


ROUTES = [  # the routes under load first: each request is matched against them in turn
    Route("/match", api(yente.match), methods=["POST"]),
    Route("/match/{dataset}", api(yente.match), methods=["POST"]),
    Route("/healthz", healthz),
    Route("/readyz", readyz),
    Route("/lists", lists),
    Route("/lists/update", lists_update, methods=["POST"]),
    Route("/lists/update/{job}", lists_update_job),
    Route("/check", check),
    Route("/search/{dataset}", api(yente.search)),
    Route("/entities/{entity_id}", api(yente.entity)),
    Route("/catalog", api(yente.catalog)),
    Route("/algorithms", api(yente.algorithms)),
    Route("/batch", batch, methods=["POST"]),
    Route("/batch/{job}", batch_job),
    Route("/batch/{job}/result", batch_result),
    Route("/reconcile", reconcile, methods=["GET", "POST"]),
    Route("/reconcile/suggest/entity", reconcile_suggest),
    Route("/reconcile/preview", reconcile_preview),
    Route("/openapi.json", openapi),
    Route("/docs", docs),
]


def create_app(
    s: Screener,
    *,
    reload_interval: float = 1.0,
    base_url: str | None = None,
    audit: AuditWriter | None = None,
    jobs_root: str | None = None,
) -> Starlette:
    """The ASGI application over ``s`` (a Screener with ``auto_reload=False``).
    ``base_url``: the address it serves at when ``[serve] base_url`` is not set;
    ``audit`` and ``jobs_root``: what the workers of ``serve --workers`` share."""
    srv = Server(
        s, reload_interval=reload_interval, base_url=base_url, audit=audit, jobs_root=jobs_root
    )

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
            Middleware(Cors, origins=s.settings.cors_origins),
            Middleware(RequestIds),
            Middleware(SecurityHeaders),
            Middleware(gzip),
            Middleware(BodyLimit, upload_limit=srv.upload_limit, upload_paths=UPLOAD_PATHS),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.server = srv
    return app
