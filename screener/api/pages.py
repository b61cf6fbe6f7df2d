"""The reviewers' pages: server-rendered HTML (Jinja templates, autoescaped), no script.

    GET  /                  search a name; its hits with their evidence and provenance
    GET  /entity?id=        one listed entity (the reconciliation API's "view")
    GET  /sources           the lists screened against, their versions and age
    GET  /upload            upload a CSV or XLSX file (signed in); POST starts a job
    GET  /uploads/{job}     that job: its progress, then its party-by-party report
    GET  /login, POST       sign in with the server's token; POST /logout signs out
    GET  /docs              the API reference

Every page reads and works without JavaScript: forms post and pages reload (a job's
page refreshes itself with a meta refresh while it runs). Each page has one ``h1``,
landmarks (header, nav, main, footer), a skip link, a label for every field, and
visible focus. Forms that write carry the CSRF token (:mod:`screener.api.security`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from screener.api import entities
from screener.api.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Forbidden,
    new_csrf_cookie,
    safe_next,
)
from screener.api.server import server
from screener.api.uploads import start_batch
from screener.errors import ScreenerError, http_status
from screener.files.reports.html import RELATIONS
from screener.lists.effects import annotate
from screener.matching.rules import valid_threshold

REVIEWER_COOKIE = "screener_reviewer"  # the reviewer's name, remembered for the next decision
# how each decision kind (screener.model.DECISION_KINDS) reads on the page
KIND_LABELS = {
    "false-positive": "A false positive: not the listed entity",
    "confirmed": "A true match",
    "escalated": "Escalated to someone who may decide",
    "cleared": "A true match that is permitted (licence held, approved)",
    "declined": "A true match: the deal, grant or sale is declined",
}
CSS = resources.files("screener.api").joinpath("static/screener.css").read_bytes()


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
    """A page: the template with what every page needs (the CSRF token, sign-in state)."""
    srv = server(request)
    cookie = request.cookies.get(CSRF_COOKIE) or new_csrf_cookie()
    ctx.setdefault(
        "back", request.url.path + (f"?{request.url.query}" if request.url.query else "")
    )
    html = srv.templates.get_template(template).render(
        request=request,
        path=request.url.path,
        csrf=srv.guard.csrf_token(cookie),
        signed_in=srv.guard.signed_in(request),
        writes_enabled=srv.guard.writes_enabled,
        relations=RELATIONS,
        kinds=KIND_LABELS,
        reviewer=unquote(request.cookies.get(REVIEWER_COOKIE, "")),
        **ctx,
    )
    response = Response(html, status, media_type="text/html; charset=utf-8")
    if request.cookies.get(CSRF_COOKIE) != cookie:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict")
    return response


def problem(request: Request, e: BaseException, title: str = "Something is wrong") -> Response:
    return render(request, "error.html", http_status(e), title=title, message=str(e))


Page = Callable[[Request], Awaitable[Response]]


def for_readers(title: str) -> Callable[[Page], Page]:
    """A page only readers may see: anyone else gets the error page titled ``title``."""

    def wrap(page: Page) -> Page:
        @functools.wraps(page)
        async def guarded(request: Request) -> Response:
            try:
                server(request).guard.require_reader(request)
            except Forbidden as e:
                return problem(request, e, title)
            return await page(request)

        return guarded

    return wrap


async def search(request: Request) -> Response:
    """The search form, and the hits of the name searched."""
    srv = server(request)
    p = request.query_params
    name = p.get("name", "").strip()
    form = {"name": name, "country": p.get("country", ""), "threshold": p.get("threshold", "")}
    if not name:
        return render(request, "search.html", form=form, result=None)
    try:
        srv.snapshot_or_503()
        result = await run_in_threadpool(
            srv.s.check,
            name,
            country=form["country"] or None,
            threshold=valid_threshold(form["threshold"]) if form["threshold"] else None,
        )
    except ScreenerError as e:
        return render(request, "search.html", http_status(e), form=form, result=None, error=str(e))
    back = "/?" + urlencode({k: v for k, v in form.items() if v})
    return render(
        request, "search.html", form=form, result=result, decided=p.get("decided"), back=back
    )


async def entity(request: Request) -> Response:
    """One listed party with all its listings: of every record, for a party of several."""
    srv = server(request)
    snap = srv.s.loaded
    key = request.query_params.get("id", "")
    found = entities.lookup(snap, srv.s.store).resolve(key)[0] if snap else None
    if found is None:
        return render(
            request,
            "error.html",
            404,
            title="No such entry",
            message="No listed entity has this id in the lists loaded now.",
        )
    e = found.entity
    listings = [
        annotate(x, r.entity.remarks)
        for r in found.records or [found]
        for x in entities.listings(r.entity)
    ]
    records = [
        {
            "source_id": r.ref[0],
            "entity_id": r.ref[1],
            "name": r.entity.name,
            "why": found.why.get(r.id),
        }
        for r in found.records
    ]
    return render(request, "entity.html", e=e, key=key, listings=listings, records=records)


async def sources(request: Request) -> Response:
    """The lists: each source's loaded version, and what a clear result does not cover."""
    srv = server(request)
    try:
        active, notes = await run_in_threadpool(srv.s.guard, False)
    except ScreenerError as e:
        return problem(request, e, "No lists")
    return render(
        request,
        "sources.html",
        active=active,
        loaded=srv.s.loaded_versions,
        reloading=srv.watcher.loading,
        notes=notes,
    )


async def upload(request: Request) -> Response:
    """The upload form (GET); a new batch job, then its page (POST)."""
    srv = server(request)
    if request.method == "GET":
        return render(request, "upload.html")
    try:
        srv.guard.authorize(request)
        async with request.form(max_files=1, max_fields=20) as form:
            srv.guard.require_write(request, form)
            srv.snapshot_or_503()
            job = await run_in_threadpool(start_batch, srv, form)
    except (ScreenerError, Forbidden) as e:
        return render(request, "upload.html", http_status(e), error=str(e))
    return RedirectResponse(f"/uploads/{job.id}", 303)


@for_readers("Sign in to see this upload")
async def upload_job(request: Request) -> Response:
    """A batch job: running (the page refreshes itself), done (its summary and report),
    or failed (why)."""
    srv = server(request)
    job = srv.jobs.get(request.path_params["job"], "batch") if srv.jobs else None
    if job is None:
        return render(
            request,
            "error.html",
            404,
            title="No such upload",
            message="This upload is not known (the server keeps the last 100).",
        )
    return render(request, "upload_job.html", job=job)


async def login(request: Request) -> Response:
    """Sign in with the server's token; the session cookie stands for it afterwards."""
    srv = server(request)
    if request.method == "GET":
        return render(request, "login.html", next=safe_next(request.query_params.get("next")))
    form = await request.form(max_files=0, max_fields=5)
    after = safe_next(str(form.get("next") or "/"))
    if not srv.guard.writes_enabled:
        return render(request, "login.html", 403, next=after, error=_no_token(srv))
    if not srv.guard.csrf_ok(request, form):
        return render(
            request, "login.html", 403, next=after, error="The form has expired; please try again."
        )
    if not srv.guard.token_ok(str(form.get("token") or "").strip()):
        return render(request, "login.html", 403, next=after, error="That is not the token.")
    response = RedirectResponse(after, 303)
    response.set_cookie(SESSION_COOKIE, srv.guard.session_value(), httponly=True, samesite="strict")
    return response


def _no_token(srv: Any) -> str:
    from screener.api.security import NO_TOKEN

    return NO_TOKEN[0].upper() + NO_TOKEN[1:] + "."


async def logout(request: Request) -> Response:
    srv = server(request)
    form = await request.form(max_files=0, max_fields=5)
    if not srv.guard.csrf_ok(request, form):
        return render(
            request,
            "error.html",
            403,
            title="Not signed out",
            message="The form has expired; please try again.",
        )
    response = RedirectResponse("/", 303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return response


async def stylesheet(request: Request) -> Response:
    return Response(CSS, media_type="text/css", headers={"cache-control": "max-age=3600"})


ROUTES = [
    Route("/", search),
    Route("/entity", entity),
    Route("/sources", sources),
    Route("/upload", upload, methods=["GET", "POST"]),
    Route("/uploads/{job}", upload_job),
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/static/screener.css", stylesheet),
]
